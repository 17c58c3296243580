"""The review data: result JSONs, their audit logs, the queue of cells a person should look at,
and the actions (accept, correct, undo) that append to the log.

The machine's Report on disk is only ever read; every view is the Report with the log
replayed on top (:func:`nianbao.corrections.apply_corrections`) and the consistency rules
re-run on that.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from nianbao.checks import run_checks
from nianbao.corrections import (
    CellKey,
    Correction,
    StaleWriteError,
    append_if_unchanged,
    apply_corrections,
    effective_values,
    load_corrections,
    log_path_for,
)
from nianbao.models import Cell, CheckResult, CheckStatus, Report, Template, load_template
from nianbao.results import BadResultError, find_source, is_batch_folder, read_report, result_entries
from nianbao.settings import Settings
from nianbao.wording import rule_location, why_unsure

DEFAULT_TEMPLATE = "2021"
log = logging.getLogger(__name__)


def cell_ref(key: CellKey) -> str:
    """The "table.row.col" form CheckResult.cells uses."""
    return ".".join(key)


@dataclass
class ReportState:
    """One report as the reviewer sees it now: machine reading, log, corrected view, rules."""

    rid: str
    path: Path
    machine: Report
    events: list[Correction]
    fixed: Report
    checks: list[CheckResult]  # rules re-run on the corrected view
    template: Template | None
    in_force: dict[CellKey, Correction] = field(default_factory=dict)
    stamp: tuple = ()  # mtime/size of the result and its log when this state was built
    items: list[QueueItem] | None = None  # this report's queue, computed once

    @property
    def version(self) -> int:
        return len(self.events)

    def machine_cell(self, key: CellKey) -> Cell | None:
        t = self.machine.table(key[0])
        return t.cell(key[1], key[2]) if t else None

    def fixed_cell(self, key: CellKey) -> Cell | None:
        t = self.fixed.table(key[0])
        return t.cell(key[1], key[2]) if t else None

    def checks_for(self, key: CellKey, checks: list[CheckResult] | None = None) -> list[CheckResult]:
        ref = cell_ref(key)
        return [c for c in (self.checks if checks is None else checks) if ref in c.cells]

    def broken(self) -> list[CheckResult]:
        return [c for c in self.checks if c.status == CheckStatus.failed]


@dataclass
class QueueItem:
    rid: str
    key: CellKey
    confidence: float  # the machine's confidence (the queue order)
    why: list[str]  # in Chinese: "置信度 0.23，低于 0.9", "勾稽关系不成立：表三 总计 列"
    status: str  # "open", "accepted", "corrected"
    machine_value: float | int | None
    value: float | int | None  # in force now
    page: int | None


def discover_results(paths: list[Path]) -> list[Path]:
    """Result JSON files among ``paths`` (files or results folders). A batch folder gives the
    latest result per input (:func:`nianbao.results.result_entries`); any other folder every
    ``*.json`` that loads as a Report — other JSON files (errors, summaries) and broken results
    are skipped, each named in one warning line."""
    found: list[Path] = []
    for p in paths:
        if p.is_dir() and is_batch_folder(p):
            found.extend(e.result for e in result_entries(p))
        elif p.is_dir():
            for e in result_entries(p):
                try:
                    read_report(e.result)
                except BadResultError as bad:
                    log.warning("review: skipped %s", bad)
                    continue
                found.append(e.result)
        elif p.suffix.lower() == ".json":
            found.append(p)
    return found


class ReviewStore:
    """The reports under review, addressed by a short id (the result file's stem)."""

    def __init__(self, results: list[Path], threshold: float | None = None, source_dirs: Iterable[str | Path] = (),
                 settings: Settings | None = None):
        """``source_dirs``: folders where input files may be found by their sha256 when a
        result's recorded path is not there (the server passes its uploads folder).
        ``settings``: resolved here, once, for everything the review page does (page pictures,
        why a cell is unsure); ``threshold`` defaults to its ``confidence.silent_threshold``."""
        self.settings = settings if settings is not None else Settings()
        self.threshold = threshold if threshold is not None else self.settings.confidence.silent_threshold
        self.source_dirs = [Path(d) for d in source_dirs]
        self.paths: dict[str, Path] = {}
        for p in results:
            rid = re.sub(r"[^\w.-]", "_", p.name.removesuffix(".json")) or "report"
            base, n = rid, 2
            while rid in self.paths:
                rid, n = f"{base}-{n}", n + 1
            self.paths[rid] = p.resolve()
        self._cache: dict[str, tuple[tuple, ReportState]] = {}
        self._queue: tuple[tuple, list[QueueItem]] | None = None
        self._lock = threading.Lock()

    # -- reading ---------------------------------------------------------------------------
    def _stamp(self, path: Path) -> tuple:
        log = log_path_for(path)
        st = path.stat()
        ls = log.stat() if log.exists() else None
        return (st.st_mtime_ns, st.st_size, ls.st_mtime_ns if ls else 0, ls.st_size if ls else 0)

    def state(self, rid: str, path: Path | None = None) -> ReportState:
        """The current state of report ``rid`` (cached until the JSON or its log changes)."""
        path = path or self.paths[rid]
        stamp = self._stamp(path)
        with self._lock:
            hit = self._cache.get(rid)
            if hit and hit[0] == stamp:
                return hit[1]
        machine = hit[1].machine if hit and hit[0][:2] == stamp[:2] else self._read_machine(path)
        events = load_corrections(path)
        state = self._build(rid, path, machine, events)
        state.stamp = stamp
        with self._lock:
            self._cache[rid] = (stamp, state)
        return state

    def _read_machine(self, path: Path) -> Report:
        """The result as the parser wrote it, its source path pointing at the input file where it
        is found now (by recorded path or sha256, :func:`nianbao.results.find_source`), so that
        page pictures show from any working folder; the file on disk is not changed."""
        machine = read_report(path)
        found = find_source(machine.source, self.source_dirs, relative_to=(path.parent, path.parent.parent))
        if found is not None and str(found) != machine.source.path:
            machine.source.path = str(found)
        return machine

    def _build(self, rid: str, path: Path, machine: Report, events: list[Correction]) -> ReportState:
        template = None
        try:
            template = load_template(machine.template_version or DEFAULT_TEMPLATE)
        except ValueError:
            pass
        fixed, _ = apply_corrections(machine, events)
        checks = run_checks(fixed, template) if template else list(machine.checks)
        return ReportState(rid, path, machine, events, fixed, checks, template, effective_values(events))

    # -- the queue -------------------------------------------------------------------------
    def queue_for(self, state: ReportState) -> list[QueueItem]:
        """Cells below the threshold or touched by a broken rule (in the machine's reading or
        after the corrections so far), and every cell of a table the parser did not find."""
        broken: dict[str, list[str]] = {}
        for chk in [*state.machine.checks, *state.checks]:
            if chk.status == CheckStatus.failed:
                for ref in chk.cells:
                    where = rule_location(state.template, chk) if state.template else f"{chk.rule} ({chk.subject})"
                    label = f"勾稽关系不成立：{where}"
                    if label not in broken.setdefault(ref, []):
                        broken[ref].append(label)
        items = []
        for table in state.machine.tables:
            for cell in table.cells:
                why = []
                if not table.found:
                    why.append("表格未找到：请在页面图上找到这一格，输入数值")
                elif cell.confidence < self.threshold:
                    words = [w for w in why_unsure(cell, state.machine, self.settings.confidence) if not w.startswith("所在的勾稽关系不成立")]
                    why.append(f"置信度 {cell.confidence:.2f}，低于 {self.threshold:g}" + (f"（{words[0]}）" if words else ""))
                why += broken.get(cell_ref(cell.key), [])
                if not why:
                    continue
                ev = state.in_force.get(cell.key)
                status = "open" if ev is None else ("corrected" if ev.action == "correct" else "accepted")
                fixed = state.fixed_cell(cell.key)
                items.append(QueueItem(state.rid, cell.key, cell.confidence, why, status, cell.value,
                                       fixed.value if fixed else cell.value, cell.page))
        return items

    def states(self) -> list[ReportState]:
        """Every report that reads as a Report (a broken or foreign JSON file is skipped)."""
        out = []
        for rid, path in dict(self.paths).items():  # one snapshot (a subclass may list a folder live)
            try:
                out.append(self.state(rid, path))
            except (ValidationError, ValueError, OSError) as exc:
                log.warning("review: skipping %s: %s", path, str(exc).splitlines()[0])
        return out

    def queue(self) -> list[QueueItem]:
        """All reports' queues in one list, lowest machine confidence first; cells the parser
        could not place on a page (no crop to show) after all located ones. Cached until a
        result or a log changes."""
        states = self.states()
        stamp = tuple((st.rid, st.stamp) for st in states)
        with self._lock:
            if self._queue is not None and self._queue[0] == stamp:
                return self._queue[1]
        queue = self._make_queue(states)
        with self._lock:
            self._queue = (stamp, queue)
        return queue

    def _make_queue(self, states: list[ReportState]) -> list[QueueItem]:
        items = []
        for st in states:
            if st.items is None:  # once per state: a change rebuilds only its own report's items
                st.items = self.queue_for(st)
            items.extend(st.items)
        order = {st.rid: i for i, st in enumerate(states)}
        # stable sort keeps table/row/col order within a report for equal confidences
        return sorted(items, key=lambda it: (it.page is None, round(it.confidence, 4), order[it.rid]))

    # -- writing ---------------------------------------------------------------------------
    def act(self, rid: str, key: CellKey, action: str, value: float | int | None, base_version: int,
            who: str) -> tuple[Correction, ReportState, ReportState]:
        """Accept or correct one cell; returns the event and the states before and after.
        Raises StaleWriteError when someone else changed the cell after ``base_version``."""
        before = self.state(rid)
        cell = before.machine_cell(key)
        if cell is None:
            raise KeyError(key)

        def make(events: list[Correction]) -> Correction:
            cur = effective_values(events).get(key)
            old = cur.new_value if cur is not None else cell.value
            return Correction(who=who, action=action, table=key[0], row=key[1], col=key[2],
                              old_value=old, new_value=value if action == "correct" else old,
                              machine_value=cell.value, machine_confidence=cell.confidence)

        event, _ = append_if_unchanged(before.path, key, base_version, make)
        return event, before, self.state(rid)

    def undo(self, rid: str, event_id: str | None, key: CellKey | None, base_version: int,
             who: str) -> tuple[Correction, ReportState, ReportState]:
        """Revert event ``event_id`` (or the event in force on ``key``) with an ``undo`` event."""
        before = self.state(rid)
        target = None
        if event_id:
            target = next((e for e in before.events if e.id == event_id), None)
        elif key is not None:
            target = before.in_force.get(key)
        if target is None or target.action == "undo":
            raise LookupError("nothing to undo")
        tkey = (target.table, target.row, target.col)
        if before.in_force.get(tkey) is None or before.in_force[tkey].id != target.id:
            # already undone or superseded: only the change in force may be undone
            cur = before.in_force.get(tkey)
            raise StaleWriteError(tkey, before.version, cur, cur.new_value if cur else None)

        def make(events: list[Correction]) -> Correction:
            prior = [e for e in effective_values([e for e in events if e.id != target.id]).values()
                     if (e.table, e.row, e.col) == tkey]
            restored = prior[0].new_value if prior else target.machine_value
            return Correction(who=who, action="undo", table=tkey[0], row=tkey[1], col=tkey[2],
                              old_value=target.new_value, new_value=restored, machine_value=target.machine_value,
                              machine_confidence=target.machine_confidence, undoes=target.id)

        event, _ = append_if_unchanged(before.path, tkey, base_version, make)
        return event, before, self.state(rid)

"""Reviewer corrections: an append-only JSON-lines audit log beside a result file.

The machine's reading in the result JSON is never overwritten; exports and the review page
apply the log on top of it. One line per event::

    {"at": "2026-11-27T17:00:00+00:00", "who": "alice", "action": "correct"|"accept"|"undo",
     "table": "applications", "row": "new_received", "col": "total",
     "old_value": 3, "new_value": 5, "machine_value": 3, "machine_confidence": 0.41,
     "base_version": 2, "id": "<uuid>"}

``undo`` names the ``id`` of the event it reverts in ``undoes``.
"""

from __future__ import annotations

import fcntl
import getpass
import os
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from nianbao.confidence import mark_reviewed
from nianbao.models import CellKind, NoteCode, Report
from nianbao.wording import note

CellKey = tuple[str, str, str]


class Correction(BaseModel):
    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    at: str = Field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    who: str
    action: Literal["correct", "accept", "undo"]
    table: str
    row: str
    col: str
    old_value: float | int | None = None
    new_value: float | int | None = None
    machine_value: float | int | None = None
    machine_confidence: float | None = None
    base_version: int = 0  # number of events the author had seen; detects concurrent edits
    undoes: str | None = None


def log_path_for(result_path: str | Path) -> Path:
    """Where the audit log of a result JSON lives: ``NAME.json`` -> ``NAME.corrections.jsonl``."""
    p = Path(result_path)
    return p.with_name(p.name.removesuffix(".json") + ".corrections.jsonl")


def _read_events(text: str) -> list[Correction]:
    """The events of a log. A last line without its newline is a write a kill cut short: it is
    ignored (and cut off by the next append, :func:`_append_line`). Any other line that does not
    load raises (a damaged audit log is reported, never silently shortened)."""
    lines = text.split("\n")
    torn = lines.pop() if lines else ""  # "" when the text ends with a newline
    events = [Correction.model_validate_json(line) for line in (raw.strip() for raw in lines) if line]
    if torn.strip():
        try:
            events.append(Correction.model_validate_json(torn))
        except ValueError:
            pass
    return events


def _append_line(fh, line: str) -> None:
    """Append one line at the end of a log open in "a+" mode under its lock; fsynced."""
    fh.flush()
    fd = fh.fileno()
    size = os.fstat(fd).st_size
    if size and os.pread(fd, 1, size - 1) != b"\n":  # a torn write: never committed, cut it off
        os.ftruncate(fd, os.pread(fd, size, 0).rfind(b"\n") + 1)
    fh.seek(0, os.SEEK_END)
    fh.write(line + "\n")
    fh.flush()
    os.fsync(fh.fileno())


def load_corrections(result_path: str | Path) -> list[Correction]:
    path = log_path_for(result_path)
    if not path.exists():
        return []
    return _read_events(path.read_text(encoding="utf-8"))


def default_reviewer() -> str:
    """Who a local reviewer is when no bearer token names a user: the OS user."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (containers): still record something
        return f"uid{os.getuid()}"


class StaleWriteError(Exception):
    """Another reviewer changed the same cell after the log version this writer had seen."""

    def __init__(self, key: CellKey, version: int, latest: Correction | None, current_value: float | int | None):
        self.key = key
        self.version = version  # the log's version now
        self.latest = latest  # the newest event on the cell since the writer's version
        self.current_value = current_value  # the cell's value in force now (None: machine value or blank)
        super().__init__(f"{'.'.join(key)} changed since version; log is now at version {version}")


def append_correction(result_path: str | Path, event: Correction) -> None:
    """Append one event under an exclusive lock (several reviewers may share a server)."""
    path = log_path_for(result_path)
    with path.open("a+", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            _append_line(fh, event.model_dump_json())
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def append_if_unchanged(
    result_path: str | Path,
    key: CellKey,
    base_version: int,
    make_event: Callable[[list[Correction]], Correction],
) -> tuple[Correction, int]:
    """Optimistic concurrency: append the event ``make_event(events)`` builds from the current log,
    unless an event after ``base_version`` (the number of events the writer had seen) touched
    the same cell; then raise :class:`StaleWriteError` with the current state. Reading, checking
    and appending happen under one exclusive lock, so two servers sharing the folder are safe.
    Returns the event written and the new version (number of events in the log)."""
    path = log_path_for(result_path)
    with path.open("a+", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            fh.seek(0)
            events = _read_events(fh.read())
            newer = [e for e in events[base_version:] if (e.table, e.row, e.col) == key]
            if base_version > len(events) or newer:
                cur = effective_values(events).get(key)
                raise StaleWriteError(key, len(events), newer[-1] if newer else None,
                                      cur.new_value if cur is not None else None)
            event = make_event(events)
            event.base_version = base_version
            _append_line(fh, event.model_dump_json())
            return event, len(events) + 1
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def effective_values(events: list[Correction]) -> dict[tuple[str, str, str], Correction]:
    """The correction in force for each cell after replaying the log (undo included)."""
    undone = {e.undoes for e in events if e.action == "undo" and e.undoes}
    current: dict[tuple[str, str, str], Correction] = {}
    for e in events:
        if e.action == "undo" or e.id in undone:
            continue
        current[(e.table, e.row, e.col)] = e
    return current


def apply_corrections(report: Report, events: list[Correction]) -> tuple[Report, set[tuple[str, str, str]]]:
    """A copy of ``report`` with corrected values applied; also the keys that were corrected.

    An accepted cell keeps its value and gets confidence 1; a corrected one gets the
    reviewer's value, confidence 1 and a reason naming the correction.
    """
    fixed = report.model_copy(deep=True)
    current = effective_values(events)
    changed: set[tuple[str, str, str]] = set()
    for table in fixed.tables:
        for cell in table.cells:
            ev = current.get(cell.key)
            if ev is None:
                continue
            if ev.action == "correct":
                cell.value = ev.new_value
                cell.kind = (CellKind.blank if ev.new_value is None
                             else CellKind.zero if ev.new_value == 0 else CellKind.number)
                if cell.unit == "万元" and ev.new_value is not None:
                    cell.value_wan = float(ev.new_value)
                elif cell.unit == "元" and ev.new_value is not None:
                    cell.value_wan = float(ev.new_value) / 10000
                mark_reviewed(cell, note(NoteCode.corrected, who=ev.who, at=ev.at, machine=repr(ev.machine_value)))
                changed.add(cell.key)
            else:
                mark_reviewed(cell, note(NoteCode.accepted, who=ev.who, at=ev.at))
    return fixed, changed


def mark_long_rows(rows: list[dict], events: list[Correction]) -> list[dict]:
    """Add review columns to long-CSV rows (SPEC §5 columns first, unchanged): ``review``
    (corrected / accepted / empty), ``machine_value`` (what the parser read) and ``reviewed_by``.
    Use on rows made from the report returned by :func:`apply_corrections`."""
    current = effective_values(events)
    out = []
    for row in rows:
        ev = current.get((row["table"], row["row"], row["col"]))
        extra: dict[str, Any] = {"review": "", "machine_value": "", "reviewed_by": ""}
        if ev is not None:
            mv = ev.machine_value
            extra = {"review": "corrected" if ev.action == "correct" else "accepted",
                     "machine_value": "" if mv is None else mv, "reviewed_by": f"{ev.who} {ev.at}"}
        out.append({**row, **extra})
    return out

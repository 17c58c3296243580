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
import json
import os
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from nianbao.models import Report


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


def load_corrections(result_path: str | Path) -> list[Correction]:
    path = log_path_for(result_path)
    if not path.exists():
        return []
    events = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                events.append(Correction.model_validate_json(line))
    return events


def append_correction(result_path: str | Path, event: Correction) -> None:
    """Append one event under an exclusive lock (several reviewers may share a server)."""
    path = log_path_for(result_path)
    with path.open("a", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            fh.write(event.model_dump_json() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
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
                cell.reasons = [*cell.reasons, f"corrected by {ev.who} at {ev.at} (machine read {ev.machine_value!r})"]
                changed.add(cell.key)
            else:
                cell.reasons = [*cell.reasons, f"accepted by {ev.who} at {ev.at}"]
            cell.confidence = 1.0
    return fixed, changed

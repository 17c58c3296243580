"""A results folder: what ``nianbao batch`` writes and every later step reads.

Layout of a folder ``DIR``::

    DIR/<name>-<sha12>.json          one Report JSON per distinct file content
    DIR/<name>-<sha12>.corrections.jsonl   reviewers' audit log of that result (append-only)
    DIR/index.jsonl                  append-only log, one line per finished file (done or failed);
                                     the last line for an input path wins; a torn last line is ignored
    DIR/errors.jsonl                 the files that failed in the latest run, with the reason
    DIR/summary.json                 totals of the latest run

A folder without ``index.jsonl`` (result JSONs copied together by hand) is read as every
``*.json`` in it. This module is the one reader of such a folder — batch (resume), dataset
(export), years (check) and the review store all go through it — and it answers the questions
they share: which result is the latest per input, does a result file load (a corrupt one is
skipped and named, never a traceback), is a result current for this code and these settings,
and where is the input file a result was read from.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from nianbao import __version__
from nianbao.corrections import Correction, apply_corrections, effective_values, load_corrections
from nianbao.fileio import sha256_file
from nianbao.models import Report, SourceInfo
from nianbao.settings import Settings

INDEX_NAME = "index.jsonl"
ERRORS_NAME = "errors.jsonl"
SUMMARY_NAME = "summary.json"
RESERVED_NAMES = {INDEX_NAME, ERRORS_NAME, SUMMARY_NAME}

CellKey = tuple[str, str, str]
log = logging.getLogger(__name__)


# ---------------------------------------------------------------- names and the index


_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


def result_name(path: str | Path, sha256: str) -> str:
    """``<stem>-<sha12>.json``: readable, and two files with one name never collide."""
    stem = _UNSAFE.sub("_", Path(path).stem).strip("._") or "report"
    return f"{stem[:80]}-{sha256[:12]}.json"


def load_index(folder: str | Path) -> dict[str, dict]:
    """The latest index entry per input path (a torn or foreign line is ignored)."""
    path = Path(folder) / INDEX_NAME
    entries: dict[str, dict] = {}
    if not path.exists():
        return entries
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                e = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(e, dict) and isinstance(e.get("path"), str):
                entries[e["path"]] = e
    return entries


class IndexWriter:
    """Append-only writer of ``index.jsonl``: each entry is one write of one line, fsynced, so a
    kill leaves at most a torn last line (which :func:`load_index` ignores)."""

    def __init__(self, folder: str | Path):
        self.fh: IO[str] = open(Path(folder) / INDEX_NAME, "a", encoding="utf-8")

    def append(self, entry: dict) -> None:
        self.fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.fh.flush()
        os.fsync(self.fh.fileno())

    def close(self) -> None:
        self.fh.close()


def is_batch_folder(folder: str | Path) -> bool:
    """A folder written by ``nianbao batch`` (it has an index)."""
    return (Path(folder) / INDEX_NAME).exists()


@dataclass
class ResultEntry:
    """One report of a results folder: the name to show (the input path as given to batch, or
    the result file's name) and where its result JSON is."""

    file: str
    result: Path


def result_entries(folder: str | Path) -> list[ResultEntry]:
    """The reports of a results folder, sorted by name: the latest finished entry per input path
    of ``index.jsonl`` whose result file is there; without an index, every ``*.json`` that is
    not one of the folder's own files. Whether each loads is for :func:`load_results` to say."""
    d = Path(folder)
    if not d.is_dir():
        raise FileNotFoundError(f"{d}: no such folder")
    if is_batch_folder(d):
        out = [ResultEntry(p, d / e["result"]) for p, e in load_index(d).items()
               if e.get("status") == "done" and isinstance(e.get("result"), str) and (d / e["result"]).is_file()]
    else:
        out = [ResultEntry(p.name, p) for p in d.glob("*.json")
               if p.name not in RESERVED_NAMES and not p.name.startswith(".")]
    return sorted(out, key=lambda e: e.file)


# ---------------------------------------------------------------- loading, validated


class BadResultError(ValueError):
    """A result file that does not load as a Report (corrupt, truncated, foreign, unreadable)
    or whose corrections log does not; the message is one line naming the file."""

    def __init__(self, path: str | Path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def _first_line(exc: BaseException) -> str:
    if isinstance(exc, ValidationError) and exc.errors():
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        return f"{exc.error_count()} error(s), first: {where + ': ' if where else ''}{err['msg']}"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def read_report(path: str | Path) -> Report:
    """The Report in a result JSON; raises :class:`BadResultError` (one line) when it does not load."""
    try:
        return Report.model_validate_json(Path(path).read_bytes())
    except (ValidationError, ValueError, OSError) as exc:
        raise BadResultError(path, f"not a readable nianbao result ({_first_line(exc)})") from None


@dataclass
class LoadedResult:
    """A result with its reviewers' log replayed on top."""

    entry: ResultEntry
    machine: Report  # as the parser wrote it
    report: Report  # with corrections applied
    corrected: set[CellKey]  # cells whose value a reviewer set
    reviewed: dict[CellKey, Correction]  # the correction or acceptance in force per cell
    events: list[Correction]


def load_result(entry: ResultEntry) -> LoadedResult:
    """Read a result and replay its corrections log; :class:`BadResultError` when either is broken."""
    machine = read_report(entry.result)
    try:
        events = load_corrections(entry.result)
    except (ValidationError, ValueError, OSError) as exc:
        raise BadResultError(entry.result, f"corrections log does not load ({_first_line(exc)})") from None
    report, corrected = apply_corrections(machine, events)
    return LoadedResult(entry, machine, report, corrected, effective_values(events), events)


def warn_bad(bad: BadResultError) -> None:
    """The default for a bad result: one warning line naming the file (stderr when logging is not set up)."""
    log.warning("skipped %s", bad)


def load_results(entries: Iterable[ResultEntry],
                 on_bad: Callable[[BadResultError], None] = warn_bad) -> Iterator[LoadedResult]:
    """Load each entry; a bad one is handed to ``on_bad`` (default: one warning line) and skipped,
    so one corrupt file never stops an export, a check or a review."""
    for e in entries:
        try:
            yield load_result(e)
        except BadResultError as bad:
            on_bad(bad)


# ---------------------------------------------------------------- is a result current?


def stale_reason(report: Report, settings: Settings) -> str | None:
    """Why ``report`` is not what this nianbao with these settings would produce, or None when it
    is current: another nianbao version, or other settings of those that change results
    (:meth:`Settings.results_hash`). A result written before these were recorded is stale."""
    if report.nianbao_version != __version__:
        return f"parsed by nianbao {report.nianbao_version or '(unrecorded)'}, this is {__version__}"
    if report.settings_hash != settings.results_hash():
        return "parsed with other settings"
    return None


def is_current(report: Report, settings: Settings) -> bool:
    """True when ``report`` was parsed by this nianbao version with settings that give the same results."""
    return stale_reason(report, settings) is None


REASON_UNREADABLE = "result file did not load"


def reparse_reason(path: str | Path, settings: Settings) -> str | None:
    """Why the stored result at ``path`` must not be reused but parsed again: it does not load
    (:data:`REASON_UNREADABLE`), or :func:`stale_reason`; None when it may be reused. The one
    answer batch (resume) and the server (a content uploaded again) both give."""
    try:
        report = read_report(path)
    except BadResultError:
        return REASON_UNREADABLE
    return stale_reason(report, settings)


# ---------------------------------------------------------------- the input of a result


@lru_cache(maxsize=4096)
def _cached_sha256(path: str, mtime_ns: int, size: int) -> str:
    return sha256_file(path)


def _has_content(path: Path, source: SourceInfo) -> bool:
    """``path`` is a file with the bytes the result was read from (size first: cheap)."""
    try:
        st = path.stat()
    except OSError:
        return False
    if not path.is_file() or (source.size and st.st_size != source.size):
        return False
    try:
        return _cached_sha256(str(path), st.st_mtime_ns, st.st_size) == source.sha256
    except OSError:
        return False


def find_source(source: SourceInfo, search_dirs: Iterable[str | Path] = (),
                relative_to: Iterable[str | Path] = ()) -> Path | None:
    """The input file a result was read from, checked by sha256: the recorded path (absolute;
    an old relative one is tried against the working folder and each of ``relative_to``), a file
    of the same name in each of ``relative_to`` (a folder of inputs moved with its results), else
    a file with that content under ``search_dirs`` (recursive; a name starting with the sha256,
    as the server stores uploads, is tried first). None when no such file is here."""
    recorded = Path(source.path)
    tried: list[Path] = [recorded]
    if not recorded.is_absolute():
        tried += [Path(base) / recorded for base in relative_to]
    tried += [Path(base) / recorded.name for base in relative_to]
    for cand in tried:
        if _has_content(cand, source):
            return cand.resolve()
    for folder in (Path(d) for d in search_dirs):
        if not folder.is_dir():
            continue
        named = sorted(folder.glob(f"{source.sha256}*"))
        for cand in named:
            if _has_content(cand, source):
                return cand.resolve()
        for cand in sorted(folder.rglob("*")):
            if cand not in named and _has_content(cand, source):
                return cand.resolve()
    return None

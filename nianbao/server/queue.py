"""The durable job queue: one SQLite database (WAL) under the data folder.

Data folder layout (``--data-dir``)::

    queue.sqlite3              jobs, files, results (by sha256), parses (audit of every parse)
    uploads/<sha256><.ext>     each uploaded file once, named by its content
    results/<sha256>.json      Report JSON per content (atomic write); the review page's
                               corrections log lands beside it (<sha256>.corrections.jsonl)
    tmp/                       uploads being received (cleared at start)
    server.lock                held by the running server (one server per data folder)

A file row goes queued → running (a worker holds a lease it renews by heartbeat) →
done | failed. A row left running by a server that died is queued again at the next start,
and a lease that is not renewed expires, so no file is lost. A parse has ``parse_timeout_s``:
past it the heartbeat no longer renews the lease, the file fails with the reason, and the
server kills the worker (:meth:`Queue.expire_overdue`). A content is parsed once:
a worker does not take a file whose sha256 another live worker is parsing, and a file
whose sha256 already has a result is completed from it without parsing — unless that result
is not current (another nianbao version or other result-changing settings wrote it, or it does
not load: :func:`nianbao.results.reparse_reason`); then the content is parsed again and the
file says why (``note``).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nianbao import __version__
from nianbao.results import reparse_reason
from nianbao.settings import Settings

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    key TEXT UNIQUE,              -- sha256 of the (name, sha256) list: same upload -> same job
    created_at REAL NOT NULL,
    n_files INTEGER NOT NULL,
    created_by TEXT               -- the user who uploaded it (NULL on a server without auth)
);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL REFERENCES jobs(id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    suffix TEXT NOT NULL,
    status TEXT NOT NULL,         -- queued | running | done | failed
    error_type TEXT,
    reason TEXT,
    reused INTEGER NOT NULL DEFAULT 0,   -- completed from a stored result, not parsed
    note TEXT,                    -- why a content with a stored result was parsed again
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until REAL,
    pages INTEGER,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS files_status ON files(status, id);
CREATE INDEX IF NOT EXISTS files_sha ON files(sha256);
CREATE INDEX IF NOT EXISTS files_job ON files(job_id, position);
CREATE TABLE IF NOT EXISTS results (
    sha256 TEXT PRIMARY KEY,
    status TEXT NOT NULL,         -- done | failed (failed only for deterministic input errors)
    error_type TEXT,
    reason TEXT,
    pages INTEGER,
    cells INTEGER,
    low_confidence INTEGER,
    broken_rules INTEGER,
    seconds REAL,
    created_at REAL NOT NULL,
    nianbao_version TEXT,         -- who gave this outcome: a failure by another version or
    settings_hash TEXT            -- other settings is tried again (a result file says it itself)
);
CREATE TABLE IF NOT EXISTS parses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256 TEXT NOT NULL,
    worker TEXT NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL,
    outcome TEXT                  -- done | failed | timeout | NULL while running (or if the worker died)
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,          -- sha256 of the cookie value (nianbao.server.auth.Sessions)
    user TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
"""
# columns added after a data folder was first made: added in place at the next start
MIGRATIONS = {"jobs": {"created_by": "TEXT"}, "files": {"note": "TEXT"},
              "results": {"nianbao_version": "TEXT", "settings_hash": "TEXT"}}

TERMINAL = ("done", "failed")


@dataclass
class Paths:
    root: Path

    @property
    def db(self) -> Path:
        return self.root / "queue.sqlite3"

    @property
    def uploads(self) -> Path:
        return self.root / "uploads"

    @property
    def results(self) -> Path:
        return self.root / "results"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def lock(self) -> Path:
        return self.root / "server.lock"

    def upload(self, sha256: str, suffix: str) -> Path:
        return self.uploads / f"{sha256}{suffix}"

    def result(self, sha256: str) -> Path:
        return self.results / f"{sha256}.json"

    def create(self) -> None:
        for d in (self.root, self.uploads, self.results, self.tmp):
            d.mkdir(parents=True, exist_ok=True)


def _parsed_again(why: str) -> str:
    """The note on a file whose content had a stored outcome that was not reused."""
    return f"parsed again: the stored result is not current ({why})"


def connect(db: Path) -> sqlite3.Connection:
    """A connection in autocommit mode; writers open ``BEGIN IMMEDIATE`` themselves."""
    con = sqlite3.connect(db, timeout=30, isolation_level=None, check_same_thread=False)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA busy_timeout = 30000")
    con.execute("PRAGMA synchronous = NORMAL")  # with WAL: durable across process crashes
    con.execute("PRAGMA foreign_keys = ON")
    return con


@contextmanager
def write_tx(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")


class Queue:
    """Operations on the queue database; one instance per process or thread.

    ``settings``: the settings the server parses with. With them, a stored outcome is reused
    only while it is current for this nianbao and these settings, and each outcome recorded
    says which version and settings gave it; without (tests of the queue alone), any stored
    outcome is reused."""

    def __init__(self, paths: Paths, lease_seconds: float = 30.0, max_attempts: int = 3,
                 parse_timeout_s: float | None = None, settings: Settings | None = None):
        self.paths = paths
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.parse_timeout_s = parse_timeout_s
        self.settings = settings
        self.settings_hash = settings.results_hash() if settings is not None else None
        self._verdicts: dict[tuple[str, int, int], str | None] = {}  # result file (path, mtime, size) -> why stale
        self.con = connect(paths.db)

    # ------------------------------------------------------------ setup

    @staticmethod
    def init(paths: Paths) -> None:
        paths.create()
        con = connect(paths.db)
        try:
            con.execute("PRAGMA journal_mode = WAL")
            con.executescript(SCHEMA)
            for table, columns in MIGRATIONS.items():
                have = {r["name"] for r in con.execute(f"PRAGMA table_info({table})")}
                for column, kind in columns.items():
                    if column not in have:
                        con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        finally:
            con.close()

    def recover(self) -> int:
        """At server start (the server holds the data-folder lock, the old workers are gone):
        every file left running is queued again. Returns how many."""
        with write_tx(self.con) as c:
            n = c.execute("UPDATE files SET status='queued', lease_owner=NULL, lease_until=NULL "
                          "WHERE status='running'").rowcount
        return n

    def close(self) -> None:
        self.con.close()

    # ------------------------------------------------------------ is a stored outcome current?

    def _result_file_stale(self, sha: str) -> str | None:
        """Why the result file of ``sha`` must be parsed again (None: reuse it, or there is none)."""
        path = self.paths.result(sha)
        try:
            st = path.stat()
        except OSError:
            return None
        key = (str(path), st.st_mtime_ns, st.st_size)
        if key not in self._verdicts:
            assert self.settings is not None
            self._verdicts[key] = reparse_reason(path, self.settings)
        return self._verdicts[key]

    def stale_outcome(self, c: sqlite3.Connection, sha: str) -> str | None:
        """Why the stored outcome of content ``sha`` is not to be reused, or None (it is current,
        there is none, or the queue has no settings to judge by): a result file that another
        nianbao or other settings wrote or that does not load; a failure that another nianbao
        or other settings gave (one recorded before versions were, too)."""
        if self.settings is None:
            return None
        if self.paths.result(sha).exists():
            return self._result_file_stale(sha)
        row = c.execute("SELECT status, nianbao_version, settings_hash FROM results WHERE sha256=?", (sha,)).fetchone()
        if row is None or row["status"] != "failed":
            return None
        if row["nianbao_version"] != __version__:
            return f"failed with nianbao {row['nianbao_version'] or '(unrecorded)'}, this is {__version__}"
        if row["settings_hash"] != self.settings_hash:
            return "failed with other settings"
        return None

    # ------------------------------------------------------------ jobs

    @staticmethod
    def job_key(files: list[tuple[str, str]]) -> str:
        return hashlib.sha256(json.dumps(sorted(files), ensure_ascii=False).encode()).hexdigest()

    def create_job(self, files: list[dict[str, Any]], created_by: str | None = None) -> tuple[str, bool]:
        """Insert a job for ``files`` (dicts: name, sha256, size, suffix); returns (id, reused).

        The same upload (same names and contents) returns the job made for it before, unless
        that job has a file that failed for a reason that may pass on a second try, or a stored
        outcome that is not current (:meth:`stale_outcome`). Files whose content already has a
        current stored result are completed from it at once; one whose stored result is not
        current is queued with a ``note`` saying why it is parsed again.
        """
        key = self.job_key([(f["name"], f["sha256"]) for f in files])
        now = time.time()
        stale = {sha: why for sha in {f["sha256"] for f in files} if (why := self.stale_outcome(self.con, sha))}
        with write_tx(self.con) as c:
            old = c.execute("SELECT id FROM jobs WHERE key=?", (key,)).fetchone()
            if old is not None:
                retry = c.execute(
                    "SELECT 1 FROM files f LEFT JOIN results r ON r.sha256=f.sha256 "
                    "WHERE f.job_id=? AND f.status='failed' AND (r.status IS NULL OR r.status!='failed') LIMIT 1",
                    (old["id"],)).fetchone()
                if retry is None and not stale:
                    return old["id"], True
                c.execute("UPDATE jobs SET key=NULL WHERE id=?", (old["id"],))
            job_id = uuid.uuid4().hex
            c.execute("INSERT INTO jobs(id, key, created_at, n_files, created_by) VALUES (?,?,?,?,?)",
                      (job_id, key, now, len(files), created_by))
            for i, f in enumerate(files):
                r = c.execute("SELECT * FROM results WHERE sha256=?", (f["sha256"],)).fetchone()
                note = _parsed_again(stale[f["sha256"]]) if f["sha256"] in stale else None
                if note is None and r is not None and (self.paths.result(f["sha256"]).exists() or r["status"] == "failed"):
                    status, etype, reason, pages, fin, reused = r["status"], r["error_type"], r["reason"], r["pages"], now, 1
                else:
                    status, etype, reason, pages, fin, reused = "queued", None, None, None, None, 0
                c.execute(
                    "INSERT INTO files(job_id, position, name, sha256, size, suffix, status, error_type, reason, "
                    "reused, note, pages, created_at, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (job_id, i, f["name"], f["sha256"], f["size"], f["suffix"], status, etype, reason, reused, note,
                     pages, now, fin))
        return job_id, False

    def job(self, job_id: str) -> dict[str, Any] | None:
        j = self.con.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
        if j is None:
            return None
        files = [dict(r) for r in self.con.execute(
            "SELECT id, position, name, sha256, size, status, error_type, reason, reused, note, attempts, pages, "
            "started_at, finished_at FROM files WHERE job_id=? ORDER BY position", (job_id,))]
        counts = {s: sum(1 for f in files if f["status"] == s) for s in ("queued", "running", "done", "failed")}
        total = len(files)
        finished = counts["done"] + counts["failed"]
        if finished == total:
            status = "done" if counts["failed"] == 0 else ("failed" if counts["done"] == 0 else "done_with_errors")
        elif counts["running"] or finished:
            status = "running"
        else:
            status = "queued"
        ends = [f["finished_at"] for f in files if f["finished_at"]]
        return {
            "id": j["id"], "status": status, "created_at": j["created_at"], "created_by": j["created_by"],
            "finished_at": max(ends) if finished == total and ends else None,
            "progress": {"total": total, **counts, "fraction": round(finished / total, 4) if total else 1.0},
            "files": files,
        }

    def jobs(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.con.execute("SELECT id FROM jobs ORDER BY created_at DESC LIMIT ?", (limit,)).fetchall()
        out = []
        for r in rows:
            j = self.job(r["id"])
            if j:
                j.pop("files")
                out.append(j)
        return out

    def counts(self) -> dict[str, int]:
        rows = self.con.execute("SELECT status, COUNT(*) n FROM files GROUP BY status").fetchall()
        return {r["status"]: r["n"] for r in rows}

    # ------------------------------------------------------------ workers

    def claim(self, worker: str) -> dict[str, Any] | None:
        """Take the oldest queued file whose content nobody is parsing; None when there is none.

        Expired leases are queued again first; a file whose content has a result meanwhile is
        completed from it here; a file tried ``max_attempts`` times is failed.
        """
        now = time.time()
        with write_tx(self.con) as c:
            c.execute("UPDATE files SET status='queued', lease_owner=NULL, lease_until=NULL "
                      "WHERE status='running' AND lease_until < ?", (now,))
            while True:
                row = c.execute(
                    "SELECT id, job_id, name, sha256, suffix, attempts FROM files WHERE status='queued' AND sha256 NOT IN "
                    "(SELECT sha256 FROM files WHERE status='running') ORDER BY id LIMIT 1").fetchone()
                if row is None:
                    return None
                res = c.execute("SELECT * FROM results WHERE sha256=?", (row["sha256"],)).fetchone()
                if res is None:
                    res = self._adopt_result(c, row["sha256"], now)
                if res is not None and (res["status"] == "failed" or self.paths.result(row["sha256"]).exists()):
                    why = self.stale_outcome(c, row["sha256"])
                    if why is None:
                        self._finish_sha(c, row["sha256"], res["status"], res["error_type"], res["reason"],
                                         res["pages"], now, reused=True)
                        continue
                    # e.g. queued before the server was restarted with a new nianbao: parse it again
                    c.execute("UPDATE files SET note=? WHERE sha256=? AND status='queued'",
                              (_parsed_again(why), row["sha256"]))
                if row["attempts"] >= self.max_attempts:
                    c.execute("UPDATE files SET status='failed', error_type='GaveUp', reason=?, finished_at=? WHERE id=?",
                              (f"gave up after {row['attempts']} attempts (a worker died or the server stopped "
                               "while parsing this file)", now, row["id"]))
                    continue
                c.execute("UPDATE files SET status='running', lease_owner=?, lease_until=?, attempts=attempts+1, "
                          "started_at=? WHERE id=?", (worker, now + self.lease_seconds, now, row["id"]))
                parse_id = c.execute("INSERT INTO parses(sha256, worker, started_at) VALUES (?,?,?)",
                                     (row["sha256"], worker, now)).lastrowid
                return {**dict(row), "parse_id": parse_id}

    def _adopt_result(self, c: sqlite3.Connection, sha: str, now: float) -> sqlite3.Row | None:
        """A result file with no row: its worker was killed after the (atomic) write and before
        recording it. The file is whole, so it is recorded now instead of parsing again."""
        path = self.paths.result(sha)
        if not path.exists():
            return None
        try:
            pages = (json.loads(path.read_text("utf-8")).get("source") or {}).get("pages")
        except (OSError, ValueError, AttributeError):
            return None  # not readable after all: parse again (the new result replaces it)
        c.execute("INSERT INTO results(sha256, status, pages, created_at) VALUES (?,?,?,?)", (sha, "done", pages, now))
        return c.execute("SELECT * FROM results WHERE sha256=?", (sha,)).fetchone()

    def heartbeat(self, file_id: int, worker: str) -> bool:
        """Renew the lease; False if the file is no longer ours (it was taken back) or its parse
        has run past ``parse_timeout_s`` (a hung parse must not keep its lease forever)."""
        now = time.time()
        deadline = now - self.parse_timeout_s if self.parse_timeout_s else float("-inf")
        with write_tx(self.con) as c:
            n = c.execute("UPDATE files SET lease_until=? WHERE id=? AND lease_owner=? AND status='running' "
                          "AND started_at >= ?", (now + self.lease_seconds, file_id, worker, deadline)).rowcount
        return n == 1

    def expire_overdue(self) -> list[str]:
        """Fail every file whose parse has run past ``parse_timeout_s``, with the reason; returns
        the workers (lease owners) that were parsing them, for the caller to kill."""
        if not self.parse_timeout_s:
            return []
        now = time.time()
        limit = self.parse_timeout_s
        reason = (f"解析超时：超过 {limit:g} 秒的时间限制，已停止 / parse stopped: it ran past the time limit of "
                  f"{limit:g} s (settings limits.parse_timeout_s)")
        with write_tx(self.con) as c:
            rows = c.execute("SELECT id, sha256, lease_owner FROM files WHERE status='running' AND started_at < ?",
                             (now - limit,)).fetchall()
            for r in rows:
                c.execute("UPDATE files SET status='failed', error_type='ParseTimeout', reason=?, finished_at=?, "
                          "lease_owner=NULL, lease_until=NULL WHERE id=?", (reason, now, r["id"]))
                c.execute("UPDATE parses SET finished_at=?, outcome='timeout' WHERE sha256=? AND worker=? "
                          "AND outcome IS NULL", (now, r["sha256"], r["lease_owner"]))
        return sorted({r["lease_owner"] for r in rows if r["lease_owner"]})

    def release_owner(self, worker: str) -> int:
        """Queue again every file ``worker`` held (it died): no waiting for its lease to run out."""
        with write_tx(self.con) as c:
            return c.execute("UPDATE files SET status='queued', lease_owner=NULL, lease_until=NULL "
                             "WHERE status='running' AND lease_owner=?", (worker,)).rowcount

    def _finish_sha(self, c: sqlite3.Connection, sha: str, status: str, etype: str | None, reason: str | None,
                    pages: int | None, now: float, reused: bool) -> None:
        c.execute("UPDATE files SET status=?, error_type=?, reason=?, pages=?, finished_at=?, lease_owner=NULL, "
                  "lease_until=NULL, reused=? WHERE sha256=? AND status IN ('queued', 'running')",
                  (status, etype, reason, pages, now, int(reused), sha))

    def complete(self, claimed: dict[str, Any], outcome: dict[str, Any]) -> None:
        """Record a parse outcome (the result file is already in place when it succeeded)."""
        now = time.time()
        sha = claimed["sha256"]
        with write_tx(self.con) as c:
            if outcome.get("ok"):
                c.execute("INSERT OR REPLACE INTO results(sha256, status, pages, cells, low_confidence, broken_rules, "
                          "seconds, created_at, nianbao_version, settings_hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
                          (sha, "done", outcome.get("pages"), outcome.get("cells"), outcome.get("low_confidence"),
                           outcome.get("broken_rules"), outcome.get("seconds"), now, __version__, self.settings_hash))
                self._finish_sha(c, sha, "done", None, None, outcome.get("pages"), now, reused=False)
                # the other files of this content got their result without a parse of their own
                c.execute("UPDATE files SET reused=1 WHERE sha256=? AND id!=? AND finished_at=?", (sha, claimed["id"], now))
                result = "done"
            elif outcome.get("deterministic"):
                c.execute("INSERT OR REPLACE INTO results(sha256, status, error_type, reason, seconds, created_at, "
                          "nianbao_version, settings_hash) VALUES (?,?,?,?,?,?,?,?)",
                          (sha, "failed", outcome.get("error_type"), outcome.get("reason"), outcome.get("seconds"), now,
                           __version__, self.settings_hash))
                self._finish_sha(c, sha, "failed", outcome.get("error_type"), outcome.get("reason"), None, now,
                                 reused=False)
                result = "failed"
            else:  # may pass another time: fail this file only, keep nothing by content
                c.execute("UPDATE files SET status='failed', error_type=?, reason=?, finished_at=?, lease_owner=NULL, "
                          "lease_until=NULL WHERE id=?", (outcome.get("error_type"), outcome.get("reason"), now,
                                                          claimed["id"]))
                result = "failed"
            c.execute("UPDATE parses SET finished_at=?, outcome=? WHERE id=?", (now, result, claimed["parse_id"]))

    def release(self, claimed: dict[str, Any]) -> None:
        """Give a claimed file back to the queue (the worker is stopping)."""
        with write_tx(self.con) as c:
            c.execute("UPDATE files SET status='queued', lease_owner=NULL, lease_until=NULL, attempts=MAX(attempts-1, 0) "
                      "WHERE id=? AND status='running'", (claimed["id"],))

    def parses(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.con.execute("SELECT * FROM parses ORDER BY id")]

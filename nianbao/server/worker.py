"""Worker processes of the server: each takes files from the SQLite queue, parses them
(keeping its OCR engine loaded between files) and writes the result atomically by sha256.

Workers are started by the server (spawn) and die with it: on Linux the kernel kills a
worker when the server process goes (PR_SET_PDEATHSIG), so a ``kill -9`` of the server
leaves no worker behind to finish a file the restarted server will run again.

The server's supervisor thread restarts a worker that dies (its file is queued again at once)
and kills one whose parse runs past ``settings.limits.parse_timeout_s`` (that file fails with
the reason; the queue goes on with a fresh worker).
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
from pathlib import Path

from nianbao.batch import DEFAULT_PARSER, _settings, atomic_write_text, process_file
from nianbao.server.queue import Paths, Queue

log = logging.getLogger("nianbao.server")


def _die_with_parent(parent_pid: int) -> None:
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(0)


def worker_main(data_dir: str, name: str, parent_pid: int, parser: str = DEFAULT_PARSER,
                settings_json: str | None = None, poll: float = 0.2, lease: float = 30.0,
                parse_timeout_s: float | None = None) -> None:
    """Loop: claim a file, parse it, store the result, record the outcome; stop with the parent."""
    _die_with_parent(parent_pid)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when workers stop
    paths = Paths(Path(data_dir))
    # with the settings: a stored result another nianbao or other settings wrote is parsed again
    q = Queue(paths, lease_seconds=lease, parse_timeout_s=parse_timeout_s, settings=_settings(settings_json))
    worker = worker_id(name, os.getpid())
    _warm_up(parser, settings_json)
    while not stopping.is_set():
        if os.getppid() != parent_pid:
            break
        claimed = q.claim(worker)
        if claimed is None:
            stopping.wait(poll)
            continue
        beat_stop = threading.Event()
        beat = threading.Thread(target=_heartbeat, args=(paths, claimed["id"], worker, lease, parse_timeout_s,
                                                         beat_stop), daemon=True)
        beat.start()
        try:
            src = paths.upload(claimed["sha256"], claimed["suffix"])
            if src.exists():
                outcome = process_file(str(src), parser, settings_json)
            else:  # not a property of the content: do not store it as this sha256's result
                outcome = {"ok": False, "error_type": "InputFileError", "deterministic": False,
                           "reason": "the uploaded file is missing from the data folder; upload it again"}
            if outcome.get("ok"):
                atomic_write_text(paths.result(claimed["sha256"]), outcome.pop("report_json"))
            q.complete(claimed, outcome)
        finally:
            beat_stop.set()
            beat.join(timeout=5)
    q.close()


def _warm_up(parser: str, settings_json: str | None) -> None:
    """Import the parser before the first file (its OCR engine then stays loaded in this process)."""
    from nianbao.batch import _resolve

    try:
        _resolve(parser)
        _settings(settings_json)
    except Exception as e:  # reported per file by process_file
        log.warning("worker could not load parser %s: %s", parser, e)


def worker_id(name: str, pid: int) -> str:
    """The lease owner a worker writes into the queue: its slot name and process id."""
    return f"{name}:{pid}"


def _heartbeat(paths: Paths, file_id: int, worker: str, lease: float, parse_timeout_s: float | None,
               stop: threading.Event) -> None:
    q = Queue(paths, lease_seconds=lease, parse_timeout_s=parse_timeout_s)
    try:
        while not stop.wait(lease / 3):
            try:
                q.heartbeat(file_id, worker)
            except Exception:  # a busy database must not kill the parse; the next beat retries
                pass
    finally:
        q.close()


class WorkerPool:
    """Starts ``n`` worker processes and a supervisor thread that restarts any that die."""

    def __init__(self, data_dir: Path, n: int, parser: str = DEFAULT_PARSER, settings_json: str | None = None,
                 lease: float = 30.0, parse_timeout_s: float | None = None):
        self.data_dir = data_dir
        self.parse_timeout_s = parse_timeout_s
        self.n = max(0, n)
        self.parser = parser
        self.settings_json = settings_json
        self.lease = lease
        self.ctx = multiprocessing.get_context("spawn")
        self.procs: list[multiprocessing.process.BaseProcess | None] = [None] * self.n
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None
        self.restarts = 0

    def _spawn(self, i: int) -> None:
        p = self.ctx.Process(
            target=worker_main, name=f"nianbao-worker-{i}", daemon=True,
            args=(str(self.data_dir), f"w{i}", os.getpid(), self.parser, self.settings_json, 0.2, self.lease,
                  self.parse_timeout_s),
        )
        p.start()
        self.procs[i] = p

    def _supervise(self) -> None:
        # workers are started from this thread, which lives as long as the server (PDEATHSIG
        # is tied to the thread that started the child)
        for i in range(self.n):
            self._spawn(i)
        q = Queue(Paths(Path(self.data_dir)), lease_seconds=self.lease, parse_timeout_s=self.parse_timeout_s)
        try:
            while not self.stop_event.wait(0.5):
                try:
                    self._kill_overdue(q)
                    self._restart_dead(q)
                except Exception as e:  # a busy database: try again at the next tick
                    log.warning("worker supervisor: %s", e)
        finally:
            q.close()
        for p in self.procs:
            if p is not None and p.is_alive():
                p.terminate()
        for p in self.procs:
            if p is not None:
                p.join(timeout=10)
                if p.is_alive():
                    p.kill()

    def _restart_dead(self, q: Queue) -> None:
        for i, p in enumerate(self.procs):
            if p is not None and not p.is_alive():
                requeued = q.release_owner(worker_id(f"w{i}", p.pid)) if p.pid else 0
                log.warning("worker %s exited with %s; starting a new one%s", p.name, p.exitcode,
                            f" ({requeued} file(s) it held queued again)" if requeued else "")
                self.restarts += 1
                self._spawn(i)

    def _kill_overdue(self, q: Queue) -> None:
        """Fail the files parsed past the time limit and kill the workers parsing them."""
        overdue = set(q.expire_overdue())
        for i, p in enumerate(self.procs):
            if p is not None and p.pid and worker_id(f"w{i}", p.pid) in overdue and p.is_alive():
                log.warning("worker %s ran past the parse time limit of %g s: killed", p.name, self.parse_timeout_s)
                p.kill()
                p.join(timeout=5)

    def start(self) -> None:
        self.thread = threading.Thread(target=self._supervise, name="nianbao-worker-supervisor", daemon=True)
        self.thread.start()

    def alive(self) -> int:
        return sum(1 for p in self.procs if p is not None and p.is_alive())

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=20)

"""Parse many reports into a result folder: resumable by content hash, one bad file never
stops the run, and nothing is left half-written when interrupted.

The folder's layout is described in :mod:`nianbao.results`, which also reads it.

A re-run hashes every input: a content whose result file exists, loads, and is current (same
nianbao version and result-changing settings, :func:`nianbao.results.stale_reason`) is skipped;
a changed file (new sha256), a corrupt result or a stale one is parsed again (the summary says
how many and why). Failed files are tried again on a re-run (``retry_failed``). Every file gets
``Settings.limits.parse_timeout_s``: past it its worker is stopped and the file fails with that
reason; the batch goes on.

Work runs in a process pool (spawn/forkserver; each worker process keeps its OCR engine
cached across files) or as Ray tasks; in both cases the driver alone writes the folder.
"""

from __future__ import annotations

import faulthandler
import glob
import importlib
import json
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from nianbao.fileio import atomic_write_text, remove_stale_temps, sha256_file
from nianbao.results import (ERRORS_NAME, INDEX_NAME, RESERVED_NAMES, SUMMARY_NAME, IndexWriter, load_index,
                             reparse_reason, result_name)
from nianbao.settings import Settings

# re-exported for callers that import them from here (the server worker, tests)
__all__ = ["ERRORS_NAME", "INDEX_NAME", "RESERVED_NAMES", "SUMMARY_NAME", "atomic_write_text", "collect_inputs",
           "load_index", "print_summary", "process_file", "ray_token_source", "result_name", "run_batch", "sha256_file"]

DEFAULT_PARSER = "nianbao.pipeline:parse_file"
INPUT_SUFFIXES = {
    ".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp",
    ".html", ".htm", ".docx", ".txt", ".md", ".tsv",
}

Executor = Literal["local", "ray"]


# ---------------------------------------------------------------- inputs and names


def collect_inputs(inputs: Iterable[str | Path]) -> list[Path]:
    """Files named, files under folders (recursive, known report suffixes) and glob matches.

    A name that matches nothing is returned as is, so that it is reported as a failure
    ("file not found") instead of vanishing silently.
    """
    seen: set[Path] = set()
    out: list[Path] = []

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            out.append(p)

    for item in inputs:
        p = Path(item)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in INPUT_SUFFIXES and not f.name.startswith("."):
                    add(f)
        elif p.is_file():
            add(p)
        elif glob.has_magic(str(item)):
            for m in sorted(glob.glob(str(item), recursive=True)):
                mp = Path(m)
                if mp.is_file():
                    add(mp)
                elif mp.is_dir():
                    for f in collect_inputs([mp]):
                        add(f)
        else:
            add(p)
    return out


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# ---------------------------------------------------------------- the work of one file


def report_stats(report: Any, threshold: float) -> dict[str, int]:
    """Pages, cells read, low-confidence cells and broken rules of one Report."""
    cells = report.cells()
    return {
        "pages": int(report.source.pages or len(report.pages) or 0),
        "cells": sum(1 for c in cells if c.value is not None),
        "low_confidence": sum(1 for c in cells if c.confidence < threshold),
        "broken_rules": sum(1 for c in report.checks if getattr(c.status, "value", c.status) == "failed"),
    }


_PROC_CACHE: dict[str, Any] = {}


def _resolve(spec: str) -> Callable[..., Any]:
    """``"package.module:function"`` -> the function (cached per process)."""
    fn = _PROC_CACHE.get(spec)
    if fn is None:
        mod, _, name = spec.partition(":")
        fn = getattr(importlib.import_module(mod), name or "parse_file")
        _PROC_CACHE[spec] = fn
    return fn


def _settings(settings_json: str | None) -> Settings:
    key = "settings:" + (settings_json or "")
    s = _PROC_CACHE.get(key)
    if s is None:
        s = Settings.model_validate_json(settings_json) if settings_json else Settings()
        _PROC_CACHE[key] = s
    return s


TIMEOUT_HEADER = "Timeout ("  # how faulthandler starts what it writes when its timer fires


@contextmanager
def parse_time_limit(seconds: float | None, marker: str | Path | None = None) -> Iterator[None]:
    """End this process (exit status 1) when the block runs longer than ``seconds``.

    The watchdog is :func:`faulthandler.dump_traceback_later`: a C thread that needs no GIL,
    so it stops a parse stuck in native code (OCR, a PDF library) too. Before exiting it writes
    "Timeout (…)!" and the stack to ``marker`` (else stderr), which tells the driver that the
    worker died of the time limit, not of a crash (:func:`timed_out`). No limit when
    ``seconds`` is None or not positive.
    """
    if not seconds or seconds <= 0:
        yield
        return
    fh = open(marker, "w", encoding="utf-8") if marker else sys.stderr
    faulthandler.dump_traceback_later(seconds, exit=True, file=fh)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        if marker:
            fh.close()
            Path(marker).unlink(missing_ok=True)


def timed_out(marker: str | Path) -> bool:
    """Did the worker that had ``marker`` die of :func:`parse_time_limit`?"""
    try:
        with open(marker, encoding="utf-8", errors="replace") as fh:
            return fh.read(len(TIMEOUT_HEADER)) == TIMEOUT_HEADER
    except OSError:
        return False


def timeout_outcome(seconds: float) -> dict[str, Any]:
    """The failure of a file that ran past the parse time limit (a property of the content)."""
    return {"ok": False, "error_type": "ParseTimeout", "deterministic": True, "seconds": seconds,
            "reason": f"parsing took longer than the time limit of {seconds:g} s "
                      "(settings limits.parse_timeout_s); the worker was stopped"}


def process_file(path: str, parser: str = DEFAULT_PARSER, settings_json: str | None = None,
                 time_limit_s: float | None = None, time_limit_marker: str | None = None) -> dict[str, Any]:
    """Parse one file; never raises. Runs in a worker process (pool, Ray task or server worker).

    Returns ``{"ok": True, "report_json", "pages", "cells", ...}`` or
    ``{"ok": False, "error_type", "reason", "deterministic"}``; ``deterministic`` is True for
    the project's own input errors (the same bytes will fail the same way again). With
    ``time_limit_s`` the worker process ends itself past that time (:func:`parse_time_limit`).
    """
    from nianbao.errors import NianbaoError

    t0 = time.perf_counter()
    try:
        settings = _settings(settings_json)
        with parse_time_limit(time_limit_s, time_limit_marker):
            report = _resolve(parser)(path, settings)
        stats = report_stats(report, settings.confidence.silent_threshold)
        return {"ok": True, "report_json": report.model_dump_json(indent=1), "seconds": time.perf_counter() - t0, **stats}
    except NianbaoError as e:
        reason = getattr(e, "reason", None) or str(e)
        return {"ok": False, "error_type": type(e).__name__, "reason": reason, "deterministic": True,
                "seconds": time.perf_counter() - t0}
    except MemoryError:
        return {"ok": False, "error_type": "MemoryError", "reason": "out of memory while parsing",
                "deterministic": False, "seconds": time.perf_counter() - t0}
    except Exception as e:  # one bad file must never stop a batch
        return {"ok": False, "error_type": type(e).__name__, "reason": f"internal error: {e}"[:2000],
                "deterministic": False, "seconds": time.perf_counter() - t0}


def _worker_init(parser: str, settings_json: str | None) -> None:
    """Pool worker start: leave Ctrl-C to the driver, import the parser once (warm caches)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _resolve(parser)
        _settings(settings_json)
    except Exception:
        pass  # reported per file by process_file


# ---------------------------------------------------------------- executors


@dataclass
class Task:
    path: Path
    sha256: str
    result: str | None = None  # the result file to (over)write; None: a new name from path and sha256


def _mp_context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def run_local(tasks: list[Task], workers: int, parser: str, settings_json: str | None,
              time_limit_s: float | None = None) -> Generator[tuple[Task, dict], None, None]:
    """A process pool; yields (task, outcome) as files finish.

    Survives worker crashes (a native library dying on a bad file): the files that were in
    flight when the pool broke are run again one at a time, so that only the file that
    really kills its worker is failed ("WorkerCrashed"); then parallel work resumes. A worker
    that ends itself at the time limit (:func:`parse_time_limit`) leaves a marker naming its
    file, which fails as "ParseTimeout" at once; the others in flight are run again.
    """
    markers = Path(tempfile.mkdtemp(prefix="nianbao-batch-"))
    pending = deque(tasks)
    suspects: deque[Task] = deque()

    def marker(t: Task) -> Path:
        return markers / f"{t.sha256}.timeout"

    def submit(pool: ProcessPoolExecutor, t: Task) -> Future:
        marker(t).unlink(missing_ok=True)
        return pool.submit(process_file, str(t.path), parser, settings_json, time_limit_s, str(marker(t)))

    try:
        while pending or suspects:
            solo = bool(suspects)
            pool = ProcessPoolExecutor(max_workers=1 if solo else workers, mp_context=_mp_context(),
                                       initializer=_worker_init, initargs=(parser, settings_json))
            inflight: dict[Future, Task] = {}
            try:
                while True:
                    source, limit = (suspects, 1) if solo else (pending, workers * 2)
                    broken = False
                    while source and len(inflight) < limit:
                        t = source.popleft()
                        try:
                            inflight[submit(pool, t)] = t
                        except BrokenProcessPool:
                            source.appendleft(t)
                            broken = True
                            break
                    if not inflight and not broken:
                        break
                    done, _ = wait(inflight, return_when=FIRST_COMPLETED) if inflight else (set(), set())
                    for fut in done:
                        t = inflight.pop(fut)
                        try:
                            outcome = fut.result()
                        except BrokenProcessPool:
                            broken = True
                            if timed_out(marker(t)):
                                yield t, timeout_outcome(time_limit_s or 0.0)
                            elif solo:
                                yield t, {"ok": False, "error_type": "WorkerCrashed", "deterministic": False,
                                          "reason": "the worker process died while parsing this file"}
                            else:
                                suspects.append(t)
                            continue
                        yield t, outcome
                    if broken:
                        for t in inflight.values():  # in flight when the pool broke: retry alone
                            if timed_out(marker(t)):
                                yield t, timeout_outcome(time_limit_s or 0.0)
                            else:
                                suspects.append(t)
                        inflight.clear()
                        break
                    if solo and not suspects and not inflight:
                        break  # every suspect is settled: back to parallel work
            except BaseException:
                _kill_pool(pool)
                raise
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
    finally:
        shutil.rmtree(markers, ignore_errors=True)


def _kill_pool(pool: ProcessPoolExecutor) -> None:
    """Stop worker processes now (Ctrl-C must not wait for a long OCR page)."""
    for p in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            p.terminate()
        except Exception:
            pass


# ---------------------------------------------------------------- Ray


RAY_DEFAULT_TOKEN_FILE = Path("~/.ray/auth_token")  # where `ray get-auth-token --generate` and ray.init() put it


def ray_token_source(token_file: str | Path | None, environ: MutableMapping[str, str] | None = None) -> str | None:
    """Give this process the Ray cluster's token the way Ray (>= 2.52) reads it, before Ray is
    imported; returns where the token comes from (for messages), or None when none is sent.

    Ray clients read ``RAY_AUTH_MODE=token`` and then the token from ``RAY_AUTH_TOKEN``,
    ``RAY_AUTH_TOKEN_PATH`` or ``~/.ray/auth_token``, in that order. ``ray start --head`` turns
    token authentication on by itself when a token is there, but ``ray.init(address=...)``
    never does, so a driver on the head's machine (or with a copy of its token) is refused.
    Here: ``token_file`` (``nianbao batch --ray-token-file``) sends that file's token; without it, a token found where Ray
    looks is sent when ``RAY_AUTH_MODE`` is unset (a cluster without authentication ignores
    it). ``RAY_AUTH_MODE=disabled`` is left alone."""
    env = os.environ if environ is None else environ
    if token_file is not None:
        token_file = Path(token_file)
        _check_token_file(token_file, "--ray-token-file")
        env.pop("RAY_AUTH_TOKEN", None)  # Ray would prefer it over the file asked for
        env["RAY_AUTH_TOKEN_PATH"] = str(token_file.expanduser().resolve())
        env["RAY_AUTH_MODE"] = "token"
        return str(token_file)
    mode = env.get("RAY_AUTH_MODE")
    if mode is not None and mode.lower() != "token":
        return None
    if env.get("RAY_AUTH_TOKEN", "").strip():
        source = "RAY_AUTH_TOKEN"
    elif env.get("RAY_AUTH_TOKEN_PATH"):
        source = env["RAY_AUTH_TOKEN_PATH"]
        _check_token_file(Path(source), "RAY_AUTH_TOKEN_PATH")  # Ray aborts the process on a bad one
    elif Path(env.get("HOME") or Path.home()).joinpath(".ray", "auth_token").is_file():
        source = str(RAY_DEFAULT_TOKEN_FILE)
    elif mode is not None:
        raise _usage_error("RAY_AUTH_MODE=token but no token: set RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH, "
                         "put the head's token in ~/.ray/auth_token, or give --ray-token-file")
    else:
        return None
    env["RAY_AUTH_MODE"] = "token"
    return source


def _check_token_file(path: Path, what: str) -> None:
    """A token file must be readable and hold a token (Ray aborts the process otherwise)."""
    try:
        text = path.expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _usage_error(f"{what} {path}: cannot read it ({getattr(exc, 'strerror', None) or exc})") from None
    if not text.strip():
        raise _usage_error(f"{what} {path}: the file is empty (expected the Ray cluster's token)")


def _usage_error(message: str) -> Exception:
    from nianbao.errors import UsageError

    return UsageError(message)


def _join_refused_hint(token_source: str | None) -> str:
    """What to do when ``ray.init(address=...)`` is refused: the token sent, or how to send one."""
    if token_source:
        return f"the cluster refused the token from {token_source}; is it the head's ~/.ray/auth_token?"
    return ("if the cluster uses token authentication (Ray >= 2.52, on when the head has a token), give its token: "
            "--ray-token-file FILE (run_batch(ray_token_file=...); a copy of the head's ~/.ray/auth_token) or "
            "RAY_AUTH_MODE=token with RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH")


def run_ray(tasks: list[Task], workers: int, parser: str, settings_json: str | None,
            address: str | None = None, time_limit_s: float | None = None,
            token_source: str | None = None) -> Generator[tuple[Task, dict], None, None]:
    """One Ray task per file (``ray.init()`` locally with ``workers`` CPUs, or join ``address``;
    the cluster's token is given to Ray by :func:`ray_token_source` first, ``token_source``
    says where it came from for the message when the cluster refuses it).

    At most ``2 * workers`` tasks are in flight, so results stream back and are written
    by the driver as they come; Ray retries a task once if its worker process dies (also when
    it ended itself at the parse time limit, which the failure's reason then names).
    """
    try:
        import ray
    except ImportError as e:  # pragma: no cover - depends on the optional extra
        from nianbao.errors import EngineUnavailableError

        raise EngineUnavailableError('the Ray executor needs the "ray" extra: pip install "nianbao[ray]"') from e

    from nianbao.errors import EngineUnavailableError

    started = False
    if not ray.is_initialized():
        if address:
            _check_reachable(address)
        try:
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        except Exception as e:
            if address:
                raise EngineUnavailableError(f"cannot join the Ray cluster at {address}: {e} "
                                             f"({_join_refused_hint(token_source)})") from e
            raise EngineUnavailableError(f"cannot start Ray locally: {e}") from e
        started = True
    try:
        remote = ray.remote(num_cpus=1, max_retries=1)(process_file)
        cluster_cpus = int(ray.cluster_resources().get("CPU", workers))
        limit = max(1, 2 * (workers if not address else max(workers, cluster_cpus)))
        pending = list(reversed(tasks))
        inflight: dict[Any, Task] = {}
        try:
            while pending or inflight:
                while pending and len(inflight) < limit:
                    t = pending.pop()
                    inflight[remote.remote(str(t.path), parser, settings_json, time_limit_s)] = t
                ready, _ = ray.wait(list(inflight), num_returns=1)
                for ref in ready:
                    t = inflight.pop(ref)
                    try:
                        outcome = ray.get(ref)
                    except Exception as e:  # worker crashed or timed out twice, node lost, ...
                        # (not named `limit`: that is the in-flight cap the loop goes on comparing with)
                        past = f" (past the parse time limit of {time_limit_s:g} s, or a crash)" if time_limit_s else ""
                        outcome = {"ok": False, "error_type": type(e).__name__, "deterministic": False,
                                   "reason": f"Ray task failed{past}: {str(e).splitlines()[0] if str(e) else e!r}"[:2000]}
                    yield t, outcome
        except BaseException:
            for ref in inflight:
                try:
                    ray.cancel(ref, force=True)
                except Exception:
                    pass
            raise
    finally:
        if started:
            ray.shutdown()


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail in seconds, not minutes, when a Ray ``host:port`` address does not answer
    (``ray.init`` keeps retrying an unreachable head for a long time)."""
    from nianbao.errors import EngineUnavailableError

    hostport = address.removeprefix("ray://")
    host, sep, port = hostport.rpartition(":")
    if address == "auto" or not sep or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as e:
        raise EngineUnavailableError(f"cannot reach the Ray cluster at {address}: {e.strerror or e}") from e


# ---------------------------------------------------------------- the batch


@dataclass
class BatchSummary:
    out_dir: str
    files: int = 0  # inputs found
    done: int = 0  # parsed in this run
    skipped: int = 0  # already done (same content) before this run
    failed: int = 0
    reports: int = 0  # done + skipped
    pages: int = 0  # pages of all reports (done + skipped)
    pages_parsed: int = 0  # pages parsed in this run
    cells: int = 0
    low_confidence: int = 0
    broken_rules: int = 0
    seconds: float = 0.0
    pages_per_second: float = 0.0
    files_per_second: float = 0.0  # text extracts and HTML have no pages
    interrupted: bool = False
    executor: str = "local"
    workers: int = 1
    # parsed again although a result was there: why -> how many ("parsed with other settings",
    # "parsed by nianbao 0.0.9, this is 0.1.0", "result file did not load")
    reparsed: dict[str, int] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)


def _reusable_results(index: dict[str, dict], out_dir: Path, settings: Settings) -> tuple[dict[str, dict], dict[str, tuple[str, str]]]:
    """Split the finished entries of the index: the results to keep (by sha256), and the contents
    to parse again (sha256 -> (result file name, why)): a result file that does not load
    (corrupt, truncated) or that another nianbao version or other settings wrote. Each result
    file is read once."""
    keep: dict[str, dict] = {}
    redo: dict[str, tuple[str, str]] = {}
    verdict: dict[str, str | None] = {}
    for e in index.values():
        name, sha = e.get("result"), e.get("sha256")
        if e.get("status") != "done" or not isinstance(name, str) or not isinstance(sha, str):
            continue
        if not (out_dir / name).is_file():
            continue
        if name not in verdict:
            verdict[name] = reparse_reason(out_dir / name, settings)
        if verdict[name] is None:
            keep[sha] = e
        elif sha not in keep:
            redo[sha] = (name, verdict[name])  # type: ignore[assignment]
    for sha in keep:
        redo.pop(sha, None)
    return keep, redo


def run_batch(
    inputs: Iterable[str | Path],
    out_dir: str | Path,
    *,
    workers: int | None = None,
    executor: Executor = "local",
    ray_address: str | None = None,
    ray_token_file: str | Path | None = None,
    settings: Settings | None = None,
    parser: str = DEFAULT_PARSER,
    retry_failed: bool = True,
    progress: bool = True,
    console: Any = None,
) -> BatchSummary:
    """Parse ``inputs`` into ``out_dir``; see the module docstring for the folder layout.

    ``executor="ray"`` with ``ray_address`` joins that cluster, with its token
    (``ray_token_file``, else where Ray looks for one: :func:`ray_token_source`); a bad token
    file is refused (:class:`nianbao.errors.UsageError`) before any input is read."""
    from rich.console import Console

    console = console or Console(stderr=True)
    token_source = ray_token_source(ray_token_file) if executor == "ray" and ray_address else None
    settings = settings or Settings()
    settings_json = settings.model_dump_json()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    workers = max(1, workers or default_workers(settings))
    t_start = time.perf_counter()
    summary = BatchSummary(out_dir=str(out), executor=executor, workers=workers)
    remove_stale_temps(out)  # left by a run that was killed mid-write
    stream: Generator[tuple[Task, dict], None, None] | None = None
    time_limit = settings.limits.parse_timeout_s

    files = collect_inputs(inputs)
    summary.files = len(files)
    index = load_index(out)
    done_sha, redo = _reusable_results(index, out, settings)
    reparsed: Counter[str] = Counter()
    failed_paths = {p for p, e in index.items() if e.get("status") == "failed"}
    idx = IndexWriter(out)
    errors: list[dict] = []
    todo: list[Task] = []
    seen_sha: dict[str, Task] = {}
    duplicates: list[tuple[Task, Task]] = []  # same content twice in one run: parse once

    def add_stats(e: dict) -> None:
        summary.reports += 1
        summary.pages += int(e.get("pages") or 0)
        summary.cells += int(e.get("cells") or 0)
        summary.low_confidence += int(e.get("low_confidence") or 0)
        summary.broken_rules += int(e.get("broken_rules") or 0)

    def fail(path: Path, sha: str | None, error_type: str, reason: str, seconds: float = 0.0) -> None:
        err = {"path": str(path), "sha256": sha, "error_type": error_type, "reason": reason, "at": _now()}
        errors.append(err)
        idx.append({**err, "status": "failed", "seconds": round(seconds, 3)})
        summary.failed += 1

    try:
        # 1. hash inputs; skip content already done
        for f in files:
            try:
                sha = sha256_file(f)
            except OSError as e:
                fail(f, None, "InputFileError", e.strerror or str(e))
                continue
            key = str(f)
            prev = done_sha.get(sha)
            if prev is not None:
                if index.get(key, {}).get("sha256") != sha or index[key].get("status") != "done":
                    idx.append({**prev, "path": key, "at": _now()})  # same content under another name
                summary.skipped += 1
                add_stats(prev)
                continue
            if not retry_failed and key in failed_paths and index[key].get("sha256") == sha:
                earlier = index[key]
                errors.append({k: earlier.get(k) for k in ("path", "sha256", "error_type", "reason", "at")})
                summary.failed += 1
                continue
            t = Task(f, sha)
            if sha in seen_sha:
                duplicates.append((t, seen_sha[sha]))
                continue
            if sha in redo:  # overwrite the old result: its reviewers' corrections log stays beside it
                t.result, why = redo[sha]
                reparsed[why] += 1
            seen_sha[sha] = t
            todo.append(t)
        summary.reparsed = dict(reparsed)

        # 2. parse
        if executor == "ray":
            stream = run_ray(todo, workers, parser, settings_json, ray_address, time_limit, token_source)
        elif executor == "local":
            stream = run_local(todo, workers, parser, settings_json, time_limit)
        else:
            raise ValueError(f"unknown executor {executor!r}; use local or ray")
        results: dict[str, dict] = {}
        with _progress(console, progress, len(todo)) as bar:
            for task, outcome in stream:
                if outcome.get("ok"):
                    name = task.result or result_name(task.path, task.sha256)
                    atomic_write_text(out / name, outcome["report_json"])
                    entry = {"path": str(task.path), "sha256": task.sha256, "status": "done", "result": name,
                             **{k: outcome[k] for k in ("pages", "cells", "low_confidence", "broken_rules")},
                             "seconds": round(outcome.get("seconds", 0.0), 3), "at": _now()}
                    idx.append(entry)
                    results[task.sha256] = entry
                    summary.done += 1
                    summary.pages_parsed += entry["pages"]
                    add_stats(entry)
                else:
                    fail(task.path, task.sha256, outcome.get("error_type", "Error"), outcome.get("reason", ""),
                         outcome.get("seconds", 0.0))
                    results[task.sha256] = {"status": "failed", **outcome}
                bar.advance(summary.pages_parsed, time.perf_counter() - t_start)

        # 3. the same content given twice in this run
        for dup, first in duplicates:
            r = results.get(first.sha256)
            if r and r.get("status") == "done":
                idx.append({**r, "path": str(dup.path), "at": _now()})
                summary.skipped += 1
                add_stats(r)
            elif r:
                fail(dup.path, dup.sha256, r.get("error_type", "Error"), r.get("reason", ""))
    except KeyboardInterrupt:
        summary.interrupted = True
        console.print("[yellow]interrupted: finished files are kept; run the same command again to resume[/]")
    finally:
        if stream is not None:
            stream.close()  # stops the pool / cancels Ray tasks if we leave early
        idx.close()
        summary.seconds = round(time.perf_counter() - t_start, 3)
        summary.pages_per_second = round(summary.pages_parsed / summary.seconds, 3) if summary.seconds else 0.0
        summary.files_per_second = round(summary.done / summary.seconds, 3) if summary.seconds else 0.0
        summary.errors = errors
        atomic_write_text(out / ERRORS_NAME, "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in errors))
        atomic_write_text(out / SUMMARY_NAME, json.dumps(asdict(summary), ensure_ascii=False, indent=1))
    return summary


def default_workers(settings: Settings) -> int:
    """One worker per ``ocr.threads`` cores (each worker's OCR runs that many threads)."""
    return max(1, (os.cpu_count() or 1) // max(1, settings.ocr.threads))


class _progress:
    """A rich progress bar with files, pages, pages/s and ETA; a no-op when disabled."""

    def __init__(self, console: Any, enabled: bool, total: int):
        self.enabled = enabled
        self.total = total
        if enabled:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            self.progress = Progress(
                SpinnerColumn(), TextColumn("[bold]parsing"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[pages]} pages · {task.fields[rate]} pages/s"),
                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                console=console, transient=False,
            )

    def __enter__(self) -> _progress:
        if self.enabled:
            self.progress.start()
            self.task = self.progress.add_task("parse", total=self.total, pages=0, rate="-")
        return self

    def advance(self, pages: int, elapsed: float) -> None:
        if self.enabled:
            rate = f"{pages / elapsed:.2f}" if elapsed > 0 else "-"
            self.progress.update(self.task, advance=1, pages=pages, rate=rate)

    def __exit__(self, *exc: Any) -> None:
        if self.enabled:
            self.progress.stop()


def print_summary(summary: BatchSummary, console: Any = None) -> None:
    """The end-of-run table: reports, pages, cells, low-confidence cells, broken rules, failures, time."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console(stderr=True)
    t = Table(title=f"batch → {summary.out_dir}", show_header=False)
    t.add_column(style="bold")
    t.add_column(justify="right")
    rows = [
        ("inputs", summary.files),
        ("reports", f"{summary.reports} ({summary.done} parsed now, {summary.skipped} already done)"),
        ("pages", summary.pages),
        ("cells read", summary.cells),
        ("low-confidence cells", summary.low_confidence),
        ("broken rules", summary.broken_rules),
        ("failures", summary.failed),
        *([("parsed again", "; ".join(f"{n} {why}" for why, n in summary.reparsed.items()))] if summary.reparsed else []),
        ("time", f"{summary.seconds:.1f} s"),
        ("throughput", f"{summary.pages_per_second:.2f} pages/s, {summary.files_per_second:.2f} files/s "
                       f"({summary.executor}, {summary.workers} workers)"),
    ]
    for k, v in rows:
        t.add_row(k, str(v))
    console.print(t)
    if summary.errors:
        console.print(f"[red]{len(summary.errors)} file(s) failed[/] (listed in {Path(summary.out_dir) / ERRORS_NAME}):")
        for e in summary.errors[:20]:
            console.print(f"  {e['path']}: {e['error_type']}: {e['reason']}")
        if len(summary.errors) > 20:
            console.print(f"  … and {len(summary.errors) - 20} more")
    if summary.interrupted:
        console.print("[yellow]the run was interrupted; the same command resumes it[/]")


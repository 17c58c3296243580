"""The HTTP API (FastAPI): submit report files as a job, follow it, fetch its results.

    POST /v1/jobs                  multipart field ``files`` (one or more files, or a zip) -> {"id": ...}
    GET  /v1/jobs                  recent jobs
    GET  /v1/jobs/{id}             status, progress, per-file errors
    GET  /v1/jobs/{id}/results     ?format=json|csv|xlsx (&wide=true for csv)
    GET  /v1/results/{sha256}      one Report JSON (as the parser wrote it)
    GET  /v1/health                {"status": "ok"} for anyone; workers and queue counts with a token
    GET/POST /login, POST /logout  the browser login (a session cookie for the token)
    /review                        the review page, when nianbao.review is installed
    /docs, /openapi.json           OpenAPI docs (with a token or a login)

Every route, and any router included into the app later, is behind the same guards, which run
before a route reads anything of the body: the Host check and the cross-origin-write check
(:mod:`nianbao.server.guard`), the user check (:class:`nianbao.server.auth.AuthMiddleware`:
bearer token or login cookie; only ``/v1/health``, ``/login`` and ``/logout`` are public), and
the body size limit (small for a caller without a token).

Work is done by worker processes the server starts (``nianbao.server.worker``); jobs live in
SQLite under the data folder (``nianbao.server.queue``), so they survive a restart.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.middleware.trustedhost import TrustedHostMiddleware

import nianbao
from nianbao.batch import DEFAULT_PARSER
from nianbao.server.auth import AuthMiddleware, LoginThrottle, Sessions, Users
from nianbao.server.guard import BodyLimitMiddleware, CrossOriginWriteGuard, trusted_hosts
from nianbao.server.login import create_login_router
from nianbao.server.queue import Paths, Queue
from nianbao.server.uploads import FIELD, store_files, stream_files
from nianbao.server.worker import WorkerPool
from nianbao.settings import Settings

log = logging.getLogger("nianbao.server")
MB = 1 << 20


@dataclass
class ServerConfig:
    data_dir: Path
    workers: int = 1
    token: str | None = None  # one token for one user ("default"); ``users`` for named users
    settings: Settings = field(default_factory=Settings)
    parser: str = DEFAULT_PARSER  # "module:function" that parses one file (tests may swap it)
    lease_seconds: float = 30.0
    mount_review: bool = True
    users: Users | None = None
    host: str = "127.0.0.1"  # the address bound: which Host names are answered
    data_lock: Any = None  # the data-folder lock when the caller took it already (``serve``)


# ---------------------------------------------------------------- the app


class DataDirBusy(RuntimeError):
    """Another server holds the data folder (one server per data folder)."""


def lock_data_dir(data_dir: Path) -> Any:
    """Take the data folder's lock (held while the server runs); :class:`DataDirBusy` if taken."""
    paths = Paths(Path(data_dir).resolve())
    paths.create()
    fh = open(paths.lock, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        pid = fh.read().strip()
        fh.close()
        raise DataDirBusy(f"another nianbao server{f' (pid {pid})' if pid else ''} is using the data folder "
                          f"{paths.root}; stop it or pass another --data-dir") from None
    fh.seek(0)
    fh.truncate()
    fh.write(str(os.getpid()))
    fh.flush()
    return fh


def _clear_leftovers(paths: Paths) -> None:
    """What a killed server or worker left half-done: uploads being received, result files
    being written (``.<name>.<pid>.tmp``)."""
    for stale in paths.tmp.iterdir():
        shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
    for stale in paths.results.glob(".*.tmp"):
        stale.unlink(missing_ok=True)


def _file_view(f: dict[str, Any]) -> dict[str, Any]:
    out = {k: f[k] for k in ("name", "sha256", "size", "status", "pages", "attempts")}
    out["reused"] = bool(f["reused"])
    if f.get("note"):
        out["parsed_again"] = f["note"]  # its content had a stored result that was not current
    if f["status"] == "failed":
        out["error"] = {"type": f["error_type"], "reason": f["reason"]}
    if f["status"] == "done":
        out["result"] = f"/v1/results/{f['sha256']}"
    return out


UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": [FIELD],
    "properties": {FIELD: {"type": "array", "items": {"type": "string", "format": "binary"},
                           "description": "report files (PDF, image, HTML, docx, text) or a zip"}}}}}}}


def create_app(config: ServerConfig) -> FastAPI:
    """The app; its lifespan locks the data folder, re-queues interrupted work and starts workers."""
    paths = Paths(Path(config.data_dir).resolve())
    settings = config.settings
    limits = settings.limits
    users = config.users or (Users.single(config.token) if config.token else None)
    sessions = Sessions(paths.db, settings.server.session_hours) if users else None
    throttle = LoginThrottle(settings.server.max_failed_logins, settings.server.failed_login_window_s)
    pool = WorkerPool(paths.root, config.workers, config.parser, settings.model_dump_json(),
                      config.lease_seconds, limits.parse_timeout_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        lock = config.data_lock or lock_data_dir(paths.root)
        _clear_leftovers(paths)
        Queue.init(paths)
        q = Queue(paths)
        n = q.recover()
        q.close()
        if n:
            log.warning("re-queued %d file(s) that were being parsed when the server stopped", n)
        if users is None:
            log.warning("running WITHOUT auth (no NIANBAO_TOKEN / --token-file): localhost only")
        pool.start()
        try:
            yield
        finally:
            pool.stop()
            lock.close()

    app = FastAPI(
        title="nianbao", version=nianbao.__version__, lifespan=lifespan,
        description="Batch parsing of 政府信息公开工作年度报告 into verified tables. "
                    "Send `Authorization: Bearer <token>` when the server has a token.",
    )
    # added innermost first: Host check -> user check -> cross-origin writes -> body limit -> routes
    public_limit = settings.server.max_public_body_kb << 10

    def body_limit(scope: dict) -> int:
        known = users is None or (scope.get("state") or {}).get("user")
        return limits.max_upload_mb * MB if known else public_limit

    app.add_middleware(BodyLimitMiddleware, limit_for=body_limit)
    app.add_middleware(CrossOriginWriteGuard, allowed_hosts=settings.server.allowed_hosts)
    app.add_middleware(AuthMiddleware, users=users, sessions=sessions, throttle=throttle)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=trusted_hosts(config.host, settings.server.allowed_hosts))
    app.state.config = config
    app.state.paths = paths  # the data folder layout, for routers mounted beside (review)
    app.state.pool = pool
    app.include_router(create_login_router(users, sessions, settings.server.session_hours, throttle))

    def queue() -> Iterator[Queue]:
        q = Queue(paths, lease_seconds=config.lease_seconds, settings=settings)
        try:
            yield q
        finally:
            q.close()

    @app.get("/v1/health")
    def health(request: Request, q: Queue = Depends(queue)) -> dict[str, Any]:
        """Anyone: ``{"status": "ok"}``. With a token (or on a server without auth): version,
        workers and queue counts too."""
        if users is not None and not getattr(request.state, "user", None):
            return {"status": "ok"}
        return {"status": "ok", "version": nianbao.__version__, "auth": users is not None,
                "user": getattr(request.state, "user", None),
                "workers": {"configured": pool.n, "alive": pool.alive(), "restarts": pool.restarts},
                "queue": q.counts()}

    @app.post("/v1/jobs", status_code=201, openapi_extra=UPLOAD_BODY,
              responses={200: {"description": "the same upload was submitted before: its job"},
                         400: {"description": "bad upload"}, 401: {"description": "no or wrong token"},
                         413: {"description": "over a size, page or zip limit"},
                         422: {"description": "no files in field 'files'"}})
    async def submit(request: Request) -> JSONResponse:
        """Queue the files (multipart field ``files``) for parsing. Uploading the same files
        again returns the same job."""
        with tempfile.TemporaryDirectory(dir=paths.tmp) as tmpdir:
            received = await stream_files(request, Path(tmpdir), limits)
            stored = await run_in_threadpool(store_files, received, Path(tmpdir), paths, limits)
        user = getattr(request.state, "user", None)

        def enqueue() -> dict[str, Any]:
            q = Queue(paths, lease_seconds=config.lease_seconds, settings=settings)
            try:
                job_id, reused = q.create_job(stored, created_by=user)
                job = q.job(job_id)
            finally:
                q.close()
            assert job is not None
            again = [{"name": f["name"], "reason": f["note"]} for f in job["files"] if f["note"] and not reused]
            return {"id": job_id, "reused": reused, "status": job["status"], "files": len(stored),
                    "url": f"/v1/jobs/{job_id}", **({"parsed_again": again} if again else {})}

        body = await run_in_threadpool(enqueue)
        return JSONResponse(body, status_code=200 if body["reused"] else 201)

    @app.get("/v1/jobs")
    def list_jobs(limit: int = Query(50, ge=1, le=1000), q: Queue = Depends(queue)) -> dict[str, Any]:
        return {"jobs": q.jobs(limit)}

    def _job_or_404(q: Queue, job_id: str) -> dict[str, Any]:
        job = q.job(job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id!r}")
        return job

    @app.get("/v1/jobs/{job_id}")
    def get_job(job_id: str, q: Queue = Depends(queue)) -> dict[str, Any]:
        job = _job_or_404(q, job_id)
        files = [_file_view(f) for f in job.pop("files")]
        return {**job, "files": files,
                "errors": [{"name": f["name"], **f["error"]} for f in files if f["status"] == "failed"]}

    @app.get("/v1/jobs/{job_id}/results",
             responses={409: {"description": "csv/xlsx asked for before the job finished"}})
    def job_results(job_id: str, format: Literal["json", "csv", "xlsx"] = "json", wide: bool = False,
                    q: Queue = Depends(queue)) -> Any:
        """JSON: every file with its status and (corrections applied) Report. CSV/XLSX: the data
        set of the finished files (``nianbao.dataset``), once the job is finished. A stored result
        that does not load (corrupt, or its corrections log) is left out and named: ``skipped``
        in JSON (and ``result_error`` on its file), the ``X-Nianbao-Skipped`` header (JSON, names
        percent-encoded) beside a CSV or XLSX."""
        from nianbao.dataset import export
        from nianbao.results import BadResultError, ResultEntry, load_results

        job = _job_or_404(q, job_id)
        done = [f for f in job["files"] if f["status"] == "done" and paths.result(f["sha256"]).exists()]
        bad_by_sha: dict[str, str] = {}  # content -> why its stored result does not load

        def skip(bad: BadResultError) -> None:
            sha = Path(bad.path).stem
            if sha not in bad_by_sha:
                log.warning("job %s: skipped %s", job_id, bad)
                bad_by_sha[sha] = bad.reason

        def skipped() -> list[dict[str, str]]:
            return [{"name": f["name"], "reason": bad_by_sha[f["sha256"]]} for f in done if f["sha256"] in bad_by_sha]

        entries = [ResultEntry(f["name"], paths.result(f["sha256"])) for f in done]
        if format == "json":
            once = list({e.result: e for e in entries}.values())  # a content uploaded twice is read once
            loaded = {item.entry.result.stem: item for item in load_results(once, skip)}
            done_ids = {f["id"] for f in done}
            reports = []
            for f in job["files"]:
                view = _file_view(f)
                item = loaded.get(f["sha256"]) if f["id"] in done_ids else None
                if item is not None:
                    view["corrected"] = [".".join(k) for k in sorted(item.corrected)]
                    view["report"] = item.report.model_dump(mode="json")
                elif f["id"] in done_ids and f["sha256"] in bad_by_sha:
                    view["result_error"] = bad_by_sha[f["sha256"]]
                reports.append(view)
            return {"id": job_id, "status": job["status"], "progress": job["progress"], "reports": reports,
                    "skipped": skipped()}
        if job["status"] in ("queued", "running"):
            raise HTTPException(409, f"job {job_id} is {job['status']}; {format} results are ready when it is done")
        fd, tmp = tempfile.mkstemp(suffix=f".{format}", dir=paths.tmp)
        os.close(fd)
        try:
            export(None, format, tmp, wide=wide, entries=entries, settings=config.settings, on_bad=skip)
        except BaseException:
            os.unlink(tmp)
            raise
        media = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[format]
        headers = {}
        if bad_by_sha:
            headers["X-Nianbao-Skipped"] = quote(json.dumps(skipped(), ensure_ascii=False), safe=" :,{}[]\"")
        return FileResponse(tmp, media_type=media, filename=f"nianbao-{job_id}{'-wide' if wide else ''}.{format}",
                            headers=headers, background=BackgroundTask(os.unlink, tmp))

    @app.get("/v1/results/{sha256}")
    def result(sha256: str) -> FileResponse:
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise HTTPException(400, "not a sha256")
        p = paths.result(sha256)
        if not p.exists():
            raise HTTPException(404, f"no result for {sha256}")
        return FileResponse(p, media_type="application/json")

    if config.mount_review:
        _mount_review(app, paths, config)
    from nianbao.server.workbench import create_workbench_router  # the office's pages at / (简体中文)

    app.include_router(create_workbench_router())  # protected by the app's AuthMiddleware like every route
    return app


def _mount_review(app: FastAPI, paths: Paths, config: ServerConfig) -> None:
    """Mount the review page at /review over ``results/`` (new results appear without restart)."""
    try:
        from nianbao.review import ReviewStore, create_review_router
    except ImportError:
        return

    class LiveStore(ReviewStore):  # type: ignore[misc, valid-type]
        """The review store over the server's results folder, rescanned on each access."""

        @property
        def paths(self) -> dict[str, Path]:
            return {p.stem: p for p in sorted(paths.results.glob("*.json")) if not p.name.startswith(".")}

        @paths.setter
        def paths(self, value: dict) -> None:
            pass

    try:
        # pictures of the pages: an upload is found by its sha256 in uploads/ (a result records
        # the path the worker read it from, which a moved data folder no longer has)
        store = LiveStore([], source_dirs=[paths.uploads], settings=config.settings)
        router = create_review_router(store, config.settings.confidence.silent_threshold)
    except Exception as e:  # the review page is optional; the API must still start
        log.warning("review page not mounted: %s", e)
        return
    app.include_router(router, prefix="/review")  # behind the app's guards like every route
    app.state.review_store = store

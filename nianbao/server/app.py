"""The HTTP API (FastAPI): submit report files as a job, follow it, fetch its results.

    POST /v1/jobs                  multipart field ``files`` (one or more files, or a zip) -> {"id": ...}
    GET  /v1/jobs                  recent jobs
    GET  /v1/jobs/{id}             status, progress, per-file errors
    GET  /v1/jobs/{id}/results     ?format=json|csv|xlsx (&wide=true for csv)
    GET  /v1/results/{sha256}      one Report JSON (as the parser wrote it)
    GET  /v1/health                liveness, workers, queue counts (no auth)
    /review                        the review page, when nianbao.review is installed
    /docs                          OpenAPI docs

Work is done by worker processes the server starts (``nianbao.server.worker``); jobs live in
SQLite under the data folder (``nianbao.server.queue``), so they survive a restart.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from fastapi import Depends, FastAPI, File, HTTPException, Query, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from starlette.background import BackgroundTask

import nianbao
from nianbao.batch import DEFAULT_PARSER, INPUT_SUFFIXES
from nianbao.server.auth import make_auth_dependency
from nianbao.server.queue import Paths, Queue
from nianbao.server.worker import WorkerPool
from nianbao.settings import Limits, Settings

log = logging.getLogger("nianbao.server")
MB = 1 << 20
ZIP_RATIO_MIN_SIZE = 1 * MB  # small members may compress well without being a bomb


@dataclass
class ServerConfig:
    data_dir: Path
    workers: int = 1
    token: str | None = None
    settings: Settings = field(default_factory=Settings)
    parser: str = DEFAULT_PARSER  # "module:function" that parses one file (tests may swap it)
    lease_seconds: float = 30.0
    mount_review: bool = True


class UploadRejected(HTTPException):
    pass


# ---------------------------------------------------------------- request size guard


class BodyLimitMiddleware:
    """Reject a request body over ``limit`` bytes with 413, before it is all read."""

    def __init__(self, app: Any, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _send_json(send, 413, {"detail": f"request body is over the upload limit of {self.limit // MB} MB"})
            return
        seen = 0

        async def limited_receive() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise UploadRejected(413, f"request body is over the upload limit of {self.limit // MB} MB")
            return message

        await self.app(scope, limited_receive, send)


async def _send_json(send: Any, status: int, body: dict) -> None:
    import json

    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


# ---------------------------------------------------------------- uploads


def _suffix(name: str) -> str:
    s = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    return s if re.fullmatch(r"\.[a-z0-9]{1,8}", s or "") else ""


def _display_name(name: str) -> str:
    """The file name as shown in results (no folders from the client, no control characters)."""
    base = name.replace("\\", "/").rstrip("/").split("/")[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip()
    return base[:200] or "upload"


def _copy_hashed(src: Any, dst: Path, limit: int, what: str) -> tuple[str, int]:
    """Copy a stream to ``dst`` hashing it; 413 as soon as it passes ``limit`` bytes."""
    h = hashlib.sha256()
    n = 0
    with open(dst, "wb") as out:
        while block := src.read(MB):
            n += len(block)
            if n > limit:
                raise UploadRejected(413, f"{what} is over the file size limit of {limit // MB} MB")
            h.update(block)
            out.write(block)
    return h.hexdigest(), n


def _check_member_name(name: str) -> str:
    """A zip member path that stays inside the archive: no absolute paths, drives or ``..``."""
    if "\x00" in name:
        raise UploadRejected(400, f"unsafe path in zip: {name!r}")
    norm = name.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        raise UploadRejected(400, f"unsafe path in zip (absolute): {name!r}")
    if any(part == ".." for part in norm.split("/")):
        raise UploadRejected(400, f"unsafe path in zip (..): {name!r}")
    return norm


def _zip_members(path: Path, limits: Limits) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """Open a zip and check it against the bomb and traversal guards before extracting anything."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise UploadRejected(400, f"not a readable zip file: {e}") from e
    infos = zf.infolist()
    if len(infos) > limits.max_zip_members:
        zf.close()
        raise UploadRejected(413, f"zip has {len(infos)} members; the limit is {limits.max_zip_members}")
    members = []
    total = 0
    for info in infos:
        name = _check_member_name(info.filename)
        mode = info.external_attr >> 16
        if mode and stat.S_ISLNK(mode):
            zf.close()
            raise UploadRejected(400, f"unsafe zip member (symbolic link): {info.filename!r}")
        if info.is_dir():
            continue
        base = name.split("/")[-1]
        if name.startswith("__MACOSX/") or base.startswith("._") or base in (".DS_Store", "Thumbs.db"):
            continue
        if info.flag_bits & 0x1:
            zf.close()
            raise UploadRejected(400, f"encrypted zip member: {info.filename!r}")
        total += info.file_size
        if total > limits.max_zip_uncompressed_mb * MB:
            zf.close()
            raise UploadRejected(413, f"zip expands to more than {limits.max_zip_uncompressed_mb} MB")
        if info.file_size > limits.max_file_mb * MB:
            zf.close()
            raise UploadRejected(413, f"zip member {name!r} is over the file size limit of {limits.max_file_mb} MB")
        if info.file_size > ZIP_RATIO_MIN_SIZE and info.file_size > limits.max_zip_ratio * max(info.compress_size, 1):
            zf.close()
            raise UploadRejected(413, f"zip member {name!r} expands {info.file_size // max(info.compress_size, 1)}x; "
                                      f"the limit is {limits.max_zip_ratio}x (zip bomb?)")
        members.append(info)
    if not members:
        zf.close()
        raise UploadRejected(400, "the zip holds no files")
    return zf, members


class _Counted:
    """A reader that stops at ``limit`` bytes whatever the zip header claimed."""

    def __init__(self, fh: Any, limit: int, what: str):
        self.fh, self.limit, self.what, self.n = fh, limit, what, 0

    def read(self, size: int = -1) -> bytes:
        block = self.fh.read(size)
        self.n += len(block)
        if self.n > self.limit:
            raise UploadRejected(413, f"{self.what} expands past its declared size (zip bomb?)")
        return block


def _is_zip_upload(name: str, head: bytes) -> bool:
    suffix = _suffix(name)
    if suffix == ".zip":
        return True
    return head.startswith(b"PK\x03\x04") and suffix not in INPUT_SUFFIXES  # .docx is a zip too


def _page_count(path: Path, suffix: str) -> int | None:
    if suffix != ".pdf":
        return None
    try:
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(str(path))
        try:
            return len(pdf)
        finally:
            pdf.close()
    except Exception:
        return None  # unreadable: the parser reports it as this file's error


def receive_files(uploads: list[UploadFile], paths: Paths, limits: Limits) -> list[dict[str, Any]]:
    """Store every upload (and zip member) under ``uploads/<sha256><ext>``; check the limits."""
    stored: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(dir=paths.tmp) as tmpdir:
        tmp = Path(tmpdir)

        def keep(src_path: Path, name: str, sha: str, size: int) -> None:
            suffix = _suffix(name)
            pages = _page_count(src_path, suffix)
            if pages is not None and pages > limits.max_pages:
                raise UploadRejected(413, f"{name} has {pages} pages; the limit is {limits.max_pages}")
            target = paths.upload(sha, suffix)
            if not target.exists():
                os.replace(src_path, target)
            stored.append({"name": name, "sha256": sha, "size": size, "suffix": suffix})

        for i, up in enumerate(uploads):
            name = _display_name(up.filename or f"upload-{i}")
            raw = tmp / f"u{i}"
            sha, size = _copy_hashed(up.file, raw, limits.max_upload_mb * MB, name)
            with open(raw, "rb") as fh:
                head = fh.read(4)
            if _is_zip_upload(name, head):
                zf, members = _zip_members(raw, limits)
                with zf:
                    for j, info in enumerate(members):
                        mpath = tmp / f"u{i}m{j}"
                        try:
                            with zf.open(info) as src:
                                msha, msize = _copy_hashed(_Counted(src, info.file_size, info.filename), mpath,
                                                           limits.max_file_mb * MB, info.filename)
                        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError) as e:
                            raise UploadRejected(400, f"cannot extract {info.filename!r} from the zip: {e}") from e
                        keep(mpath, info.filename.replace("\\", "/"), msha, msize)
            else:
                if size > limits.max_file_mb * MB:
                    raise UploadRejected(413, f"{name} is over the file size limit of {limits.max_file_mb} MB")
                if size == 0:
                    raise UploadRejected(400, f"{name} is empty")
                keep(raw, name, sha, size)
    return stored


# ---------------------------------------------------------------- the app


def _lock_data_dir(paths: Paths) -> Any:
    fh = open(paths.lock, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise RuntimeError(f"another nianbao server is using {paths.root}") from None
    fh.seek(0)
    fh.truncate()
    fh.write(str(os.getpid()))
    fh.flush()
    return fh


def _file_view(f: dict[str, Any]) -> dict[str, Any]:
    out = {k: f[k] for k in ("name", "sha256", "size", "status", "pages", "attempts")}
    out["reused"] = bool(f["reused"])
    if f["status"] == "failed":
        out["error"] = {"type": f["error_type"], "reason": f["reason"]}
    if f["status"] == "done":
        out["result"] = f"/v1/results/{f['sha256']}"
    return out


def create_app(config: ServerConfig) -> FastAPI:
    """The app; its lifespan locks the data folder, re-queues interrupted work and starts workers."""
    paths = Paths(Path(config.data_dir).resolve())
    limits = config.settings.limits
    require_token = make_auth_dependency(config.token)
    auth = [Depends(require_token)]
    pool = WorkerPool(paths.root, config.workers, config.parser, config.settings.model_dump_json(),
                      config.lease_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        paths.create()
        lock = _lock_data_dir(paths)
        for stale in paths.tmp.iterdir():
            shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
        Queue.init(paths)
        q = Queue(paths)
        n = q.recover()
        q.close()
        if n:
            log.warning("re-queued %d file(s) that were being parsed when the server stopped", n)
        if config.token is None:
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
    app.add_middleware(BodyLimitMiddleware, limit=limits.max_upload_mb * MB)
    app.state.config = config
    app.state.paths = paths  # the data folder layout, for routers mounted beside (review)
    app.state.pool = pool

    def queue() -> Iterator[Queue]:
        q = Queue(paths, lease_seconds=config.lease_seconds)
        try:
            yield q
        finally:
            q.close()

    @app.get("/v1/health")
    def health(q: Queue = Depends(queue)) -> dict[str, Any]:
        return {"status": "ok", "version": nianbao.__version__, "auth": config.token is not None,
                "workers": {"configured": pool.n, "alive": pool.alive(), "restarts": pool.restarts},
                "queue": q.counts()}

    @app.post("/v1/jobs", dependencies=auth, status_code=201,
              responses={200: {"description": "the same upload was submitted before: its job"},
                         400: {"description": "bad upload"}, 401: {"description": "no or wrong token"},
                         413: {"description": "over a size, page or zip limit"}})
    def submit(files: list[UploadFile] = File(..., description="report files (PDF, image, HTML, docx, text) or a zip"),
               q: Queue = Depends(queue)) -> JSONResponse:
        """Queue the files for parsing. Uploading the same files again returns the same job."""
        if not files:
            raise HTTPException(400, "no files in field 'files'")
        stored = receive_files(files, paths, limits)
        job_id, reused = q.create_job(stored)
        job = q.job(job_id)
        assert job is not None
        body = {"id": job_id, "reused": reused, "status": job["status"], "files": len(stored),
                "url": f"/v1/jobs/{job_id}"}
        return JSONResponse(body, status_code=200 if reused else 201)

    @app.get("/v1/jobs", dependencies=auth)
    def list_jobs(limit: int = Query(50, ge=1, le=1000), q: Queue = Depends(queue)) -> dict[str, Any]:
        return {"jobs": q.jobs(limit)}

    def _job_or_404(q: Queue, job_id: str) -> dict[str, Any]:
        job = q.job(job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id!r}")
        return job

    @app.get("/v1/jobs/{job_id}", dependencies=auth)
    def get_job(job_id: str, q: Queue = Depends(queue)) -> dict[str, Any]:
        job = _job_or_404(q, job_id)
        files = [_file_view(f) for f in job.pop("files")]
        return {**job, "files": files,
                "errors": [{"name": f["name"], **f["error"]} for f in files if f["status"] == "failed"]}

    @app.get("/v1/jobs/{job_id}/results", dependencies=auth,
             responses={409: {"description": "csv/xlsx asked for before the job finished"}})
    def job_results(job_id: str, format: Literal["json", "csv", "xlsx"] = "json", wide: bool = False,
                    q: Queue = Depends(queue)) -> Any:
        """JSON: every file with its status and (corrections applied) Report. CSV/XLSX: the data
        set of the finished files (``nianbao.dataset``), once the job is finished."""
        from nianbao.dataset import Entry, export, load_entries

        job = _job_or_404(q, job_id)
        done = [f for f in job["files"] if f["status"] == "done" and paths.result(f["sha256"]).exists()]
        if format == "json":
            loaded = {f["id"]: item for f, item in zip(done, load_entries(Entry(f["name"], paths.result(f["sha256"]))
                                                                         for f in done))}
            reports = []
            for f in job["files"]:
                item = loaded.get(f["id"])
                view = _file_view(f)
                if item is not None:
                    view["corrected"] = [".".join(k) for k in sorted(item.corrected)]
                    view["report"] = item.report.model_dump(mode="json")
                reports.append(view)
            return {"id": job_id, "status": job["status"], "progress": job["progress"], "reports": reports}
        if job["status"] in ("queued", "running"):
            raise HTTPException(409, f"job {job_id} is {job['status']}; {format} results are ready when it is done")
        fd, tmp = tempfile.mkstemp(suffix=f".{format}", dir=paths.tmp)
        os.close(fd)
        export(None, format, tmp, wide=wide, entries=[Entry(f["name"], paths.result(f["sha256"])) for f in done],
               settings=config.settings)
        media = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[format]
        return FileResponse(tmp, media_type=media, filename=f"nianbao-{job_id}{'-wide' if wide else ''}.{format}",
                            background=BackgroundTask(os.unlink, tmp))

    @app.get("/v1/results/{sha256}", dependencies=auth)
    def result(sha256: str) -> FileResponse:
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise HTTPException(400, "not a sha256")
        p = paths.result(sha256)
        if not p.exists():
            raise HTTPException(404, f"no result for {sha256}")
        return FileResponse(p, media_type="application/json")

    if config.mount_review:
        _mount_review(app, paths, config, auth)
    from nianbao.server.workbench import create_workbench_router  # the office's pages at / (简体中文)
    app.include_router(create_workbench_router(), dependencies=auth)
    return app


def _mount_review(app: FastAPI, paths: Paths, config: ServerConfig, auth: list) -> None:
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
        store = LiveStore([], config.settings.confidence.silent_threshold)
        router = create_review_router(store, config.settings.confidence.silent_threshold)
    except Exception as e:  # the review page is optional; the API must still start
        log.warning("review page not mounted: %s", e)
        return
    app.include_router(router, prefix="/review", dependencies=auth)

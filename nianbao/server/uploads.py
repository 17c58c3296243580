"""Uploads: the multipart body streamed straight into the data folder, then checked and stored.

The body is parsed as it arrives (python-multipart), each file written to ``tmp/`` while it is
hashed, with a running cap: a file stops at ``limits.max_file_mb`` (a zip at the request limit),
nothing is spooled elsewhere first. Then each file (or zip member, after the archive guard of
:func:`nianbao.ingest.check_archive`) is checked by its content, not its name (a 500-page PDF
named ``report.txt`` is still a PDF over the page limit) and moved to ``uploads/<sha256><ext>``.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from fastapi import HTTPException, Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from nianbao.errors import InputFileError
from nianbao.fileio import PDFIUM_LOCK
from nianbao.ingest import ArchiveRejected, open_archive, sniff_format
from nianbao.server.queue import Paths
from nianbao.settings import Limits

MB = 1 << 20
FIELD = "files"
MAX_FIELD_BYTES = 64 << 10  # the non-file fields of a form together
# the stored name of an upload follows its content (the worker sniffs the content anyway)
CONTENT_SUFFIX = {"pdf": ".pdf", "png": ".png", "jpeg": ".jpg", "tiff": ".tif", "bmp": ".bmp", "webp": ".webp",
                  "gif": ".gif", "docx": ".docx", "doc": ".doc", "html": ".html", "text": ".txt"}
MULTI_PAGE = {"pdf", "tiff", "gif", "webp"}
JUNK = ("__MACOSX/",)
JUNK_NAMES = (".DS_Store", "Thumbs.db")


class UploadRejected(HTTPException):
    """A 4xx answer for a bad upload; nothing of the request is kept."""


def clean_name(name: str) -> str:
    """A file name as shown in results: no folders from the client, no control, format (bidi
    overrides such as U+202E, zero-width) or unassigned characters, at most 200 characters."""
    base = name.replace("\\", "/").rstrip("/").split("/")[-1]
    return _clean_segment(base) or "upload"


def clean_member_name(name: str) -> str:
    """A zip member's path, each folder name cleaned like :func:`clean_name` (folders kept)."""
    parts = [_clean_segment(p) for p in name.replace("\\", "/").split("/")]
    return "/".join(p for p in parts if p and p != ".")[:200] or "upload"


def _clean_segment(part: str) -> str:
    part = unicodedata.normalize("NFC", part)
    part = "".join(ch for ch in part if unicodedata.category(ch)[0] != "C" and ch not in "\u2028\u2029")
    return part.strip()[:200]


def _suffix(name: str) -> str:
    s = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    return s if re.fullmatch(r"\.[a-z0-9]{1,8}", s or "") else ""


@dataclass
class Received:
    """One file part of the request, written to ``path`` as it arrived."""

    name: str
    path: Path
    sha256: str = ""
    size: int = 0
    head: bytes = b""
    _hash: Any = field(default_factory=hashlib.sha256, repr=False)
    _fh: BinaryIO | None = field(default=None, repr=False)


def _zip_named(name: str, head: bytes) -> bool:
    return _suffix(name) == ".zip" or head.startswith(b"PK\x03\x04")


async def stream_files(request: Request, tmp: Path, limits: Limits) -> list[Received]:
    """The files of field ``files`` of a multipart/form-data body, written into ``tmp``."""
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or b"boundary" not in params:
        raise UploadRejected(422, f"send the report files as multipart/form-data in field {FIELD!r}")
    files: list[Received] = []
    part: dict[str, Any] = {}
    header = [b"", b""]
    field_bytes = 0
    file_cap = limits.max_file_mb * MB
    zip_cap = limits.max_upload_mb * MB

    def on_part_begin() -> None:
        part.clear()
        part["headers"] = {}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header[0] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header[1] += data[start:end]

    def on_header_end() -> None:
        part["headers"][header[0].lower()] = header[1]
        header[0] = header[1] = b""

    def on_headers_finished() -> None:
        _, opts = parse_options_header(part["headers"].get(b"content-disposition", b""))
        name = opts.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in opts and name == FIELD:
            if len(files) >= limits.max_zip_members:
                raise UploadRejected(413, f"more than {limits.max_zip_members} files in one request")
            rec = Received(name=clean_name(opts[b"filename"].decode("utf-8", "replace") or f"upload-{len(files)}"),
                           path=tmp / f"u{len(files)}")
            rec._fh = open(rec.path, "wb")
            files.append(rec)
            part["file"] = rec

    def on_part_data(data: bytes, start: int, end: int) -> None:
        nonlocal field_bytes
        chunk = data[start:end]
        rec: Received | None = part.get("file")
        if rec is None:  # another field: ignored, but bounded
            field_bytes += len(chunk)
            if field_bytes > MAX_FIELD_BYTES:
                raise UploadRejected(413, f"form fields other than {FIELD!r} are over {MAX_FIELD_BYTES >> 10} kB")
            return
        if len(rec.head) < 8:
            rec.head += chunk[:8 - len(rec.head)]
        rec.size += len(chunk)
        is_zip = _zip_named(rec.name, rec.head)  # a zip may be as big as the whole request
        cap = zip_cap if is_zip else file_cap
        if rec.size > cap:
            raise UploadRejected(413, f"{rec.name} is over the {'upload' if is_zip else 'file size'} limit "
                                      f"of {cap // MB} MB")
        rec._hash.update(chunk)
        assert rec._fh is not None
        rec._fh.write(chunk)

    def on_part_end() -> None:
        rec: Received | None = part.get("file")
        if rec is not None and rec._fh is not None:
            rec._fh.close()
            rec._fh = None
            rec.sha256 = rec._hash.hexdigest()

    parser = MultipartParser(params[b"boundary"], {
        "on_part_begin": on_part_begin, "on_part_data": on_part_data, "on_part_end": on_part_end,
        "on_header_field": on_header_field, "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished})
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as e:
        raise UploadRejected(400, f"malformed multipart body: {e}") from e
    finally:
        for rec in files:
            if rec._fh is not None:
                rec._fh.close()
                rec._fh = None
    if not files:
        raise UploadRejected(422, f"no files in field {FIELD!r}")
    unfinished = [r.name for r in files if not r.sha256]
    if unfinished:
        raise UploadRejected(400, f"the upload of {unfinished[0]} was cut off")
    return files


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


def _copy_hashed(src: Any, dst: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    n = 0
    with open(dst, "wb") as out:
        while block := src.read(MB):
            n += len(block)
            h.update(block)
            out.write(block)
    return h.hexdigest(), n


def page_count(path: Path, fmt: str) -> int | None:
    """Pages of a PDF or frames of a multi-page image; None when not known (the parser then
    reports what is wrong with the file)."""
    if fmt not in MULTI_PAGE:
        return None
    try:
        if fmt == "pdf":
            import pypdfium2 as pdfium

            with PDFIUM_LOCK:  # request threads
                pdf = pdfium.PdfDocument(str(path))
                try:
                    return len(pdf)
                finally:
                    pdf.close()
        from PIL import Image

        with Image.open(path) as im:
            return getattr(im, "n_frames", 1)
    except Exception:
        return None


def _reject_archive(e: ArchiveRejected, name: str) -> UploadRejected:
    return UploadRejected(413 if e.over_limit else 400, f"{name}: {e.reason}")


def store_files(received: list[Received], tmp: Path, paths: Paths, limits: Limits) -> list[dict[str, Any]]:
    """Check every received file (zips unpacked behind the archive guard) by content and move
    it to ``uploads/``; returns the job's file list (name, sha256, size, suffix)."""
    checked: list[tuple[Path, str, str, int, str]] = []  # path, name, sha, size, suffix

    def check(src: Path, name: str, sha: str, size: int) -> None:
        if size == 0:
            raise UploadRejected(400, f"{name} is empty")
        if size > limits.max_file_mb * MB:
            raise UploadRejected(413, f"{name} is over the file size limit of {limits.max_file_mb} MB")
        try:
            fmt = sniff_format(src)
        except InputFileError as e:
            raise UploadRejected(400, f"{name}: {e.reason}") from e
        pages = page_count(src, fmt)
        if pages is not None and pages > limits.max_pages:
            raise UploadRejected(413, f"{name} has {pages} pages; the limit is {limits.max_pages}"
                                      + (f" (it is a {fmt.upper()}, whatever its name says)"
                                         if CONTENT_SUFFIX.get(fmt) != _suffix(name) else ""))
        checked.append((src, name, sha, size, CONTENT_SUFFIX.get(fmt) or _suffix(name)))

    for i, rec in enumerate(received):
        try:
            fmt = sniff_format(rec.path) if rec.size else "empty"
        except InputFileError:
            fmt = "unknown"
        if fmt == "zip" or (_suffix(rec.name) == ".zip" and fmt not in ("docx", "empty")):
            try:
                zf, infos = open_archive(rec.path, limits)
            except ArchiveRejected as e:
                raise _reject_archive(e, rec.name) from e
            with zf:
                members = [m for m in infos if not m.filename.replace("\\", "/").startswith(JUNK)
                           and not PurePosixPath(m.filename.replace("\\", "/")).name.startswith("._")
                           and PurePosixPath(m.filename.replace("\\", "/")).name not in JUNK_NAMES]
                if not members:
                    raise UploadRejected(400, f"{rec.name}: the zip holds no files")
                for j, info in enumerate(members):
                    mpath = tmp / f"u{i}m{j}"
                    try:
                        with zf.open(info) as member:
                            msha, msize = _copy_hashed(_Counted(member, info.file_size, info.filename), mpath)
                    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as e:
                        raise UploadRejected(400, f"cannot extract {info.filename!r} from the zip: {e}") from e
                    check(mpath, clean_member_name(info.filename), msha, msize)
        else:
            check(rec.path, rec.name, rec.sha256, rec.size)
    stored = []
    for src, name, sha, size, suffix in checked:
        target = paths.upload(sha, suffix)
        if not target.exists():
            os.replace(src, target)  # atomic: an upload is there whole or not at all
        stored.append({"name": name, "sha256": sha, "size": size, "suffix": suffix})
    return stored

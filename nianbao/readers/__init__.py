"""Readers for inputs that need no OCR: text-layer PDFs, HTML, docx and text extracts.
Each turns a file into a ``nianbao.models.Document``; the reader is chosen by content."""

from __future__ import annotations

from pathlib import Path

from nianbao.errors import InputFileError

TEXT_FORMATS = ("text", "html")


def sniff_format(path: str | Path) -> str:
    """What a file is, from its first bytes: pdf, png, jpeg, tiff, docx, html, text."""
    p = Path(path)
    if not p.exists():
        raise InputFileError(str(path), "no such file")
    if p.is_dir():
        raise InputFileError(str(path), "is a directory, not a file")
    size = p.stat().st_size
    if size == 0:
        raise InputFileError(str(path), "empty file (0 bytes)")
    with p.open("rb") as fh:
        head = fh.read(4096)
    if head.lstrip()[:5] == b"%PDF-" or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head.startswith(b"PK\x03\x04"):
        import zipfile

        try:
            with zipfile.ZipFile(p) as z:
                if "word/document.xml" in z.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            raise InputFileError(str(path), "corrupt zip container") from None
        raise InputFileError(str(path), "a zip file that is not a Word document (.docx)")
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = head.decode(enc)
            break
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4:  # a multi-byte character cut at the 4 KiB boundary
                text = head[: exc.start].decode(enc)
                break
    else:
        raise InputFileError(str(path), "binary data of an unknown format (not a PDF, image, Word file, HTML or text)")
    if sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f") > 8:
        raise InputFileError(str(path), "binary data of an unknown format (not a PDF, image, Word file, HTML or text)")
    low = text.lower()
    if "<html" in low or "<!doctype html" in low or ("<body" in low and "<table" in low):
        return "html"
    return "text"


def read_text_file(path: str | Path) -> str:
    """Decode a text or HTML file (UTF-8, else GB18030 as many Chinese sites still use)."""
    data = Path(path).read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputFileError(str(path), "text in an unknown encoding (neither UTF-8 nor GB18030)")

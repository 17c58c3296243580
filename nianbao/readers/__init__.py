"""Readers for inputs that need no OCR: text-layer PDFs, HTML, docx and text extracts.
Each turns a file into a ``nianbao.models.Document``; the reader is chosen by content."""

from __future__ import annotations

from pathlib import Path

from nianbao.errors import InputFileError

def read_text_file(path: str | Path) -> str:
    """Decode a text or HTML file (UTF-8, else GB18030 as many Chinese sites still use)."""
    data = Path(path).read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputFileError(str(path), "text in an unknown encoding (neither UTF-8 nor GB18030)")

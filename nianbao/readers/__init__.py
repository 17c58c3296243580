"""Readers for inputs that need no OCR: text-layer PDFs, HTML, docx and text extracts.
Each turns a file into a ``nianbao.models.Document``; the reader is chosen by content.
Their shared helpers are in ``nianbao.readers.common``."""

from __future__ import annotations

from nianbao.readers.common import read_text_file

__all__ = ["read_text_file"]

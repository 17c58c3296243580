"""What every reader shares: decoding a text file, cleaning inline markup out of a cell, and
joining a cell's lines. One module, so the readers import it and never each other."""

from __future__ import annotations

import re
from pathlib import Path

from nianbao.errors import InputFileError

_INLINE_MARKUP = re.compile(r"</?(?:b|i|u|sup|sub|span|strong|em|br)\b[^>]*>", re.I)


def read_text_file(path: str | Path) -> str:
    """Decode a text or HTML file (UTF-8, else GB18030 as many Chinese sites still use)."""
    data = Path(path).read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputFileError(str(path), "text in an unknown encoding (neither UTF-8 nor GB18030)")


def clean_inline(text: str) -> str:
    """Drop inline HTML and Markdown emphasis that extraction tools leave inside cells."""
    t = _INLINE_MARKUP.sub("", text)
    return t.replace("**", "").replace("\u3000", " ").strip()


def join_cell_lines(lines: list[str]) -> str:
    """A table cell's text from its (stripped, non-empty) lines. Header text set vertically is
    one or two characters a line (申/请/人 → 申请人): joined without spaces; else with one."""
    if lines and all(len(p) <= 2 for p in lines):
        return "".join(lines)
    return " ".join(lines)

"""What every reader shares: decoding a text file, cleaning inline markup out of a cell, joining
a cell's lines, and the structure of the grids it read (which columns hold labels, which
values). One module, so the readers (and the scan pipeline) import it and never each other."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from nianbao.errors import InputFileError
from nianbao.models.document import LayoutSource, Row, TableLayout
from nianbao.numbers import value_like

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


# a table whose rows begin their values in one grid column no more often than this is ragged
# (a text export, rows of their own lengths): no value columns are stated for it
_VALUE_COLUMN_AGREEMENT = 0.8


def grid_columns(rows: Sequence[Row]) -> dict[int, tuple[int, int | None]]:
    """For each printed table (``table_index``) whose cells carry grid columns: its number of
    grid columns and its label columns (the grid column where values begin: the first
    value-like cell of each row, voted over its rows; None when fewer than
    ``_VALUE_COLUMN_AGREEMENT`` of them agree). The one place that decides where a grid's
    values are, so that a garbled value cell stays a value cell in assembly."""
    votes: dict[int, dict[int, int]] = {}
    widths: dict[int, int] = {}
    for row in rows:
        if row.table_index is None or not row.exact_cells or not row.cells or any(c.col is None for c in row.cells):
            continue
        widths[row.table_index] = max(widths.get(row.table_index, 0), max((c.col or 0) + c.colspan for c in row.cells))
        first = next((c.col for c in row.cells if value_like(c.text)), None)
        if first is not None:
            v = votes.setdefault(row.table_index, {})
            v[first] = v.get(first, 0) + 1
    out: dict[int, tuple[int, int | None]] = {}
    for t, width in widths.items():
        v = votes.get(t, {})
        start = max(v, key=lambda col: v[col]) if v else None
        agreed = start is not None and v[start] >= _VALUE_COLUMN_AGREEMENT * sum(v.values())
        out[t] = (width, start if agreed else None)
    return out


def table_layouts(rows: Sequence[Row], source: LayoutSource) -> list[TableLayout]:
    """The structure of every grid among ``rows`` as a reader without page pixels states it (a
    text-layer PDF's tables, HTML and Word tables): grid columns and label columns."""
    return [TableLayout(index=t, source=source, columns=width, label_columns=labels)
            for t, (width, labels) in sorted(grid_columns(rows).items())]

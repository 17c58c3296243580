"""What every reader shares: decoding a text file, cleaning inline markup out of a cell, joining
a cell's lines, and the structure of the grids it read (which columns hold labels, which
values). One module, so the readers (and the scan pipeline) import it and never each other."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from nianbao.errors import InputFileError
from nianbao.models.document import LayoutSource, Row, TableLayout
from nianbao.numbers import has_chinese, value_like

_PRINTED = re.compile(r"\w")  # a cell that holds more than punctuation and specks
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


# a run of a table's rows whose values begin in one grid column no more often than this is
# ragged (a text export, rows of their own lengths): no value columns are stated for it
_VALUE_COLUMN_AGREEMENT = 0.8
# rows in a row that begin their values in a column of their own before they are a run of
# their own (two printed tables butted together, read as one grid), not one row's misreading
_VALUE_RUN_ROWS = 2
# values a row with no label (no Chinese) prints in its run's label columns before its values
# are stated to begin at its first cell (``_unlabelled_rows``): one is a speck read "1"
_LABEL_COLUMN_VALUES = 2


def grid_columns(rows: Sequence[Row]) -> dict[int, tuple[int, list[tuple[int, int | None]]]]:
    """For each printed table (``table_index``) whose cells carry grid columns: its number of
    grid columns and where its values begin (``TableLayout.value_runs``). Each of its rows
    votes with its first value-like cell; where ``_VALUE_RUN_ROWS`` votes in a row name another
    column than those before them, another run of rows begins (a table butted against it, read
    as one grid), and each run's value column is its votes' choice when
    ``_VALUE_COLUMN_AGREEMENT`` of them agree (else None: ragged). The one place that decides
    where a grid's values are, so that a garbled value cell stays a value cell in assembly."""
    votes: dict[int, list[tuple[int, int]]] = {}  # table -> (row of the table, first value column)
    unlabelled: dict[int, list[tuple[int, Row]]] = {}  # table -> (row of the table, row) printing no label
    widths: dict[int, int] = {}
    seen: dict[int, int] = {}
    for row in rows:
        if row.table_index is None:
            continue
        k = seen.get(row.table_index, 0)
        seen[row.table_index] = k + 1
        if not row.exact_cells or not row.cells or any(c.col is None for c in row.cells):
            continue
        widths[row.table_index] = max(widths.get(row.table_index, 0), max((c.col or 0) + c.colspan for c in row.cells))
        first = next((c.col for c in row.cells if value_like(c.text)), None)
        if first is not None:
            votes.setdefault(row.table_index, []).append((k, first))
            if not any(has_chinese(c.text) for c in row.cells):
                unlabelled.setdefault(row.table_index, []).append((k, row))
    return {t: (width, _unlabelled_rows(_value_runs(votes.get(t, [])), unlabelled.get(t, [])))
            for t, width in widths.items()}


def _label_columns(runs: Sequence[tuple[int, int | None]], k: int) -> int | None:
    """The label columns ``runs`` state for a table's ``k``-th row (``TableLayout.label_columns``)."""
    return next((labels for first, labels in reversed(runs) if first <= k), None)


def _unlabelled_rows(runs: list[tuple[int, int | None]], rows: Sequence[tuple[int, Row]]
                     ) -> list[tuple[int, int | None]]:
    """``runs`` with a run of its own for each row that prints no label (no Chinese in any cell)
    where its run's label columns hold its values: its values begin at its first cell that is
    not punctuation (a garbled value, "a" or "2I", is a value of a row with no label). So where
    the run is ragged (its rows' votes disagree: a header cell read "00"), and where the cells
    before the run's value column hold ``_LABEL_COLUMN_VALUES`` or more values (the review matrix
    under the application matrix, read as one grid with it: spent mix2039 word copier 057). A
    row whose label only was lost (blank, or one speck read "1") keeps its run's columns. The
    review matrix prints its one row of values with no label: this is where its values begin
    (spent sheet2036 lowres 021: "1 1 0 0 2I 1 1 a 2 4 …" under a header cell read "00" kept
    seven values, the rest taken for a label)."""
    out = list(runs)
    for k, row in rows:
        labels = _label_columns(out, k)
        first = next((c.col for c in row.cells if _PRINTED.search(c.text)), None)
        if first is None or (labels is not None and first >= labels):
            continue
        held = sum(1 for c in row.cells if first <= (c.col or 0) < (labels or 0) and value_like(c.text))
        if labels is not None and held < _LABEL_COLUMN_VALUES:
            continue
        if not any(start == k + 1 for start, _ in out):
            out.append((k + 1, labels))  # the rows after it go on as before
        out = [r for r in out if r[0] != k] + [(k, first)]
        out.sort()
    return out


def _value_runs(votes: list[tuple[int, int]]) -> list[tuple[int, int | None]]:
    """(first row, label columns) of each run of rows (``grid_columns``)."""
    runs: list[list[int]] = []  # [column, votes in a row, first row]
    for k, col in votes:
        if runs and runs[-1][0] == col:
            runs[-1][1] += 1
        else:
            runs.append([col, 1, k])
    starts = [0]
    column = None
    for col, count, first in runs:
        if count < _VALUE_RUN_ROWS or col == column:
            continue
        if column is not None:
            starts.append(first)
        column = col
    out: list[tuple[int, int | None]] = []
    for b, start in enumerate(starts):
        stop = starts[b + 1] if b + 1 < len(starts) else None
        tally: dict[int, int] = {}
        for k, col in votes:
            if start <= k and (stop is None or k < stop):
                tally[col] = tally.get(col, 0) + 1
        best = max(tally, key=lambda col: tally[col]) if tally else None
        agreed = best is not None and tally[best] >= _VALUE_COLUMN_AGREEMENT * sum(tally.values())
        out.append((start, best if agreed else None))
    return out


def table_layouts(rows: Sequence[Row], source: LayoutSource) -> list[TableLayout]:
    """The structure of every grid among ``rows`` as a reader without page pixels states it (a
    text-layer PDF's tables, HTML and Word tables): grid columns and where values begin."""
    return [TableLayout(index=t, source=source, columns=width, value_runs=runs)
            for t, (width, runs) in sorted(grid_columns(rows).items())]

"""The plain intermediate form every reader and the scan pipeline produce: a document as
a sequence of rows (paragraph lines and table rows), each cell with its text and, where
known, its page and box. Assembly turns this into canonical cells."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from nianbao.models.schema import BBox, CellNote, ConfidenceFactor, PageInfo


class TextCell(BaseModel):
    text: str
    bbox: BBox | None = None
    confidence: float = 1.0  # the reader's score for the text (OCR score; 1.0 for a text layer): evidence
    col: int | None = None  # first grid column this cell covers, when the grid is known
    colspan: int = 1
    alternatives: list[tuple[str, float]] = Field(default_factory=list)  # other readings (OCR)
    placement: float = 1.0  # how sure the cell's place in its table's structure is (scan structure reading)
    notes: list[CellNote] = Field(default_factory=list)  # why ``placement`` is below 1, for the canonical cell's notes
    factors: list[ConfidenceFactor] = Field(default_factory=list)  # confidence ledger entries of the reading


class Row(BaseModel):
    kind: Literal["text", "table"]
    cells: list[TextCell]
    page: int | None = None
    table_index: int | None = None  # which printed table (grid) the row belongs to
    exact_cells: bool = False  # True when every printed cell is one TextCell, blanks included

    @property
    def text(self) -> str:
        return " ".join(c.text for c in self.cells if c.text)


# who read a table's structure: the ruling lines or the words of a scanned page, a PDF's text
# layer, or markup (HTML, Word, Markdown)
LayoutSource = Literal["lines", "words", "text layer", "markup"]


class TableLayout(BaseModel):
    """The structure of one printed table (``Row.table_index``) as its reader read it, for
    assembly to use rather than infer again: how many grid columns it has and which of them hold
    the row labels (``value_runs``: values from that grid column on). Every reader of grids
    states it (``nianbao.readers.common.grid_columns``, the one place that decides it); a scanned
    page adds its boundaries and cells in page pixels, which reading gave them ("lines": the
    ruling-line grid, "words": the word reading of ``layout.structure``), and what spoke against
    the other; a text-layer PDF ("text layer") and markup (HTML, Word, Markdown: "markup") give
    the grid columns of their cells only."""

    index: int
    source: LayoutSource
    columns: int = 0  # grid columns (the widest row's cells, spans included)
    # where its values begin, for each run of its rows (two printed tables butted together can
    # be read as one grid, their values beginning in different columns): (first row, label
    # columns), the first row counted among the table's rows in document order (0: its first
    # row), the label columns the grid columns before the first value column, voted over the
    # run's rows; None for a ragged run (a text export): values follow each row's last label cell
    value_runs: list[tuple[int, int | None]] = Field(default_factory=list)
    page: int | None = None
    bbox: BBox | None = None
    rows: list[float] = Field(default_factory=list)  # y boundaries, top to bottom (scanned pages)
    cols: list[float] = Field(default_factory=list)  # x boundaries, left to right (scanned pages)
    cells: list[tuple[int, int, int, int]] = Field(default_factory=list)  # (row, col, rowspan, colspan) of every printed cell
    placement: float = 1.0
    faults: list[str] = Field(default_factory=list)  # why the ruling-line grid was not trusted

    def label_columns(self, row: int) -> int | None:
        """The label columns of the table's ``row``-th row (counted as in ``value_runs``)."""
        return next((labels for first, labels in reversed(self.value_runs) if first <= row), None)


class Document(BaseModel):
    path: str
    format: str
    rows: list[Row] = Field(default_factory=list)
    pages: list[PageInfo] = Field(default_factory=list)
    tables: list[TableLayout] = Field(default_factory=list)  # each printed table's structure, by table_index
    # seconds spent in each stage of reading scanned pages, summed over the pages (render,
    # orient, grids, structure, crops, ocr, second_look): what ``nianbao bench`` breaks speed down by
    timings: dict[str, float] = Field(default_factory=dict)

    @property
    def full_text(self) -> str:
        return "\n".join(r.text for r in self.rows)

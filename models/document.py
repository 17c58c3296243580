"""The plain intermediate form every reader and the scan pipeline produce: a document as
a sequence of rows (paragraph lines and table rows), each cell with its text and, where
known, its page and box. Assembly turns this into canonical cells."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from nianbao.models.schema import BBox, PageInfo


class TextCell(BaseModel):
    text: str
    bbox: BBox | None = None
    confidence: float = 1.0  # read confidence of the text (1.0 for a text layer)
    col: int | None = None  # first grid column this cell covers, when the grid is known
    colspan: int = 1
    alternatives: list[tuple[str, float]] = Field(default_factory=list)  # other readings (OCR)


class Row(BaseModel):
    kind: Literal["text", "table"]
    cells: list[TextCell]
    page: int | None = None
    table_index: int | None = None  # which printed table (grid) the row belongs to
    exact_cells: bool = False  # True when every printed cell is one TextCell, blanks included

    @property
    def text(self) -> str:
        return " ".join(c.text for c in self.cells if c.text)


class Document(BaseModel):
    path: str
    format: str
    rows: list[Row] = Field(default_factory=list)
    pages: list[PageInfo] = Field(default_factory=list)

    @property
    def full_text(self) -> str:
        return "\n".join(r.text for r in self.rows)

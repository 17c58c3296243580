"""The result schema: a Report with its Tables of Cells, and the consistency CheckResults."""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, Field

BBox = tuple[float, float, float, float]
"""x0, y0, x1, y1 in pixels of the page rendered at ``PageInfo.dpi``."""

TableId = Literal["applications", "reviews_litigation", "active_disclosure"]


class CellKind(str, Enum):
    """What a printed cell means (a blank, a dash and a 0 are different statements)."""

    number = "number"
    zero = "zero"
    blank = "blank"
    dash = "dash"  # "—", "/", "无"
    text = "text"
    unreadable = "unreadable"
    missing = "missing"  # the template cell was not found in the document
    derived = "derived"  # not printed legibly; value inferred from the consistency rules


class Cell(BaseModel):
    table: TableId
    row: str
    col: str
    value: float | int | None = None
    unit: str | None = None  # "元" / "万元" for money, as read (cell or header); None = unknown
    value_wan: float | None = None  # money value in 万元 when the unit is known
    text: str = ""  # the raw text read for this cell
    kind: CellKind = CellKind.missing
    confidence: float = 0.0
    read_confidence: float = 0.0  # how sure the reading of the characters is
    placement_confidence: float = 0.0  # how sure the row/column assignment is
    page: int | None = None  # 1-based
    bbox: BBox | None = None
    reasons: list[str] = Field(default_factory=list)  # why confidence is below 1
    suggestions: list[str] = Field(default_factory=list)  # alternatives for a reviewer, never applied

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.table, self.row, self.col)


class Table(BaseModel):
    id: TableId
    found: bool = False
    pages: list[int] = Field(default_factory=list)
    unit: str | None = None  # unit stated in the table header, if any
    cells: list[Cell] = Field(default_factory=list)

    def cell(self, row: str, col: str) -> Cell | None:
        for c in self.cells:
            if c.row == row and c.col == col:
                return c
        return None


class CheckStatus(str, Enum):
    passed = "passed"
    failed = "failed"
    not_assessable = "not_assessable"


class CheckResult(BaseModel):
    rule: str  # rule id from the template, e.g. "applications.balance"
    subject: str  # the column or row the rule was applied to, e.g. "total"
    status: CheckStatus
    description: str
    equation: str  # the rule written with its numbers, e.g. "1 + 0 = 1 + 0"
    lhs: float | None = None
    rhs: float | None = None
    cells: list[str] = Field(default_factory=list)  # "table.row.col" of every operand


class PageWarp(BaseModel):
    """How a photographed page was made flat (``nianbao.layout.page``), kept so the flat page
    the boxes refer to can be drawn again from the file.

    Order of work: the source image (the file's page at ``source_dpi``) is mapped by the
    homography of ``quad`` onto a ``width`` × ``height`` page, then turned upright and
    deskewed (``PageInfo.rotation``/``skew``), then the curl is taken out: the upright page's
    pixel (x, y) is read from (x + dx, y + dy), each a polynomial in u = 2x/W − 1, v = 2y/H − 1
    (W, H the upright page's size; x, y held inside ``curl_box``) with the coefficients below
    (terms u^p·v^q listed in ``curl_terms``; dx terms have q ≥ 1, dy terms p ≥ 1)."""

    source_dpi: float
    quad: list[tuple[float, float]]  # page corners in the source image: top-left, top-right, bottom-right, bottom-left
    width: int  # flat page, pixels at PageInfo.dpi (before the quarter turn)
    height: int
    curl_terms: list[tuple[int, int]] = Field(default_factory=list)  # (p, q) exponents
    curl_dy: list[float] = Field(default_factory=list)  # pixels, one per term
    curl_dx: list[float] = Field(default_factory=list)
    curl_box: list[float] = Field(default_factory=list)  # x0, y0, x1, y1: outside it dx/dy keep the box edge's value
    light_kernel_frac: float = 0.0  # > 0: the flat page's lighting evened (layout.page.even_light) with this kernel
    edge_clear_frac: float = 0.0  # a band this share of the page along each edge painted the paper's tone, after the homography and at the end


class PageInfo(BaseModel):
    number: int  # 1-based
    width: float  # pixels at ``dpi``
    height: float
    dpi: float
    source: Literal["text", "scan", "none"] = "none"  # text layer, OCR of an image, or no page geometry
    rotation: int = 0  # degrees the page image was turned to be upright
    skew: float = 0.0  # degrees of deskew applied
    warp: PageWarp | None = None  # a photographed page: how it was flattened (None: a flatbed page, used as it is)


class SourceInfo(BaseModel):
    path: str
    sha256: str
    size: int
    format: str  # reader used: pdf-text, pdf-scan, image, html, docx, text-tsv, text-word, markdown
    pages: int = 0


class Evidence(BaseModel):
    """One source behind a finding: a sentence of the body text, a table cell, or a report."""

    source: Literal["text", "cell"]
    text: str = ""  # the sentence as printed, or the cell's raw text
    value: float | int | None = None
    unit: str | None = None
    page: int | None = None
    cell: str | None = None  # "table.row.col" of a cell
    report: str | None = None  # source path of the report the evidence is from
    year: int | None = None


class Finding(BaseModel):
    """A disagreement between two sources (text vs table, year N vs N+1); never a rewrite."""

    kind: str  # "text_vs_table", "carried_forward", "in_force"
    message: str
    agency: str | None = None
    year: int | None = None
    subject: str = ""  # what was compared, e.g. "applications.new_received.total"
    sources: list[Evidence] = Field(default_factory=list)


class Statement(BaseModel):
    """A figure stated in the body text ("受理政府信息公开申请 1 件") and what it speaks of."""

    quantity: float | int
    unit: str  # 件 / 条 / 项 / 个 / 万元 / 元
    sentence: str
    phrase: str  # the words right before the number that say what is counted
    page: int | None = None
    row_index: int = 0  # index of the Document row
    topic: str | None = None  # recognised meaning, e.g. "applications.new_received"; None = not recognised
    cells: list[str] = Field(default_factory=list)  # "table.row.col" whose sum the text states
    status: Literal["agrees", "disagrees", "not_assessable", "no_counterpart", "unrecognised"] = "unrecognised"
    note: str = ""


class MetaField(BaseModel):
    value: str | int | None = None
    confidence: float = 0.0
    evidence: str = ""  # the text the value was read from


class ReportMetadata(BaseModel):
    agency: MetaField = Field(default_factory=MetaField)
    level: MetaField = Field(default_factory=MetaField)  # 乡镇 / 街道 / 县区 / 市 / 部门
    region: MetaField = Field(default_factory=MetaField)  # the place named before the agency, where stated
    year: MetaField = Field(default_factory=MetaField)
    published: MetaField = Field(default_factory=MetaField)  # publication date, ISO yyyy-mm-dd


class Report(BaseModel):
    schema_version: Literal[1] = 1
    source: SourceInfo
    agency: str | None = None
    year: int | None = None
    template_version: str | None = None
    version_evidence: str = ""
    pages: list[PageInfo] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    checks: list[CheckResult] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    metadata: ReportMetadata = Field(default_factory=ReportMetadata)
    statements: list[Statement] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)
    nianbao_version: str = ""  # the nianbao that parsed it ("" = not recorded, an older result)
    settings_hash: str = ""  # Settings.results_hash() of the settings it was parsed with

    def table(self, table_id: str) -> Table | None:
        for t in self.tables:
            if t.id == table_id:
                return t
        return None

    def cells(self) -> list[Cell]:
        return [c for t in self.tables for c in t.cells]

    @property
    def checks_passed(self) -> bool:
        return not any(c.status == CheckStatus.failed for c in self.checks)

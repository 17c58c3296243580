"""The result schema: a Report with its Tables of Cells, and the consistency CheckResults."""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, Field, model_validator

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


class FactorCode(str, Enum):
    """What one adjustment of a cell's confidence is for: a stage records the code (evidence), and
    ``nianbao.confidence`` alone turns it into a number, from the ``Settings.confidence`` field
    its rule names (``nianbao.confidence.FACTOR_RULES``)."""

    # the reading of the characters (scan, number parsing, derivation)
    empty_cell = "empty_cell"  # no ink found in a grid cell: read as blank
    slash_by_shape = "slash_by_shape"  # a stroke read "1" leans like "/": the shape decides
    slash_upright = "slash_upright"  # read "/" but the stroke stands upright like a "1"
    second_look_not_number = "second_look_not_number"  # two crops agree on something that is not a number
    second_look_disagrees = "second_look_disagrees"  # a looser second crop reads another number
    second_look_disagrees_not_number = "second_look_disagrees_not_number"  # ... and the first is no number either
    lookalike = "lookalike"  # look-alike letters read as digits ("1O" → 10)
    single_lookalike = "single_lookalike"  # one look-alike letter alone read as a digit ("O" → 0)
    negative_count = "negative_count"  # a minus sign in a column that counts
    not_a_number = "not_a_number"  # the text does not read as a number
    speck_dropped = "speck_dropped"  # a speck read beside the digits ("501•", "。348") left out
    derived = "derived"  # not read: the value comes from the consistency rules
    # where the cell was placed (row matching, structure reading, row resolution)
    row_label_fair = "row_label_fair"  # the row label matches its template row fairly well
    row_label_weak = "row_label_weak"  # ... weakly
    row_by_position_anchored = "row_by_position_anchored"  # no usable label: placed between matched rows
    row_by_position = "row_by_position"  # no usable label: placed by position alone
    cell_disputed = "cell_disputed"  # the ruling lines and the words place the cell differently
    placed_by_rules = "placed_by_rules"  # a row with too few/many values: the rules chose the columns
    row_unresolved = "row_unresolved"  # ... and could not choose: values placed in order
    derived_unplaced = "derived_unplaced"  # a derived cell of a row not found: placed by the rules
    page_turn_unsure = "page_turn_unsure"  # the page's 0°/180° answer rests on too little evidence
    # the consistency rules and the body text (``nianbao.confidence.score_cells``, statements)
    breaks_rule = "breaks_rule"
    derived_cap = "derived_cap"
    confirmed_by_rules = "confirmed_by_rules"  # every rule (≥ 2) it is in holds
    confirmed_by_one_rule = "confirmed_by_one_rule"  # the one rule it is in holds
    # its broken rule is explained by one other cell, where every broken rule of the table crosses,
    # and its other rules hold (the single misread of SPEC §3's parity check, found)
    failure_points_elsewhere = "failure_points_elsewhere"
    # every rule it is in holds, one of them once the value an unread cell's other rule gives
    # that cell is put in (that rule is then checked by the first: no rule is used twice)
    confirmed_via_unread = "confirmed_via_unread"
    unconfirmed_ocr = "unconfirmed_ocr"  # an OCR'd number no rule confirms
    signed_column = "signed_column"  # an OCR'd number in a column that may be negative
    lone_stroke = "lone_stroke"  # an OCR'd lone "1" may be a printed "/"
    scan_blank = "scan_blank"  # a blank, dash or text on a scan may be a lost number
    text_agrees = "text_agrees"  # the body text states the same figure


class ConfidenceFactor(BaseModel):
    """One entry of a cell's confidence ledger: what was found (``code``) and, in words a
    reviewer can read, why (``reason``, worded from ``code`` and ``params``). The number it stands for is a ``Settings.confidence``
    field, applied by ``nianbao.confidence`` only."""

    code: FactorCode
    reason: str
    # what the reason quotes (the text read, a score, a rule, a count), by name: the words of the
    # reason, in Chinese and English, come from the code and these (``nianbao.wording.factor_words``)
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)


class NoteCode(str, Enum):
    """What a stage noted about a cell that is no confidence factor (it moves no number by itself):
    how its row or its values were read where the printed structure did not give them, a person's
    mark, the body text disagreeing. Its words, English for programmers and 简体中文 for clerks,
    come from the code and the note's parameters (``nianbao.wording.NOTE_WORDS``)."""

    thousands_removed = "thousands_removed"  # "1,234" read as 1234
    no_printed_cell = "no_printed_cell"  # the row printed no cell under this column
    row_not_found = "row_not_found"  # the template row is not in the document
    blanks_dropped = "blanks_dropped"  # surplus blank cells beyond the template's columns dropped
    specks_left_out = "specks_left_out"  # surplus cells of specks only left out: values placed in order
    numbers_in_one_cell = "numbers_in_one_cell"  # one cell held several numbers ("1 0 0 0"): placed in order
    numbers_after_label = "numbers_after_label"  # a row read as one text, its numbers after its label
    header_and_value = "header_and_value"  # each column's header and the value under it read as one cell
    label_and_number = "label_and_number"  # a one-value row's label and number read as one text
    values_beside_label = "values_beside_label"  # no grid read the row: the text lines level with its label
    grid_row_gaps = "grid_row_gaps"  # grid cells of the row unprinted, or not reading as numbers
    row_count_mismatch = "row_count_mismatch"  # the row printed more or fewer values than columns
    rows_read_as_one = "rows_read_as_one"  # table rows the grid read as one, cut by stacked values
    value_line_cut = "value_line_cut"  # a matrix's value line cut into numbers by the gaps in its ink
    words_over_lines = "words_over_lines"  # the structure read from the words: the ruling lines contradicted
    differs_from_text = "differs_from_text"  # the body text states another figure
    corrected = "corrected"  # a reviewer corrected the value
    accepted = "accepted"  # a reviewer accepted the value as read
    read_score = "read_score"  # the reader's score for the text (the review demo)
    faint_print = "faint_print"  # the print is faint (the review demo)
    lookalike_read = "lookalike_read"  # a look-alike character read as a digit (the review demo)
    in_broken_rule = "in_broken_rule"  # the cell is in a broken rule (the review demo)
    recorded = "recorded"  # a note stored as its English only (``params["text"]``), before notes had codes


class CellNote(BaseModel):
    """A note on a cell (``code``, with what it quotes in ``params``), its English ``reason`` (the
    one in ``Cell.reasons``, for programmers) worded from both by ``nianbao.wording.note``, as is its
    Chinese for clerks (``nianbao.wording.note_zh``)."""

    code: NoteCode
    reason: str
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _stored_as_words(cls, data: object) -> object:
        """A note stored as its English only (a document written before notes had codes)."""
        return {"code": NoteCode.recorded, "reason": data, "params": {"text": data}} if isinstance(data, str) else data


class Cell(BaseModel):
    table: TableId
    row: str
    col: str
    value: float | int | None = None
    unit: str | None = None  # "元" / "万元" for money, as read (cell or header); None = unknown
    value_wan: float | None = None  # money value in 万元 when the unit is known
    text: str = ""  # the raw text read for this cell
    kind: CellKind = CellKind.missing
    confidence: float = 0.0  # composed by nianbao.confidence from the evidence below, nowhere else
    read_confidence: float = 0.0  # how sure the reading of the characters is (composed)
    placement_confidence: float = 0.0  # how sure the row/column assignment is (composed)
    # evidence the stages record, from which nianbao.confidence composes the three above
    read_score: float = 0.0  # the reader's own score for the text (OCR score; 1.0 for a text layer)
    placement_score: float = 0.0  # the structure reading's placement of the printed cell (0: row not found)
    factors: list[ConfidenceFactor] = Field(default_factory=list)  # the ledger, in the order recorded
    page: int | None = None  # 1-based
    bbox: BBox | None = None
    reasons: list[str] = Field(default_factory=list)  # why confidence is below 1
    notes: list[CellNote] = Field(default_factory=list)  # the reasons no factor carries, coded (in ``reasons`` too)
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
    half_turn_sure: bool = True  # False: 0° against 180° was decided on too little evidence (scans)


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

"""Pydantic schema of a parsed report and the two national templates, as data."""

from nianbao.models.schema import (
    BBox,
    Cell,
    CellKind,
    CellNote,
    CheckResult,
    CheckStatus,
    ConfidenceFactor,
    Evidence,
    FactorCode,
    Finding,
    MetaField,
    NoteCode,
    PageInfo,
    PageWarp,
    Report,
    ReportMetadata,
    SourceInfo,
    Statement,
    Table,
)
from nianbao.models.document import Document, Row, TableLayout, TextCell
from nianbao.models.template import (
    ColumnSpec,
    ItemSpec,
    RowSpec,
    RuleSpec,
    TableSpec,
    Template,
    TEMPLATE_VERSIONS,
    load_template,
)

__all__ = [
    "BBox", "Cell", "CellKind", "CheckResult", "CheckStatus", "PageInfo", "PageWarp", "Report", "SourceInfo", "Table",
    "CellNote", "ConfidenceFactor", "Evidence", "FactorCode", "Finding", "MetaField", "NoteCode", "ReportMetadata", "Statement",
    "Document", "Row", "TableLayout", "TextCell",
    "ColumnSpec", "ItemSpec", "RowSpec", "RuleSpec", "TableSpec", "Template", "TEMPLATE_VERSIONS", "load_template",
]

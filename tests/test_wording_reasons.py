"""What a clerk reads about a cell is Chinese: every reason a stage records has its wording in
``nianbao.wording``. A reason added without one reached the review page in English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nianbao.models import Document, SourceInfo
from nianbao.pipeline import parse_document
from nianbao.settings import Settings
from nianbao.wording import reason_zh

DATA = Path(__file__).resolve().parent / "data"
STORED = sorted([*(DATA / "intermediates").glob("*.document.json"), *(DATA / "assembly").glob("*.document.json")])
CJK = re.compile(r"[\u4e00-\u9fff]")


def _untranslated(reason: str) -> list[str]:
    """The parts of a recorded reason that came back from :func:`reason_zh` without Chinese."""
    said = reason_zh(reason)
    return [] if CJK.search(said) and not re.search(r"[A-Za-z]{4,} [a-z]{3,}", said) else [reason]


@pytest.mark.parametrize("path", STORED, ids=lambda p: p.name.split(".")[0])
def test_every_reason_of_a_stored_documents_cells_is_said_in_chinese(path):
    doc = Document.model_validate_json(path.read_text(encoding="utf-8"))
    report = parse_document(doc, Settings(), SourceInfo(path=path.name, sha256="", size=0, format="pdf-scan"))
    missing = sorted({r for t in report.tables for c in t.cells for reason in c.reasons for r in _untranslated(reason)})
    assert not missing, missing[:10]


@pytest.mark.parametrize("reason", [
    "the grid gave no row of 15 values: the last line cut into 15 numbers by the gaps in its ink, placed in x order",
    "the grid gave no row of 15 values: the last line cut into 15 numbers by the gaps in its ink, placed in x order, "
    "evenly spaced",
    "one of 3 table rows the grid read as one (their rules lost): cut by the cells' stacked values",
    "7 numbers read at the end of one cell with the label's text: placed in their order",
    "the column's header and the value under it read as one cell: the number its value",
    "the row's label and one number read as one text: the number its value",
    "text lines beside the row's label, level with it (no grid read the row): its values in x order",
])
def test_reasons_the_scan_stage_writes_are_said_in_chinese(reason):
    assert not _untranslated(reason), reason_zh(reason)

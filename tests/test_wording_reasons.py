"""What a clerk reads about a cell is Chinese: every reason a stage records has its wording in
``nianbao.wording``. A reason added without one reached the review page in English. A
confidence factor's reason is worded from its code and parameters (``factor_zh``), a note
(a reason no factor carries) by its pattern (``reason_zh``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nianbao.models import Document, FactorCode, SourceInfo
from nianbao.pipeline import parse_document
from nianbao.settings import Settings
from nianbao.wording import FACTOR_WORDS, factor, factor_zh, reason_zh, why_unsure

DATA = Path(__file__).resolve().parent / "data"
STORED = sorted([*(DATA / "intermediates").glob("*.document.json"), *(DATA / "assembly").glob("*.document.json")])
CJK = re.compile(r"[\u4e00-\u9fff]")


def _untranslated(reason: str, said: str | None = None) -> list[str]:
    """A recorded reason whose Chinese (``said``, else :func:`reason_zh` of it) has none, or
    still has English words in it."""
    said = reason_zh(reason) if said is None else said
    return [] if CJK.search(said) and not re.search(r"[A-Za-z]{4,} [a-z]{3,}", said) else [reason]


@pytest.mark.parametrize("path", STORED, ids=lambda p: p.name.split(".")[0])
def test_every_reason_of_a_stored_documents_cells_is_said_in_chinese(path):
    doc = Document.model_validate_json(path.read_text(encoding="utf-8"))
    report = parse_document(doc, Settings(), SourceInfo(path=path.name, sha256="", size=0, format="pdf-scan"))
    settings = Settings().confidence
    missing = sorted({r for t in report.tables for c in t.cells
                      for reason, said in zip(c.reasons, why_unsure(c, report, settings, lang="zh"))
                      for r in _untranslated(reason, said)})
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


def test_every_factor_code_has_its_words():
    assert set(FACTOR_WORDS) == set(FactorCode)


def test_a_factors_chinese_comes_from_its_code_and_parameters_not_its_english():
    """The Chinese quotes what was read, from the parameters; the English is for programmers
    and no longer the source (a reworded English reason changes nothing a clerk reads)."""
    f = factor(FactorCode.second_look_disagrees, other="O")
    assert f.reason == "a second reading differs: 'O'" and f.params == {"other": "O"}
    assert factor_zh(f) == "再读一次结果不同：'O'"
    f.reason = "reworded for programmers"
    assert factor_zh(f) == "再读一次结果不同：'O'"
    rows = factor(FactorCode.row_unresolved, values=13, columns=12, outcome="ambiguous", placements=3)
    assert factor_zh(rows) == "这一行印了 13 个数，模板有 12 列；有歧义：3 种放法同样符合勾稽关系，用了第一种"
    agrees = factor(FactorCode.text_agrees, sentence="本年度主动公开规章0件。", page=2)
    assert factor_zh(agrees) == "与正文一致：「本年度主动公开规章0件。」（第 2 页）"


def test_a_factor_stored_without_its_parameters_says_its_gist_in_chinese():
    """A report stored before factors kept their parameters: the code still says what it was."""
    from nianbao.models import ConfidenceFactor

    old = ConfidenceFactor(code=FactorCode.second_look_disagrees, reason="a second reading differs: 'O'")
    assert factor_zh(old) == "再读一次结果不同"

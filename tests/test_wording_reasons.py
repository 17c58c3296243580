"""What a clerk reads about a cell is Chinese: every reason a stage records has its wording in
``nianbao.wording``. A reason added without one reached the review page in English. A
confidence factor's reason is worded from its code and parameters (``factor_zh``), as is a note
(a reason no factor carries: ``note_zh``); a note stored as English only is read back into its
code by its words (``reason_zh``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nianbao.models import Document, FactorCode, NoteCode, SourceInfo
from nianbao.pipeline import parse_document
from nianbao.settings import Settings
from nianbao.wording import FACTOR_WORDS, FAULT_WORDS, NOTE_WORDS, factor, factor_zh, note, note_zh, reason_zh, why_unsure

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


# a sample of what each note quotes: every producer's note, by code (``nianbao.wording.note``)
_NOTE_SAMPLES: dict[NoteCode, list[dict]] = {
    NoteCode.blanks_dropped: [{"dropped": 2, "columns": 7}],
    NoteCode.specks_left_out: [{"count": 1, "texts": "'•'"}],
    NoteCode.numbers_in_one_cell: [{"count": 4, "text": "1 0 0 0"}],
    NoteCode.numbers_after_label: [{"count": 7}],
    NoteCode.grid_row_gaps: [{"unprinted": 1, "cells": 7, "garbled": 0}, {"unprinted": 0, "cells": 7, "garbled": 2},
                             {"unprinted": 1, "cells": 7, "garbled": 2}],
    NoteCode.row_count_mismatch: [{"values": 6, "columns": 7}],
    NoteCode.rows_read_as_one: [{"rows": 3}],
    NoteCode.value_line_cut: [{"line": line, "values": 15, "even": even, **strays}
                              for line in ("last_line", "under_title", "under_grid") for even in (False, True)
                              for strays in ({}, {"strays": 2, "stray_texts": "'-', '.'"})],
    NoteCode.words_over_lines: [{code: 3 for code in FAULT_WORDS}, {"no_grid": 0}],
    NoteCode.differs_from_text: [{"sentence": "受理申请 5 件"}],
    NoteCode.corrected: [{"who": "clerk", "at": "2026-01-01T00:00:00Z", "machine": "17"}],
    NoteCode.accepted: [{"who": "clerk", "at": "2026-01-01T00:00:00Z"}],
    NoteCode.read_score: [{"score": 0.46}],
    NoteCode.lookalike_read: [{"change": "Z→2"}],
    NoteCode.recorded: [{"text": "row not found in the document"}],
}


@pytest.mark.parametrize("code", list(NoteCode), ids=lambda c: c.value)
def test_every_note_a_producer_can_emit_is_said_in_chinese_from_its_code(code):
    """A note's Chinese comes from its code and parameters: every code has its words, every
    variant of them Chinese (no English falls through to a clerk), and a reworded English
    reason changes nothing a clerk reads."""
    assert set(NOTE_WORDS) == set(NoteCode)
    for params in _NOTE_SAMPLES.get(code, [{}]):
        n = note(code, **params)
        assert n.reason and not CJK.search(n.reason.split(":")[0]), n.reason
        said = note_zh(n)
        assert not _untranslated(n.reason, re.sub(r"'[^']*'|clerk|\d{4}-\d\d-\d\dT[\d:]+Z", "", said)), said
        n.reason = "reworded for programmers"
        assert note_zh(n) == said and reason_zh(n) == said


def test_note_codes_and_factor_codes_do_not_share_a_value():
    """``why_unsure`` tells affirming factors and notes apart by code in one set."""
    assert not {c.value for c in NoteCode} & {c.value for c in FactorCode}


def test_producers_record_reasons_as_coded_notes_or_factors_only():
    """No stage writes an English reason or cell note straight into a cell: each goes through
    ``nianbao.wording.note`` (or ``factor``), so that its Chinese is worded from its code."""
    root = Path(__file__).resolve().parents[1]
    raw = re.compile(r"""reasons\.append\(\s*f?["']|reasons=\[\s*f?["']|tc\.notes\.append\(\s*f?["']|notes=\[\s*f?["']""")
    found = [f"{p.relative_to(root)}:{i}" for d in ("nianbao", "layout", "ocr") for p in (root / d).rglob("*.py")
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if raw.search(line)]
    assert not found, found


def test_a_stage_note_reaches_the_clerk_from_its_code():
    """A cell whose note says "row not found" reads in Chinese from the note's code, whatever
    its English says."""
    from nianbao.models import Cell

    gone = note(NoteCode.row_not_found)
    cell = Cell(table="applications", row="new_received", col="natural_person", reasons=["reworded"],
                notes=[gone.model_copy(update={"reason": "reworded"})])
    assert why_unsure(cell, None, Settings().confidence)[0] == "文件中找不到这一行"

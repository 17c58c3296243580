"""The problem list: a report's broken rules, missing tables and text/table disagreements in
Chinese words that name the printed table, row and column; statuses after review; the XLSX an
office sends out (one row per problem, text never a formula)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nianbao.corrections import Correction
from nianbao.models import FactorCode, Report
from nianbao.problems import ReportProblems, cells_to_review, report_problems, write_problems_xlsx
from nianbao.review.demo import make_demo
from nianbao.settings import ConfidenceSettings
from nianbao.wording import why_unsure


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Report:
    return Report.model_validate_json(make_demo(tmp_path_factory.mktemp("demo")).read_text("utf-8"))


def test_broken_rules_in_plain_chinese(demo):
    probs = report_problems(demo)
    rules = [p for p in probs if p.kind == "rule"]
    assert len(rules) == 2 and all(p.status == "open" for p in rules)
    row_total = next(p for p in rules if p.ref.startswith("applications.row_total"))
    # the misread 17 (printed 12) makes the row sum 20 where 15 is printed
    assert row_total.message == ("表三 一、本年新收政府信息公开申请数量 行 · 总计 列：印刷 15，"
                                 "自然人与法人或其他组织各项之和为 20")
    assert (row_total.table, row_total.col, row_total.printed) == ("表三", "总计", "15")
    assert row_total.cells[0] == "applications.new_received.total"
    balance = next(p for p in rules if p.ref.startswith("applications.balance"))
    assert balance.col == "自然人" and "第一项加第二项之和为 18" in balance.message
    assert balance.confidence == pytest.approx(0.23)


def test_correcting_the_misread_cell_resolves_both_rules(demo):
    fix = Correction(who="clerk", action="correct", table="applications", row="new_received", col="natural_person",
                     old_value=17, new_value=12, machine_value=17, machine_confidence=0.23)
    probs = [p for p in report_problems(demo, [fix]) if p.kind == "rule"]
    assert [p.status for p in probs] == ["resolved", "resolved"]
    assert all(p.status_zh.startswith("复核后已成立") for p in probs)
    before, after = cells_to_review(demo, 0.9), cells_to_review(demo, 0.9, [fix])
    assert before[0] == ("applications", "new_received", "natural_person")  # lowest confidence first
    assert after == before[1:]


def test_every_capped_cell_says_why_in_words(demo):
    for cell in demo.cells():
        if cell.confidence < 0.9:
            words = why_unsure(cell, demo, ConfidenceSettings())
            assert words and all(w and not w.startswith(("rule ", "in a broken")) for w in words), (cell.key, words)
    c = demo.table("applications").cell("new_received", "natural_person")
    assert why_unsure(c, demo, ConfidenceSettings())[0] == "文字识别把握度 0.46"


def test_uncapped_reason_derived_for_scan_cells_without_one(demo):
    """An OCR'd number no rule confirms is capped at 0.89 without a recorded reason: the words
    come from its kind and the cap."""
    cell = demo.table("applications").cell("disclosed", "natural_person").model_copy()
    cell.reasons, cell.read_confidence, cell.placement_confidence, cell.confidence = [], 0.99, 1.0, 0.89
    (words,) = why_unsure(cell, demo, ConfidenceSettings())
    assert "没有一条勾稽关系能核对它" in words and "0.89" in words


def test_missing_table_is_a_problem(demo):
    r = demo.model_copy(deep=True)
    r.table("applications").found = False
    missing = [p for p in report_problems(r) if p.kind == "table_missing"]
    assert missing and missing[0].message.startswith("表三（三、收到和处理政府信息公开申请情况）没有在文件中找到")


def test_problem_xlsx_one_row_per_problem_and_no_formulas(demo, tmp_path: Path):
    from openpyxl import load_workbook

    out = tmp_path / "问题清单.xlsx"
    n = write_problems_xlsx([ReportProblems("=1+2+cmd.pdf", "=HYPERLINK(\"x\")某局", 2021, report_problems(demo))], out)
    assert n == 2
    ws = load_workbook(out).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:8] == ("机关", "年度", "文件", "问题类别", "表", "行", "列", "印刷数值")
    assert len(rows) == 3 and all(r[3] == "勾稽关系不成立" and r[11] == "待处理" for r in rows[1:])
    for row in ws.iter_rows(min_row=2):
        assert row[0].data_type == "s" and row[2].data_type == "s"  # a name starting with = stays text
        assert row[0].quotePrefix and row[2].quotePrefix  # and stays text when edited (nianbao.output.keep_as_text)
        assert not row[1].quotePrefix  # the year is a number


def test_problem_xlsx_drops_control_characters_instead_of_failing(demo, tmp_path: Path):
    """A name with a control character (a PDF text layer carries them) is written without it,
    as the data set's XLSX does; openpyxl would refuse the whole file otherwise."""
    from openpyxl import load_workbook

    out = tmp_path / "p.xlsx"
    write_problems_xlsx([ReportProblems("a\x07b.pdf", "某\x0b局", 2021, report_problems(demo))], out)
    row = next(load_workbook(out).active.iter_rows(min_row=2, values_only=True))
    assert row[0] == "某局" and row[2] == "ab.pdf"


@pytest.mark.parametrize("recorded", [
    "OCR read confidence 0.46", "no printed cell for this column", "row not found in the document",
    "differs from the body text: 「受理申请 5 件」", "dropped 2 blank cell(s) beyond the 7 columns",
    "1 of 7 grid cells of the row have no printed cell; 2 cell(s) do not read as numbers",
    "row printed 6 values for 7 columns", "corrected by clerk at 2026-01-01T00:00:00Z (machine read 17)",
])
def test_recorded_notes_read_in_chinese(recorded):
    """The notes the parser records (English, for programmers; no factor code) read in Chinese
    for clerks; only the printed text they quote keeps its letters."""
    from nianbao.wording import reason_zh

    _assert_chinese(reason_zh(recorded))


def _assert_chinese(words: str) -> None:
    import re

    unquoted = re.sub(r"'[^']*'|「[^」]*」|\d{4}-\d\d-\d\dT[\d:]+Z|clerk", "", words)
    assert not re.search(r"[A-Za-z]{3,}", unquoted), words


_F = FactorCode
_SAMPLE_PARAMS: dict[FactorCode, dict] = {
    _F.slash_by_shape: {"read": "1"}, _F.second_look_not_number: {"read": "O"}, _F.second_look_disagrees: {"other": "8"},
    _F.second_look_disagrees_not_number: {"other": "B"}, _F.lookalike: {"read": "O1", "digits": "01"},
    _F.single_lookalike: {"read": "O", "digits": "0"}, _F.speck_dropped: {"read": "501•", "digits": "501"}, _F.not_a_number: {"text": "W0"},
    _F.row_label_fair: {"score": 0.72, "label": "一、本年新收"}, _F.row_label_weak: {"score": 0.61, "label": "一、本年新收"},
    _F.row_by_position: {"label": "一、本年"}, _F.row_by_position_anchored: {"label": ""},
    _F.placed_by_rules: {"values": 6, "columns": 7, "outcome": "chosen"},
    _F.row_unresolved: {"values": 5, "columns": 7, "outcome": "ambiguous", "placements": 2},
    _F.page_turn_unsure: {"rotation": 180, "votes": "cls_0 3, cls_180 4"},
    _F.breaks_rule: {"rule": "applications.total", "subject": "natural_person", "equation": "5 = 2 + 2"},
    _F.derived_cap: {"cap": 0.55}, _F.confirmed_by_rules: {"rules": 2}, _F.confirmed_by_one_rule: {"rules": 1},
    _F.failure_points_elsewhere: {"culprit": "applications.disclosed.total", "culprit_zh": "表三 （一）予以公开 行 · 总计 列",
                                  "rules": 1},
    _F.confirmed_via_unread: {"unread": "applications.disclosed.total", "unread_zh": "表三 （一）予以公开 行 · 总计 列",
                              "rules": 2},
    _F.unconfirmed_ocr: {"cap": 0.89}, _F.text_agrees: {"sentence": "受理申请 5 件", "page": 2},
}


@pytest.mark.parametrize("code", list(FactorCode), ids=lambda c: c.value)
def test_factor_reasons_read_in_chinese(code):
    """Every confidence factor reads in Chinese from its code and parameters, and in English
    for programmers; only the printed text it quotes keeps its letters."""
    from nianbao.wording import factor, factor_zh

    f = factor(code, **_SAMPLE_PARAMS.get(code, {}))
    assert f.reason and not re.search(r"[\u4e00-\u9fff]", f.reason.split(":")[0])
    _assert_chinese(factor_zh(f))

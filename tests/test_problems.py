"""The problem list: a report's broken rules, missing tables and text/table disagreements in
Chinese words that name the printed table, row and column; statuses after review; the XLSX an
office sends out (one row per problem, text never a formula)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nianbao.corrections import Correction
from nianbao.models import Report
from nianbao.problems import ReportProblems, cells_to_review, report_problems, write_problems_xlsx
from nianbao.review.demo import make_demo
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
            words = why_unsure(cell, demo)
            assert words and all(w and not w.startswith(("rule ", "in a broken")) for w in words), (cell.key, words)
    c = demo.table("applications").cell("new_received", "natural_person")
    assert why_unsure(c, demo)[0] == "文字识别把握度 0.46"


def test_uncapped_reason_derived_for_scan_cells_without_one(demo):
    """An OCR'd number no rule confirms is capped at 0.89 without a recorded reason: the words
    come from its kind and the cap."""
    cell = demo.table("applications").cell("disclosed", "natural_person").model_copy()
    cell.reasons, cell.read_confidence, cell.placement_confidence, cell.confidence = [], 0.99, 1.0, 0.89
    (words,) = why_unsure(cell, demo)
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

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
    "OCR read confidence 0.46", "row label matched weakly (0.61): '一、本年新收'",
    "row label missing; placed by position between matched rows", "no printed cell for this column",
    "row label unreadable: '一、本年'; placed by position; 1 cell(s) do not read as numbers",
    "row not found in the document", "not read; derived from the consistency rules",
    "value not printed in its own cell; derived from the consistency rules",
    "a column that may be negative: a faint minus sign is easily lost", "a lone stroke read as 1 may be a printed '/'",
    "a blank or dash on a scan may be a number the scan lost", "differs from the body text: 「受理申请 5 件」",
    "dropped 2 blank cell(s) beyond the 7 columns", "look-alike characters read as digits: 'O1' → '01'",
    "1 of 7 grid cells of the row have no printed cell; 2 cell(s) do not read as numbers",
    "row printed 6 values for 7 columns; placement chosen by the consistency rules",
    "row printed 5 values for 7 columns; ambiguous: 2 placements fit the rules equally, first one used",
    "not a number: 'W0'", "negative number where the template expects a count",
    "corrected by clerk at 2026-01-01T00:00:00Z (machine read 17)",
    "row label matched fairly (0.72): '一、本年新收'", "no ink in the cell: read as blank",
    "the stroke leans like '/': read as '/', not '1'", "read as '/' but the stroke stands upright like a 1",
    "a second reading agrees on 'O', which is not a number", "a second reading differs: '8'",
    "a second reading differs ('B') and neither reads as a number",
    "the ruling lines and the words place this cell differently",
    "placed by the consistency rules (its row was not found)", "derived from the consistency rules: at most 0.55",
    "an OCR reading no consistency rule confirms: at most 0.89",
])
def test_recorded_reasons_read_in_chinese(recorded):
    """The reasons the parser records (English, for programmers) read in Chinese for clerks;
    only the printed text they quote keeps its letters."""
    import re

    from nianbao.wording import reason_zh

    words = reason_zh(recorded)
    unquoted = re.sub(r"'[^']*'|「[^」]*」|\d{4}-\d\d-\d\dT[\d:]+Z|clerk", "", words)
    assert not re.search(r"[A-Za-z]{3,}", unquoted), words

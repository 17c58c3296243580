"""Who has not reported: roster files (CSV in UTF-8 or GBK, XLSX, with or without a year) matched
against reports with the agency-name normalisation of the cross-year checks; unmatched reports
are listed, never dropped."""

from __future__ import annotations

import io

import pytest

from nianbao.roster import RosterError, Submitted, read_roster, roster_view

ROSTER = "机关,地区,层级\n金贵镇,贺兰县,乡镇\n贺兰县交通运输局,贺兰县,部门\n立岗镇人民政府,贺兰县,乡镇\n习岗镇,贺兰县,乡镇\n"


def _reports():
    return [
        Submitted("a", "贺兰县金贵镇人民政府", 2022),  # region + name, 人民政府 dropped
        Submitted("b", "贺兰县 交通运输局", 2023, problems=2),  # spaces, and problems
        Submitted("c", "某某市统计局", 2023),  # on no roster line
        Submitted("d", "立岗镇", 2022),  # the tail of one roster name
        Submitted("e", "贺兰县交通运输局", 2022, failed=True),
        Submitted("f", "无年度局", None),
    ]


def test_matrix_submitted_missing_problems_and_unmatched():
    v = roster_view(read_roster(ROSTER.encode("gbk"), "名单.csv"), _reports())
    assert v.years == [2022, 2023]
    states = {a.agency: [v.matrix[(i, y)].state for y in v.years] for i, a in enumerate(v.agencies)}
    assert states == {"金贵镇": ["ok", "missing"], "贺兰县交通运输局": ["problems", "problems"],
                      "立岗镇人民政府": ["ok", "missing"], "习岗镇": ["missing", "missing"]}
    assert [r.agency for r in v.unmatched] == ["某某市统计局"]
    assert [r.agency for r in v.undated] == ["无年度局"]
    assert v.counts(2023) == {"ok": 0, "problems": 1, "missing": 3, "not_due": 0}


def test_per_year_roster_marks_years_not_due():
    text = "单位名称,所属地区,级别,年度\n金贵镇,贺兰县,乡镇,2022年\n金贵镇,贺兰县,乡镇,2023\n习岗镇,贺兰县,乡镇,2023\n"
    v = roster_view(read_roster(text.encode("utf-8-sig"), "r.csv"), _reports())
    xi = next(i for i, a in enumerate(v.agencies) if a.agency == "习岗镇")
    assert v.matrix[(xi, 2022)].state == "not_due" and v.matrix[(xi, 2023)].state == "missing"
    assert len(v.agencies) == 2


def test_xlsx_roster_and_ambiguous_tail_stays_unmatched():
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["机关", "地区", "层级"])
    ws.append(["甲县新华街道", "甲县", "街道"])
    ws.append(["乙县新华街道", "乙县", "街道"])
    buf = io.BytesIO()
    wb.save(buf)
    roster = read_roster(buf.getvalue(), "roster.xlsx")
    v = roster_view(roster, [Submitted("x", "新华街道办事处", 2024), Submitted("y", "甲县新华街道", 2024)])
    assert [r.ref for r in v.unmatched] == ["x"]  # tail of two names: shown, not guessed
    assert v.matrix[(0, 2024)].state == "ok" and v.matrix[(1, 2024)].state == "missing"


@pytest.mark.parametrize("data,name,words", [
    (b"", "r.csv", "空"), (b"\x00\x01garbage", "r.xlsx", "不是可读的 XLSX"), (b"a,b", "r.pdf", "CSV 或 XLSX"),
])
def test_bad_roster_files_say_why(data, name, words):
    with pytest.raises(RosterError, match=words):
        read_roster(data, name)


def test_stored_roster_csv_neutralises_formula_names_and_reads_back_the_same():
    """The office's roster is stored as CSV (nianbao.roster.roster_csv): a name a spreadsheet
    would run gets the leading quote of every nianbao CSV, and reading the stored file gives
    the name back unchanged."""
    from nianbao.roster import roster_csv

    entries = read_roster("机关,地区,层级\n=HYPERLINK(\"x\")局,@地区,部门\n金贵镇,贺兰县,乡镇\n".encode(), "名单.csv")
    stored = roster_csv(entries)
    assert '\n"\'=HYPERLINK' in stored and ",'@地区," in stored
    again = read_roster(stored.encode(), "roster.csv")
    assert [(e.agency, e.region) for e in again] == [(e.agency, e.region) for e in entries]
    assert again[0].agency == '=HYPERLINK("x")局'

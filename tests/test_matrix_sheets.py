"""The printed matrices in the XLSX export carry their group header rows: 申请人情况 and
法人或其他组织 above the applicant columns, 行政复议 / 行政诉讼 · 未经复议直接起诉 / 复议后起诉
above the review and litigation columns (the template labels repeat across groups)."""

from __future__ import annotations

import pytest

from report_text import parse_text, report_text

openpyxl = pytest.importorskip("openpyxl")


def _rows(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_matrix_sheets_have_group_header_rows(tmp_path):
    from nianbao.dataset import export

    report = parse_text(report_text(agency="青山县白河镇", year=2022, version="2021"))
    (tmp_path / "a.json").write_text(report.model_dump_json(), encoding="utf-8")
    out = tmp_path / "x.xlsx"
    export(tmp_path, "xlsx", out)
    wb = openpyxl.load_workbook(out)

    rows = _rows(wb["applications"])
    labels = next(i for i, r in enumerate(rows) if "商业企业" in r)
    col = rows[labels].index("商业企业")
    assert rows[labels - 1][col] == "法人或其他组织"
    assert rows[labels - 1][rows[labels].index("科研机构")] is None  # one name over its span
    assert rows[labels - 2][rows[labels].index("自然人")] == "申请人情况"

    rows = _rows(wb["reviews_litigation"])
    labels = next(i for i, r in enumerate(rows) if r.count("结果维持") == 3)
    firsts = [i for i, v in enumerate(rows[labels]) if v == "结果维持"]
    assert [rows[labels - 2][i] for i in firsts] == ["行政复议", "行政诉讼", None]
    assert [rows[labels - 1][i] for i in firsts] == [None, "未经复议直接起诉", "复议后起诉"]

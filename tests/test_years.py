"""Across years (issue #8 part 3): one agency's consecutive reports, grouped by normalised
name, checked for 结转 continuity and (2021 tables) 现行有效 continuity; `nianbao check`."""

from __future__ import annotations

import csv
import json

from report_text import parse_text, report_text
from typer.testing import CliRunner

from nianbao.cli import app
from nianbao.check import load_views
from nianbao.years import ReportView, check_views, findings_table, group_by_agency

A, AD = "applications", "active_disclosure"


def _cells(**rows: tuple[int, int]) -> dict:
    """{row: (natural_person, total)} → printed cells."""
    out = {}
    for row, (np_, total) in rows.items():
        out[(A, row, "natural_person")] = str(np_)
        out[(A, row, "total")] = str(total)
    return out


def _pair(carried_over_next: str = "1"):
    """2020 ends with 2 applications carried forward; 2021 starts with ``carried_over_next``."""
    y2020 = parse_text(report_text("青山县白河镇", 2020, "2019",
                                   _cells(new_received=(3, 3), disclosed=(1, 1), result_total=(1, 1),
                                          carried_forward=(2, 2))), "白河镇2020.txt")
    co = int(carried_over_next) if carried_over_next.isdigit() else 0
    cells = _cells(new_received=(0, 0), disclosed=(co, co), result_total=(co, co))
    cells[(A, "carried_over", "natural_person")] = carried_over_next
    cells[(A, "carried_over", "total")] = carried_over_next
    y2021 = parse_text(report_text("白河镇人民政府", 2021, "2021", cells, spacer=False), "白河镇2021.txt", exact=True)
    return y2020, y2021


def test_broken_carry_forward_is_one_finding_per_column_with_both_reports():
    y2020, y2021 = _pair("1")
    assert not [c for c in y2020.checks + y2021.checks if c.status.value == "failed"]
    res = check_views([ReportView.from_report(y2020), ReportView.from_report(y2021)])
    assert res.groups == 1 and res.pairs == 1
    assert [(f.kind, f.subject, f.year) for f in res.findings] == [
        ("carried_forward", "applications.natural_person", 2021), ("carried_forward", "applications.total", 2021)]
    f = res.findings[1]
    assert [(e.report, e.year, e.cell, e.value) for e in f.sources] == [
        ("白河镇2020.txt", 2020, "applications.carried_forward.total", 2),
        ("白河镇2021.txt", 2021, "applications.carried_over.total", 1)]
    assert "2 ≠ 1" in f.message
    assert res.held == 5  # the five organisation columns carry 0 → 0
    # nothing rewritten
    assert y2021.table(A).cell("carried_over", "total").value == 1


def test_continuity_that_holds_and_dash_that_cannot_be_assessed():
    y2020, y2021 = _pair("2")
    res = check_views([ReportView.from_report(y2020), ReportView.from_report(y2021)])
    assert res.findings == [] and res.held == 7
    y2020, y2021 = _pair("/")
    res = check_views([ReportView.from_report(y2020), ReportView.from_report(y2021)])
    assert res.findings == []
    assert len(res.not_assessable) == 2 and all("carried_over" in x and "/" in x for x in res.not_assessable)


def _in_force(year: int, regs: tuple[int, int, int], docs: tuple[int, int, int]):
    cells = {}
    for row, (issued, repealed, in_force) in (("regulations", regs), ("normative_documents", docs)):
        cells[(AD, f"art20_1.{row}", "issued_this_year")] = str(issued)
        cells[(AD, f"art20_1.{row}", "repealed_this_year")] = str(repealed)
        cells[(AD, f"art20_1.{row}", "in_force")] = str(in_force)
    return parse_text(report_text("江州市自然资源局", year, "2021", cells), f"自然资源局{year}.txt")


def test_in_force_continuity_2021_tables():
    r1 = _in_force(2021, (0, 0, 5), (3, 1, 20))
    r2 = _in_force(2022, (2, 1, 7), (4, 2, 22))  # 规章: 5 + 2 − 1 = 6, printed 7; 文件: 20 + 4 − 2 = 22
    res = check_views([ReportView.from_report(r2), ReportView.from_report(r1)])
    assert [(f.kind, f.subject) for f in res.findings] == [("in_force", "active_disclosure.art20_1.regulations")]
    f = res.findings[0]
    assert [(e.year, e.cell.rsplit(".", 1)[1], e.value) for e in f.sources] == [
        (2022, "in_force", 7), (2021, "in_force", 5), (2022, "issued_this_year", 2), (2022, "repealed_this_year", 1)]
    assert "7 ≠ 6" in f.message


def _view(agency: str, year: int, sha: str) -> ReportView:
    return ReportView(ref=f"{agency}{year}", sha256=sha, agency=agency, year=year, template_version="2019")


def test_grouping_keeps_levels_apart_and_joins_short_names():
    views = [_view("青山县白河镇", 2020, "a"), _view("白河镇人民政府", 2021, "b"), _view("青山县人民政府", 2020, "c"),
             _view("青山县", 2021, "d"), _view("江州市自然资源局", 2020, "e"), _view("江州市人民政府", 2020, "f"),
             _view("东林街道办事处", 2020, "g"), _view("东林街道", 2021, "h"), _view("青山县白河镇", 2020, "a")]
    groups = group_by_agency(views)
    assert {k: [v.sha256 for v in g] for k, g in groups.items()} == {
        ("青山县白河镇", "乡镇"): ["a", "b"], ("青山县", "县区"): ["c", "d"], ("江州市自然资源局", "部门"): ["e"],
        ("江州市", "市"): ["f"], ("东林街道", "街道"): ["g", "h"]}
    # a short name that fits two agencies is not joined to either
    groups = group_by_agency([_view("青山县白河镇", 2020, "a"), _view("黑山县白河镇", 2020, "b"), _view("白河镇", 2021, "c")])
    assert sorted(groups) == [("白河镇", "乡镇"), ("青山县白河镇", "乡镇"), ("黑山县白河镇", "乡镇")]


def test_check_command_on_a_batch_folder(tmp_path):
    y2020, y2021 = _pair("1")
    text_report = parse_text(report_text("青山县白河镇", 2019, "2019", body=["共受理政府信息公开申请4件。"]), "白河镇2019.txt")
    folder = tmp_path / "results"
    folder.mkdir()
    for r, name in ((y2020, "a.json"), (y2021, "b.json"), (text_report, "c.json")):
        (folder / name).write_text(r.model_dump_json(indent=1), encoding="utf-8")
    out_json, out_csv = tmp_path / "f.json", tmp_path / "f.csv"
    res = CliRunner().invoke(app, ["check", str(folder), "--json", str(out_json), "--csv", str(out_csv)])
    assert res.exit_code == 0, res.output
    data = json.loads(out_json.read_text("utf-8"))
    assert [(f["kind"], f["year"]) for f in data] == [("text_vs_table", 2019), ("carried_forward", 2021),
                                                    ("carried_forward", 2021)]
    rows = list(csv.DictReader(out_csv.open(encoding="utf-8-sig")))
    assert len(rows) == 3 and rows[0]["text"] == "共受理政府信息公开申请4件。"
    assert "carried_forward" in res.output and "3 finding(s)" in res.output
    views = load_views(folder)
    assert len(views) == 3
    table = findings_table([y2020, y2021, text_report])
    assert [r["kind"] for r in table] == ["text_vs_table", "carried_forward", "carried_forward"]


def test_check_over_a_dataset_export(tmp_path):
    from nianbao.dataset import export

    y2020, y2021 = _pair("1")
    folder = tmp_path / "results"
    folder.mkdir()
    for r, name in ((y2020, "a.json"), (y2021, "b.json")):
        (folder / name).write_text(r.model_dump_json(indent=1), encoding="utf-8")
    export(folder, "csv", tmp_path / "long.csv")
    res = check_views(load_views(tmp_path / "long.csv"))
    assert [(f.kind, f.subject) for f in res.findings] == [
        ("carried_forward", "applications.natural_person"), ("carried_forward", "applications.total")]


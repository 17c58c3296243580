"""Foundation: born-digital PDF, HTML and docx inputs parse exactly; numbers; versions; bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nianbao.errors import InputFileError, NotAReportError
from nianbao.models import CellKind, CheckStatus, FactorCode, load_template
from nianbao.numbers import parse_cell
from nianbao.pipeline import parse_file

DATA = Path(__file__).parent / "data"
TRUTH = json.loads((DATA / "foundation_truth.json").read_text("utf-8"))


def _values(report):
    return {f"{c.table}.{c.row}.{c.col}": c for c in report.cells()}


@pytest.mark.parametrize("name", ["report_2022_city_bureau.html", "report_2022_city_bureau.pdf"])
def test_born_digital_and_html_report_parse_exactly(name):
    report = parse_file(DATA / name)
    assert report.template_version == "2021"
    assert report.agency == "某市生态环境局" and report.year == 2022
    got = _values(report)
    assert set(got) == set(TRUTH)
    for key, want in TRUTH.items():
        assert got[key].value == pytest.approx(want), key
        assert got[key].confidence >= 0.9, (key, got[key].reasons)
    assert all(c.status == CheckStatus.passed for c in report.checks)
    fees = got["active_disclosure.art20_8.fees.amount"]
    assert fees.unit == "万元" and fees.value_wan == pytest.approx(328.65)


def test_text_layer_pdf_cells_carry_page_and_box():
    report = parse_file(DATA / "report_2022_city_bureau.pdf")
    cell = report.table("applications").cell("new_received", "total")
    assert cell.page is not None and cell.bbox is not None
    page = report.pages[cell.page - 1]
    x0, y0, x1, y1 = cell.bbox
    assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height


def test_docx_report_parses(tmp_path, seeds_dir):
    """A Word file: tables with one row per printed row (made from seed 004's text)."""
    docx = pytest.importorskip("docx")
    d = docx.Document()
    text = next(seeds_dir.glob("004_*.txt")).read_text("utf-8")
    table_rows: list[list[str]] = []

    def flush():
        if table_rows:
            width = max(len(r) for r in table_rows)
            t = d.add_table(rows=len(table_rows), cols=width)
            for i, r in enumerate(table_rows):
                for j, v in enumerate(r):
                    t.cell(i, j).text = v
            table_rows.clear()

    for line in text.splitlines():
        if "\t" in line:
            table_rows.append(line.split("\t"))
        else:
            flush()
            if line.strip():
                d.add_paragraph(line)
    flush()
    path = tmp_path / "湖沟镇.docx"
    d.save(path)
    report = parse_file(path)
    assert report.source.format == "docx"
    ad = report.table("active_disclosure")
    assert ad.cell("art20_5.other_services", "decisions").value == 499
    assert ad.cell("art20_9.procurement", "amount").value == pytest.approx(2192.63)
    assert all(c.value == 0 for c in report.table("applications").cells)


MIXED_2021 = """某县某镇2021年政府信息公开工作年度报告
二、主动公开政府信息情况
第二十条第（一）项
信息内容\t本年制发件数\t本年废止件数\t现行有效件数
规章\t0\t0\t0
行政规范性文件\t2\t1\t9
其他主动公开文件\t5\t0\t5
第二十条第（五）项
信息内容\t本年处理决定数量
行政许可\t120
第二十条第（六）项
信息内容\t本年处理决定数量
行政处罚\t-
行政强制\t/
第二十条第（八）项
信息内容\t本年收费金额（单位：万元）
行政事业性收费\t1,234.5
三、收到和处理政府信息公开申请情况
（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\t申请人情况
自然人\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t总计
一、本年新收政府信息公开申请数量\t３\t0\t0\t0\t0\t0\t３
二、上年结转政府信息公开申请数量\t0\t0\t0\t0\t0\t0\t0
三、本年度办理结果\t（一）予以公开\t2\t0\t0\t0\t0\t0\t2
（二）部分公开（区分处理的，只计这一情形，不计其他情形）\t0\t0\t0\t0\t0\t0\t0
（三）不予公开\t1.属于国家秘密\t0\t0\t0\t0\t0\t0\t0
2.其他法律行政法规禁止公开\t0\t0\t0\t0\t0\t0\t0
3.危及“三安全一稳定”\t0\t0\t0\t0\t0\t0\t0
4.保护第三方合法权益\t0\t0\t0\t0\t0\t0\t0
5.属于三类内部事务信息\t0\t0\t0\t0\t0\t0\t0
6.属于四类过程性信息\t0\t0\t0\t0\t0\t0\t0
7.属于行政执法案卷\t0\t0\t0\t0\t0\t0\t0
8.属于行政查询事项\t0\t0\t0\t0\t0\t0\t0
（四）无法提供\t1.本机关不掌握相关政府信息\t1\t0\t0\t0\t0\t0\t1
2.没有现成信息需要另行制作\t0\t0\t0\t0\t0\t0\t0
3.补正后申请内容仍不明确\t0\t0\t0\t0\t0\t0\t0
（五）不予处理\t1.信访举报投诉类申请\t0\t0\t0\t0\t0\t0\t0
2.重复申请\t0\t0\t0\t0\t0\t0\t0
3.要求提供公开出版物\t0\t0\t0\t0\t0\t0\t0
4.无正当理由大量反复申请\t0\t0\t0\t0\t0\t0\t0
5.要求行政机关确认或重新出具已获取信息\t0\t0\t0\t0\t0\t0\t0
（六）其他处理\t0\t0\t0\t0\t0\t0\t0
（七）总计\t3\t0\t0\t0\t0\t0\t3
四、结转下年度继续办理\t0\t0\t0\t0\t0\t0\t0
四、政府信息公开行政复议、行政诉讼情况
行政复议\t行政诉讼
结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t未经复议直接起诉\t复议后起诉
0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0
五、存在的主要问题及改进情况
"""


def test_mixed_version_keeps_printed_other_handling_row(tmp_path):
    """2021 第二十条 tables with the 2019 single （六）其他处理 row: output what is printed."""
    path = tmp_path / "mixed.txt"
    path.write_text(MIXED_2021, "utf-8")
    report = parse_file(path)
    assert report.template_version == "2021"
    app = report.table("applications")
    assert app.cell("other_handling", "total").value == 0
    sub = [c for c in app.cells if c.row in ("other_no_correction", "other_no_fee", "other_other")]
    assert len(sub) == 21 and all(c.value is None and c.confidence == 0 for c in sub)
    assert app.cell("new_received", "natural_person").value == 3  # full-width digits
    assert all(c.status != CheckStatus.failed for c in report.checks)
    ad = report.table("active_disclosure")
    assert ad.cell("art20_1.other_documents", "issued_this_year").value == 5  # provincial row kept
    assert ad.cell("art20_1.normative_documents", "in_force").value == 9
    assert ad.cell("art20_5.licensing", "decisions").value == 120
    assert ad.cell("art20_6.penalty", "decisions").kind == CellKind.dash
    assert ad.cell("art20_6.penalty", "decisions").value is None
    fees = ad.cell("art20_8.fees", "amount")
    assert fees.value == pytest.approx(1234.5) and fees.unit == "万元"


def test_broken_rule_is_reported_and_lowers_confidence_without_rewriting(tmp_path):
    text = MIXED_2021.replace("（七）总计\t3\t0\t0\t0\t0\t0\t3", "（七）总计\t3\t0\t0\t0\t0\t0\t4")
    path = tmp_path / "broken.txt"
    path.write_text(text, "utf-8")
    report = parse_file(path)
    failed = {(c.rule, c.subject) for c in report.checks if c.status == CheckStatus.failed}
    assert ("applications.row_total", "result_total") in failed
    cell = report.table("applications").cell("result_total", "total")
    assert cell.value == 4  # never rewritten
    assert cell.confidence < 0.9
    assert any("applications.row_total" in r for r in cell.reasons)


@pytest.mark.parametrize("text,value,kind,unit", [
    ("０", 0, CellKind.zero, None), ("１２", 12, CellKind.number, None), ("1,234", 1234, CellKind.number, None),
    ("-8", -8, CellKind.number, None), ("328.65 万元", 328.65, CellKind.number, "万元"),
    ("2792220.8元", 2792220.8, CellKind.number, "元"), ("—", None, CellKind.dash, None), ("/", None, CellKind.dash, None),
    ("无", None, CellKind.dash, None), ("", None, CellKind.blank, None), ("  ", None, CellKind.blank, None),
])
def test_numbers_as_printed(text, value, kind, unit):
    pv = parse_cell(text, signed=True)
    assert pv.value == value and pv.kind == kind and pv.unit == unit and pv.factors == []


def test_ocr_lookalikes_are_read_with_lowered_confidence():
    pv = parse_cell("l2O")
    assert pv.value == 120 and [f.code for f in pv.factors] == [FactorCode.lookalike]
    assert "look-alike" in pv.factors[0].reason


def test_template_versions_are_data():
    t19, t21 = load_template("2019"), load_template("2021")
    assert len(t19.table("applications").canonical_keys()) == 23 * 7
    assert len(t21.table("applications").canonical_keys()) == 25 * 7
    assert [i.id for i in t19.table("active_disclosure").items] == ["art20_1", "art20_5", "art20_6", "art20_8", "art20_9"]
    assert [i.id for i in t21.table("active_disclosure").items] == ["art20_1", "art20_5", "art20_6", "art20_8"]


@pytest.mark.parametrize("name,reason", [
    ("encrypted.pdf", "encrypted"), ("truncated.pdf", "corrupt"),
])
def test_bad_pdf_fails_with_the_reason(name, reason):
    with pytest.raises(InputFileError, match=reason) as info:
        parse_file(DATA / name)
    assert name in str(info.value)


def test_not_a_report_is_named(tmp_path):
    with pytest.raises(NotAReportError, match="not_a_report.pdf"):
        parse_file(DATA / "not_a_report.pdf")


def test_missing_empty_and_binary_files(tmp_path):
    with pytest.raises(InputFileError, match="not found"):
        parse_file(tmp_path / "nope.pdf")
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError, match="empty"):
        parse_file(empty)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(InputFileError, match="binary"):
        parse_file(junk)


def test_cli_bad_files_fail_alone_without_traceback(tmp_path, seeds_dir):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 20)
    seed = next(seeds_dir.glob("003_*.txt"))
    proc = subprocess.run([sys.executable, "-m", "nianbao.cli", "parse", str(tmp_path / "missing.pdf"), str(junk),
                           str(DATA / "encrypted.pdf"), str(seed), "--format", "csv"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "missing.pdf: file not found" in proc.stderr
    assert "junk.bin: binary data" in proc.stderr
    assert "encrypted.pdf: PDF is encrypted" in proc.stderr
    assert len(proc.stdout.splitlines()) == 1 + 198  # the good file was still parsed


def test_cli_schema_prints_json_schema():
    out = subprocess.run([sys.executable, "-m", "nianbao.cli", "schema"], capture_output=True, text=True, check=True).stdout
    schema = json.loads(out)
    assert "Cell" in schema["$defs"] and "CheckResult" in schema["$defs"]


def test_image_less_pdf_fails_with_the_reason():
    with pytest.raises(InputFileError, match="no text layer and no images"):
        parse_file(DATA / "blank_page.pdf")


def test_sum_of_results_is_checked_when_the_2019_other_handling_row_stands_for_the_2021_rows(tmp_path):
    """A 2021 report printing the 2019 single （六）其他处理 row: the three 2021 sub-rows are
    not printed, and with them in the sum （七）总计 = （一）+…+（六） was never assessable,
    so an agency's arithmetic error there went unreported."""
    text = MIXED_2021.replace("（七）总计\t3\t0\t0\t0\t0\t0\t3", "（七）总计\t4\t0\t0\t0\t0\t0\t4")
    path = tmp_path / "broken_sum.txt"
    path.write_text(text, "utf-8")
    report = parse_file(path)
    status = {(c.rule, c.subject): c.status for c in report.checks}
    assert status[("applications.result_total", "natural_person")] == CheckStatus.failed
    assert status[("applications.result_total", "commercial_enterprise")] == CheckStatus.passed
    assert not any(c.subject == "other_no_fee" for c in report.checks)  # an unprinted row has no rule

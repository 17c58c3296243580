"""Confidence: what arithmetic can confirm, and what an OCR reading alone cannot."""

from __future__ import annotations

from nianbao.models import Document, PageInfo, Row, SourceInfo, TextCell
from nianbao.pipeline import parse_document
from nianbao.settings import Settings

AD_2019 = [
    ("第二十条第（一）项", []), ("信息内容", ["本年新制作数量", "本年新公开数量", "对外公开总数量"]),
    ("规章", ["1", "0", "3"]), ("规范性文件", ["2", "2", "15"]),
    ("第二十条第（五）项", []), ("信息内容", ["上一年项目数量", "本年增/减", "处理决定数量"]),
    ("行政许可", ["12", "5", "40"]), ("其他对外管理服务事项", ["3", "0", "0"]),
    ("第二十条第（六）项", []), ("信息内容", ["上一年项目数量", "本年增/减", "处理决定数量"]),
    ("行政处罚", ["7", "0", "9"]), ("行政强制", ["0", "0", "0"]),
]


def _scanned_report(read_conf: float = 0.99, table=AD_2019):
    rows = [Row(kind="text", page=1, cells=[TextCell(text="某县某局2020年政府信息公开工作年度报告")])]
    for k, (label, values) in enumerate(table):
        cells = [TextCell(text=label, col=0, bbox=(10, 10 + 20 * k, 90, 28 + 20 * k))]
        cells += [TextCell(text=v, col=1 + j, confidence=read_conf, bbox=(100 + 50 * j, 10 + 20 * k, 140 + 50 * j, 28 + 20 * k))
                  for j, v in enumerate(values)]
        rows.append(Row(kind="table", page=1, table_index=0, exact_cells=True, cells=cells))
    doc = Document(path="scan.pdf", format="pdf-scan", rows=rows,
                   pages=[PageInfo(number=1, width=1000, height=1400, dpi=200, source="scan")])
    return parse_document(doc, Settings(), SourceInfo(path="scan.pdf", sha256="", size=0, format="pdf-scan"))


def test_ocr_number_no_rule_checks_is_capped_below_certainty():
    ad = _scanned_report().table("active_disclosure")
    cell = ad.cell("art20_1.normative_documents", "published_total")
    assert cell.value == 15 and cell.confidence <= Settings().confidence.unconfirmed_ocr_cap


def test_ocr_lone_one_may_be_a_slash_and_stays_below_threshold():
    ad = _scanned_report().table("active_disclosure")
    cell = ad.cell("art20_1.regulations", "made_this_year")
    assert cell.value == 1 and cell.confidence < 0.9
    assert any("'/'" in r for r in cell.reasons)


def test_ocr_value_of_a_signed_column_stays_below_threshold():
    """A lost minus sign ("-5" read "5") must never look certain."""
    ad = _scanned_report().table("active_disclosure")
    cell = ad.cell("art20_5.licensing", "change")
    assert cell.value == 5 and cell.confidence < 0.9


def test_text_layer_reading_is_not_capped(tmp_path):
    from pathlib import Path

    from nianbao.pipeline import parse_file

    report = parse_file(Path(__file__).parent / "data" / "report_2022_city_bureau.pdf")
    assert report.table("active_disclosure").cell("art20_5.licensing", "decisions").confidence == 1.0


def test_row_rule_alone_does_not_confirm_a_scanned_cell_whose_column_rules_are_not_assessable():
    """Eval report 055: a garbled row (2, 0, …, 2 for 0, 1, …, 1) still satisfied its row rule while
    the column rules could not be assessed (rows not read); it came out at 1.0. Arithmetic
    confirms a cell only when every rule it is in holds."""
    labels = ["一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "三、本年度办理结果 （一）予以公开",
              "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "（三）不予公开 1.属于国家秘密"]
    rows = [Row(kind="text", page=1, cells=[TextCell(text="三、收到和处理政府信息公开申请情况")])]
    for k, label in enumerate(labels):
        values = ["2", "0", "0", "0", "0", "0", "2"]
        cells = [TextCell(text=label, col=0, bbox=(10, 100 + 30 * k, 300, 128 + 30 * k))]
        cells += [TextCell(text=v, col=1 + j, confidence=0.99, bbox=(310 + 40 * j, 100 + 30 * k, 345 + 40 * j, 128 + 30 * k))
                  for j, v in enumerate(values)]
        rows.append(Row(kind="table", page=1, table_index=0, exact_cells=True, cells=cells))
    doc = Document(path="scan.pdf", format="pdf-scan", rows=rows,
                   pages=[PageInfo(number=1, width=1000, height=1400, dpi=200, source="scan")])
    report = parse_document(doc, Settings(), SourceInfo(path="scan.pdf", sha256="", size=0, format="pdf-scan"))
    cell = report.table("applications").cell("partially_disclosed", "total")
    assert cell.value == 2
    assert cell.confidence < 0.9


def test_blank_or_dash_on_a_scan_stays_below_threshold():
    """A cell whose faint number the scan lost comes out blank; it was reported as a printed
    blank at 0.99 (the 采购 amount of a generated scan), a certain-looking wrong value."""
    table = [(label, ["", "/", "0"] if label == "行政强制" else values) for label, values in AD_2019]
    ad = _scanned_report(table=table).table("active_disclosure")
    assert ad.cell("art20_6.coercion", "previous_year").confidence < 0.9
    assert ad.cell("art20_6.coercion", "change").confidence < 0.9

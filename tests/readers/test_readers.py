"""Readers that need no OCR: shared helpers in one module, and hostile HTML spans."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nianbao.readers.common import clean_inline, join_cell_lines
from nianbao.readers.html import MAX_COLSPAN, rows_from_html
from nianbao.readers.text import read_text
from nianbao.settings import Settings

DATA = Path(__file__).resolve().parents[1] / "data"


def test_html_spans_that_are_not_numbers_or_huge_neither_crash_nor_explode():
    html = ("<table><tr><td colspan='2px'>申请人</td><td colspan='abc'>合计</td><td rowspan='99999999'>x</td>"
            "<td colspan='100000000'>y</td></tr><tr><td>1</td><td>2</td><td>3</td></tr></table>")
    first, second = rows_from_html(html)
    assert [(c.text, c.col, c.colspan) for c in first.cells] == [
        ("申请人", 0, 2), ("合计", 2, 1), ("x", 3, 1), ("y", 4, MAX_COLSPAN)]
    # the rowspan reaches the table's last row only: the second row flows around column 3
    assert [(c.text, c.col) for c in second.cells] == [("1", 0), ("2", 1), ("3", 2)]


def test_readers_share_one_cell_text_rule():
    assert join_cell_lines(["申", "请", "人"]) == "申请人"  # vertical header text
    assert join_cell_lines(["本年新收", "政府信息公开申请数量"]) == "本年新收 政府信息公开申请数量"
    assert clean_inline("<b>**三、**</b>\u3000收到") == "三、 收到"


def test_markdown_with_an_html_table_reads_the_table():
    doc = read_text("# 标题\n\n<table><tr><td>项目</td><td colspan=2>数量</td></tr></table>\n结尾\n")
    assert [r.kind for r in doc.rows] == ["text", "table", "text"]
    assert [(c.text, c.col, c.colspan) for c in doc.rows[1].cells] == [("项目", 0, 1), ("数量", 1, 2)]


_MATRIX = ("<table><tr><td colspan=2>项目</td><td>自然人</td><td>法人</td><td>总计</td></tr>"
           "<tr><td rowspan=2>一、</td><td>本年新收</td><td>3</td><td>1</td><td>4</td></tr>"
           "<tr><td>上年结转</td><td>0</td><td>天</td><td>0</td></tr></table>")


def test_html_and_markdown_readers_state_each_tables_label_columns():
    """Readers state a grid's structure (``Document.tables``): its grid columns and where its
    values begin, voted over its rows, so assembly reads it instead of inferring it again; in
    Markdown each HTML table is a table of its own (all were table 0, their votes mixed)."""
    from nianbao.readers.html import read_html

    doc = read_html(f"<p>标题</p>{_MATRIX}")
    assert [(t.index, t.source, t.columns, t.value_runs) for t in doc.tables] == [(0, "markup", 5, [(0, 2)])]
    md = read_text(f"# 标题\n\n{_MATRIX}\n中间\n<table><tr><td>甲</td><td>乙</td></tr></table>\n")
    assert sorted({r.table_index for r in md.rows if r.kind == "table"}) == [0, 1]
    assert [(t.index, t.columns, t.value_runs) for t in md.tables] == [(0, 5, [(0, 2)]), (1, 2, [(0, None)])]


def test_two_tables_read_as_one_grid_each_keep_their_value_columns():
    """A scan read the last 第二十条 sub-table (values from grid column 3) and the applications
    matrix butted under it (values from column 4) as one grid (captures2038 report 001): voted
    over the whole grid, column 4 won and the sub-table's printed "/" in column 3 became label
    text. Two rows in a row beginning their values in another column start a run of their own;
    one row read otherwise (a misreading) does not."""
    from nianbao.models import Row, TextCell
    from nianbao.readers.common import grid_columns

    def row(first_value: int, label: str = "行") -> Row:
        cells = [TextCell(text=label, col=0, colspan=first_value)]
        cells += [TextCell(text="5", col=c) for c in range(first_value, 6)]
        return Row(kind="table", table_index=0, exact_cells=True, cells=cells)

    header = Row(kind="table", table_index=0, exact_cells=True, cells=[TextCell(text="申请人情况", col=0, colspan=6)])
    rows = [row(3), row(3), header, header, row(4), row(4), row(2), row(4), row(4)]
    width, runs = grid_columns(rows)[0]
    assert width == 6 and runs == [(0, 3), (4, 4)]  # the lone row read from column 2 starts no run


def test_a_mixed_pdfs_scanned_tables_are_numbered_after_its_text_layers():
    """A PDF of text-layer and scanned pages: each reading numbers its tables from 0, so page 1's
    text-layer table and page 2's scanned grid were both table 0 (one vote over both, one
    table to assembly). The scanned pages' tables now follow, each with its structure."""
    from nianbao.models import Document, Row, TableLayout, TextCell
    from nianbao.pipeline import mixed_document
    from nianbao.readers.common import table_layouts

    def grid(page: int, label_columns: int) -> list[Row]:
        return [Row(kind="table", page=page, table_index=0, exact_cells=True, cells=[
            TextCell(text="行", col=0, colspan=label_columns), *(TextCell(text="1", col=c) for c in range(label_columns, 4))])
            for _ in range(3)]

    text_rows, scan_rows = grid(1, 1), grid(2, 2)
    text_doc = Document(path="m.pdf", format="pdf-text", rows=text_rows, tables=table_layouts(text_rows, "text layer"))
    scanned = Document(path="m.pdf", format="pdf-scan", rows=scan_rows,
                       tables=[TableLayout(index=0, source="lines", page=2, columns=4, value_runs=[(0, 2)])])
    doc = mixed_document("m.pdf", text_doc, scanned)
    assert [r.table_index for r in doc.rows] == [0, 0, 0, 1, 1, 1]
    assert [(t.index, t.page, t.value_runs) for t in doc.tables] == [(0, None, [(0, 1)]), (1, 2, [(0, 2)])]


def test_a_garbled_value_cell_stays_a_value_in_the_stated_value_columns():
    """The row "上年结转 0 天 0": its garbled cell is in a value column the reader stated, so it is
    a value cell (not label text), and the values keep their grid columns."""
    from nianbao.assembly import split_row
    from nianbao.readers.html import read_html

    doc = read_html(_MATRIX)
    row = next(r for r in doc.rows if "上年结转" in r.text)
    label, values = split_row(row, doc.tables[0].label_columns(2))
    assert label == "上年结转" and [(v.text, v.col) for v in values] == [("0", 2), ("天", 3), ("0", 4)]
    assert split_row(row)[0] == "上年结转 0 天"  # without the structure: values after the last label-like cell


def test_word_table_without_inner_vertical_rules_keeps_labels_whole_and_values_apart():
    """A Word/LibreOffice table with no inner vertical rules and 0.25 pt inner horizontal rules
    (tests/data/make_word_no_inner_verticals.py): pdfplumber finds only the frame's columns, so
    a row came out as one cell with the wrapped label split around the numbers
    ("一、本年新收政府信息公开申请数 6 0 0 0 0 0 6 量"). The words rebuild the rows: every value its
    own cell, the wrapped label one cell, and the report's values read at full confidence."""
    from nianbao.pipeline import parse_file
    from nianbao.readers.pdf import read_pdf_text

    pdf = DATA / "word_no_inner_verticals.pdf"
    truth = json.loads((DATA / "word_no_inner_verticals.truth.json").read_text("utf-8"))
    rows = [r for r in read_pdf_text(str(pdf), Settings().text_layer).rows if r.kind == "table"]
    new = next(r for r in rows if "本年新收" in r.text)
    assert new.exact_cells and new.cells[0].text.replace(" ", "") == "一、本年新收政府信息公开申请数量"
    assert [c.text for c in new.cells[1:]] == [str(truth["new_received"][c]) for c in
                                               ("natural_person", "commercial_enterprise", "research_institution",
                                                "social_welfare_org", "legal_service_org", "other_org", "total")]
    report = parse_file(pdf)
    got = {(c.row, c.col): c for c in report.cells() if c.table == "applications"}
    for row, cols in truth.items():
        for col, want in cols.items():
            cell = got[(row, col)]
            assert cell.value == want, (row, col, cell.text, cell.reasons)
            assert cell.confidence >= 0.9, (row, col, cell.reasons)


def test_word_rows_barely_taller_than_their_text_do_not_take_the_next_rows_glyphs():
    """Word tables in 9 pt 微软雅黑 with no cell padding (tests/data/make_word_no_inner_verticals.py):
    the next row's glyphs touch each rule, and cropping a cell took them too ("规章 行政规范性文件
    00 00 06", a silent error). A cell holds the chars whose centre lies in it."""
    from nianbao.pipeline import parse_file
    from nianbao.readers.pdf import read_pdf_text

    pdf = DATA / "word_rows_touching_rules.pdf"
    truth = json.loads((DATA / "word_rows_touching_rules.truth.json").read_text("utf-8"))
    texts = [r.text for r in read_pdf_text(str(pdf), Settings().text_layer).rows if r.kind == "table"]
    assert not any("规章" in t and "规范性文件" in t for t in texts), texts
    report = parse_file(pdf)
    got = {(c.row, c.col): c for c in report.cells() if c.table == "active_disclosure"}
    for row, cols in truth.items():
        for col, want in cols.items():
            if want is None:
                continue
            cell = got[(row, col)]
            assert cell.value == pytest.approx(want), (row, col, cell.text, cell.reasons)
            assert cell.confidence >= 0.9, (row, col, cell.reasons)


def test_amount_printed_with_its_unit_is_its_own_column_in_a_table_without_inner_verticals():
    """第二十条（九） typeset by ReportLab with a frame and row rules only
    (tests/data/make_amount_with_unit.py): the count "53" and the amount "0.54万元" stand 40 mm
    apart, but "0.54万元" was no value word, so the row had one value column and read as one
    cell "53 0.54万元" (count lost, amount wrong). An amount with its unit marks a column."""
    from nianbao.readers.pdf import _is_value_word, read_pdf_text

    assert _is_value_word("0.54万元") and _is_value_word("12元") and not _is_value_word("无")
    assert not _is_value_word("共0件") and not _is_value_word("万元")
    rows = [r for r in read_pdf_text(str(DATA / "amount_with_unit.pdf"), Settings().text_layer).rows
            if r.kind == "table"]
    procurement = next(r for r in rows if "政府集中采购" in r.text)
    assert [c.text for c in procurement.cells if c.text] == ["政府集中采购", "53", "0.54万元"]
    fees = next(r for r in rows if "行政事业性收费" in r.text)
    assert [c.text for c in fees.cells if c.text] == ["行政事业性收费", "0", "0"]

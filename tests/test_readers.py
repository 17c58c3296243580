"""Readers that need no OCR: shared helpers in one module, and hostile HTML spans."""

from __future__ import annotations

from nianbao.readers.common import clean_inline, join_cell_lines
from nianbao.readers.html import MAX_COLSPAN, rows_from_html
from nianbao.readers.text import read_text


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

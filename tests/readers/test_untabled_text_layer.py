"""A born-digital PDF whose table has no rules to find its cells by.

``typst_three_line_upright_groups.pdf`` is dev seed 4986 report 000 of the typst family (laid
out by the Typst compiler): its application matrix is a 三线表 (rules above and below only), its
row groups (三、本年度办理结果, 不予公开 …) set upright one character a line beside the labels, and
its review matrix on a landscape page. pdfplumber finds no table on those pages, and the text
layer's lines interleave labels, group characters and values: both matrices were not found (10
of 200 cells right). Those pages are read again from their picture, where the word reading
places the values by their words.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from nianbao.pipeline import parse_file
from nianbao.settings import Settings

PDF = Path(__file__).parents[1] / "data" / "typst_three_line_upright_groups.pdf"


def _truth() -> dict[tuple[str, str, str], str]:
    with open(PDF.with_suffix(".truth.csv"), encoding="utf-8") as fh:
        return {(r["table"], r["row"], r["col"]): r["value"] for r in csv.DictReader(fh)}


def _values(settings: Settings) -> dict[tuple[str, str, str], str]:
    report = parse_file(PDF, settings)
    return {(t.id, c.row, c.col): "" if c.value is None else str(c.value) for t in report.tables for c in t.cells}


@pytest.mark.slow
def test_three_line_table_with_upright_row_groups_in_a_text_layer_is_read_from_its_picture() -> None:
    truth, values = _truth(), _values(Settings())
    assert sum(values.get(k) == v for k, v in truth.items()) == len(truth)


@pytest.mark.slow
def test_without_the_second_reading_the_untabled_matrices_are_lost() -> None:
    settings = Settings()
    settings.text_layer.untabled_read_as_scan = False
    truth, values = _truth(), _values(settings)
    assert sum(values.get(k) == v for k, v in truth.items() if k[0] == "applications") < 20


@pytest.mark.slow
def test_text_pdf_of_numbers_in_no_table_gives_no_certain_cell_after_its_second_reading(tmp_path) -> None:
    """An outsider's text-layer PDF: a report's title words over pages of numbers in columns and
    no table. The text layer gives no table, so its pages of numbers are read again from their
    picture (bounded: at most the document's pages, which ingest holds to ``Limits.max_pages``).
    Whatever that reading makes of the numbers, nothing of it is certain: it fails alone naming
    the file, or every cell it gives is held for review."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    from nianbao.errors import NotAReportError

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / "numbers_no_table.pdf"
    pdf = canvas.Canvas(str(path))
    for page in range(2):
        pdf.setFont("STSong-Light", 12)
        pdf.drawString(72, 800, "某某局2024年政府信息公开工作年度报告 收到和处理政府信息公开申请情况 行政复议 行政诉讼")
        for i in range(30):
            for j in range(12):  # a column apart, as a table without rules prints them
                pdf.drawString(72 + 38 * j, 770 - i * 18, str((i * 7 + j * 13 + page) % 97))
        pdf.showPage()
    pdf.save()
    try:
        report = parse_file(path, Settings())
    except NotAReportError as exc:
        assert str(path) in str(exc)
        return
    assert all(c.confidence < 0.9 for t in report.tables if t.found for c in t.cells)

"""Born-digital PDFs laid out by the Typst compiler whose application matrix the text-layer
reader must read whole (applications truth only: the files hold the cover page and the pages
of that table).

``typst_rows_rules_hanging_bracket.pdf`` (seed 2041 typst report 000, pages 1, 6, 7): a table
ruled between rows only (no inner vertical rules), its row groups turned upright. Typst sets an
opening bracket at a line's start half-width, so the box of "（一）予以公开" begins half an em left
of the rule that starts its column: placed by its box's left edge, every item label fell into the
row-group column and 145 of 175 cells were lost.

``typst_row_cut_by_page_break.pdf`` (seed 4987 typst report 012, pages 1-3): the row
（六）1.申请人无正当理由逾期不补正… is cut by the page break, its values above it and the end of its
label below, in a row of blank cells on the next page (a page number between): that remainder
was placed by position as the row and its values lost.

``typst_three_line_body_without_rules.pdf`` (seed 4987 typst report 015, pages 1 and 4): a
三线表 whose header pdfplumber finds (rules above, below and under its spanning cells) and whose
body has no rule until the table's bottom: read as text lines, the wrapped labels and the row
groups set beside them interleaved the lines and two rows' values were swapped. The body is the
found table taken down to its bottom rule, a row per line of values.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from nianbao.pipeline import parse_file
from nianbao.settings import Settings

DATA = Path(__file__).parents[1] / "data"


def _read(name: str, settings: Settings) -> tuple[int, int, float]:
    pdf = DATA / f"{name}.pdf"
    with open(pdf.with_suffix(".truth.csv"), encoding="utf-8") as fh:
        truth = {(r["table"], r["row"], r["col"]): r["value"] for r in csv.DictReader(fh)}
    report = parse_file(pdf, settings)
    cells = {(t.id, c.row, c.col): c for t in report.tables for c in t.cells}
    right = sum(k in cells and ("" if cells[k].value is None else str(cells[k].value)) == v for k, v in truth.items())
    lowest = min(cells[k].confidence for k in truth if k in cells)
    return right, len(truth), lowest


@pytest.mark.parametrize("name", ["typst_rows_rules_hanging_bracket", "typst_row_cut_by_page_break",
                                  "typst_three_line_body_without_rules"])
def test_typst_text_layer_application_matrix_is_read_whole_and_certain(name: str) -> None:
    right, total, lowest = _read(name, Settings())
    assert (right, lowest) == (total, 1.0)


@pytest.mark.slow
def test_label_placed_by_its_box_edge_loses_the_matrix() -> None:
    settings = Settings()
    settings.text_layer.label_anchor_em = 0.0  # the box's left edge: the hanging bracket's column
    right, total, _ = _read("typst_rows_rules_hanging_bracket", settings)
    assert right < total // 2


def test_three_line_body_is_a_table_row_per_line_of_values() -> None:
    from nianbao.readers.pdf import read_pdf_text

    doc = read_pdf_text(str(DATA / "typst_three_line_body_without_rules.pdf"), Settings().text_layer)
    rows = {r.cells[-1].text: [c.text for c in r.cells] for r in doc.rows if r.kind == "table" and r.cells}
    assert rows["262"][-8:] == ["1.本机关不掌握相关政府信 息", "244", "6", "1", "0", "6", "5", "262"]
    assert rows["16"][-8:] == ["2.没有现成信息需要另行制 作", "14", "0", "0", "0", "1", "1", "16"]
    assert not [r for r in doc.rows if r.kind == "text" and "244" in r.cells[0].text]


@pytest.mark.slow
def test_without_the_body_rows_two_rows_are_swapped() -> None:
    settings = Settings()
    settings.text_layer.ruleless_bodies = False
    right, total, _ = _read("typst_three_line_body_without_rules", settings)
    assert right < total

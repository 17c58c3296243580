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

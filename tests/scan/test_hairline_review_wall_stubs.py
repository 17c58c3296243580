"""The review matrix of a typst hairline scan (fresh seed 6300, report 006, page 7, 200 dpi),
lost whole: its rules kept 5 % of their darkness and its shaded header's text went pale, so no
grid and no word reading found the table, and the matrix's values were looked for under its
title (``scan._matrix_row_under_header``). What is left of the faint walls and of the bottom
rule in the text ink joined the header's lines and the value row into one text line 3
characters tall, its digits touching the rule's dashes: cut by the gaps in its ink it gave 7
pieces, not 15, and the row was lost. Each text line under the title is now also tried as the
lines its ink parts into when read the way a value line is (``_value_line_candidates``).

The page is read with the word reading off: that reading finds the table or not depending on
what the detector makes of the pale header (on this JPEG copy of the page it does, on the
scan it did not); the reading under the title is what must not fail."""

from __future__ import annotations

from pathlib import Path

import cv2

from nianbao.assembly import assemble
from nianbao.models import Document
from nianbao.scan import read_page
from nianbao.settings import Settings

DATA = Path(__file__).parents[1] / "data" / "scan"


def test_review_values_under_title_read_through_wall_stubs_of_a_hairline_scan() -> None:
    settings = Settings()
    settings.layout.detect_orientation = False  # a page known upright
    settings.structure.word_reading = False  # the reading under the title alone (see above)
    name = "hairline_review_wall_stubs_join_value_row.jpg"
    res = read_page(cv2.imread(str(DATA / name)), 1, 200.0, settings)
    doc = Document(path=name, format="image", rows=res.rows, pages=[res.info], tables=res.layouts)
    table = next(t for t in assemble(doc, settings.assembly).tables if t.id == "reviews_litigation")
    assert table.found
    assert [c.value for c in table.cells] == [2, 0, 0, 0, 2, 1, 1, 1, 0, 3, 0, 0, 1, 0, 1]
    # placed by x order under a title, no wall seen: never certain
    assert all(c.placement_score < 0.9 for c in table.cells)

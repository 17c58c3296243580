"""Arbitration between the ruling-line grid and the word grid (``layout.structure``) on real
pages of generated sets nobody tuned on, where it chose wrong and a whole table was lost."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from nianbao.layout.grid import Grid
from nianbao.layout.structure import table_regions
from nianbao.scan import read_scanned_pages
from nianbao.settings import Settings

DATA = Path(__file__).resolve().parents[1] / "data" / "scan"


def test_digits_of_narrow_columns_joined_across_broken_walls_do_not_discredit_the_line_grid():
    """The review/litigation matrix of a Chromium flatbed scan whose walls the scan broke into
    dashes (seed 2027 report 041 page 3, levelled, 16 grey levels). The word detector, run on
    the page without its rules, boxed the zeros of neighbouring narrow columns, and the two-line
    headers over them, as one "word" each; these boxes were counted as words a wall cuts, the
    line grid was not trusted, and a four-column word grid was read instead: the fifteen values
    came out as five cells of spaced digits and the table was lost. Under each of those walls
    inside a box there is blank paper (but for the wall's own dash): the box holds the texts of
    neighbouring cells, ambiguous evidence, no wall through a word."""
    s = Settings()
    s.layout.detect_orientation = False  # a table crop: too little text to tell its turn by
    img = cv2.cvtColor(cv2.imread(str(DATA / "review_digits_joined_across_broken_walls.png"),
                                  cv2.IMREAD_GRAYSCALE), cv2.COLOR_GRAY2BGR)
    doc = read_scanned_pages([img], settings=s)
    assert [(t.source, t.placement, t.faults) for t in doc.tables] == [("lines", 1.0, [])]
    rows = [r for r in doc.rows if r.kind == "table"]
    assert [c.text for c in rows[-2].cells] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3
    assert len(rows[-1].cells) == 15


def test_rule_stack_never_runs_across_a_table_found_already():
    """The rules however faint (``faint_rules``) of a Chromium flatbed scan's page with the
    review/litigation matrix (seed 2032 report 038 page 7, top 950 rows; grey 85: horizontal,
    170: vertical). The smoothing makes the edges of the text lines over and under the table
    long thin "rules"; with the table's own rules left out, the line over it and the heading
    under it made a stack of two rules a header's height apart, and so a second region around
    the table, read from its words as an 11-row table over the review matrix: its fifteen
    values were lost. Two rules with a table found between them are no rows of one table."""
    mask = cv2.imread(str(DATA / "rules_over_and_under_review_matrix.png"), cv2.IMREAD_GRAYSCALE)
    h = np.where((mask == 85) | (mask == 255), 255, 0).astype(np.uint8)
    v = np.where(mask >= 170, 255, 0).astype(np.uint8)
    review = Grid(bbox=(165.5, 340.5, 1486.5, 657.5), rows=[340.5, 657.5], cols=[165.5, 1486.5], cells=[])
    regions, _, _ = table_regions(h, v, 41.0, [review], max_row_chars=Settings().structure.max_row_chars)
    assert regions[0] == review.bbox
    around = [r for r in regions[1:] if r[1] < review.bbox[3] and r[3] > review.bbox[1]
              and r[0] < review.bbox[2] and r[2] > review.bbox[0]]
    assert around == []

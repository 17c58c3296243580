"""The word reading and its arbitration with the ruling-line grid (``layout.structure``) on
real pages of generated sets nobody tuned on, where a whole table was lost."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from nianbao.layout.grid import Grid
from nianbao.layout.structure import blank_across, find_rows, group_lines, table_regions
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


def test_vertical_header_boxes_over_the_rule_above_the_values_keep_the_value_row():
    """The review/litigation matrix of a 110 dpi Chromium scan (samples-world report 006 page
    3): the word boxes the detector gave (page pixels) and the long rules however faint. The
    vertical headers ("结果/维持") come as tall boxes reaching a few pixels past the rule over
    the values, and the values' boxes reach up to it; one header character ("尚") came as a
    short box of its own, a "line" overlapping the tall ones. The rule was taken for one
    through a header word and missed, the value row's top boundary fell in the middle of the
    headers, and a three-pixel row of empty cells between the overlapping lines was taken for
    the row of values: all fifteen values were lost. A rule within a box's padding ends the
    box; no row is thinner than half a character."""
    header = [(180, 587, 247, 613), (390, 598, 518, 629), (537, 575, 604, 601), (657, 600, 740, 628)]
    vertical = [(104, 624, 134, 711), (150, 624, 182, 712), (191, 622, 230, 713), (242, 624, 273, 712),
                (291, 643, 317, 690), (336, 624, 367, 711), (543, 642, 572, 691), (587, 623, 621, 713),
                (727, 624, 759, 712), (776, 641, 805, 691), (493, 627, 516, 652)]
    values = [(107, 708, 129, 732), (154, 707, 175, 732), (202, 708, 222, 733), (246, 708, 267, 732),
              (290, 708, 317, 734), (342, 708, 364, 732), (395, 708, 412, 731), (444, 708, 465, 732),
              (494, 708, 515, 732), (544, 708, 572, 734), (595, 709, 616, 733), (641, 708, 661, 733),
              (688, 710, 706, 731), (733, 708, 755, 732), (779, 708, 798, 733)]
    words = [tuple(map(float, w)) for w in header + vertical + values]
    hrules = [(574.0, 100.0, 815.0), (601.0, 331.0, 815.0), (626.0, 100.0, 815.0), (708.0, 100.0, 815.0),
              (732.0, 99.0, 814.0)]
    cols = [97.0, 142.5, 190.5, 234.0, 283.0, 328.5, 379.0, 430.0, 481.0, 531.0, 582.5, 628.0, 673.5, 720.0,
            766.5, 812.5]
    p = Settings().structure
    lines, line_of = group_lines(words, p.line_overlap)
    rows, _ = find_rows(words, lines, line_of, cols, 0, (97.0, 574.5, 812.5, 732.5), 17.0, hrules, p)
    assert all(b - a >= 0.5 * 17.0 for a, b in zip(rows, rows[1:]))
    assert abs(rows[-2] - 708.0) <= 2.0  # the rule over the values
    value_row = [r for r in range(len(rows) - 1) if rows[r] <= 720 <= rows[r + 1]]
    assert all(rows[value_row[0]] <= w[1] + 2 and w[3] <= rows[value_row[0] + 1] + 2 for w in values)


def test_stroke_of_a_1_that_a_wall_runs_through_is_no_blank_between_two_cells():
    """A low-resolution scan (samples-world report 006, 110 dpi) gives the stroke of a "1" the
    look of a wall's dash, and its line grid took the strokes of a column of 1s for a wall.
    The zeros of two neighbouring cells in one detector box, with the dash of their wall
    between them running out of the box, are blank paper at the wall with text on both sides;
    a "1" the wall runs through stays inside its box and is text on the wall; so is the middle
    "1" of "111"."""
    p = Settings().structure
    char_h = 20.0
    box = (10.0, 5.0, 110.0, 35.0)
    joined = np.zeros((40, 200), np.uint8)
    for x in (30, 80):  # two zeros, a cell apart
        cv2.rectangle(joined, (x, 10), (x + 10, 30), 255, 2)
    joined[0:40, 59:62] = 255  # the wall's dash, longer than the box is tall
    assert blank_across(joined, box, 60.0, True, char_h, p.joined_clear_chars, p.wall_dash_chars) == (True, True)
    one = np.zeros((40, 200), np.uint8)
    one[12:29, 59:62] = 255  # a lone "1" on the wall
    assert blank_across(one, box, 60.0, True, char_h, p.joined_clear_chars, p.wall_dash_chars) is None
    ones = one.copy()
    ones[12:29, 50:53] = 255
    ones[12:29, 68:71] = 255  # "111", the wall through the middle one
    assert blank_across(ones, box, 60.0, True, char_h, p.joined_clear_chars, p.wall_dash_chars) is None

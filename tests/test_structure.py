"""Table structure from the words of a table region, ruling lines as evidence
(``layout.structure``, ``Settings.structure.word_reading``).

Real page images of each way a ruling-line grid fails: inner rules a scan left at a fraction of
their darkness, a table printed without inner vertical rules, a streak through a column of
numbers that looks like a wall, shaded header rows; and the stages on plain word boxes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
import pytest

from nianbao.layout.grid import Grid, GridCell
from nianbao.layout.structure import (
    build_grid,
    cell_boxes,
    cell_of_word,
    find_columns,
    grid_faults,
    group_lines,
    label_column_count,
    read_structure,
    trim_prose,
    word_regions,
)
from nianbao.models import Document
from nianbao.scan import read_scanned_pages, template_value_counts
from nianbao.settings import Settings, StructureSettings

DATA = Path(__file__).parent / "data" / "scan"
P = StructureSettings()


def _word_reading() -> Settings:
    s = Settings()
    s.structure.word_reading = True
    return s


def _values(doc: Document, label: str) -> list[str]:
    """The value cells' texts of the table row whose text holds ``label``."""
    layouts = {t.index: t for t in doc.tables}
    seen: dict[int | None, int] = {}
    for row in doc.rows:
        if row.kind != "table":
            continue
        k = seen[row.table_index] = seen.get(row.table_index, -1) + 1  # the row's place in its table
        start = layouts[row.table_index].label_columns(k) or 0
        labels = "".join(c.text for c in row.cells if c.col is not None and c.col < start).replace(" ", "")
        if label in labels:
            return [c.text for c in row.cells if c.col is not None and c.col >= start]
    raise AssertionError(f"no table row with {label!r}: {[r.text for r in doc.rows if r.kind == 'table']}")


def _grey(name: str) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(DATA / name), cv2.IMREAD_GRAYSCALE), cv2.COLOR_GRAY2BGR)


# --------------------------------------------------------------------------- real pages
@pytest.fixture(scope="module")
def hairline_doc() -> Document:
    # the application matrix of a committed sample scan (003 p3) with every inner rule left at
    # 15 % of its darkness, as a scan leaves a Word table's 0.25 pt hairlines; the outer border
    # keeps its ink. The ruling-line grid finds no table here at all.
    return read_scanned_pages([_grey("hairline_rules_applications.jpg")], settings=_word_reading())


def test_table_whose_inner_rules_a_scan_nearly_lost_is_read_from_its_words(hairline_doc):
    (table,) = hairline_doc.tables
    assert table.source == "words" and table.faults  # the line grid, what there is of it, is contradicted
    assert [len(table.cols) - 1 - labels for _, labels in table.value_runs] == [7]
    assert _values(hairline_doc, "总计") == ["27", "2", "0", "0", "0", "0", "29"]
    assert _values(hairline_doc, "1.本机关不掌握") == ["7", "1", "0", "0", "0", "0", "8"]
    assert _values(hairline_doc, "3.补正后申请") == ["2", "0", "0", "0", "0", "0", "2"]
    assert _values(hairline_doc, "四、结转下年度") == ["0"] * 7
    # read with the word grid: placement below the line grid's, the reason on the cell
    cells = [c for r in hairline_doc.rows if r.kind == "table" for c in r.cells]
    assert all(c.placement == P.words_placement for c in cells)
    assert any("structure read from the words" in n.reason for n in cells[0].notes)


def test_without_word_reading_the_hairline_table_falls_apart():
    """What the word reading is for: the ruling-line grid alone makes a few huge cells of that
    page, the numbers of many rows run together in one of them."""
    s = Settings()
    s.structure.word_reading = False
    doc = read_scanned_pages([_grey("hairline_rules_applications.jpg")], settings=s)
    texts = [[c.text for c in r.cells] for r in doc.rows if r.kind == "table"]
    assert not any(t[-7:] == ["27", "2", "0", "0", "0", "0", "29"] for t in texts)


def test_table_without_inner_vertical_rules_keeps_its_value_columns():
    # the same page with its inner vertical rules removed (row rules and the border kept): the
    # line grid is one column wide, every value of a row in one cell
    doc = read_scanned_pages([_grey("no_inner_walls_applications.jpg")], settings=_word_reading())
    (table,) = doc.tables
    assert table.source == "words" and any("two columns" in f for f in table.faults)
    assert _values(doc, "总计") == ["27", "2", "0", "0", "0", "0", "29"]
    assert _values(doc, "1.本机关不掌握") == ["7", "1", "0", "0", "0", "0", "8"]
    assert _values(doc, "2.没有现成信息") == ["0"] * 7


@pytest.fixture(scope="module")
def clean_page() -> np.ndarray:
    return cv2.imread(str(DATA / "applications.png"))


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((DATA / "applications.truth.json").read_text(encoding="utf-8"))


def test_number_with_a_streak_through_it_is_not_cut_in_two(clean_page, truth):
    """A scanner streak (a thin dark vertical line) runs down the 科研机构 column through its
    numbers: the line grid takes it for a wall lost in places, and the merged cells it leaves
    were cut at it where the ink has a gap there ("108" read as "10" and "08"). The word
    reading finds "108" as one word across that line: no cut goes through a word."""
    img = clean_page.copy()
    img[226:1690, 914:916] = 60
    doc = read_scanned_pages([img], settings=_word_reading())
    rows = [r for r in doc.rows if r.kind == "table"]
    for r, values in zip(rows[3:5], truth["values"][:2]):
        assert [c.text for c in r.cells if c.col is not None and c.col >= 3 and c.text] == [str(v) for v in values]


def test_shaded_header_rows_keep_the_agreeing_line_grid(clean_page, truth):
    """Header rows printed on a grey shade: both readings agree, the line grid is kept at full
    placement confidence and nothing is disputed."""
    img = clean_page.copy()
    band = img[174:252, 72:1168]  # the three header rows
    paper = band.min(axis=2) > 170
    band[paper] = (205, 205, 205)
    doc = read_scanned_pages([img], settings=_word_reading())
    (table,) = doc.tables
    assert table.source == "lines" and table.faults == [] and table.placement == 1.0
    rows = [r for r in doc.rows if r.kind == "table"]
    first = next(k for k, r in enumerate(rows) if "本年新收" in r.text)
    for r, values in zip(rows[first:], truth["values"]):
        assert [c.text for c in r.cells if c.col is not None and c.col >= 3] == [str(v) for v in values]
    assert all(c.placement == 1.0 and not c.notes for r in rows[first:] for c in r.cells)


# --------------------------------------------------------------------------- stages on word boxes
def _matrix_words() -> list[tuple[float, float, float, float]]:
    """A two-level header over three value columns and three rows of numbers, as word boxes."""
    words = [(300.0, 10.0, 560.0, 30.0)]  # spanning header over the three value columns
    words += [(310, 40, 350, 60), (410, 40, 450, 60), (510, 40, 550, 60)]  # column headers
    for k, y in enumerate((80, 120, 160)):
        words.append((20, y, 200, y + 20))  # row label
        words += [(320, y, 335, y + 20), (420, y, 440, y + 20), (520, y, 530, y + 20)]
    return words


def test_columns_come_from_gaps_a_spanning_header_crosses():
    words = _matrix_words()
    lines, line_of = group_lines(words, P.line_overlap)
    assert len(lines) == 5
    cols = find_columns(words, line_of, len(lines), (0, 0, 600, 200), 20.0, [], P)
    assert len(cols) - 1 == 4  # the label column and three value columns
    assert 200 < cols[1] < 310 and 350 < cols[2] < 410 and 450 < cols[3] < 510


def test_a_word_over_a_boundary_merges_its_cells():
    words = _matrix_words()
    grid = build_grid([0, 35, 70, 110, 150, 200], [0, 250, 380, 480, 600], words, 20.0, P)
    header = next(c for c in grid.cells if c.row == 0 and c.col == 1)
    assert header.colspan == 3  # the spanning header is one cell
    assert all(c.colspan == 1 for c in grid.cells if c.row >= 2)


def test_label_columns_come_from_the_template_value_counts():
    counts = template_value_counts()
    assert set(counts) == {1, 2, 3, 7, 15}
    assert label_column_count(8, counts, P.max_label_columns) == 1
    assert label_column_count(10, counts, P.max_label_columns) == 3
    assert label_column_count(15, counts, P.max_label_columns) == 0  # the review matrix prints no labels


def test_grid_whose_wall_cuts_the_numbers_is_not_trusted():
    words = _matrix_words()
    lines, line_of = group_lines(words, P.line_overlap)
    rows = [0, 35, 70, 110, 150, 200]
    good = build_grid(rows, [0, 250, 380, 480, 600], words, 20.0, P)
    # a "wall" at x=430 through the middle column's numbers and header
    cut = Grid(bbox=(0, 0, 600, 200), rows=rows, cols=[0, 250, 380, 430, 480, 600],
               cells=[GridCell(row=r, col=c, bbox=(x0, rows[r], x1, rows[r + 1]))
                      for r in range(5) for c, (x0, x1) in enumerate(zip([0, 250, 380, 430, 480], [250, 380, 430, 480, 600]))])
    assert grid_faults(good, words, line_of, good, 250, [3], 20.0, P, check_count=False) == []
    assert any("cut by a wall" in f for f in grid_faults(cut, words, line_of, good, 250, [3], 20.0, P, check_count=False))


def test_cell_of_word_places_a_word_in_every_cell_it_covers_past_the_margin():
    """The cells a word covers by more than the margin on both axes, the same with the grid's
    boxes computed once for many words (the word reading places hundreds per region)."""
    rows, cols = [0, 35, 70, 110], [0, 250, 380, 430, 480, 600]
    grid = Grid(bbox=(0, 0, 600, 110), rows=rows, cols=cols,
                cells=[GridCell(row=r, col=c, bbox=(cols[c], rows[r], cols[c + 1], rows[r + 1]))
                       for r in range(3) for c in range(5)])
    boxes = cell_boxes(grid)
    assert boxes.shape == (15, 4)
    cases = {(390.0, 40.0, 420.0, 60.0): [7],  # inside one cell
             (400.0, 40.0, 460.0, 60.0): [7, 8],  # across the wall at 430
             (400.0, 40.0, 433.0, 60.0): [7],  # 3 px past the wall: within the margin
             (300.0, 30.0, 340.0, 75.0): [6],  # 5 px into the rows above and below: within the margin
             (700.0, 40.0, 720.0, 60.0): []}  # outside the grid
    for word, cells in cases.items():
        assert cell_of_word(grid, word, 7.0) == cells
        assert cell_of_word(grid, word, 7.0, boxes) == cells


def test_agreeing_line_grid_is_chosen_and_a_contradicted_one_is_not():
    words = _matrix_words()
    rows = [0, 35, 70, 110, 150, 200]
    lines_grid = build_grid(rows, [0, 250, 380, 480, 600], words, 20.0, P)
    st = read_structure((0, 0, 600, 200), words, 20.0, [], [], lines_grid, [3], P)
    assert st.chosen == "lines" and st.placement == P.agree_placement and not st.disputed
    one_column = Grid(bbox=(0, 0, 600, 200), rows=rows, cols=[0, 250, 600],
                      cells=[GridCell(row=r, col=c, bbox=(x0, rows[r], x1, rows[r + 1]))
                             for r in range(5) for c, (x0, x1) in enumerate(((0, 250), (250, 600)))])
    st = read_structure((0, 0, 600, 200), words, 20.0, [], [], one_column, [3], P)
    assert st.chosen == "words" and st.placement == P.words_placement
    assert st.word_grid is not None and st.word_grid.n_cols == 4


def test_every_stage_of_the_word_reading_is_drawn():
    """``nianbao debug --stage``: each stage of the word reading drawn on the upright page."""
    from nianbao.debug_draw import STAGES, draw_structure
    from nianbao.scan import read_page

    res = read_page(_grey("no_inner_walls_applications.jpg"), 1, 200.0, _word_reading(), keep_image=True)
    assert len(res.structures) == 1 and res.structures[0].words
    pictures = {stage: draw_structure(res.image, res.structures, stage) for stage in STAGES}
    assert all(p.shape == res.image.shape for p in pictures.values())
    # each stage draws something of its own; the grid read with is the word grid here
    assert res.structures[0].chosen == "words" and np.array_equal(pictures["chosen"], pictures["word-grid"])
    assert len({p.tobytes() for s, p in pictures.items() if s != "chosen"}) == len(STAGES) - 1
    with pytest.raises(ValueError):
        draw_structure(res.image, res.structures, "cells")


def test_detector_box_over_a_header_and_its_value_does_not_discredit_the_line_grid():
    """A 1-bit fax of a Word review/litigation matrix (seed 2031 report 045 page 6): in its narrow
    columns the word detector boxed each two-line header and the value under it as one "word"
    ("结果 / 维持 / 0"). The line grid's row line under the header cut all those boxes, counted
    as walls through words, so the line grid was not trusted; the word grid, one row for header
    and value, was read instead and the fifteen values were lost in the headers' text. A value
    is one line high: a box ``tall_word_lines`` characters tall is stacked text, not a value."""
    s = _word_reading()
    s.layout.detect_orientation = False  # a table crop: too little text to tell its turn by
    img = _grey("fax_review_header_over_value_one_word.png")
    doc = read_scanned_pages([img], settings=s)
    assert [(t.source, t.placement, t.faults) for t in doc.tables] == [("lines", 1.0, [])]
    rows = [r for r in doc.rows if r.kind == "table"]
    assert [c.text for c in rows[-2].cells][:5] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    assert [c.text for c in rows[-1].cells][:9] == ["0", "0", "0", "0", "3", "0", "0", "1", "0"]


# --------------------------------------------------------------------------- tables no rule shows
# crops of a generated Chromium scan whose every rule, border included, the scan lost (hairline
# capture, world2031 report 034, pages 5 and 6, brought to 170-180 dpi): the table is found from
# its words alone (``word_regions``) and read like any other
@pytest.fixture(scope="module")
def reviews_without_rules() -> Document:
    return read_scanned_pages([_grey("reviews_without_rules.jpg")], settings=_word_reading())


def test_review_matrix_with_no_rules_left_is_found_from_its_words(reviews_without_rules):
    doc = reviews_without_rules
    (table,) = doc.tables
    assert table.source == "words" and table.faults == ["no ruling-line grid"]
    values = [[c.text for c in r.cells] for r in doc.rows if r.kind == "table"]
    assert ["2", "3", "1", "0", "6", "5", "1", "1", "2", "9", "0", "1", "0", "0", "1"] in values
    # the prose above and the heading below stay text, outside the table
    text = [r.cells[0].text for r in doc.rows if r.kind == "text"]
    assert any("存在的主要问题" in t for t in text) and any("政务新媒体" in t for t in text)
    # header lines over the value columns and a row of values: the word grid's placement
    cells = [c for r in doc.rows if r.kind == "table" for c in r.cells]
    assert all(c.placement == P.words_placement for c in cells)


def test_applications_matrix_with_no_rules_left_is_read_from_its_words():
    doc = read_scanned_pages([_grey("applications_without_rules.jpg")], settings=_word_reading())
    (table,) = doc.tables
    assert table.source == "words" and [len(table.cols) - 1 - labels for _, labels in table.value_runs] == [7]
    assert _values(doc, "予以公开") == ["249", "38", "0", "0", "14", "7", "308"]
    assert _values(doc, "2.重复申请") == ["8", "2", "0", "0", "0", "0", "10"]
    assert _values(doc, "总计") == ["427", "67", "4", "2", "19", "13", "532"]
    assert _values(doc, "结转下年度") == ["51", "8", "0", "1", "1", "0", "61"]
    cells = [c for r in doc.rows if r.kind == "table" for c in r.cells]
    assert all(c.placement == P.words_placement for c in cells)  # 25 rows of values: not thin


def test_without_page_words_a_table_with_no_rules_is_not_found():
    """What the word regions are for: with the words read only inside regions the rules show,
    the review matrix of that page is no table at all."""
    s = _word_reading()
    s.structure.page_words = False
    doc = read_scanned_pages([_grey("reviews_without_rules.jpg")], settings=s)
    assert not doc.tables


def _line(y: float, xs: Sequence[tuple[float, float]], h: float = 20.0) -> list[tuple[float, float, float, float]]:
    return [(a, y, b, y + h) for a, b in xs]


def test_word_regions_are_runs_of_lines_sharing_columns():
    prose = _line(0, [(0, 900)]) + _line(40, [(0, 900)]) + _line(80, [(0, 400)])  # a paragraph, its short last line
    heading = _line(140, [(0, 300)])  # a heading at the labels' edge: not the table's
    header = _line(180, [(500, 600)])  # a spanning column header, set right of the labels
    rows = [w for k in range(4) for w in _line(220 + 40 * k, [(0, 300), (400, 440), (600, 640), (800, 840)])]
    after = _line(420, [(0, 900)])
    (region,) = word_regions(prose + heading + header + rows + after, 20.0, [], P)
    assert 160 < region[1] < 180 and 360 < region[3] < 380  # header in, heading out
    assert region[0] < 0 and region[2] > 840
    # words a ruled region holds already are not found again; prose alone is no region
    assert word_regions(prose + heading + header + rows, 20.0, [(-10, 170, 900, 380)], P) == []
    assert word_regions(prose + after, 20.0, [], P) == []
    # rows whose words share no columns (a list of names, two to a line, set apart) are no table,
    # and a line of prose in two runs under the rows is not one of them
    ragged = _line(0, [(0, 100), (300, 350), (700, 720)]) + _line(40, [(150, 250), (500, 560)])
    assert word_regions(ragged, 20.0, [], P) == []
    split_prose = _line(380, [(0, 500), (520, 860)])
    (region,) = word_regions(rows + split_prose, 20.0, [], P)
    assert region[3] < 380


def test_table_found_from_words_alone_with_few_rows_is_thin_evidence():
    """Two lines of values and no rule: read, but below the placement (0.9) at which the
    consistency rules may lift a cell; the same words in a ruled region keep the word placement."""
    words = [w for k in range(2) for w in _line(40 * k, [(0, 300), (400, 440), (600, 640), (800, 840)])]
    thin = read_structure((-10, -10, 850, 70), words, 20.0, [], [], None, [3], P, source="words")
    assert thin.chosen == "words" and thin.placement == P.thin_placement and "thin evidence" in thin.notes[-1]
    ruled = read_structure((-10, -10, 850, 70), words, 20.0, [], [], None, [3], P)
    assert ruled.chosen == "words" and ruled.placement == P.words_placement


def test_word_region_stops_at_a_ruled_region_above_it():
    """Rows just under a region found by its rules (a table whose last rules the scan kept) are a
    region of their own that does not reach into it: no row read twice."""
    rows = [w for k in range(4) for w in _line(220 + 40 * k, [(0, 300), (400, 440), (600, 640), (800, 840)])]
    (region,) = word_regions(rows, 20.0, [(-10, 100, 900, 215)], P)
    assert region[1] == 215 and region[3] > 360


def test_paragraph_a_faint_rule_stack_took_in_is_trimmed_off():
    """A region of faint rules with no line grid that reaches over the paragraph above its table
    (hairline scan, seed-3301 report 004 p3) ends at the paragraph's last line, short as it is
    (``Settings.structure.trim_prose``, off by default)."""
    prose = _line(0, [(0, 900)]) + _line(40, [(0, 60)]) + _line(80, [(0, 900)]) + _line(120, [(0, 600)])
    header = _line(170, [(500, 600)])
    rows = [w for k in range(3) for w in _line(210 + 40 * k, [(0, 300), (400, 440), (600, 640), (800, 840)])]
    trimmed = trim_prose((-10, -10, 900, 300), prose + header + rows, P)
    assert 140 < trimmed[1] < 170 and trimmed[3] == 300  # the header stays with its rows
    assert trim_prose((-10, -10, 900, 150), prose, P) == (-10, -10, 900, 150)  # prose only: left to read_structure

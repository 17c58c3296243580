"""Walls of a LibreOffice Calc printout (the sheet family) that no long straight run shows —
dotted, dashed, hair — told from the ink between the text lines (``layout.walls``) and taken
out of what the cells are read from.

The page: ``tests/data/scan/sheet_dotted_walls_numbers_against_them.jpg``, the value columns of
rows 部分公开 .. 属于四类过程性信息 of the application matrix of seed-2034 sheet report 013,
page 4 (a 150 dpi flatbed scan, walls dotted, numbers right-aligned two pixels from their
cell's right wall). Before: the word grid put its boundaries mid-gap right of each wall, every
cell's crop caught the dots of its wall, and OCR read "0" as "01", "10", "101", "I0": 35 cells
of the table wrong (held below 0.9), more missing."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import pytest

from nianbao.layout import binarize, to_gray
from nianbao.layout.text import estimate_char_height
from nianbao.layout.walls import Wall, blank_rows, erase_walls, find_walls, snap_to_walls
from nianbao.settings import Settings

PAGE = Path(__file__).parents[1] / "data" / "scan" / "sheet_dotted_walls_numbers_against_them.jpg"
# the dotted walls of the crop (x of their dots), the left wall of the first value column first
DOTTED_WALLS = [65, 181, 298, 414, 580, 746, 862, 979]


@lru_cache(maxsize=1)
def page():
    img = cv2.imread(str(PAGE))
    return img, to_gray(img)


def walls_of(gray: np.ndarray, words) -> list[Wall]:
    p = Settings().structure
    ch = estimate_char_height(binarize(gray))
    return find_walls(gray, (0, 0, gray.shape[1], gray.shape[0]), words, ch, p.wall_min_ridge,
                      p.wall_min_blank_chars, p.wall_side_chars, p.wall_max_width_chars, p.wall_track_chars,
                      p.wall_edge)


def test_dotted_walls_are_found_between_the_lines_and_columns_of_digits_are_not_walls() -> None:
    from nianbao.ocr import get_engine

    s = Settings()
    _, gray = page()
    words = get_engine(s.ocr).detect_words(gray, s.structure.page_det_max_side)
    walls = walls_of(gray, words)
    assert len(walls) == len(DOTTED_WALLS)
    for w, x in zip(walls, DOTTED_WALLS):
        assert abs(w.x - x) <= 1.5 and w.x1 - w.x0 <= 3
    # the right-aligned zeros stacked down a column line up as well as a wall does, but stop at
    # each text line: over the rows the words leave blank they are no wall (told apart only
    # there: over every row, their strokes pass as walls too)
    assert len(walls_of(gray, [])) > len(DOTTED_WALLS)


def test_erased_walls_leave_the_numbers_beside_them() -> None:
    _, gray = page()
    ink = binarize(gray)
    walls = [Wall(745, 747, 0, gray.shape[0], 80.0)]
    g, t = gray.copy(), ink.copy()
    erase_walls(g, t, walls)
    # (where a dotted row rule crosses the wall, both pixels beside it are rule too: left)
    assert (g[:, 745:748] > 200).all(axis=1).mean() > 0.95 and not t[:, 745:748].any()
    # the zeros two pixels left of the wall keep every pixel of their ink
    assert np.array_equal(t[:, 700:743], ink[:, 700:743]) and np.array_equal(g[:, 700:743], gray[:, 700:743])


def test_a_boundary_goes_onto_the_strongest_wall_in_its_gap_not_past_a_word() -> None:
    # boxes of seed-2034 sheet report 019 page 5 (150 dpi, character height 12 px): zeros
    # right-aligned against their walls at x 723 and 804, the detector's boxes over them; the
    # gaps between words put the boundary at 730 (beside the wall) and at 856 (mid-gap, the
    # wall at 804 left inside the second cell with its number)
    walls = [Wall(722, 724, 80, 790, 119.0), Wall(803, 805, 80, 790, 77.0), Wall(885, 887, 80, 790, 85.0),
             Wall(904, 905, 80, 790, 28.0)]
    words = [(670.0, 155.0, 714.0, 176.0),  # a header word
             (457.0, 78.0, 840.0, 104.0),  # the title over the table: reaches past the neighbouring boundaries
             (708.0, 339.0, 726.0, 355.0), (789.0, 339.0, 808.0, 355.0), (871.0, 339.0, 889.0, 355.0),
             (955.0, 339.0, 970.0, 355.0)]
    ink = np.zeros((800, 1200), np.uint8)  # the page's text ink: each number's own, and the walls' dots
    for x in (712, 793, 875, 957):
        ink[341:353, x:x + 6] = 255
    for w in walls:
        ink[80:790:2, w.x0:w.x1 + 1] = 255
    ink[80:104, 460:838] = 255
    ink[157:174, 672:712] = 255
    assert snap_to_walls([408.0, 658.0, 730.0, 856.0, 905.0, 1008.0], walls, words, ink) == [
        408.0, 658.0, 723.0, 804.0, 886.0, 1008.0]
    # a word between the boundary and the only wall: the wall is the next column's, left alone
    assert snap_to_walls([600.0, 760.0, 900.0], [Wall(803, 805, 80, 790, 77.0)], [(770.0, 339.0, 790.0, 355.0)]) \
        == [600.0, 760.0, 900.0]


def test_numbers_set_against_dotted_walls_read_without_the_walls_dots() -> None:
    from nianbao.scan import read_page

    img, _ = page()
    res = read_page(img, 4, 150.0, Settings(structure={"erase_walls": True}))
    rows = [[c.text for c in r.cells if c.text] for r in res.rows if r.kind == "table"]
    values = [[t for t in r if t.isascii()] for r in rows]
    values = [v for v in values if len(v) == 7]
    assert len(values) == 7
    assert values[1] == ["1", "0", "0", "0", "0", "0", "1"]
    assert all(set(v) <= {"0", "1"} for v in values)  # no "01", "10", "I0", "101"
    cells = [c for r in res.rows if r.kind == "table" for c in r.cells if c.text.isascii() and c.text]
    assert sum(c.confidence >= 0.9 for c in cells) >= 0.7 * len(cells)


def test_a_wall_a_little_off_vertical_is_followed_and_erased_along_its_length() -> None:
    """The same page turned by 0.6 degrees (what a deskew may leave over): over its 370 rows
    each wall drifts four pixels. Erased along one band of columns, its ends stay beside the
    numbers (the wall at x 414 kept its dots in 7 % of the blank rows); followed two character
    heights at a time, only the dots of the row rules across it stay."""
    from nianbao.ocr import get_engine

    s = Settings()
    _, gray = page()
    h, w = gray.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), 0.6, 1.0)
    tilted = cv2.warpAffine(gray, turn, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
    words = get_engine(s.ocr).detect_words(tilted, s.structure.page_det_max_side)
    walls = walls_of(tilted, words)
    assert len(walls) == len(DOTTED_WALLS)
    assert any(len({seg[2] for seg in wall.segments}) > 1 for wall in walls)  # followed, not one band
    g, t = tilted.copy(), binarize(tilted)
    erase_walls(g, t, walls)
    rows = blank_rows((0, 0, w, h), words)
    rows = rows[(rows > 2) & (rows < h - 3)]
    for x in DOTTED_WALLS[1:-1]:
        band = g[rows, x - 4:x + 5].astype(int)
        # the dots gone from the blank rows (a row rule's dots across the wall excepted)
        assert (band.min(axis=1) > 150).mean() > 0.95


@pytest.mark.slow
def test_a_wall_of_one_sub_table_is_not_erased_through_the_number_of_another() -> None:
    """``fixtures/samples/004.pdf`` page 2 (Chromium, heavy 200 dpi scan): the 第二十条
    sub-tables of one region have their walls in different places; the wall at x 740 of the
    sub-tables with three value columns runs through the middle of the merged "上一年项目数量"
    cell of the one with two, right through its "10". Erased along the whole region, the "10"
    read "1C" (a cell lost that the base read); erased only in the rows the wall runs through
    (its ink in the blank rows above and below), the number keeps its ink."""
    from nianbao.ingest import iter_page_images
    from nianbao.scan import read_page

    s = Settings(structure={"erase_walls": True})
    path = Path(__file__).parents[2] / "fixtures" / "samples" / "004.pdf"
    page2 = next(p for p in iter_page_images(str(path), s, kinds=None) if p.number == 2)
    res = read_page(page2.image, 2, page2.dpi, s)
    rows = [[c.text for c in r.cells] for r in res.rows if r.kind == "table"]
    assert ["行政强制", "10", "12", "0"] in rows

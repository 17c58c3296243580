"""Glyph strokes of left-aligned labels taken for walls: a label column cut into a column per
character (``layout.structure.label_stroke_walls``).

``phone_label_strokes_taken_for_walls.png``: the top of the application matrix of spent
mix2045 report 014 (typst family, phone photo, page 5), as ``read_page`` flattened it (grey,
200 dpi; the photo was taken at 138). The labels are set flush left, so their characters stand
at the same x row after row; blurred, their vertical strokes joined into lines that meet the
row rules, and the line grid put eleven label columns where the template has at most three.
The labels were read in pieces ("T不不并", "2.1公3.定益5.M6.息…") and 104 of the 161 cells of
the matrix were lost. A column boundary that label words run across through their own ink, in
more rows than labels begin at it, is now no wall, and the template's count of label columns
takes out the rest that no label begins at.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from nianbao.layout.grid import Grid, GridCell, detect_grids
from nianbao.layout.lines import remove_lines
from nianbao.layout.structure import cell_boxes, cell_of_word, without_columns
from nianbao.ocr import get_engine
from nianbao.scan import _page_ink, read_structures
from nianbao.settings import Settings

DATA = Path(__file__).parents[1] / "data" / "scan"
PAGE_CHAR_H = 31.0  # the page's character height, as read_page measured it on the whole page
VALUE_X = 430.0  # the value columns begin at x = 438 (自然人)


def _read(settings: Settings):
    image = cv2.imread(str(DATA / "phone_label_strokes_taken_for_walls.png"))
    seal, gray, ink, _ = _page_ink(image)
    grids = detect_grids(ink, settings.layout, seal_mask=seal, char_h=PAGE_CHAR_H)
    text_ink = remove_lines(ink, max(int(3 * PAGE_CHAR_H), 20))
    straight = cv2.dilate(cv2.subtract(ink, text_ink), np.ones((3, 3), np.uint8))
    unruled = gray.copy()
    unruled[straight > 0] = 255
    engine = get_engine(settings.ocr)
    words = engine.detect_words(unruled, settings.structure.page_det_max_side)
    return grids, read_structures(gray, unruled, grids, PAGE_CHAR_H, engine, settings, words, None, text_ink)


def test_label_strokes_lined_up_are_no_walls() -> None:
    settings = Settings()
    grids, structures = _read(settings)
    # the failure: the line grid cuts the labels into a column per character or two
    assert len([x for x in grids[0].cols if x < VALUE_X]) > 6
    st = structures[0]
    grid = st.line_grid
    assert grid is not None and any("glyph strokes" in n for n in st.notes)
    # three label columns at most (group, sub-group, item), as the template has
    label_bounds = [x for x in grid.cols if x < VALUE_X]
    assert len(label_bounds) <= settings.structure.max_label_columns
    # every label word of the item rows lies in one cell of the grid
    boxes = cell_boxes(grid)
    m = settings.structure.crossing_chars * PAGE_CHAR_H
    labels = [w for w in st.words if (w[0] + w[2]) / 2 < VALUE_X and w[1] > 340 and w[3] - w[1] < 2 * PAGE_CHAR_H]
    assert len(labels) >= 6
    assert all(len(cell_of_word(grid, w, m, boxes)) == 1 for w in labels)


def test_without_the_evidence_the_strokes_stay_walls() -> None:
    settings = Settings()
    settings.structure.label_stroke_walls = False
    _, structures = _read(settings)
    assert len([x for x in structures[0].line_grid.cols if x < VALUE_X]) > 6


def test_a_column_band_is_cut_at_the_row_lines_its_pieces_end_at() -> None:
    # a label column cut by a stroke wall at x=20 into a tall strip (rows 0-2, the row rules
    # missed in it) and three cells of one row each: taken out, three cells of one row each
    cells = [GridCell(row=0, col=0, rowspan=3, bbox=(0, 0, 20, 30))]
    cells += [GridCell(row=r, col=1, bbox=(20, 10 * r, 40, 10 * r + 10)) for r in range(3)]
    cells += [GridCell(row=r, col=2, bbox=(40, 10 * r, 60, 10 * r + 10)) for r in range(3)]
    grid = Grid(bbox=(0, 0, 60, 30), rows=[0, 10, 20, 30], cols=[0, 20, 40, 60], cells=cells)
    out = without_columns(grid, [1])
    assert out.cols == [0, 40, 60]
    assert sorted((c.row, c.col, c.rowspan, c.colspan) for c in out.cells) == [
        (0, 0, 1, 1), (0, 1, 1, 1), (1, 0, 1, 1), (1, 1, 1, 1), (2, 0, 1, 1), (2, 1, 1, 1)]
    assert out.cell_at(1, 0).bbox == (0, 10, 40, 20)

"""Walls taken out of what the cells are read from, decided from the evidence on the page: a
wall's pixels go where its profile is the wall's own, and stay where a character touches it
(``layout.walls.erase_walls`` with ``StructureSettings.wall_touch_px``).

Two pages broke the one switch that erased every wall's columns or none:
- a grey flatbed scan (typeset report 017 of the spent set typeset2037, page 7, 240 dpi): the
  rules faded and broken by the scan are no long straight run, the crops of the zeros caught
  the pieces beside them, and 71 cells read "01" with the walls kept (200/200 erased);
- a 1-bit sheet fax (dev seed 4700 report 000, page 6, 200 dpi; seed 4602 before it): erased
  along their whole length, the walls took the strokes of the characters set on them."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from nianbao.layout import binarize
from nianbao.layout.walls import Wall, erase_walls, touching_rows
from nianbao.settings import Settings

DATA = Path(__file__).parents[1] / "data" / "scan"


def test_zeros_beside_faded_walls_of_a_grey_scan_read_without_the_walls() -> None:
    """The value columns of the application matrix, rows 一 .. 7.属于行政执法案卷 (crop of the
    page): with the walls kept, ten zeros read "01" or "0 1" (the wall's piece beside them)."""
    from nianbao.scan import read_page

    from nianbao.debug_draw import draw_structure

    img = cv2.imread(str(DATA / "typeset_flatbed_zeros_beside_faded_walls.jpg"))
    res = read_page(img, 7, 240.0, Settings(structure={"erase_walls": True}), keep_image=True)
    rows = [[c.text for c in r.cells] for r in res.rows if r.kind == "table"]
    values = [[t for t in r if t.isascii() and t] for r in rows]
    values = [v for v in values if len(v) == 7]
    assert len(values) >= 10
    assert values[0] == ["4", "0", "0", "0", "0", "0", "4"]
    assert all(set(v) <= {"0", "2", "4"} for v in values), values  # no "01", "0 1", "O"
    # ``nianbao debug --stage walls``: the walls along their segments (blue)
    walls = [w for st in res.structures for w in st.walls]
    assert len(walls) >= 7
    picture = draw_structure(res.image, res.structures, "walls", walls_kept=res.walls_kept)
    x = int(walls[3].x)
    band = picture[:, x - 3:x + 4].astype(int)
    assert ((band[..., 0] > 200) & (band[..., 1] < 60) & (band[..., 2] < 60)).sum() > 100


def test_a_character_on_a_wall_of_a_fax_keeps_its_strokes_where_the_wall_is_erased() -> None:
    """A 1-bit sheet fax (crop of the application matrix's header): the wall at x 66..67 runs
    down the value rows alone, and is erased there; followed up into the header (x 70..72, rows
    42..108), it crosses the strokes of a label's character (类). Erased in every row, the
    character lost every pixel on the wall's columns; kept where the character's ink runs on
    from the wall's edge, it keeps most of them."""
    gray = cv2.imread(str(DATA / "sheet_fax_label_stroke_on_wall.png"), cv2.IMREAD_GRAYSCALE)
    ink = binarize(gray)
    alone = Wall(66, 67, 118, 180, 50.0, ((118, 180, 66, 67),))
    under = Wall(70, 72, 42, 108, 50.0, ((42, 108, 70, 72),))
    on_wall = ink[42:108, 70:73] > 0
    assert on_wall.sum() > 30
    for touch in (None, 1):
        g, t = gray.copy(), ink.copy()
        erase_walls(g, t, [alone, under], touch, 7)  # a fifth of the page's 33 px characters
        # the wall where nothing touches it: gone from the image and from the text ink
        assert not (g[118:180, 66:68] < 128).any() and not t[118:180, 66:68].any()
        kept = (on_wall & (t[42:108, 70:73] > 0)).sum() / on_wall.sum()
        assert kept > 0.7 if touch is not None else kept == 0.0
    # the wall's own rows (its fringe and specks a fax leaves on it) are no character's touch
    assert not touching_rows(ink, 118, 180, 66, 67, 1, 7).any()


def test_a_stroke_flush_against_a_wall_touches_it_and_a_number_two_pixels_off_does_not() -> None:
    """The dotted walls of a Calc printout (seed-2034 sheet report 013, 150 dpi flatbed) with
    the zeros right-aligned two pixels from their wall: no row of the wall is a touch, so the
    wall is erased but where a row rule crosses it (its dots read into the zeros: "01"). The same page with a stroke
    drawn flush against the wall over 10 rows: those rows are."""
    gray = cv2.imread(str(DATA / "sheet_dotted_walls_numbers_against_them.jpg"), cv2.IMREAD_GRAYSCALE)
    ink = binarize(gray)
    h = gray.shape[0]
    touched = np.flatnonzero(touching_rows(ink, 0, h, 745, 747, 1))
    # only where a dotted row rule crosses the wall (its dots on both sides: no character)
    assert all((ink[y, 700:800] > 0).mean() > 0.4 for y in touched), touched
    flush = ink.copy()
    flush[100:110, 741:745] = 255
    rows = np.flatnonzero(touching_rows(flush, 0, h, 745, 747, 1))
    assert set(range(100, 110)) <= set(rows.tolist()) and len(set(rows.tolist()) - set(touched.tolist())) <= 12

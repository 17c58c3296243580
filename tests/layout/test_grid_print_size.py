"""The line grid's pixel floors are shares of a character (``GridSettings.floor_char_px``).

``lowres_sheet_applications_ink.png`` is the binarised ink of page 5 of dev seed 5001 report 000
(sheet family, lowres capture): the 2019 application matrix as LibreOffice Calc prints an xlsx
shrunk to the paper width, scanned at ~77 dpi, characters ~10 px high. With floors of whole
pixels (a 6-px gap always joined, 12-px line pieces) its labels' strokes were joined into
rows through the text: 39 rows at this size, 31 when the same ink was drawn twice as large.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from nianbao.layout import detect_grids
from nianbao.layout.grid import floors_at_print_size
from nianbao.settings import GridSettings, Settings

DATA = Path(__file__).resolve().parents[1] / "data" / "scan"


@pytest.fixture(scope="module")
def ink():
    return cv2.imread(str(DATA / "lowres_sheet_applications_ink.png"), cv2.IMREAD_GRAYSCALE)


def _shapes(grids):
    return [(g.n_rows, g.n_cols) for g in grids]


def test_small_print_grid_is_cut_as_the_same_print_drawn_larger(ink) -> None:
    lay = Settings().layout
    native = detect_grids(ink, lay, char_h=10.0)
    larger = detect_grids(cv2.resize(ink, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST), lay, char_h=20.0)
    assert _shapes(native) == _shapes(larger)
    # the matrix's title row over the template's 26 (3 header rows, 23 rows of values)
    assert native[0].n_rows == 27


def test_whole_pixel_floors_cut_small_print_through_its_labels(ink) -> None:
    lay = Settings().layout
    lay.grid.floor_char_px = 0.0  # off: the floors are pixels whatever the print
    assert detect_grids(ink, lay, char_h=10.0)[0].n_rows > 30


def test_floors_shrink_only_below_the_reference_print() -> None:
    p = GridSettings()
    assert floors_at_print_size(p, p.floor_char_px) == p
    assert floors_at_print_size(p, 2 * p.floor_char_px) == p
    half = floors_at_print_size(p, p.floor_char_px / 2)
    assert half.short_gap_px == pytest.approx(p.short_gap_px / 2)
    assert half.min_piece_px == round(p.min_piece_px / 2)
    assert floors_at_print_size(p, 1.0).joined_reach_px == 1  # whole pixels stay at least one
    assert half.piece_thin_chars == p.piece_thin_chars  # shares of a character are left as they are

"""A wide application matrix of small print on a 1-bit fax: the word detector must see its
characters at a working size, not the region shrunk to a fixed canvas.

Image: tests/data/scan/fax_sheet_matrix_unruled.png, the application matrix of spent seed-2043
sheet fax report 022 page 4 (300 dpi, deskewed by 0.83°, its solid rules taken out as
``scan.read_page`` does for the detector; the dotted inner rules stay). Characters are 21 px
high over a 2120-px wide region: at the detector's 960 px the digits are ~9 px and most of them
were not found (54 words of ~185), the word reading made 7 columns of the matrix and 0.16 of the
report's cells were right."""

from __future__ import annotations

from pathlib import Path

import cv2

from nianbao.layout.structure import find_words
from nianbao.ocr import get_engine
from nianbao.scan import region_det_side
from nianbao.settings import Settings

IMAGE = Path(__file__).parent.parent / "data" / "scan" / "fax_sheet_matrix_unruled.png"
CHAR_H = 21.0


def _words(side: int) -> list:
    img = cv2.imread(str(IMAGE), cv2.IMREAD_GRAYSCALE)
    h, w = img.shape
    engine = get_engine(Settings().ocr)
    return find_words(img, (0.0, 0.0, float(w), float(h)), lambda crop: engine.detect_words(crop, side))


def test_fax_wide_matrix_digits_found_at_the_side_that_brings_characters_to_working_size() -> None:
    st = Settings().structure
    img = cv2.imread(str(IMAGE), cv2.IMREAD_GRAYSCALE)
    side = region_det_side(max(img.shape), CHAR_H, st)
    assert side > st.det_max_side  # 21-px characters over 2120 px: drawn larger than 960
    words = _words(side)
    # the matrix: 28 value rows × 7 columns of numbers and its labels (181 words when written)
    assert len(words) >= 170
    narrow = [w for w in words if w[0] > 830 and (w[2] - w[0]) < 3 * CHAR_H]
    assert len(narrow) >= 130  # of 196 values (140 found when written)


def test_fax_wide_matrix_at_the_fixed_canvas_loses_its_digits() -> None:
    """What broke: at ``det_max_side`` the detector misses most of the digits."""
    words = _words(Settings().structure.det_max_side)
    narrow = [w for w in words if w[0] > 830 and (w[2] - w[0]) < 3 * CHAR_H]
    assert len(narrow) < 40  # 12 when written

"""A lone "/" (printed for "not applicable") that OCR reads as "1" is told from a "1" by the
slant of its ink (``scan._slash_check``, ``Settings.ocr.slash_min_slant``).

``tests/data/scan/sheet_slash_not_applicable.png``: the 规章 row of the active-disclosure table
of seed-2034 sheet report 013, page 3 (150 dpi flatbed scan of a LibreOffice Calc printout):
two "/" of a narrow serif face, 6 px wide and 17 px tall, leaning 14.5 degrees. With the
cells' crops clear of the dotted walls OCR read them as "1" at 0.98; the slant threshold
(15 degrees) let them pass as "1" (two wrong cells at 0.80). The "1"s of the same scan lean
0.5 to 4.6 degrees (``sheet_dotted_walls_numbers_against_them.jpg``)."""

from __future__ import annotations

from pathlib import Path

import cv2

from nianbao.layout import binarize, to_gray
from nianbao.ocr import Recognition
from nianbao.scan import CellRead, _slash_check
from nianbao.settings import Settings

DATA = Path(__file__).parents[1] / "data" / "scan"


def read_as_one(box) -> CellRead:
    cr = CellRead(0, 1, 1, 1, box)
    cr.line_boxes = [box]
    cr.texts = [Recognition("1", 0.98)]
    return cr


def test_a_narrow_serif_slash_read_as_1_is_a_slash() -> None:
    ink = binarize(to_gray(cv2.imread(str(DATA / "sheet_slash_not_applicable.png"))))
    cells = [read_as_one((33.0, 13.0, 39.0, 30.0)), read_as_one((230.0, 12.0, 236.0, 30.0))]
    _slash_check(cells, ink, Settings().ocr)
    assert [c.texts[0].text for c in cells] == ["/", "/"]


def test_a_1_of_the_same_scan_stays_a_1() -> None:
    ink = binarize(to_gray(cv2.imread(str(DATA / "sheet_dotted_walls_numbers_against_them.jpg"))))
    cells = [read_as_one((172.0, 93.0, 178.0, 107.0))]
    _slash_check(cells, ink, Settings().ocr)
    assert cells[0].texts[0].text == "1"

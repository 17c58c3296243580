"""A cell's crop shows only what lies inside the cell's walls.

``scanapp_zeros_against_left_walls.jpg``: fourteen rows of the application matrix of spent
mix2043 report 038 (typeset family, scanapp capture, page 5, 194 dpi) as the PDF gives it. The
typeset table sets its numbers flush against each cell's left wall, and the crop's margin caught
the wall's stroke: a "0" read "10" (and "lo", "jo", "o"), twenty cells of the report wrong. The
margin's column the rule ink covers is the wall, and it and what lies beyond it are painted with
the crop's paper (``StructureSettings.crop_wall_cover``), in the first crop and in the second
look's looser one, with ``StructureSettings.crop_inside_walls`` (off by default: see its note).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from nianbao.scan import read_scanned_pages
from nianbao.settings import Settings

DATA = Path(__file__).resolve().parents[1] / "data" / "scan"
NAME = "scanapp_zeros_against_left_walls.jpg"
# the printed values of the fourteen rows, from the report's truth
TRUTH = [["0"] * 7] * 2 + [["3", "0", "0", "0", "0", "0", "3"]] + [["0"] * 7] * 11


def _values(settings: Settings) -> list[list[str]]:
    doc = read_scanned_pages([cv2.imread(str(DATA / NAME))], settings)
    return [[c.text for c in r.cells[-7:]] for r in doc.rows if r.kind == "table" and len(r.cells) >= 8]


@pytest.mark.slow
def test_zero_set_against_its_cell_wall_is_not_read_ten():
    settings = Settings()
    settings.structure.crop_inside_walls = True
    assert _values(settings) == TRUTH


@pytest.mark.slow
def test_zero_set_against_its_cell_wall_read_ten_with_the_wall_in_its_crop():
    """The control: the walls left in the crops (the default) read "10" again."""
    values = _values(Settings())
    assert len(values) == len(TRUTH)
    assert sum(t == "10" for row in values for t in row) >= 3

"""Small print: a table shrunk to the paper width, photographed at low resolution.

``phone_small_print_applications.jpg`` is page 5 of held-out sheet seed 2034 report 014 as the
PDF reader gives it (a 1490 x 1987 phone photo, JPEG 75) of the 2019 application matrix as
LibreOffice Calc prints an xlsx: shrunk to fit the page width. Flattened at the page's 200 dpi
its characters are ~10 px high: the binarised labels are blobs whose strokes made a line grid of
41 columns, the labels read as nonsense and the matrix was not found (0 of its 161 cells in the
bench). The page's character height says it is small print, so the page is flattened again from
the photo at a scale that brings its characters to a working size (``LayoutSettings.small_print_*``),
and every later stage (rules, words, recognition crops) reads that larger page.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from nianbao.assembly import assemble
from nianbao.models import Document
from nianbao.scan import print_scale, read_page, region_det_side
from nianbao.settings import LayoutSettings, Settings, StructureSettings

DATA = Path(__file__).parents[1] / "data" / "scan"
NAME = "phone_small_print_applications.jpg"


def _applications(settings: Settings) -> tuple[object, dict[tuple[str, str], object]]:
    truth = json.loads((DATA / NAME.replace(".jpg", ".truth.json")).read_text(encoding="utf-8"))
    res = read_page(cv2.imread(str(DATA / NAME)), 1, truth["dpi"], settings)
    doc = Document(path=NAME, format="image", rows=res.rows, pages=[res.info], tables=res.layouts)
    table = next(t for t in assemble(doc, settings.assembly).tables if t.id == "applications")
    return res, {(c.row, c.col): c.value for c in table.cells} | {"found": table.found}, truth["applications"]


def _right(values: dict, truth: dict[str, int]) -> int:
    return sum(values.get(tuple(k.split("|"))) == v for k, v in truth.items())


def _small_print_settings() -> Settings:
    """Default settings, but the curl fitted as before horizontal rules were traced apart from
    the text (``LayoutSettings.curl_trace_rules_apart``). With them apart the bend fitted to this
    saved page moves by under 2 px, and that is enough for the small-print line grid to come out
    with 27 columns instead of 25 in the matrix's lower rows (112 of 161 right): the fragility of
    5-7 px print under pixel-sized thresholds, which
    ``test_small_print_grid_is_fragile_to_a_pixel_of_curl`` keeps in view. The whole report (held-out sheet seed 2034 report 014, read from
    its PDF) reads 198 of 198 with either setting, and on eight sheet phone reports of seeds 2034
    and 2036 tracing the rules apart reads 16 cells more."""
    settings = Settings()
    settings.layout.curl_trace_rules_apart = False
    return settings


@pytest.fixture(scope="module")
def small_print():
    return _applications(_small_print_settings())


def test_small_print_photo_matrix_read_after_the_page_is_drawn_larger(small_print) -> None:
    res, values, truth = small_print
    assert values["found"]
    assert _right(values, truth) >= 155  # of 161
    # the page the boxes refer to is the larger one, and says so in its dpi
    assert res.info.dpi > 200.0
    assert res.info.warp is not None and res.info.warp.width == int(res.info.width)


def test_small_print_grid_is_fragile_to_a_pixel_of_curl() -> None:
    """Was a known failure (a bend under 2 px apart gave this small-print grid 27 columns, see
    ``_small_print_settings``): the extra columns were the labels' strokes lined up, which
    ``structure.label_stroke_walls`` now takes out of the line grid."""
    _, values, truth = _applications(Settings())
    assert _right(values, truth) >= 155


def test_small_print_photo_matrix_lost_at_the_first_scale() -> None:
    """The old reading (the step off): a third of the matrix or more lost. (Before label strokes
    stopped making walls, ``label_stroke_walls``, fewer than 80 of 161 read; now 99: its label
    column is whole, its values still too small to read.)"""
    settings = _small_print_settings()
    settings.layout.small_print_rescale = False
    res, values, truth = _applications(settings)
    assert res.info.dpi == settings.layout.photo_dpi
    assert _right(values, truth) < len(truth) * 2 // 3


def test_print_scale_only_for_characters_below_the_working_size() -> None:
    lay = LayoutSettings()
    assert print_scale(lay.small_print_char_px + 1, lay) == 1.0
    assert print_scale(lay.small_print_target_char_px / 1.5, lay) == pytest.approx(1.5)
    assert print_scale(2.0, lay) == lay.small_print_max_scale
    lay.small_print_rescale = False
    assert print_scale(5.0, lay) == 1.0


def test_region_detector_side_brings_characters_to_a_working_size() -> None:
    st = StructureSettings()
    st.det_min_char_px = 0.0
    # off: the detector's own side
    assert region_det_side(2000, 10.0, st) == st.det_max_side
    # 21-px characters of a 2100-px wide table reach the detector at 14 px, within the cap
    st.det_min_char_px = 14.0
    assert region_det_side(2100, 21.0, st) == min(1400, st.small_print_det_max_side)
    # large print or a narrow crop: nothing changes
    assert region_det_side(2000, 40.0, st) == st.det_max_side
    assert region_det_side(900, 10.0, st) == st.det_max_side
    # the side that brings 20-px characters to 14 px, within the crop and the cap
    assert region_det_side(2000, 20.0, st) == min(1400, st.small_print_det_max_side)
    st.small_print_det_max_side = 1600
    assert region_det_side(2000, 20.0, st) == 1400
    assert region_det_side(1000, 10.0, st) == 1000
    assert region_det_side(4000, 10.0, st) == st.small_print_det_max_side
    assert region_det_side(2000, 40.0, st) == st.det_max_side


def test_detector_character_size_read_under_its_former_small_print_name(monkeypatch) -> None:
    # small_print_det_char_px asked det_min_char_px's question of small-print pages only: one
    # field now, and settings written with the old name (JSON, environment) still set it
    assert StructureSettings.model_validate({"small_print_det_char_px": 9.0}).det_min_char_px == 9.0
    both = {"det_min_char_px": 12.0, "small_print_det_char_px": 14.0}
    assert StructureSettings.model_validate(both).det_min_char_px == 12.0
    monkeypatch.setenv("NIANBAO_STRUCTURE__SMALL_PRINT_DET_CHAR_PX", "10")
    assert Settings().structure.det_min_char_px == 10.0
    monkeypatch.delenv("NIANBAO_STRUCTURE__SMALL_PRINT_DET_CHAR_PX")
    monkeypatch.setenv("NIANBAO_STRUCTURE__DET_MIN_CHAR_PX", "11")
    assert Settings().structure.det_min_char_px == 11.0

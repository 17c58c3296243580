"""Pages as a camera sees them (nianbao.layout.page): a phone photo of a table page (curl,
perspective, turn, uneven light, desk) is found, flattened and read to its true values; a
flatbed page passes through untouched; a table page turned 90°/180°/270° comes back upright
with its values; the flattening is recorded so the page can be drawn again and debugged.

Images: tests/data/photo (made by make_photos.py from fixtures/samples/002.pdf page 4)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from nianbao.errors import UsageError
from nianbao.ingest import iter_page_images, render_page
from nianbao.layout import rotate_quadrant
from nianbao.layout.page import estimate_curl, find_page_quad, prepare_page
from nianbao.settings import Settings

DATA = Path(__file__).parent / "data" / "photo"
PHOTO = DATA / "phone_applications.jpg"
FLATBED = DATA / "applications_page.jpg"


@pytest.fixture(scope="module")
def truth() -> list[list[str]]:
    return json.loads((DATA / "photos.json").read_text(encoding="utf-8"))["applications_rows"]


@pytest.fixture(scope="module")
def photo_page():
    return next(iter_page_images(PHOTO, Settings()))


def _value_rows(res) -> list[list[str]]:
    """The numbers of each table row read on a page (label cells left out), top to bottom."""
    out = []
    for row in res.rows:
        if row.kind != "table":
            continue
        nums = [c.text.strip() for c in row.cells if c.text.strip().isdigit()]
        if len(nums) >= 5:
            out.append(nums)
    return out


def test_page_quad_of_a_phone_photo_is_found_and_flattened_to_a4_at_photo_dpi(photo_page):
    lay = Settings().layout
    quad, scores = find_page_quad(photo_page.image, lay)
    assert quad is not None, scores
    # each corner within 1.5 % of the photo's long side of where the page's corner was put
    corners = np.array(json.loads((DATA / "photos.json").read_text(encoding="utf-8"))["phone_corners"])
    assert np.abs(quad - corners).max() < 0.015 * max(photo_page.image.shape[:2])
    prep = prepare_page(photo_page.image, photo_page.dpi, lay)
    ph, pw = prep.image.shape[:2]
    assert prep.dpi == lay.photo_dpi
    assert (pw, ph) == (round(lay.page_long_side_in * lay.photo_dpi / np.sqrt(2)), round(lay.page_long_side_in * lay.photo_dpi))
    assert prep.homography is not None and prep.warp is not None


def test_page_on_a_pale_desk_under_shadow_is_found_by_its_edges():
    """Paper and desk close in tone under a strong shadow: no global threshold splits them,
    the paper's edge does (the page's own drop shadow may be taken for its lower edge)."""
    img = cv2.imread(str(DATA / "phone_pale_desk.jpg"))
    quad, scores = find_page_quad(img, Settings().layout)
    assert quad is not None, scores
    assert scores["quad_from"].startswith("edges")
    corners = np.array(json.loads((DATA / "photos.json").read_text(encoding="utf-8"))["pale_desk_corners"])
    assert np.abs(quad - corners).max() < 0.03 * max(img.shape[:2])


def test_page_running_out_of_the_frame_on_one_side_is_found_by_its_other_sides():
    """A landscape sheet photographed close (spent seed-2043 sheet phone report 012 page 6, the
    photo halved): the page runs out of the picture on the right, where there is no edge. The
    other three sides sit on the paper's edge; without leaving the frame's side out the quad
    was refused, the page read unflattened and its small review matrix lost (15 cells)."""
    img = cv2.imread(str(DATA / "phone_page_off_the_frame.jpg"))
    h, w = img.shape[:2]
    lay = Settings().layout
    quad, scores = find_page_quad(img, lay)
    assert quad is not None, scores
    # the page: the middle half of the frame's height, across its whole width
    tl, tr, br, bl = quad
    assert tr[0] > w - 0.02 * w and br[0] > w - 0.02 * w  # the right side: the frame's edge
    assert tl[0] < 0.05 * w and bl[0] < 0.05 * w
    assert 0.25 * h < tl[1] < 0.32 * h and 0.25 * h < tr[1] < 0.32 * h
    assert 0.75 * h < bl[1] < 0.82 * h and 0.75 * h < br[1] < 0.82 * h
    lay.page_max_frame_sides = 0
    assert find_page_quad(img, lay)[0] is None  # what broke: every side had to show an edge


def test_flatbed_page_with_a_dark_band_on_one_side_is_no_photo():
    """A page to the frame's edges on three sides (a scan with the lid's shadow or a book's
    gutter along the fourth) is a flatbed page: only one side may run along the frame."""
    img = cv2.imread(str(FLATBED))
    img = img.copy()
    img[:, : img.shape[1] // 12] = 60
    quad, scores = find_page_quad(img, Settings().layout)
    assert quad is None, scores


def _paper_tone_range(img: np.ndarray) -> tuple[float, float]:
    """Darkest and brightest paper tone (90th percentile of 100 px tiles) inside a page."""
    g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img
    h, w = g.shape
    b = int(0.05 * min(h, w))
    g = g[b:h - b, b:w - b]
    tones = [np.percentile(g[y:y + 100, x:x + 100], 90)
             for y in range(0, g.shape[0] - 100, 100) for x in range(0, g.shape[1] - 100, 100)]
    return float(min(tones)), float(max(tones))


def test_shadow_on_a_photographed_page_is_evened_out():
    """A strong shadow halves the paper's brightness over part of the page; flattened, the
    page's paper is one tone again, so faint rules under the shadow keep their contrast."""
    img = cv2.imread(str(DATA / "phone_pale_desk.jpg"))
    settings = Settings()
    settings.layout.photo_even_light = False
    lo, hi = _paper_tone_range(prepare_page(img, 120, settings.layout).image)
    assert hi - lo > 60  # the shadow as photographed
    lo, hi = _paper_tone_range(prepare_page(img, 120, Settings().layout).image)
    assert hi - lo < 15


def test_curl_of_a_phone_photo_is_taken_out(photo_page):
    lay = Settings().layout
    prep = prepare_page(photo_page.image, photo_page.dpi, lay)
    assert prep.curl is not None
    before = prep.curl.max_shift()
    assert before > 10, prep.curl.scores  # the rules and lines bowed by tens of pixels
    # measured again on the flattened page: text lines and rules bend by a fraction of what
    # they did (rms across each traced line, horizontal and vertical)
    again = estimate_curl(prep.image, lay)
    assert again is not None
    for axis in ("dy", "dx"):
        assert again.scores[f"{axis}_rms_before"] < 0.3 * prep.curl.scores[f"{axis}_rms_before"], (again.scores, prep.curl.scores)
        assert again.scores[f"{axis}_rms_before"] < 1.0


def test_flatbed_page_passes_through_untouched():
    page = next(iter_page_images(FLATBED, Settings()))
    prep = prepare_page(page.image, page.dpi, Settings().layout)
    assert prep.image is page.image and prep.dpi == page.dpi
    assert prep.quad is None and prep.curl is None and prep.warp is None


def test_phone_photo_with_curl_and_perspective_reads_every_value(photo_page, truth):
    from nianbao.scan import read_page

    res = read_page(photo_page.image, 1, photo_page.dpi, Settings())
    assert res.info.warp is not None and res.info.dpi == Settings().layout.photo_dpi
    assert len(res.grids) == 1
    assert _value_rows(res) == truth


def test_phone_photo_without_the_page_stage_loses_the_table(photo_page, truth):
    """The same photo read as if it were a flatbed page: the bent rules break the grid apart,
    which is what the page stage is for (keeps the test above honest)."""
    from nianbao.scan import read_page

    settings = Settings()
    settings.layout.photo_pages = False
    res = read_page(photo_page.image, 1, photo_page.dpi, settings)
    assert _value_rows(res) != truth


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_table_page_turned_comes_back_upright_with_its_values(turn, truth):
    from nianbao.scan import read_page

    page = next(iter_page_images(FLATBED, Settings()))
    turned = rotate_quadrant(page.image, (360 - turn) % 360)  # the page turned counter-clockwise by `turn`
    res = read_page(turned, 1, page.dpi, Settings())
    assert res.info.rotation == turn
    assert _value_rows(res) == truth


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_phone_photo_turned_comes_back_upright_and_replays(photo_page, turn):
    """A photo taken the other way round: the flat page is turned upright (0°/180° asked again
    once the curl is out: bent lines make poor crops for the vote), and the recorded warp
    draws the same upright page again."""
    from nianbao.layout.page import redo_page_warp
    from nianbao.ocr import get_engine
    from nianbao.scan import page_orienter

    settings = Settings()
    turned = rotate_quadrant(photo_page.image, (360 - turn) % 360)
    prep = prepare_page(turned, photo_page.dpi, settings.layout, page_orienter(get_engine(settings.ocr), settings.layout))
    assert prep.rotation == turn
    assert prep.image.shape[0] > prep.image.shape[1]  # portrait again
    again = redo_page_warp(turned, prep.warp, prep.rotation, prep.skew)
    assert float(np.abs(again.astype(np.int16) - prep.image.astype(np.int16)).mean()) < 1.0


def test_report_page_image_replays_the_flattening(photo_page, tmp_path):
    """Boxes of a photographed page refer to the flat page: render_page with the recorded warp
    draws that same picture again from the file."""
    lay = Settings().layout
    prep = prepare_page(photo_page.image, photo_page.dpi, lay)
    again = render_page(PHOTO, 1, prep.dpi, settings=Settings(), warp=prep.warp)
    assert again.shape == prep.image.shape
    diff = np.abs(again.astype(np.int16) - prep.image.astype(np.int16))
    assert float(diff.mean()) < 1.0


def test_debug_stage_page_draws_the_quad_and_the_curl(tmp_path):
    from nianbao.debug import debug_page

    out = debug_page(PHOTO, 1, tmp_path / "page.png", stage="page")
    img = cv2.imread(str(out))
    src = cv2.imread(str(PHOTO))
    assert img is not None and img.shape[1] > src.shape[1]  # the photo and the flat page side by side
    green = (img[..., 1] > 150) & (img[..., 0] < 60) & (img[..., 2] < 60)
    assert green.sum() > 1000  # the page quad
    orange = (img[..., 2] > 200) & (img[..., 1] > 80) & (img[..., 1] < 160) & (img[..., 0] < 60)
    assert orange.sum() > 200  # the curl displacement arrows
    with pytest.raises(UsageError):
        debug_page(PHOTO, 1, tmp_path / "x.png", stage="nonsense")

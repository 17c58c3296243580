"""The capture models of fixtures/fx_capture.py: deterministic from the seed, and each page
shows what its manifest record says (checked on the pixels, against the clean render).

Input: one page of the committed born-digital sample 000.pdf (a ruled table page), so no
renderer is needed and each test takes about a second.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
sys.path.insert(0, str(FIXTURES))

import fx_capture  # noqa: E402

NO_SEAL = {"seal_in_document": True}


@pytest.fixture(scope="module")
def table_page(tmp_path_factory) -> Path:
    """Page 2 of the born-digital sample 000 (applications matrix and 第二十条 tables) as its own PDF."""
    src = pdfium.PdfDocument(str(FIXTURES / "samples" / "000.pdf"))
    dst = pdfium.PdfDocument.new()
    dst.import_pages(src, [1])
    path = tmp_path_factory.mktemp("cap") / "page.pdf"
    dst.save(str(path))
    dst.close(), src.close()
    return path


def page_pixels(pdf_path: Path, index: int = 0) -> np.ndarray:
    """The page's embedded image at its own size (grey uint8)."""
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        page = pdf[index]
        img = next(iter(page.get_objects()))
        arr = img.get_bitmap(render=False).to_numpy()
    finally:
        pdf.close()
    if arr.ndim == 3:
        arr = cv2.cvtColor(arr[..., :3], cv2.COLOR_BGR2GRAY)
    return arr


def clean_gray(pdf_path: Path, dpi: float) -> np.ndarray:
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        return cv2.cvtColor(fx_capture.render_rgb(pdf[0], dpi), cv2.COLOR_RGB2GRAY)
    finally:
        pdf.close()


def capture(table_page: Path, out: Path, condition: str, seed: int, force: dict | None = None) -> dict:
    return fx_capture.capture_pdf(condition, str(table_page), str(out), np.random.default_rng(seed), NO_SEAL, {}, force)


@pytest.mark.parametrize("condition", ["phone", "lowres", "fax", "hairline", "copier", "scanapp", "sealscan", "bookscan"])
def test_capture_deterministic_from_seed(table_page, tmp_path, condition):
    small = {"long_side_px": 1600} if condition == "phone" else None  # the smallest photo: a faster test
    if condition == "scanapp":
        small = {"photo_long_side_px": 1600, "out_long_px": 1700}
    if condition in ("sealscan", "bookscan"):
        small = {"dpi": 200}
    a = capture(table_page, tmp_path / "a.pdf", condition, 3, small)
    b = capture(table_page, tmp_path / "b.pdf", condition, 3, small)
    c = capture(table_page, tmp_path / "c.pdf", condition, 4, small)
    assert a == b and a["condition"] == condition
    assert np.array_equal(page_pixels(tmp_path / "a.pdf"), page_pixels(tmp_path / "b.pdf"))
    pa, pc = page_pixels(tmp_path / "a.pdf"), page_pixels(tmp_path / "c.pdf")
    assert a != c and (pa.shape != pc.shape or not np.array_equal(pa, pc))
    pdf = pdfium.PdfDocument(str(tmp_path / "a.pdf"))
    try:  # image-only: no text layer, one picture filling the page
        assert pdf[0].get_textpage().get_text_range().strip() == ""
    finally:
        pdf.close()


def test_phone_photo_page_lies_where_the_manifest_says(table_page, tmp_path):
    rec = capture(table_page, tmp_path / "p.pdf", "phone", 8)
    rep, p = rec["report"], rec["pages"][0]
    img = page_pixels(tmp_path / "p.pdf")
    h, w = img.shape
    assert 1600 <= max(h, w) <= 3000 and [w, h] == p["size_px"] and max(h, w) == rep["long_side_px"]
    assert abs(p["turn_deg"]) <= rep["turn_max_deg"] and 1.0 <= rep["turn_max_deg"] <= 4.0
    assert all(abs(d) <= rep["corner_shift_max"] + 1e-3 for s in p["corner_shifts_frac"] for d in s)
    assert 0 < p["curl_y"] <= rep["curl_max"] and 70 <= p["jpeg_quality"] <= 92
    # undo the recorded perspective: the page comes back (curl and light aside) as the clean render
    clean = clean_gray(table_page, 50)
    ch, cw = clean.shape
    quad = np.array(p["page_corners_px"], np.float32)
    ref = cv2.GaussianBlur(clean, (0, 0), 2.0).astype(np.float32).ravel()

    def agreement(q: np.ndarray) -> float:
        m = cv2.getPerspectiveTransform(q, np.float32([[0, 0], [cw, 0], [cw, ch], [0, ch]]))
        back = cv2.warpPerspective(img, m, (cw, ch), flags=cv2.INTER_AREA)
        return float(np.corrcoef(cv2.GaussianBlur(back, (0, 0), 2.0).astype(np.float32).ravel(), ref)[0, 1])

    right, shifted = agreement(quad), agreement(quad + np.float32([0.03 * w, 0.02 * h]))
    assert right > 0.5 and right > shifted + 0.15, (right, shifted)
    # the desk is outside the quadrilateral: a frame band differs from the page paper
    inside = np.zeros_like(img)
    cv2.fillConvexPoly(inside, quad.astype(np.int32), 1)
    assert inside.mean() < 0.9 and inside[0, 0] == 0


def test_lowres_scan_is_grey_100_to_120_dpi_heavy_jpeg(table_page, tmp_path):
    rec = capture(table_page, tmp_path / "l.pdf", "lowres", 5)
    p = rec["pages"][0]
    assert 100 <= p["dpi"] <= 120 and p["jpeg_quality"] <= 35 and p["bits"] == 8
    img = page_pixels(tmp_path / "l.pdf")
    pdf = pdfium.PdfDocument(str(tmp_path / "l.pdf"))
    try:
        wpt, hpt = pdf[0].get_size()
    finally:
        pdf.close()
    assert img.shape == (p["size_px"][1], p["size_px"][0])
    assert abs(img.shape[1] - wpt * p["dpi"] / 72) <= 2 and abs(img.shape[0] - hpt * p["dpi"] / 72) <= 2


def test_fax_page_is_one_bit_with_recorded_speckle(table_page, tmp_path):
    rec = capture(table_page, tmp_path / "f.pdf", "fax", 6, {"speckle_per_mpx": 300, "max_skew": 0.0})
    p = rec["pages"][0]
    img = page_pixels(tmp_path / "f.pdf")
    assert p["bits"] == 1 and set(np.unique(img).tolist()) <= {0, 255}
    assert p["specks"] == int(300 * img.size / 1e6) and p["specks"] > 0
    # speckle: black dots on paper that is white on the clean render (far from any ink)
    clean = clean_gray(table_page, p["dpi"])
    far = cv2.erode((clean > 250).astype(np.uint8), np.ones((15, 15), np.uint8)).astype(bool)
    stray = (img[: far.shape[0], : far.shape[1]] == 0) & far
    assert stray.sum() >= p["specks"] * 0.3
    # the text survives: most ink of the clean page is black on the fax
    ink = clean < 100
    assert (img[ink] == 0).mean() > 0.8


@pytest.mark.parametrize("outer_kept", [False, True])
def test_hairline_rules_keep_at_most_30_percent_text_stays(table_page, tmp_path, outer_kept):
    force = {"max_skew": 0.0, "dpi": 200, "keep_max": 0.3, "vanish_share": 0.3, "outer_kept": outer_kept}
    rec = capture(table_page, tmp_path / "h.pdf", "hairline", 9, force)
    p = rec["pages"][0]
    assert p["rule_components"] >= 3 and p["darkness_kept"] <= 0.3 and (p["outer_pixels"] > 0) == outer_kept
    img = page_pixels(tmp_path / "h.pdf").astype(np.float32)
    clean = clean_gray(table_page, 200)
    assert img.shape == clean.shape
    rules = fx_capture.rule_mask(clean, 200).astype(bool)
    paper = float(np.median(img))
    dark_clean = 255.0 - clean.astype(np.float32)
    dark_now = np.clip(paper - img, 0, None)
    text = (clean < 120) & ~cv2.dilate(rules.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    text_kept = dark_now[text].mean() / dark_clean[text].mean()
    rule_kept = dark_now[rules].mean() / dark_clean[rules].mean()
    assert text_kept > 0.75, text_kept
    if outer_kept:
        assert rule_kept < 0.8, rule_kept
    else:
        assert rule_kept < 0.3 + 0.1, rule_kept  # JPEG and blur spread a little darkness back


def test_copier_darkens_greys_drops_light_ones_and_records_its_marks(table_page, tmp_path):
    """A photocopy: a grey page at the recorded dpi; the clean page's dark ink stays dark, its light
    greys (above the white point) come out as paper; each recorded streak and edge shadow is a dark
    band where the manifest says; the toner specks are as many as recorded."""
    force = {"dpi": 200, "zoom": 1.0, "max_skew": 0.0, "white_point": 200, "gamma": 2.0, "streaks_max": 3,
             "edge_shadow": True, "speckle_per_mpx": 200}
    for seed in range(20, 40):  # a seed that draws at least one streak
        rec = capture(table_page, tmp_path / "c.pdf", "copier", seed, force)
        if rec["pages"][0]["streaks"]:
            break
    p = rec["pages"][0]
    assert rec["condition"] == "copier" and p["bits"] == 8 and p["dpi"] == 200
    assert p["specks"] == int(200 * p["size_px"][0] * p["size_px"][1] / 1e6)
    img = page_pixels(tmp_path / "c.pdf").astype(np.float32)
    clean = clean_gray(table_page, 200)
    m = np.float32([[1, 0, p["shift_mm"][0] / 25.4 * 200], [0, 1, p["shift_mm"][1] / 25.4 * 200]])
    clean = cv2.warpAffine(clean, m, (img.shape[1], img.shape[0]), borderValue=255)
    paper = float(np.median(img))
    shadow = np.zeros(img.shape, bool)
    for s in p["edge_shadows"]:
        w = s["width_px"]
        band = {"left": (slice(None), slice(0, w)), "right": (slice(None), slice(-w, None)),
                "top": (slice(0, w), slice(None)), "bottom": (slice(-w, None), slice(None))}[s["side"]]
        shadow[band] = True
        outer = {"left": (slice(None), slice(0, 3)), "right": (slice(None), slice(-3, None)),
                 "top": (slice(0, 3), slice(None)), "bottom": (slice(-3, None), slice(None))}[s["side"]]
        assert img[outer].mean() < paper * (1 - 0.6 * s["darkness"]), s
    inked = cv2.erode((clean < 60).astype(np.uint8), np.ones((2, 2), np.uint8)).astype(bool) & ~shadow
    assert img[inked].mean() < 90
    light = (clean > 215) & (clean < 245)
    light &= ~cv2.dilate((clean < 215).astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool) & ~shadow
    if light.sum() > 50:  # pale anti-aliased edges far from ink: paper now
        assert img[light].mean() > paper - 25
    for st in p["streaks"]:
        y0, y1 = st["y"]
        col = img[y0:y1, st["x"]: st["x"] + st["width"]]
        bare = (clean[y0:y1, st["x"]: st["x"] + st["width"]] > 250) & ~shadow[y0:y1, st["x"]: st["x"] + st["width"]]
        if bare.sum() > 100:
            assert col[bare].mean() < paper - 0.5 * 255 * st["darkness"] * 0.5, st


@pytest.mark.parametrize("mode", ["bw", "grey"])
def test_scanapp_page_is_flat_app_sized_and_binarised_in_bw_mode(table_page, tmp_path, mode):
    """A scanner app's page: the app's size (page aspect kept), flattened (the recorded residual skew
    is small), black and white (but for JPEG's ringing) in ``bw`` mode, grey with white paper in
    ``grey`` mode; the content lines up with the clean page."""
    force = {"photo_long_side_px": 1800, "out_long_px": 1754, "mode": mode, "corner_error_frac": 0.0}
    rec = capture(table_page, tmp_path / "s.pdf", "scanapp", 12, force)
    p = rec["pages"][0]
    assert rec["report"]["mode"] == mode and rec["report"]["photo"]["long_side_px"] == 1800
    img = page_pixels(tmp_path / "s.pdf")
    assert img.shape[0] == 1754 and abs(img.shape[1] - 1754 * 595.28 / 841.89) <= 2
    assert p["size_px"] == [img.shape[1], img.shape[0]]
    assert abs(p["skew_deg"]) < 0.01 and p["photo"]["turn_deg"] != 0
    if mode == "bw":
        assert ((img > 40) & (img < 215)).mean() < 0.08
    assert np.median(img) > 235  # the light's unevenness divided out: the paper is white all over
    clean = cv2.resize(clean_gray(table_page, 150), (img.shape[1], img.shape[0]), interpolation=cv2.INTER_AREA)
    a = cv2.GaussianBlur(img.astype(np.float32), (0, 0), 4).ravel()
    b = cv2.GaussianBlur(clean.astype(np.float32), (0, 0), 4).ravel()
    assert np.corrcoef(a, b)[0, 1] > 0.6


@pytest.fixture(scope="module")
def signed_pages(tmp_path_factory) -> Path:
    """The last two pages of the born-digital sample 000 (a table page, then the signature page)."""
    src = pdfium.PdfDocument(str(FIXTURES / "samples" / "000.pdf"))
    dst = pdfium.PdfDocument.new()
    dst.import_pages(src, [len(src) - 2, len(src) - 1])
    path = tmp_path_factory.mktemp("signed") / "signed.pdf"
    dst.save(str(path))
    dst.close(), src.close()
    return path


def colour_pixels(pdf_path: Path, index: int) -> np.ndarray:
    """The page's embedded image as RGB uint8."""
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        arr = next(iter(pdf[index].get_objects())).get_bitmap(render=False).to_numpy()
    finally:
        pdf.close()
    assert arr.ndim == 3
    return cv2.cvtColor(arr[..., :3], cv2.COLOR_BGR2RGB)


def red(rgb: np.ndarray) -> np.ndarray:
    r, g, b = (rgb[..., k].astype(int) for k in range(3))
    return (r > 150) & (r - g > 60) & (r - b > 60)


def test_sealscan_stamps_signature_table_edge_and_page_edges_in_colour(signed_pages, tmp_path):
    """Colour JPEG pages; the table-edge seal is red ink where the record says; every page carries
    its slice of the 骑缝章 at its right edge; the handwritten signature is drawn by the signer's name."""
    sign = {"seal_text": "东林街道办事处", "sign_name": "东林街道办事处", "sign_date": "2021年3月12日"}
    rec = fx_capture.capture_pdf("sealscan", str(signed_pages), str(tmp_path / "s.pdf"), np.random.default_rng(5), sign,
                                 {"applications": [1]}, {"table_seal": True, "edge_seal": True, "signature": True, "max_skew": 0, "dpi": 200})
    pages = rec["pages"]
    assert rec["condition"] == "sealscan" and len(pages) == 2
    table_seal = [m for m in pages[0]["marks"] if m["where"] == "table_edge"]
    assert len(table_seal) == 1
    rgb = colour_pixels(tmp_path / "s.pdf", 0)
    x, y, d = table_seal[0]["x"], table_seal[0]["y"], table_seal[0]["diameter"]
    assert red(rgb[max(0, y - d // 2): y + d // 2, max(0, x - d // 2): x + d // 2]).mean() > 0.03
    for k in range(2):
        rgb = colour_pixels(tmp_path / "s.pdf", k)
        edge = [m for m in pages[k]["marks"] if m["where"] == "page_edge"]
        assert edge and edge[0]["slice"] == [k, 2]
        assert red(rgb[:, -rgb.shape[1] // 40:]).any()
    assert pages[1]["handwritten_signature"] and pages[1]["seals"]  # the signature, and the seal over it
    assert pages[0]["handwritten_signature"] is None


def test_bookscan_gutter_alternates_sides_and_darkens_its_edge(signed_pages, tmp_path):
    rec = fx_capture.capture_pdf("bookscan", str(signed_pages), str(tmp_path / "b.pdf"), np.random.default_rng(6), NO_SEAL, {},
                                 {"first_gutter": "left", "gutter_depth": 0.8, "mode": "L", "max_skew": 0, "dpi": 200})
    assert [p["gutter"] for p in rec["pages"]] == ["left", "right"]
    for k, side in enumerate(("left", "right")):
        g = page_pixels(tmp_path / "b.pdf", k).astype(float)
        band = g.shape[1] // 50
        mid = slice(g.shape[0] // 4, 3 * g.shape[0] // 4)
        dark, light = (g[mid, :band].mean(), g[mid, -band:].mean())
        if side == "right":
            dark, light = light, dark
        assert dark < light - 60, (k, dark, light)


def test_unknown_condition_is_refused(table_page, tmp_path):
    with pytest.raises(ValueError, match="phone"):
        capture(table_page, tmp_path / "x.pdf", "camera", 1)

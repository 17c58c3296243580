"""Layout on real page images: grids with merged cells, seals, faint/broken lines,
orientation and deskew, text lines outside tables."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from nianbao.layout import (
    apply_upright,
    detect_grids,
    detect_orientation,
    estimate_skew,
    find_text_lines,
    ink_mask,
    red_mask,
    remove_red,
    rotate_quadrant,
    rotate_small,
)
from nianbao.layout.orient import is_upside_down, reads_upright
from nianbao.settings import Settings

LAYOUT = Settings().layout

DATA = Path(__file__).resolve().parents[1] / "data" / "scan"


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    return cv2.imread(str(DATA / "applications.png"))


def _merged(grid):
    return {(c.row, c.col, c.rowspan, c.colspan) for c in grid.cells if c.rowspan > 1 or c.colspan > 1}


EXPECTED_MERGED = {
    (0, 0, 3, 3), (0, 3, 1, 7), (1, 3, 2, 1), (1, 4, 1, 5), (1, 9, 2, 1),  # header block
    (3, 0, 1, 3), (4, 0, 1, 3), (25, 0, 1, 3),  # 一、二、四、 rows span the three label columns
    (5, 0, 20, 1),  # vertical 三、本年度办理结果
    (7, 1, 8, 1), (15, 1, 3, 1), (18, 1, 5, 1),  # （三）（四）（五）
    (5, 1, 1, 2), (6, 1, 1, 2), (23, 1, 1, 2), (24, 1, 1, 2),
}


def test_grid_with_merged_cells(page):
    grids = detect_grids(ink_mask(page), LAYOUT)
    assert len(grids) == 1
    g = grids[0]
    assert (g.n_rows, g.n_cols) == (26, 10)
    assert _merged(g) == EXPECTED_MERGED
    # every grid position is covered by exactly one cell
    cover = np.zeros((26, 10), int)
    for c in g.cells:
        cover[c.row:c.row + c.rowspan, c.col:c.col + c.colspan] += 1
    assert (cover == 1).all()
    # boxes in page pixels: the table sits below the heading
    x0, y0, x1, y1 = g.bbox
    assert 60 < x0 < 80 and 160 < y0 < 185 and 1160 < x1 < 1180 and 865 < y1 < 885


def _stamp(img: np.ndarray, center, radius: int, alpha: float = 0.85) -> np.ndarray:
    """A red seal (ring, star, strokes) blended over the page like ink on paper."""
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.circle(mask, center, radius, 255, 6)
    cv2.circle(mask, center, radius - 14, 255, 2)
    pts = []
    for k in range(10):
        r = radius * (0.35 if k % 2 else 0.14)
        a = -np.pi / 2 + k * np.pi / 5
        pts.append((int(center[0] + r * np.cos(a)), int(center[1] + r * np.sin(a))))
    cv2.fillPoly(mask, [np.array(pts)], 255)
    m = (cv2.GaussianBlur(mask, (3, 3), 0).astype(np.float32) / 255.0 * alpha)[..., None]
    red = np.array([38, 32, 205], np.float32)
    out = img.astype(np.float32) * (1 - m) + red * m
    return out.clip(0, 255).astype(np.uint8)


def test_red_seal_over_table_is_removed(page):
    stamped = _stamp(page, (900, 420), 130)
    assert red_mask(stamped).sum() > 0
    g = detect_grids(ink_mask(stamped), LAYOUT, seal_mask=red_mask(stamped))
    assert len(g) == 1 and (g[0].n_rows, g[0].n_cols) == (26, 10)
    assert _merged(g[0]) == EXPECTED_MERGED
    # the seal's ink is gone from what OCR would see
    cleaned = remove_red(stamped)
    assert red_mask(cleaned).sum() == 0


def test_faint_and_broken_lines(page):
    img = page.copy()
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    # fade the ruling lines (long dark runs) to light grey and cut gaps into them
    ink = (gray < 128).astype(np.uint8) * 255
    h = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (60, 1)))
    v = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 20)))
    lines = cv2.bitwise_or(h, v) > 0
    img[lines] = 175
    rng = np.random.default_rng(1)
    for _ in range(150):
        x, y = int(rng.integers(70, 1170)), int(rng.integers(170, 880))
        img[y - 1:y + 2, x:x + 4] = 255  # short breaks in horizontal lines
        img[y:y + 4, x - 1:x + 2] = 255  # and vertical ones
    g = detect_grids(ink_mask(img), LAYOUT)
    assert len(g) == 1 and (g[0].n_rows, g[0].n_cols) == (26, 10)


def _cut_line_bands(img: np.ndarray, share: float, seed: int) -> np.ndarray:
    """Erase bands 3–21 px wide from every ruling line (the same x bands on all horizontal
    lines, y bands on vertical ones), overlapping into gaps of several character heights."""
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    ink = (gray < 128).astype(np.uint8) * 255
    hl = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (60, 1)))
    vl = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 40)))
    hl = cv2.dilate(hl, np.ones((3, 1), np.uint8))
    vl = cv2.dilate(vl, np.ones((1, 3), np.uint8))
    rng = np.random.default_rng(seed)
    H, W = gray.shape
    cols, rows = np.zeros(W, bool), np.zeros(H, bool)
    for arr, n in ((cols, W), (rows, H)):
        for x0, ln in zip(rng.integers(0, n, int(n * share / 12)), rng.integers(3, 22, int(n * share / 12))):
            arr[x0:x0 + ln] = True
    out = img.copy()
    out[(hl > 0) & cols[None, :]] = 255
    out[(vl > 0) & rows[:, None]] = 255
    return out


@pytest.mark.parametrize("seed", [3, 7, 11])
def test_wide_gaps_in_ruling_lines_still_give_the_full_grid(page, seed):
    """Ruling lines cut into short runs (a tenth of every line erased in bands) used to lose
    their short pieces and walls, so the table fell apart into fragments or vanished."""
    img = _cut_line_bands(page, 0.1, seed)
    grids = detect_grids(ink_mask(img), LAYOUT)
    assert len(grids) == 1
    g = grids[0]
    assert (g.n_rows, g.n_cols) == (26, 10)
    x0, y0, x1, y1 = g.bbox
    assert 60 < x0 < 80 and 160 < y0 < 185 and 1160 < x1 < 1180 and 865 < y1 < 885
    # most cells survive (a wall lost in one row may still merge two cells there)
    assert len(g.cells) >= 0.75 * 198


@pytest.mark.parametrize("angle", [2.5, -1.2, 4.0])
def test_deskew(page, angle):
    tilted = rotate_small(page, angle)
    est = estimate_skew(ink_mask(tilted))
    assert abs(est + angle) < 0.15
    level = apply_upright(tilted, 0, est)
    g = detect_grids(ink_mask(level), LAYOUT)
    assert len(g) == 1 and (g[0].n_rows, g[0].n_cols) == (26, 10)


def test_quarter_turn_detected_without_models(page):
    for rot in (90, 270):
        turned = rotate_quadrant(page, rot)
        o = detect_orientation(turned, lay=LAYOUT)
        assert o.rotation in (90, 270)  # text is horizontal again; 0 vs 180 needs a classifier
        assert detect_orientation(page, lay=LAYOUT).rotation == 0


def test_upside_down_needs_and_uses_a_reader(page):
    """The vote on 0 vs 180 with a stand-in classifier that judges crops by ink balance."""
    upside = rotate_quadrant(page, 180)
    calls = []

    def classify(crops):
        calls.append(len(crops))
        return [(0, 0.99) for _ in crops]  # says "upright" to everything

    o = detect_orientation(upside, classify=classify, lay=LAYOUT)
    assert calls and o.rotation == 0  # the classifier is obeyed


def test_text_lines_outside_tables(page):
    ink = ink_mask(page)
    grids = detect_grids(ink, LAYOUT)
    lines = find_text_lines(ink, exclude=[g.bbox for g in grids])
    # title, one sentence, the section heading above the table, the heading below it
    assert len(lines) == 4
    assert lines[0][1] < 100 and lines[0][0] > 300  # centred title at the top
    assert lines[-1][1] > grids[0].bbox[3]
    truth = json.loads((DATA / "applications.truth.json").read_text(encoding="utf-8"))
    assert len(truth["values"]) == 23


def test_walls_broken_into_dashes_in_every_row_keep_the_cells_apart():
    """A generated scan whose ruling lines are dashes (a fifth of every line erased, gaps
    up to a character high): the walls between label and value columns used to be judged
    missing in whole blocks of rows, so labels and the first value columns of eight rows
    flooded into one merged cell and their numbers were lost."""
    img = cv2.imread(str(DATA / "dashed_walls.jpg"))
    grids = detect_grids(ink_mask(img), LAYOUT)
    assert len(grids) == 1
    g = grids[0]
    assert (g.n_rows, g.n_cols) == (20, 9)
    # only the group labels (三)(四)(五)(六) and the cut-off label at the top are merged
    assert _merged(g) == {(0, 0, 1, 2), (1, 0, 8, 1), (9, 0, 3, 1), (12, 0, 5, 1), (17, 0, 3, 1)}


def test_dashed_walls_meeting_dashed_lines_still_count_as_lines():
    """Where a dashed wall meets a dashed line, their two dashes are one L/T-shaped piece of
    ink, neither thin nor long: such pieces were dropped as glyphs, so the whole left part of
    this review/litigation table had no lines and only its last five columns were found."""
    img = cv2.imread(str(DATA / "dashed_reviews.jpg"))
    grids = detect_grids(ink_mask(img), LAYOUT)
    assert len(grids) == 1
    g = grids[0]
    assert (g.n_rows, g.n_cols) == (4, 15)
    assert _merged(g) == {(0, 0, 2, 5), (0, 5, 1, 10), (1, 5, 1, 5), (1, 10, 1, 5)}


def test_table_in_a_smaller_font_than_the_body_text_keeps_its_short_dashes():
    """The review table on this page is set smaller than the body text, and its broken lines
    are dashes shorter than the page's character height lets count: only the walls between
    five of its fifteen columns were found, and the table was lost."""
    from nianbao.ingest import iter_page_images

    pdf = Path(__file__).resolve().parents[2] / "fixtures" / "samples" / "008.pdf"
    page = next(p for p in iter_page_images(pdf, Settings()) if p.number == 4).image
    level = apply_upright(page, 0, estimate_skew(ink_mask(page)))
    grids = detect_grids(ink_mask(level), LAYOUT)
    assert len(grids) == 2  # the end of the applications table, then the review table
    assert (grids[1].n_rows, grids[1].n_cols) == (4, 15)


def test_sparse_signature_page_under_a_seal_is_not_turned_sideways():
    """A last page with only the agency's name and the date under a red seal: at some page
    sizes its few blobs smeared longer across than along, and the page was turned by a
    quarter (its date then unreadable). A turn now needs a few lines' worth of evidence."""
    from nianbao.layout.orient import is_sideways

    signature = cv2.imread(str(DATA / "signature_under_seal.jpg"))
    for width in range(985, 997):
        page = np.full((2339, 1653, 3), 245, np.uint8)
        page[157:457, 950:1450] = signature
        small = cv2.resize(page, (width, 1400), interpolation=cv2.INTER_AREA)
        assert not is_sideways(ink_mask(small))[0], width


@pytest.mark.slow
def test_matrix_page_with_dashed_rules_is_turned_by_what_its_lines_read():
    """A typeset application matrix scanned on a flatbed (held-out seed 2043 report 008): its
    rules printed as dashes, which no line removal takes out, join each narrow value column's
    digits into one tall blob, and the smear test found more "lines" across the page than
    along it. The page was read turned a quarter and all 175 cells of the matrix were lost.
    Where the shapes are that close, the widest lines of both directions are read: labels
    read as Chinese only the way the text runs."""
    from nianbao.ocr import get_engine

    engine = get_engine(Settings().ocr)

    def read(crops):
        return [(r.text, r.confidence) for r in engine.recognize(crops)]

    page = cv2.imread(str(DATA / "dashed_matrix_page_upright.jpg"))
    for turn, back in ((0, 0), (90, 270), (270, 90)):
        o = detect_orientation(rotate_quadrant(page, turn), classify=engine.classify_orientation, read=read, lay=LAYOUT)
        assert o.rotation == back, (turn, o.scores)
        assert o.scores["read_lines_0" if back in (0, 180) else "read_lines_90"] > 10


@pytest.mark.slow
def test_upright_matrix_page_whose_number_rows_vote_for_a_turn_is_kept_by_its_labels():
    """A Chromium application matrix through a scanner app (held-out seed 2043 report 035):
    the widest "lines" of the page are its rows of numbers, and the line classifier voted
    4-6 confident votes to none for a half turn. The page was turned over and its 161 cells
    lost. A turn the classifier votes for is now confirmed by reading: the labels read as
    Chinese only the right way up, so the page stays; turned over, it is still turned back."""
    from nianbao.ocr import get_engine

    engine = get_engine(Settings().ocr)

    def read(crops):
        return [(r.text, r.confidence) for r in engine.recognize(crops)]

    page = cv2.imread(str(DATA / "matrix_page_rows_of_numbers_upright.jpg"))
    upright = detect_orientation(page, classify=engine.classify_orientation, read=read, lay=LAYOUT)
    assert upright.rotation == 0 and upright.half_turn_sure, upright.scores
    upside = detect_orientation(rotate_quadrant(page, 180), classify=engine.classify_orientation, read=read, lay=LAYOUT)
    assert upside.rotation == 180, upside.scores


@pytest.mark.slow
def test_table_page_with_broken_lines_is_not_turned_upside_down():
    """A page that is nearly all table, its ruling lines broken: the "text lines" the 0/180
    vote read were whole table blocks and rows of 0s, which read as well upside down, so
    the upright page was turned over and its 140 numbers lost. Only about one line high
    boxes are read now, and only Chinese characters count."""
    from nianbao.ocr import get_engine
    from nianbao.settings import Settings

    engine = get_engine(Settings().ocr)

    def read(crops):
        return [(r.text, r.confidence) for r in engine.recognize(crops)]

    page = cv2.imread(str(DATA / "broken_table_page.jpg"))
    assert detect_orientation(page, classify=engine.classify_orientation, read=read, lay=LAYOUT).rotation == 0
    upside = rotate_quadrant(page, 180)
    assert detect_orientation(upside, classify=engine.classify_orientation, read=read, lay=LAYOUT).rotation == 180


def test_review_matrix_page_under_tiny_headers_is_not_turned_on_two_votes():
    """A sheet printout photographed through a scanner app (1-bit): one review matrix at the top
    of the page, its headers 9 px bold and unreadable. The classifier gave one or two confident
    votes and the old rule turned the page over on them; read upside down, the value row
    "1 0 0 0 1 0 ... 0" came out backwards and the symmetric group rules confirmed it (2 silent
    errors). Neither way up gives enough evidence now: the page stays as it came, marked unsure."""
    from nianbao.ocr import get_engine

    engine = get_engine(Settings().ocr)

    def read(crops):
        return [(r.text, r.confidence) for r in engine.recognize(crops)]

    page = cv2.imread(str(DATA / "review_matrix_page_tiny_headers.png"))
    upright = detect_orientation(page, classify=engine.classify_orientation, read=read, lay=LAYOUT)
    assert upright.rotation == 0 and not upright.half_turn_sure
    upside = detect_orientation(rotate_quadrant(page, 180), classify=engine.classify_orientation, read=read, lay=LAYOUT)
    assert not upside.half_turn_sure


def test_half_turn_needs_enough_confident_votes_or_readable_chinese():
    """Two confident "180" votes and nothing readable either way: no turn, and unsure; many
    confident votes decide alone; Chinese that reads only one way up decides too."""
    page = np.full((400, 600, 3), 255, np.uint8)
    boxes = [(20.0, 20.0 + 30 * i, 500.0, 40.0 + 30 * i) for i in range(8)]
    two_votes = [(180, 0.9), (180, 0.85)] + [(0, 0.5)] * 6

    def nothing(crops):
        return [("0 0 1", 0.9) for _ in crops]

    vote = is_upside_down(page, boxes, lambda crops: two_votes, nothing, lay=LAYOUT)
    assert not vote.flip and not vote.sure
    vote = is_upside_down(page, boxes, lambda crops: [(180, 0.95)] * 8, nothing, lay=LAYOUT)
    assert vote.flip and vote.sure

    def chinese_upside_down(crops):
        n = len(crops) // 2
        return [("0 0 1", 0.9)] * n + [("政府信息公开", 0.95)] * n

    vote = is_upside_down(page, boxes, lambda crops: two_votes, chinese_upside_down, lay=LAYOUT)
    assert vote.flip and vote.sure
    assert reads_upright([("政府信息公开申请情况", 0.95), ("本年新收政府信息公开申请数量", 0.9)], LAYOUT)
    assert not reads_upright([("ü里维拉", 0.09), ("AL市は", 0.71), ("1 0 0 0 1", 0.99)], LAYOUT)


def test_last_row_whose_walls_are_all_lost_keeps_the_tables_bottom_line():
    """Every wall of the review table's value row was erased: the bottom line stood alone a
    row under the rest of the table, was dropped as too small to be a table, and the grid
    ended halfway through the row of numbers (15 values lost)."""
    img = cv2.imread(str(DATA / "open_bottom_row.jpg"))
    grids = detect_grids(ink_mask(img), LAYOUT)
    assert len(grids) == 1 and (grids[0].n_rows, grids[0].n_cols) == (4, 15)
    assert abs(grids[0].rows[-1] - 588) <= 4  # the bottom line under the numbers


def test_table_continued_from_the_previous_page_keeps_its_open_first_row():
    """The applications table goes on from the page before: its first row has walls but no
    top line, and the walls were cut at the first line, so the row (seven numbers) was lost."""
    img = cv2.imread(str(DATA / "row_without_walls.jpg"))
    grids = detect_grids(ink_mask(img), LAYOUT)
    assert len(grids) == 1 and (grids[0].n_rows, grids[0].n_cols) == (16, 10)
    assert grids[0].rows[1] - grids[0].rows[0] > 100  # the open row, up to the walls' top


def test_section_heading_under_a_table_is_not_taken_for_an_open_row():
    """Walls joined across the gap under a table to strokes of the bold heading below made
    the table look open at the bottom: a row of heading text joined the grid. A wall only
    runs on past the last line where it is inked there."""
    ink = cv2.imread(str(DATA / "heading_under_table_ink.png"), cv2.IMREAD_GRAYSCALE)  # a levelled page's ink
    grids = detect_grids(ink, LAYOUT)
    assert len(grids) == 1 and (grids[0].n_rows, grids[0].n_cols) == (17, 4)
    assert abs(grids[0].rows[-1] - 842) <= 4  # the table's bottom line, above the heading


def test_column_whose_wall_was_lost_in_every_row_is_found_from_the_gap_in_its_text():
    """The wall between 结果维持 and 结果纠正 of the review table was too faint to survive in
    any row: the grid had 14 columns, "13" and "1" were one cell read as "131" and the whole
    row of 15 numbers was shifted. Two rows (the header and the numbers) show two blocks of
    text with one clear gap at the same place: that is the lost column."""
    ink = cv2.imread(str(DATA / "lost_column_ink.png"), cv2.IMREAD_GRAYSCALE)  # a levelled page's ink
    grids = detect_grids(ink, LAYOUT)
    assert len(grids) == 1 and (grids[0].n_rows, grids[0].n_cols) == (4, 15)
    g = grids[0]
    assert all(g.cell_at(3, c).colspan == 1 for c in range(15))  # the row of numbers, one per column


def test_wall_broken_at_both_ends_into_one_long_dash_still_counts():
    """Between 总计 and 结果维持 the wall of the header row was one long dash that met neither
    line (gaps at both ends): it was taken for a glyph stroke, the column was lost and the
    review row's 15 numbers could not be placed. A thin piece longer than any glyph stroke
    that comes near a line is a wall."""
    ink = cv2.imread(str(DATA / "long_dash_wall_ink.png"), cv2.IMREAD_GRAYSCALE)  # a levelled page's ink
    grids = detect_grids(ink, LAYOUT)
    assert len(grids) == 1 and (grids[0].n_rows, grids[0].n_cols) == (4, 15)
    assert all(grids[0].cell_at(2, c).colspan == 1 for c in range(15))  # 结果维持 … 总计, one per column


def test_heading_strokes_of_a_small_font_table_are_not_taken_for_long_dashes():
    """In the second pass over a table set smaller than the body text, the strokes of its
    heading 第二十条第（一）项 (body-size) were longer than 1.5 of the table's characters
    and were taken for long dashes of broken walls: four spurious columns. What counts as
    longer than any glyph is measured against the page's text, not the table's."""
    from nianbao.ingest import iter_page_images

    pdf = Path(__file__).resolve().parents[2] / "fixtures" / "samples" / "004.pdf"
    page = next(p for p in iter_page_images(pdf, Settings()) if p.number == 1).image
    level = apply_upright(page, 0, estimate_skew(ink_mask(page)))
    grids = detect_grids(ink_mask(level), LAYOUT, seal_mask=red_mask(level))
    assert [(g.n_rows, g.n_cols) for g in grids] == [(3, 4)]


def test_glyph_strokes_joined_over_a_table_are_not_a_long_wall_dash():
    """Vertical strokes of the paragraph above the review table, joined across the gaps
    between them, made one long "dash" ending near the table's top line: it was taken for a
    wall, the table grew up over the paragraph and lost a column. Only one piece longer
    than any glyph stroke counts as a long dash."""
    ink = cv2.imread(str(DATA / "paragraph_over_table_ink.png"), cv2.IMREAD_GRAYSCALE)  # a levelled page's ink
    grids = detect_grids(ink, LAYOUT)
    assert len(grids) == 1 and (grids[0].n_rows, grids[0].n_cols) == (4, 15)
    assert abs(grids[0].rows[0] - 578) <= 4  # the table's top line, under the paragraph


def test_component_stats_number_and_measure_components_as_on_the_whole_mask(page):
    """Stats taken on the box of a mask's ink: the same components in the same order with
    the same boxes and areas in page pixels, whatever the box's offset (odd ones included),
    for the page's ink, its ruling lines and its text without them; an empty mask has none."""
    from nianbao.layout.image import binarize, component_labels, component_stats, to_gray
    from nianbao.layout.lines import line_masks, remove_lines

    ink = binarize(to_gray(page))
    h, v = line_masks(ink, 100, 40)
    masks = [ink, h, v, remove_lines(ink, 60)]
    masks += [np.ascontiguousarray(m[3:, 1:]) for m in masks] + [np.ascontiguousarray(m[:-5, 7:]) for m in masks]
    for m in masks:
        n, labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
        n2, stats2 = component_stats(m)
        assert n2 == n > 10 and (stats2[1:] == stats[1:]).all()
        n3, box_labels, _, (x0, y0) = component_labels(m)
        bh, bw = box_labels.shape
        assert n3 == n and (box_labels == labels[y0:y0 + bh, x0:x0 + bw]).all()
        assert not m[:y0].any() and not m[y0 + bh:].any() and not m[:, :x0].any() and not m[:, x0 + bw:].any()
    assert component_stats(np.zeros((40, 30), np.uint8))[0] == 1


def test_components_number_and_measure_as_opencvs_32_bit_labelling_even_past_16_bits(page):
    """``components`` (16-bit labels where they fit, for speed) gives what
    ``cv2.connectedComponentsWithStats`` gives with 32-bit labels: the same count, labels,
    boxes, areas and centroids, on a page's ink, its ruling lines and an empty mask; and on a
    mask of more components than 16 bits can number (OpenCV raises there) too."""
    from nianbao.layout.image import binarize, components, to_gray
    from nianbao.layout.lines import line_masks

    ink = binarize(to_gray(page))
    h, v = line_masks(ink, 100, 40)
    dots = np.zeros((600, 500), np.uint8)
    dots[::2, ::2] = 255  # 75000 single pixels, none touching
    for m in (ink, h, v, np.ascontiguousarray(ink[5:, 3:]), np.zeros((40, 30), np.uint8), dots):
        want = cv2.connectedComponentsWithStats(m, connectivity=8, ltype=cv2.CV_32S)
        got = components(m)
        assert got[0] == want[0]
        assert np.array_equal(got[1], want[1]) and np.array_equal(got[2], want[2])
        assert np.array_equal(got[3], want[3], equal_nan=True)
    assert components(dots)[0] == 75001

"""Text lines outside tables, found by morphology on the ink (no model): characters of a
line are smeared together horizontally, lines stay apart because line gaps are wider than
character gaps."""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from nianbao.layout.image import component_labels, component_stats
from nianbao.layout.lines import remove_lines
from nianbao.models import BBox as Box  # (x0, y0, x1, y1) in page pixels: one definition, in the schema


def estimate_char_height(ink: np.ndarray) -> float:
    """Typical character height (pixels) from connected components of the ink."""
    n, stats = component_stats(ink)
    if n <= 1:
        return 20.0
    h = stats[1:, cv2.CC_STAT_HEIGHT]
    w = stats[1:, cv2.CC_STAT_WIDTH]
    ok = (h >= 6) & (h <= ink.shape[0] / 8) & (w <= ink.shape[1] / 8) & (w >= 2)
    if ok.sum() < 5:
        return 20.0
    return float(np.percentile(h[ok], 80))


def speck_mask(ink: np.ndarray, char_h: float, area_frac: float, reach_frac: float) -> np.ndarray:
    """Ink that is scan noise, not text: clusters of ink (components within ``reach_frac``
    character heights of each other; 0: each component alone) whose ink adds up to less than
    ``area_frac`` of a character's square. With a reach, a glyph a 1-bit scan broke into crumbs
    keeps its crumbs, but so does a dotted rule keep its dots (``LayoutSettings.speck_reach``
    is 0 by default for that reason). The reach is rounded down to whole pixels."""
    r = int(reach_frac * char_h)
    grown = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))) if r > 0 else ink
    n, labels, _, (x0, y0) = component_labels(grown)  # labelled on the box of the ink only
    out = np.zeros(ink.shape, bool)
    if n <= 1:
        return out
    h, w = labels.shape
    on = ink[y0:y0 + h, x0:x0 + w] > 0
    ink_per_cluster = np.bincount(labels[on], minlength=n)
    small = ink_per_cluster < max(3.0, area_frac * char_h * char_h)
    small[0] = False
    out[y0:y0 + h, x0:x0 + w] = small[labels] & on
    return out


def ink_row_runs(on: np.ndarray, join: int = 0) -> list[tuple[int, int]]:
    """Runs of the True entries of ``on`` (a pixel row's "has ink", top to bottom) as half-open
    (start, end) index pairs, a gap of at most ``join`` False entries joined into its run: the
    one answer to "where are the bands of ink" that ``layout.value_row.text_line_bands`` (a
    region's lines, gaps inside characters joined) and ``scan._ink_lines`` (a cell's lines,
    pieces then joined by their size) both start from."""
    ys = np.flatnonzero(on)
    if ys.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(ys) > join + 1)
    starts = np.concatenate(([ys[0]], ys[breaks + 1]))
    ends = np.concatenate((ys[breaks], [ys[-1]])) + 1
    return list(zip(starts.tolist(), ends.tolist()))


def find_text_lines(
    ink: np.ndarray,
    exclude: Sequence[Box] = (),
    char_h: float | None = None,
    min_line_len: int | None = None,
) -> list[Box]:
    """Boxes (x0, y0, x1, y1) of text lines, top to bottom, with ``exclude`` regions (tables)
    left out and ruling lines/underlines removed.

    The page's running text, not a table's: the lines are found in two dimensions (the ink
    smeared along and across a line, its pieces joined left to right), because prose lines of a
    page share no x extent, end anywhere, and a heading beside a page number is two lines at one
    height. The row projection of ``ink_row_runs`` (what a cell's or a table region's lines are
    found by, their x extent given) would join those into one band."""
    ink = ink.copy()
    for x0, y0, x1, y1 in exclude:
        ink[max(0, int(y0) - 2):int(y1) + 3, max(0, int(x0) - 2):int(x1) + 3] = 0
    if not ink.any():
        return []
    if char_h is None:
        char_h = estimate_char_height(ink)
    ink = remove_lines(ink, min_line_len or max(int(char_h * 3), int(ink.shape[1] * 0.15)))
    kx = max(3, int(char_h * 1.0))
    ky = max(1, int(char_h * 0.35))
    smear = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (kx, 1)))
    smear = cv2.morphologyEx(smear, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, ky)))
    n, stats = component_stats(smear)
    boxes: list[Box] = []
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        if h < char_h * 0.35 and w < char_h * 0.35:
            continue  # specks
        if h > char_h * 4 and w < char_h * 2:
            continue  # vertical rule leftovers / margins
        boxes.append((float(x), float(y), float(x + w), float(y + h)))
    while True:  # merging grows boxes, which may then swallow more pieces
        merged = _merge_same_line(boxes, char_h)
        if len(merged) == len(boxes):
            break
        boxes = merged
    boxes.sort(key=lambda b: (round(b[1] / max(1.0, char_h * 0.5)), b[0]))
    return boxes


def _merge_same_line(boxes: list[Box], char_h: float) -> list[Box]:
    """Join pieces of one line (punctuation, wide gaps) that overlap vertically and lie
    within three character widths of each other.

    Left to right, each piece joins the first line (in the order lines were begun) it overlaps
    and reaches. Lines are looked up by the bands of height ``char_h`` they cover, not compared
    with every line begun so far: a fax page whose specks and table ink make thousands of pieces
    took minutes here (quadratic in the pieces, for each pass of ``find_text_lines``)."""
    boxes = sorted(boxes, key=lambda b: b[0])
    out: list[list[float]] = []
    band_h = max(1.0, float(char_h))
    bands: dict[int, list[int]] = {}  # band -> indices into out of the lines that cover it

    def band_range(y0: float, y1: float) -> range:
        return range(int(y0 // band_h), int(y1 // band_h) + 1)

    for b in boxes:
        hit = -1
        seen: set[int] = set()
        for k in band_range(b[1], b[3]):
            for i in bands.get(k, ()):
                if i in seen or (hit >= 0 and i >= hit):
                    continue
                seen.add(i)
                o = out[i]
                ov = min(o[3], b[3]) - max(o[1], b[1])
                hmin = min(o[3] - o[1], b[3] - b[1])
                if hmin > 0 and ov >= 0.6 * hmin and b[0] - o[2] <= char_h * 3:
                    hit = i
        if hit < 0:
            out.append(list(b))
            for k in band_range(b[1], b[3]):
                bands.setdefault(k, []).append(len(out) - 1)
        else:
            o = out[hit]
            before = band_range(o[1], o[3])
            o[0], o[1] = min(o[0], b[0]), min(o[1], b[1])
            o[2], o[3] = max(o[2], b[2]), max(o[3], b[3])
            for k in band_range(o[1], o[3]):
                if k not in before:
                    bands.setdefault(k, []).append(hit)
    return [tuple(o) for o in out]  # type: ignore[misc]

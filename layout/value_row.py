"""The numbers of a table's one row of values, found from their ink alone.

A table printed as one row of values under a header of several levels (the review/litigation
matrix: fifteen numbers under 行政复议 / 行政诉讼) is the table scans lose whole: at 100 dpi or on
a fax the text detector boxes the row's numbers as a few long words ("1 2 1 0"), a photo's
curl or a hairline scan leaves no wall between them, glyph strokes of the header make walls
that are not there. Yet the numbers themselves stay apart: numbers in different cells are a
cell's padding (and a rule) apart, the digits of one number touch or nearly so. This module
finds that row and cuts it into numbers by the gaps in its ink; which column each number is,
the caller decides from the template (its value column count, in x order).

Plain data in page pixels; thresholds are the caller's (``StructureSettings.matrix_row_*``).
"""

from __future__ import annotations

import cv2
import numpy as np

from nianbao.layout.text import ink_row_runs
from nianbao.models import BBox as Box


def text_line_bands(ink: np.ndarray, region: Box, char_h: float, min_height_frac: float = 0.35,
                    stroke_height: float | None = None, gap_ink: float = 0.0, join_frac: float = 1 / 6
                    ) -> list[tuple[int, int]]:
    """Text lines of ``region`` as y bands (page pixels), top to bottom: runs of pixel rows with
    ink, joined across gaps under ``join_frac`` of a character (a sixth: the gaps inside a
    character's strokes), at least ``min_height_frac`` of a
    character tall (a speck or a dash left of a rule is no line). ``stroke_height``: upright
    strokes taller than this many characters and under a third as wide as tall are left out
    (a piece of a wall or of the table's border the rule removal kept runs past the text lines
    and would join them all into one). ``gap_ink``: a pixel row holding under this share of the
    median ink of the inked rows is a gap between lines (what is left there, a dash of a
    broken rule, a thick piece of the border, is no text line).

    A region's lines by the row projection of its ink (``layout.text.ink_row_runs``), its x
    extent given: the gaps inside a character joined by distance. ``scan._ink_lines`` answers
    the same for one cell but joins a line's pieces by their size instead (a wrapped label's
    lines in a cell stand a pixel or two apart, closer than a character's own gaps);
    ``layout.text.find_text_lines`` finds the running text outside the tables, in two dimensions."""
    H, W = ink.shape[:2]
    x0, y0 = max(0, int(region[0])), max(0, int(region[1]))
    x1, y1 = min(W, int(np.ceil(region[2]))), min(H, int(np.ceil(region[3])))
    if x1 <= x0 or y1 <= y0:
        return []
    window = np.asarray(ink[y0:y1, x0:x1] > 0)
    if stroke_height is not None:
        n, labels, stats, _ = cv2.connectedComponentsWithStats(np.ascontiguousarray(window.astype(np.uint8)), connectivity=8)
        w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
        stroke = (h > stroke_height * char_h) & (w * 3 < h)
        stroke[0] = False
        window = window & ~stroke[labels]
    counts = window.sum(axis=1)
    rows = counts > 0
    if gap_ink > 0 and rows.any():
        rows = counts >= max(1.0, gap_ink * float(np.median(counts[rows])))
    bands = ink_row_runs(rows, max(1, int(char_h * join_frac)))
    return [(a + y0, b + y0) for a, b in bands if b - a >= min_height_frac * char_h]


def last_line_band(line: tuple[float, float], ink: np.ndarray, region: Box, char_h: float, min_height_frac: float,
                   stroke_height: float, gap_ink: float, join_frac: float, trim: float) -> tuple[float, float]:
    """The y band of a one-row matrix's value line, from the last text line ``line`` (a band of
    the detector's words, or of the ink) found in ``region``. A detector line may be a stack:
    the words of a header printed upright (结/果/维/持, one character a line) joined with the
    numbers under them into one tall box. Where the ink of the line (rules removed) parts into
    several text lines (``text_line_bands`` over the line's band, with the caller's
    ``min_height_frac``, ``stroke_height``, ``gap_ink`` and ``join_frac``: the rule between the
    header and the values, removed, leaves the two lines only a few pixel rows apart), the value
    line is the last of them, tight to its ink. Otherwise the line's band trimmed by ``trim`` of
    its height at each end (the detector pads its boxes)."""
    top, bottom = line
    stack = text_line_bands(ink, (region[0], top, region[2], bottom), char_h, min_height_frac, stroke_height,
                            gap_ink, join_frac)
    if len(stack) > 1:
        return float(stack[-1][0]), float(stack[-1][1])
    return top + trim * (bottom - top), bottom - trim * (bottom - top)


def number_boxes(ink: np.ndarray, band: tuple[float, float], x_range: tuple[float, float], gap_digits: float,
                 ruled: np.ndarray | None = None, reach: float = 0.5, tolerance: float = 0.3,
                 speck: float = 0.35, digit_min_height: float = 0.35, walled_digit: float | None = None) -> list[Box]:
    """The numbers of one text line between ``x_range``, left to right, each box tight to its ink.

    ``band`` is the line's core (y extent of its text). The ink is looked at over the band and
    ``reach`` of its height above and below; what is kept: components whose middle lies in the
    band (not the rule under the row, not the header's strokes above it) and that are not a
    piece of a wall (running through the whole window, or a thin stroke a third taller than the
    digits: a wall runs from rule to rule and a row is taller than its text). The components go
    together where the gap between them is under ``gap_digits`` digit heights (the digits of
    one number touch or nearly so; numbers of two cells are a cell's padding apart).
    ``ruled``: the same page's ink with its rules (``ink`` being without them): a component
    that is mostly ink of a piece of ``ruled`` reaching out of the window (a wall going on up
    into the header) or running along the row (a rule and the walls standing on it) is a wall's
    piece the rule removal left, not a digit: a number stands inside its cell, apart from its
    walls; so is one touching a rule along the row (a pixel row of ``ruled`` inked over half the
    width: a number stands apart from its row's rules), and one reaching ``tolerance`` digit heights above or below the line of the digits
    (``_on_digit_line``). A group no part of which is ``speck`` digit heights long is noise.
    The digits' height is measured on the components at least ``digit_min_height`` of the
    band's height tall: the dots of a dotted wall or a fax's specks, many more than the
    numbers, are no digits and must not set the scale every later test is made in.
    ``walled_digit``: a component that is mostly wall ink is still a digit when it has a digit's
    shape: as tall as the other digits within this share of their height, at least 0.4 as wide
    as tall, on their line (a number set flush against its wall, as a spreadsheet sets it,
    merges with the wall in a low-resolution scan; the rule removal parted them again in
    ``ink``). A wall's stub is thin, a rule's dash flat, a stub hanging from the rule above
    starts above the digits' top line: none has that shape."""
    H, W = ink.shape[:2]
    core_h = max(1.0, band[1] - band[0])
    wy0, wy1 = max(0, int(band[0] - reach * core_h)), min(H, int(np.ceil(band[1] + reach * core_h)))
    bx0, bx1 = max(0, int(x_range[0])), min(W, int(np.ceil(x_range[1])))
    if bx1 <= bx0 or wy1 <= wy0:
        return []
    crop = np.ascontiguousarray((ink[wy0:wy1, bx0:bx1] > 0).astype(np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=8)
    walls = _rule_ink(ruled[wy0:wy1, bx0:bx1], core_h) if ruled is not None else None
    # pixel rows of the window along which a rule runs (however broken: over half the width)
    rule_rows = np.flatnonzero(np.asarray(ruled[wy0:wy1, bx0:bx1] > 0).mean(axis=1) >= 0.5) if ruled is not None \
        else np.zeros(0, np.int64)
    comps, walled = [], []
    for i in range(1, n):
        x, y, w, h = (int(v) for v in stats[i][:4])
        mid = wy0 + y + h / 2
        through = y == 0 and y + h >= wy1 - wy0
        if not band[0] <= mid <= band[1] or through:
            continue
        if rule_rows.size and ((rule_rows >= y - 1) & (rule_rows <= y + h)).any():
            continue  # it touches a rule along the row: a wall's stub or the rule's own dash
        if walls is not None:
            own = labels[y:y + h, x:x + w] == i
            if walls[y:y + h, x:x + w][own].mean() >= 0.5:
                walled.append((x, y, w, h))
                continue
        comps.append((x, y, w, h))
    # the digits' height: of the components that are not thin strokes ("1", a wall's piece)
    tall = [c for c in comps if c[3] >= digit_min_height * core_h] or comps
    broad = [h for x, y, w, h in tall if w >= 0.4 * h] or [h for x, y, w, h in tall]
    digit_h = float(np.median(broad)) if broad else 0.0
    if walled_digit is not None and digit_h > 0:
        comps += [c for c in walled if c[2] >= 0.4 * c[3] and abs(c[3] - digit_h) <= walled_digit * digit_h]
    comps = [c for c in comps if not (c[2] < 0.4 * c[3] and c[3] > 1.3 * digit_h)]
    comps = _on_digit_line(comps, digit_h, tolerance)
    parts = sorted((x, y, x + w, y + h) for x, y, w, h in comps)
    groups: list[list[int]] = []
    gap = gap_digits * digit_h
    for a, b, c, d in parts:
        if groups and a - groups[-1][2] < gap:
            g = groups[-1]
            g[1], g[2], g[3] = min(g[1], b), max(g[2], c), max(g[3], d)
            g[4] = max(g[4], max(c - a, d - b))
        else:
            groups.append([a, b, c, d, max(c - a, d - b)])
    # a group of specks only (scan noise, a dot a fax left) is no number
    return [(float(a + bx0), float(b + wy0), float(c + bx0), float(d + wy0)) for a, b, c, d, size in groups
            if size >= speck * digit_h]


def _on_digit_line(comps: list[tuple[int, int, int, int]], digit_h: float, tolerance: float
                   ) -> list[tuple[int, int, int, int]]:
    """The components lying on the line of the digits: the digits of a font stand between one
    top line and one baseline (fitted over the full-height broad components, x-dependent for a
    page not quite level); a piece of a wall or a rule that starts at the row's rule reaches
    above or below it by more than ``tolerance`` digit heights. Fewer than three digits to fit
    the line on: all kept."""
    fit = [c for c in comps if c[2] >= 0.4 * c[3] and c[3] >= 0.7 * digit_h]
    if len(fit) < 3:
        return comps
    xs = np.array([c[0] + c[2] / 2 for c in fit], np.float64)
    tops = np.array([c[1] for c in fit], np.float64)
    bottoms = np.array([c[1] + c[3] for c in fit], np.float64)
    if np.ptp(xs) < 1:
        return comps
    top_line = np.polyfit(xs, tops, 1)
    bottom_line = np.polyfit(xs, bottoms, 1)
    tol = tolerance * digit_h
    out = []
    for c in comps:
        x = c[0] + c[2] / 2
        if c[1] >= np.polyval(top_line, x) - tol and c[1] + c[3] <= np.polyval(bottom_line, x) + tol:
            out.append(c)
    return out


def _rule_ink(window: np.ndarray, core_h: float) -> np.ndarray:
    """The pixels of a window's ink (with its rules) that belong to rules: components touching
    the window's top or bottom edge (a wall goes on beyond the row) or wider than three line
    heights (a rule along the row, with the walls standing on it)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(np.ascontiguousarray((window > 0).astype(np.uint8)), connectivity=8)
    h = window.shape[0]
    keep = np.zeros(n, bool)
    for i in range(1, n):
        x, y, w, hh = (int(v) for v in stats[i][:4])
        keep[i] = y == 0 or y + hh >= h or w > 3 * core_h
    return keep[labels]

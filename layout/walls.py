"""Walls of a table region from the ink between its text lines, and their ink taken out of
what the cells are read from.

A spreadsheet printed by LibreOffice Calc draws its walls as hair, dotted or dashed lines (or
its faint gridlines); a scan keeps them as rows of dots or a faint streak. They are no long
straight run, so ``lines.remove_lines`` leaves them in the text ink, and a number set right
against its cell's wall (right-aligned, a column shrunk to fit the page) is cropped with the
wall's dots beside it: OCR reads "0" as "01", "10", "0I". Where the cell boundaries fall
(mid-gap, or on the wall) does not change that: the crop's padding reaches the wall.

What tells a wall from the strokes of characters is where its ink lies: a wall runs through
the blank rows between the text lines as well; the strokes of a column of digits (however
well they line up, right-aligned) stop at each line. So a wall is a column of pixels darker
than the pixels a little to its left and right (a ridge) on average over the region's rows
that hold no word: dots of any spacing, a faint hairline and a solid rule all give one,
noise averages out, and characters give none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from nianbao.models import BBox as Box  # (x0, y0, x1, y1) in page pixels


@dataclass(frozen=True)
class Wall:
    """A vertical wall: its ink spans columns ``x0..x1`` (inclusive) of the page image, from
    row ``y0`` to ``y1``; ``strength``: its mean darkness above its surroundings (grey levels)
    over the blank rows of its region."""

    x0: int
    x1: int
    y0: int
    y1: int
    strength: float
    # (row from, row to, first column, last column) of each stretch of rows: a wall a scan left
    # a little off vertical (skew the deskew left over, paper not flat) drifts a pixel or two
    # (None: the whole wall's band, top to bottom)
    segments: tuple[tuple[int, int, int, int], ...] | None = None

    @property
    def x(self) -> float:
        return (self.x0 + self.x1) / 2.0


def blank_rows(region: Box, words: Sequence[Box]) -> np.ndarray:
    """Page rows of ``region`` that no word box (of the detector, padded) covers."""
    x0, y0, x1, y1 = (int(round(v)) for v in region)
    covered = np.zeros(max(0, y1 - y0), bool)
    for w in words:
        a, b = max(y0, int(w[1])), min(y1, int(np.ceil(w[3])))
        if b > a:
            covered[a - y0:b - y0] = True
    return np.flatnonzero(~covered) + y0


def find_walls(gray: np.ndarray, region: Box, words: Sequence[Box], char_h: float, min_ridge: float,
               min_blank_chars: float, reach_chars: float, max_width_chars: float,
               track_chars: float = 0.0, edge: float = 0.2) -> list[Wall]:
    """Vertical walls of a table region (see the module's docstring): columns whose ink is on
    average at least ``min_ridge`` grey levels darker than the darker of the pixels
    ``reach_chars`` character heights to either side, over the rows of the region no word
    covers (at least ``min_blank_chars`` character heights of them, else none is told).
    A wall is as wide as its ridge stays above ``edge`` of its peak (the grey fringe a scan
    blurs along its edges included; at most ``max_width_chars``). Each wall is followed down the region two character heights at a
    time, up to ``track_chars`` character heights to either side (``Wall.segments``)."""
    H, W = gray.shape[:2]
    x0, y0, x1, y1 = (int(round(v)) for v in region)
    d = max(2, int(round(reach_chars * char_h)))
    out = int(np.ceil(max_width_chars * char_h)) + d  # the outer walls lie on the region's edges
    x0, x1, y0, y1 = max(0, x0 - out), min(W, x1 + out), max(0, y0), min(H, y1)
    rows = blank_rows((x0, y0, x1, y1), words)
    if x1 - x0 < 3 or rows.size < max(2, min_blank_chars * char_h):
        return []
    dark = 255.0 - gray[y0:y1, x0:x1].astype(np.float32)
    left = np.pad(dark, ((0, 0), (d, 0)), mode="edge")[:, :-d]
    right = np.pad(dark, ((0, 0), (0, d)), mode="edge")[:, d:]
    ridge = np.clip(dark - np.maximum(left, right), 0.0, None)
    profile = ridge[rows - y0].mean(axis=0)
    blank = np.zeros(y1 - y0, bool)
    blank[rows - y0] = True
    half = max(1, int(max_width_chars * char_h / 2))
    walls: list[Wall] = []
    order = np.argsort(-profile)
    taken = np.zeros(profile.size, bool)
    for i in order:
        peak = float(profile[i])
        if peak < min_ridge:
            break
        if taken[max(0, i - d):i + d + 1].any():
            continue
        a = i
        while a > 0 and i - a < half and profile[a - 1] >= peak * edge:
            a -= 1
        b = i
        while b < profile.size - 1 and b - i < half and profile[b + 1] >= peak * edge:
            b += 1
        taken[a:b + 1] = True
        walls.append(Wall(int(x0 + a), int(x0 + b), y0, y1, peak,
                          _track(ridge, blank, a, b, x0, y0, char_h, track_chars, min_ridge / 2)))
    return sorted(walls, key=lambda w: w.x0)


def _track(ridge: np.ndarray, blank: np.ndarray, a: int, b: int, x0: int, y0: int, char_h: float,
           track_chars: float, min_ridge: float) -> tuple[tuple[int, int, int, int], ...]:
    """Stretches of a wall found at columns ``a..b`` of ``ridge`` (the region's ridge strength,
    row by row; its origin at page ``x0``, ``y0``): in each band of two character heights,
    the wall's columns moved to where the ridge of the band's ``blank`` rows (no word: a digit's
    stroke beside the wall is a ridge too) is strongest, at most ``track_chars`` character
    heights away (kept where no ridge of ``min_ridge`` shows)."""
    r = int(round(track_chars * char_h))
    step = max(4, int(round(2 * char_h)))
    present = _present_rows(ridge, blank, a, b, r, char_h, min_ridge)
    out = []
    for ys in range(0, ridge.shape[0], step):
        ye = min(ridge.shape[0], ys + step)
        lo, hi = max(0, a - r), min(ridge.shape[1], b + r + 1)
        shift = 0
        free = np.flatnonzero(blank[ys:ye]) + ys
        if r > 0 and hi > lo and free.size:
            local = ridge[free, lo:hi].mean(axis=0)
            width = b - a + 1
            sums = np.convolve(local, np.ones(width), mode="valid")  # each placement of the wall's width
            if sums.size and sums.max() >= min_ridge * width:
                shift = lo + int(np.argmax(sums)) - a
        # only the rows the wall runs through (not across a cell merged over it)
        on = present[ys:ye]
        k = 0
        while k < on.size:
            if not on[k]:
                k += 1
                continue
            e = k
            while e < on.size and on[e]:
                e += 1
            out.append((int(y0 + ys + k), int(y0 + ys + e), int(x0 + a + shift), int(x0 + b + shift)))
            k = e
    return tuple(out)


def _present_rows(ridge: np.ndarray, blank: np.ndarray, a: int, b: int, r: int, char_h: float,
                  min_ridge: float) -> np.ndarray:
    """Rows (of ``ridge``) a wall at columns ``a..b`` (give or take ``r``) runs through: a blank
    row where its ridge, averaged over half a character height of blank rows (the gaps
    between a dotted wall's dots), reaches ``min_ridge``; a row of text where it does in the
    blank rows right above and right below it. A cell merged across the wall (a spanning
    header, a merged value cell) has no wall in its rows, and its text keeps its ink there."""
    n = ridge.shape[0]
    lo, hi = max(0, a - r), min(ridge.shape[1], b + r + 1)
    rows = np.flatnonzero(blank)
    present = np.zeros(n, bool)
    if rows.size == 0 or hi <= lo:
        return present
    strength = ridge[rows, lo:hi].max(axis=1)
    k = max(1, int(round(0.5 * char_h)))
    smooth = np.convolve(strength, np.ones(k) / k, mode="same")
    present[rows] = smooth >= min_ridge
    # text rows: between two blank rows that both show the wall
    above = np.maximum.accumulate(np.where(blank, np.arange(n), -1))
    below = np.minimum.accumulate(np.where(blank, np.arange(n), n)[::-1])[::-1]
    text = np.flatnonzero(~blank)
    ok = (above[text] >= 0) & (below[text] < n)
    idx = text[ok]
    present[idx] = present[above[idx]] & present[below[idx]]
    return present


def walls_on_boundaries(walls: Sequence[Wall], bounds: Sequence[float], reach: float) -> list[Wall]:
    """The walls within ``reach`` pixels (along their segments) of one of a grid's column
    ``bounds``: those are the walls between the cells the page is read with. A ridge the blank
    rows show elsewhere (a copier's streaks and screen, a texture the page's ink left: 220 of
    them across one sheet copier region of spent captures2038 report 014) parts no cells, and
    erased it took the text's strokes (194 of 200 cells lost)."""
    out = []
    for w in walls:
        xs = [w.x] if w.segments is None else [(a + b) / 2.0 for _, _, a, b in w.segments] or [w.x]
        if all(min((abs(x - c) for c in bounds), default=np.inf) <= reach for x in xs):
            out.append(w)
    return out


def touching_rows(text_ink: np.ndarray, ys: int, ye: int, x0: int, x1: int, touch_px: int,
                  min_rows: int = 1) -> np.ndarray:
    """Rows ``ys..ye`` of a wall at columns ``x0..x1`` that a character touches: where the text
    ink (``text_ink``, the wall's own pixels included or not) runs on from the wall's edge, on
    either side, more than ``touch_px`` pixels past the wall's own fringe there. The fringe is
    measured on the wall itself: the median run over its rows (most rows of a wall meet no
    character), so a blurred or ragged 1-bit wall (a fax's edge noise) is not taken for a
    stroke, and a stroke set flush against the wall (a "0" or a "1" right-aligned onto it) is.
    A touch runs at least ``min_rows`` rows along the wall (a stroke set on it, for a part of
    the character's height) or away from it past the wall's own width (a stroke across it): a
    speck on the wall is a few pixels either way (kept, the wall's stub beside it read as "."
    before a number)."""
    W = text_ink.shape[1]
    band = text_ink[ys:ye] > 0
    out = np.zeros(band.shape[0], bool)
    across = np.zeros(band.shape[0], bool)
    reach = x1 - x0 + 3 + touch_px  # past any fringe the wall's own width allows
    for cols in (np.arange(x0 - 1, max(-1, x0 - 1 - reach), -1), np.arange(x1 + 1, min(W, x1 + 1 + reach))):
        if cols.size == 0 or band.shape[0] == 0:
            continue
        side = band[:, cols]
        run = np.where(~side, np.arange(cols.size), cols.size).min(axis=1)  # ink from the edge outwards
        out |= run > np.median(run) + touch_px
        across |= run >= max(cols.size, x1 - x0 + 2 + touch_px)
    for k, e in _runs(out):
        if e - k < min_rows and not across[k:e].any():
            out[k:e] = False
    return out


def erase_walls(gray: np.ndarray, text_ink: np.ndarray, walls: Sequence[Wall],
                touch_px: int | None = None, touch_rows: int = 1) -> list[Box]:
    """Take the walls' ink (along their ``segments``) out of ``gray`` (in place: each row of a
    wall's columns gets the lighter of the two pixels just beside it, paper unless a character
    touches the wall on both sides) and out of ``text_ink`` (set to 0).

    With ``touch_px``, the rows where a character touches the wall (``touching_rows``, at
    least ``touch_rows`` of them in a run) keep
    the wall's pixels: there the wall's ink and the character's are one, and taking the wall's
    columns out takes the stroke set on it (a 1-bit fax's "0" flush against its wall lost its
    side and read "C", "(" or nothing). Only where the wall's profile is the wall's own is it
    taken out: the dots or hairline a crop's margin catches beside a number ("0" read "01"),
    never a stroke. Returns the stretches of wall kept, (x0, y0, x1, y1) each (for
    ``nianbao debug --stage walls``)."""
    W = gray.shape[1]
    kept: list[Box] = []
    for w in walls:
        for ys, ye, x0, x1 in w.segments if w.segments is not None else ((w.y0, w.y1, w.x0, w.x1),):
            ys, ye = max(0, ys), min(gray.shape[0], ye)
            if ye <= ys:
                continue
            a, b = max(0, x0 - 1), min(W - 1, x1 + 1)
            cols = slice(max(0, x0), x1 + 1)
            rows = np.arange(ys, ye)
            if touch_px is not None:
                touched = touching_rows(text_ink, ys, ye, x0, x1, touch_px, touch_rows)
                kept += [(float(x0), float(ys + k), float(x1 + 1), float(ys + e)) for k, e in _runs(touched)]
                rows = rows[~touched]
            if rows.size == 0:
                continue
            lighter = np.maximum(gray[rows, a], gray[rows, b])
            gray[rows, cols] = lighter[:, None]
            text_ink[rows, cols] = 0
    return kept


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True in ``flags``."""
    edges = np.diff(np.concatenate(([0], flags.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def word_cores(words: Sequence[Box], walls: Sequence[Wall], ink: np.ndarray | None) -> list[tuple[float, float]]:
    """The x extent of each word's own ink: its box's columns holding ``ink`` (the page's text
    ink), a wall's columns not counted (the detector boxes the dots of a wall a number is set
    against with the number); without ``ink``, the box less a sixth of its height each side
    (the detector's padding). (0, 0) for a box with no ink of its own."""
    out: list[tuple[float, float]] = []
    for w in words:
        if ink is None:
            pad = (w[3] - w[1]) / 6.0
            out.append((w[0] + pad, w[2] - pad) if w[2] - w[0] > 2 * pad else (0.0, 0.0))
            continue
        x0, y0 = max(0, int(w[0])), max(0, int(w[1]))
        x1, y1 = min(ink.shape[1], int(np.ceil(w[2]))), min(ink.shape[0], int(np.ceil(w[3])))
        if x1 <= x0 or y1 <= y0:
            out.append((0.0, 0.0))
            continue
        cols: np.ndarray = np.asarray((ink[y0:y1, x0:x1] > 0).any(axis=0))
        for wall in walls:
            a, b = max(0, wall.x0 - 1 - x0), min(x1 - x0, wall.x1 + 2 - x0)
            if b > a and wall.y0 <= y0 and y1 <= wall.y1:
                cols[a:b] = False
        on = np.flatnonzero(cols)
        out.append((float(x0 + on[0]), float(x0 + on[-1] + 1)) if on.size else (0.0, 0.0))
    return out


def snap_to_walls(columns: Sequence[float], walls: Sequence[Wall], words: Sequence[Box],
                  ink: np.ndarray | None = None) -> list[float]:
    """Column boundaries (the outer ones kept, and those on a wall at least half as strong
    already: a rule seen in the gap) moved onto the strongest wall between their neighbours
    that no word's ink (``word_cores``) lies wholly between it and the boundary.
    The gaps between words put a boundary somewhere in the blank between two columns
    (mid-gap, or on a rule seen there); where the print has a wall in that blank, the wall is
    where one cell ends and the next begins: a number set against its wall has its box reach
    over it, and the middle of what is left of the gap is beside the wall, not on it. A word
    across the wall does not keep the boundary off it: it is a header spanning the cells the
    wall parts below it, or the detector's box over the wall."""
    out = list(columns)
    cores = [(a, z) for a, z in word_cores(words, walls, ink) if z > a]
    for k in range(1, len(out) - 1):
        b, before, after = out[k], out[k - 1], out[k + 1]
        fits = [w for w in walls if before < w.x < after
                and not any(min(b, w.x) <= a and z <= max(b, w.x) for a, z in cores)]
        strongest = max(fits, key=lambda w: w.strength) if fits else None
        on = [w for w in walls if abs(w.x - b) <= (w.x1 - w.x0) / 2 + 2]
        if strongest is not None and not any(2 * w.strength >= strongest.strength for w in on):
            out[k] = strongest.x
    return out

"""Page orientation (0/90/180/270) and deskew (a few degrees).

Quarter turns: text lines make the row-projection profile of the ink sharp (lines and gaps)
and the column profile flat, so the sharper of the two directions is "horizontal". Upside
down is told apart by a text-line orientation classifier passed in by the caller (the OCR
engine's cls model), voting over several line crops. Skew: the angle whose row projection
is sharpest, searched coarse to fine within ±``max_angle``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import cv2
import numpy as np

from nianbao.layout.image import component_stats, ink_mask, rotate_quadrant, rotate_small, to_gray
from nianbao.layout.lines import remove_lines
from nianbao.settings import LayoutSettings

# classify(crops) -> [(angle 0|180, score)] for text-line crops (BGR)
Classifier = Callable[[Sequence[np.ndarray]], list[tuple[int, float]]]


@dataclass
class Orientation:
    rotation: int = 0  # clockwise quarter turn applied to make the page upright
    skew: float = 0.0  # small rotation (degrees, OpenCV sign: counter-clockwise positive) applied after it
    scores: dict = field(default_factory=dict)  # evidence, for debugging
    # whether 0° against 180° was decided on enough evidence (``is_upside_down``): a page of
    # numbers under a few tiny headers gives the classifier and the reader almost nothing, and
    # a row read upside down is a row read backwards, which rules of symmetric groups do not catch
    half_turn_sure: bool = True


@dataclass(frozen=True)
class HalfTurnVote:
    """The outcome of the 0°/180° question: the answer and whether the evidence was enough."""

    flip: bool
    sure: bool
    scores: dict


def _aniso(ink: np.ndarray, width: int, height: int) -> tuple[np.ndarray, float]:
    """Ink resized to (width, height), float; and fy/fx, the factor that turns a slope
    measured in original pixels into one in these pixels."""
    h, w = ink.shape[:2]
    width, height = max(8, min(width, w)), max(8, min(height, h))
    small = cv2.resize(ink, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32)
    return small, (height / h) / (width / w)


def _profile_score(img: np.ndarray) -> float:
    """Sharpness of the row projection: mean squared difference of adjacent row sums,
    normalised by the ink, so pages with more ink don't win by bulk."""
    p = img.sum(axis=1)
    tot = float(p.sum())
    if tot <= 0:
        return 0.0
    d = np.diff(p)
    return float((d * d).sum()) / (tot * tot) * img.shape[0]


def _sheared_score(img: np.ndarray, k: float, angle: float) -> float:
    """Profile score after levelling by ``angle`` (small-angle shear; OpenCV rotation sign)."""
    if abs(angle) < 1e-9:
        return _profile_score(img)
    h, w = img.shape[:2]
    t = -np.tan(np.radians(angle)) * k
    m = np.array([[1, 0, 0], [t, 1, -t * w / 2.0]], np.float32)
    return _profile_score(cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0))


def _best_angle(img: np.ndarray, k: float, max_angle: float, steps=(0.25, 0.08, 0.03)) -> tuple[float, float]:
    """Angle in [-max_angle, max_angle] that maximises the profile score, and that score."""
    best_a, best_s = 0.0, _sheared_score(img, k, 0.0)
    center, span = 0.0, max_angle
    for step in steps:
        for a in np.arange(center - span, center + span + 1e-6, step):
            if abs(a) > max_angle + 1e-6 or abs(a - center) < 1e-9 and step != steps[0]:
                continue
            sc = _sheared_score(img, k, float(a))
            if sc > best_s:
                best_a, best_s = float(a), sc
        center, span = best_a, step
    return best_a, best_s


def estimate_skew(ink: np.ndarray, max_angle: float = 5.0) -> float:
    """Deskew angle (degrees, OpenCV sign) of a binary ink image with horizontal text."""
    h, w = ink.shape[:2]
    small, k = _aniso(ink, 360, min(h, 1600))
    a, _ = _best_angle(small, k, max_angle)
    return 0.0 if abs(a) < 0.05 else round(a, 2)


def line_blobs(text: np.ndarray, char_h: float) -> list[tuple[float, float, float, float]]:
    """Boxes of text-line-like blobs of ink without its ruling lines, after a horizontal smear
    of ~half a character: characters of a line join (their gaps are small), neighbouring
    lines don't, and a cell's label stays apart from the next cell's."""
    k = max(2, int(round(0.6 * char_h)))
    sm = cv2.morphologyEx(text, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, 1)))
    n, st = component_stats(sm)
    if n <= 1:
        return []
    x, y, w, h = (st[1:, i] for i in range(4))
    ok = (w >= 3 * h) & (h <= 2.5 * char_h) & (h >= 0.4 * char_h)
    return [(float(a), float(b), float(a + c), float(b + d)) for a, b, c, d in zip(x[ok], y[ok], w[ok], h[ok])]


def _line_like_length(text: np.ndarray, char_h: float) -> float:
    """Total length of text-line-like blobs (see ``line_blobs``)."""
    return float(sum(b[2] - b[0] for b in line_blobs(text, char_h)))


def is_sideways(ink: np.ndarray, ratio: float = 1.3) -> tuple[bool, dict]:
    """True when text lines run vertically (page turned by a quarter): smearing along the
    true line direction gives long thin blobs, smearing across it does not. ``ratio``: how
    many times the upright smear's line length the across-smear must find."""
    from nianbao.layout.text import estimate_char_height

    h, w = ink.shape[:2]
    s = min(1.0, 1200 / max(h, w))
    small = cv2.resize(ink, (max(8, int(w * s)), max(8, int(h * s))), interpolation=cv2.INTER_AREA)
    small = (small > 100).astype(np.uint8) * 255
    char_h = estimate_char_height(small)
    text = remove_lines(small, max(20, int(3 * char_h)))
    l0 = _line_like_length(text, char_h)
    l90 = _line_like_length(np.ascontiguousarray(text.T), char_h)
    # a sparse page (a signature and a date under a seal) gives a few blobs either way: a turn
    # needs at least a few lines' worth of evidence on top of the ratio
    sideways = l90 > ratio * l0 + 8 * char_h
    return sideways, {"lines_0": round(l0), "lines_90": round(l90), "char_h": round(char_h, 1)}


# read(crops) -> [(text, confidence)] for text-line crops (BGR)
Reader = Callable[[Sequence[np.ndarray]], list[tuple[str, float]]]


def _chinese_read(gray: np.ndarray, boxes: Sequence[tuple[float, float, float, float]], read: Reader) -> float:
    """Chinese read with confidence (characters × score) in the middle pieces of ``boxes``, the
    better of the two ways up: how much these lines read as text lines of this direction (a
    blob of the smear is one cell's text or one line, not a table row of many cells)."""
    return max(_pieces_read_both_ways([_line_piece(gray, b, "middle") for b in boxes], read))


def quarter_turn_by_reading(gray: np.ndarray, ink: np.ndarray, read: Reader, lay: LayoutSettings) -> tuple[bool | None, dict]:
    """Whether the text lines of a page run vertically, told by reading them: the widest
    line-like blobs (``line_blobs``) of the page as it is and turned a quarter are read, each
    both ways up. A direction whose lines read as Chinese with confidence (at least
    ``half_turn_min_read`` characters × score, and ``half_turn_read_ratio`` times the other
    direction's) is the direction of the text; None when the reading shows neither. The
    shapes alone mistake a column of digits joined by the dashes of a broken rule for a line
    of text; read, such a column gives digits and no Chinese."""
    from nianbao.layout.text import estimate_char_height

    char_h = estimate_char_height(ink)
    text = remove_lines(ink, max(20, int(3 * char_h)))
    k = lay.sideways_read_lines

    def widest(t: np.ndarray) -> list[tuple[float, float, float, float]]:
        return sorted(line_blobs(t, char_h), key=lambda b: -(b[2] - b[0]))[:k]

    up = _chinese_read(gray, widest(text), read)
    side = _chinese_read(rotate_quadrant(gray, 90), widest(rotate_quadrant(text, 90)), read)
    scores = {"read_lines_0": round(up, 2), "read_lines_90": round(side, 2)}
    ratio, least = lay.half_turn_read_ratio, lay.half_turn_min_read
    if side >= least and side > ratio * up:
        return True, scores
    if up >= least and up > ratio * side:
        return False, scores
    return None, scores


def is_upside_down(
    gray: np.ndarray,
    line_boxes: Sequence[tuple[float, float, float, float]],
    classify: Classifier | None = None,
    read: Reader | None = None,
    *,
    lay: LayoutSettings,
) -> HalfTurnVote:
    """Whether a level page (text lines horizontal) is upside down, and whether that is sure.

    The line-orientation classifier votes first over the widest line crops; its vote decides
    when it is both lopsided and carried by enough confident lines. Otherwise a recogniser
    reads a few line pieces both ways up: Chinese the right way up reads with confidence,
    upside-down print gives low-scored garbage (digits and dashes read as well either way and
    do not count). Where neither gives enough evidence the page stays as it is (pages come
    upright far more often than not) and the answer is marked unsure, so that what is read
    on it is not trusted blindly."""
    boxes = [b for b in line_boxes if (b[2] - b[0]) >= 3 * max(1.0, b[3] - b[1])]
    boxes = sorted(boxes, key=lambda b: -(b[2] - b[0]))[:12]
    scores: dict = {"lines": len(boxes)}
    if not boxes:
        return HalfTurnVote(False, False, scores)
    crops = [c for c in (_line_piece(gray, b, "middle") for b in boxes) if c is not None]
    if not crops:
        return HalfTurnVote(False, False, scores)
    if classify is not None:
        votes = classify(crops)
        sure_at = lay.half_turn_vote_score
        flip = sum(sc for a, sc in votes if a == 180 and sc >= sure_at)
        keep = sum(sc for a, sc in votes if a == 0 and sc >= sure_at)
        scores.update({"cls_0": round(keep, 2), "cls_180": round(flip, 2)})
        if (len(votes) >= lay.orient_min_vote_lines and max(flip, keep) >= lay.half_turn_min_votes
                and max(flip, keep) >= lay.half_turn_vote_ratio * min(flip, keep) + 1):
            if flip <= keep or read is None:
                return HalfTurnVote(flip > keep, True, scores)
            # a turn is confirmed by reading: the widest "lines" of a page that is all table are
            # its rows of numbers, which the classifier votes on as if they were text (held-out
            # seed 2043 report 035, an upright application matrix: 5.87 against 0.86 for a
            # turn, its 161 cells lost); its labels, read, are Chinese only the right way up
            up, down = _read_both_ways(gray, boxes, read)
            scores.update({"read_0": round(up, 2), "read_180": round(down, 2)})
            if up >= lay.half_turn_min_read and up > down * lay.half_turn_read_ratio:
                return HalfTurnVote(False, True, scores)
            return HalfTurnVote(True, True, scores)
    if read is None:
        return HalfTurnVote(bool(scores.get("cls_180", 0) > scores.get("cls_0", 0)), False, scores)
    up, down = _read_both_ways(gray, boxes, read)
    scores.update({"read_0": round(up, 2), "read_180": round(down, 2)})
    ratio, least = lay.half_turn_read_ratio, lay.half_turn_min_read
    flip = down > up * ratio and down >= least
    sure = flip or (up > down * ratio and up >= least)
    return HalfTurnVote(flip, sure, scores)


def _read_both_ways(gray: np.ndarray, boxes: Sequence[tuple[float, float, float, float]], read: Reader) -> tuple[float, float]:
    """Chinese read with confidence (characters × score) in the end pieces of the widest lines,
    as they are and turned over. A table row's middle is its numbers; its label sits at one
    end (the left one upright, the right one upside down): both ends are read, each both ways up."""
    return _pieces_read_both_ways([c for b in boxes[:4] for c in (_line_piece(gray, b, "left"), _line_piece(gray, b, "right"))], read)


def _pieces_read_both_ways(pieces: Sequence[np.ndarray | None], read: Reader) -> tuple[float, float]:
    """Chinese read with confidence (characters × score) in ``pieces`` as they are and turned
    over (one call of the reader for both); (0, 0) when no piece is left."""
    sample = [c for c in pieces if c is not None]
    if not sample:
        return 0.0, 0.0
    res = read(sample + [cv2.rotate(c, cv2.ROTATE_180) for c in sample])
    n = len(sample)
    return (sum(conf * _turn_sensitive(t) for t, conf in res[:n]),
            sum(conf * _turn_sensitive(t) for t, conf in res[n:]))


def _line_piece(gray: np.ndarray, box: tuple[float, float, float, float], where: str) -> np.ndarray | None:
    """A piece of about ten characters of a text line (its middle, left or right end), BGR,
    with a little margin above and below; None when nothing is left."""
    x0, y0, x1, y1 = box
    h = y1 - y0
    pad = max(2, int(0.15 * h))
    seg = min(x1 - x0, 10 * h)
    if where == "left":
        a, b = x0, x0 + seg
    elif where == "right":
        a, b = x1 - seg, x1
    else:
        cx = (x0 + x1) / 2
        a, b = cx - seg / 2, cx + seg / 2
    c = gray[max(0, int(y0) - pad):int(y1) + pad, int(max(0, a)):int(min(gray.shape[1], b))]
    if not c.size:
        return None
    return c if c.ndim == 3 else cv2.cvtColor(c, cv2.COLOR_GRAY2BGR)


def reads_upright(readings: Sequence[tuple[str, float]], lay: LayoutSettings) -> bool:
    """Whether a page's readings (text, score) hold enough Chinese read with confidence to show
    the page was the right way up: at least ``half_turn_confirm_chars`` characters in readings
    scored ``half_turn_vote_score`` or more (upside-down print reads as low-scored garbage)."""
    chars = sum(_turn_sensitive(t) for t, conf in readings if conf >= lay.half_turn_vote_score)
    return chars >= lay.half_turn_confirm_chars


def _turn_sensitive(text: str) -> int:
    """Characters that read differently upside down: Chinese characters. A row of table
    numbers ("0 1 0 1", "/") or punctuation reads just as well both ways up."""
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")


def detect_orientation(
    bgr: np.ndarray,
    classify: Classifier | None = None,
    read: Reader | None = None,
    *,
    lay: LayoutSettings,
) -> Orientation:
    """Rotation (0/90/180/270) and skew that make a page upright and level.

    ``classify``/``read`` tell 0 from 180 (see ``is_upside_down``); without them an
    upside-down page stays as it is. Text lines for that test are found on the whole page
    (table text included), which is enough for a vote."""
    from nianbao.layout.text import estimate_char_height, find_text_lines

    # all of it is measured on a copy of at most ~1400 px (angles don't need more)
    h0, w0 = bgr.shape[:2]
    f = min(1.0, 1400.0 / max(h0, w0))
    small = cv2.resize(bgr, (max(8, int(w0 * f)), max(8, int(h0 * f))), interpolation=cv2.INTER_AREA) if f < 1 else bgr
    ink = ink_mask(small)
    sideways, scores = is_sideways(ink, lay.sideways_ratio)
    l0, l90 = scores["lines_0"], scores["lines_90"]
    if read is not None and max(l0, l90) < lay.sideways_sure_ratio * min(l0, l90):
        # the shapes alone are thin evidence either way: the reader tells which way the text runs
        by_reading, read_scores = quarter_turn_by_reading(to_gray(small), ink, read, lay)
        scores.update(read_scores)
        if by_reading is not None:
            sideways = by_reading
    rotation = 90 if sideways else 0
    if rotation:
        ink = rotate_quadrant(ink, rotation)
    skew = estimate_skew(ink, lay.deskew_max_angle)
    if classify is not None or read is not None:
        level_ink = rotate_small(ink, skew, border=0)
        gray = rotate_small(rotate_quadrant(to_gray(bgr), rotation), skew)
        # only boxes about one character high are text lines: a table whose ruling lines are
        # broken is one tall block, and the pieces of its lines are flat slivers
        char_h = estimate_char_height(level_ink)
        boxes = [(x0 / f, y0 / f, x1 / f, y1 / f) for x0, y0, x1, y1 in find_text_lines(level_ink, char_h=char_h)
                 if 0.6 * char_h <= y1 - y0 <= 2 * char_h]
        if len(boxes) < lay.orient_min_vote_lines:
            # a page that is all table (its rules, broken by the scan, join everything into one
            # block): the labels inside its cells, ruling lines taken out, are the lines to vote on
            text = remove_lines(level_ink, max(20, int(3 * char_h)))
            boxes += [(x0 / f, y0 / f, x1 / f, y1 / f) for x0, y0, x1, y1 in line_blobs(text, char_h)
                      if 0.6 * char_h <= y1 - y0 <= 2 * char_h]
        vote = is_upside_down(gray, boxes, classify, read, lay=lay)
        scores.update(vote.scores)
        if vote.flip:
            rotation = (rotation + 180) % 360  # a half turn keeps line angles: skew stays
        return Orientation(rotation=rotation, skew=skew, scores=scores, half_turn_sure=vote.sure)
    return Orientation(rotation=rotation, skew=skew, scores=scores)

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

from nianbao.layout.image import ink_mask, rotate_quadrant, rotate_small, to_gray
from nianbao.layout.lines import remove_lines

# classify(crops) -> [(angle 0|180, score)] for text-line crops (BGR)
Classifier = Callable[[Sequence[np.ndarray]], list[tuple[int, float]]]


@dataclass
class Orientation:
    rotation: int = 0  # clockwise quarter turn applied to make the page upright
    skew: float = 0.0  # small rotation (degrees, OpenCV sign: counter-clockwise positive) applied after it
    scores: dict = field(default_factory=dict)  # evidence, for debugging


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
    m = np.float32([[1, 0, 0], [t, 1, -t * w / 2.0]])
    return _profile_score(cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0))


def _best_angle(img: np.ndarray, k: float, max_angle: float, steps=(0.5, 0.1, 0.03)) -> tuple[float, float]:
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


def is_sideways(ink: np.ndarray) -> tuple[bool, dict]:
    """True when text lines run vertically (page turned by a quarter)."""
    h, w = ink.shape[:2]
    s = min(1.0, 900 / max(h, w))
    small = cv2.resize(ink, (max(8, int(w * s)), max(8, int(h * s))), interpolation=cv2.INTER_AREA)
    text = remove_lines((small > 64).astype(np.uint8) * 255, max(20, int(small.shape[1] * 0.05)))
    hh, ww = text.shape
    a0, k0 = _aniso(text, 240, hh)
    a90, k90 = _aniso(np.ascontiguousarray(text.T), 240, ww)
    _, s0 = _best_angle(a0, k0, 4.0, steps=(1.0,))
    _, s90 = _best_angle(a90, k90, 4.0, steps=(1.0,))
    return s90 > s0 * 1.15, {"profile_0": round(s0, 3), "profile_90": round(s90, 3)}


def detect_orientation(
    bgr: np.ndarray,
    classify: Classifier | None = None,
    max_angle: float = 5.0,
    line_boxes: Callable[[np.ndarray], list] | None = None,
) -> Orientation:
    """Rotation (0/90/180/270) and skew that make a page upright and level.

    ``classify`` tells 0 from 180 on text-line crops; without it upside-down pages stay as
    they are. ``line_boxes(ink) -> [(x0,y0,x1,y1)]`` finds text lines for those crops."""
    ink = ink_mask(bgr)
    sideways, scores = is_sideways(ink)
    rotation = 90 if sideways else 0
    if rotation:
        ink = rotate_quadrant(ink, rotation)
    skew = estimate_skew(ink, max_angle)
    if classify is not None:
        from nianbao.layout.text import find_text_lines

        upright_ink = rotate_small(ink, skew, border=0)
        boxes = (line_boxes or find_text_lines)(upright_ink)
        # widest lines first: most characters, best vote
        boxes = sorted(boxes, key=lambda b: -(b[2] - b[0]))[:12]
        if boxes:
            gray = rotate_small(rotate_quadrant(to_gray(bgr), rotation), skew)
            crops = []
            for x0, y0, x1, y1 in boxes:
                c = gray[int(y0):int(y1), int(x0):int(x1)]
                if c.size and c.shape[1] > c.shape[0] * 1.5:
                    crops.append(cv2.cvtColor(c, cv2.COLOR_GRAY2BGR))
            if crops:
                votes = classify(crops)
                flip = sum(s for a, s in votes if a == 180)
                keep = sum(s for a, s in votes if a == 0)
                scores.update({"cls_0": round(keep, 2), "cls_180": round(flip, 2), "cls_n": len(votes)})
                if flip > keep:
                    rotation = (rotation + 180) % 360  # a half turn keeps line angles: skew stays
    return Orientation(rotation=rotation, skew=skew, scores=scores)

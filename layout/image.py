"""Image helpers shared by the layout stages: seal-ink removal, grey, binarisation.

All functions are pure: numpy images in, numpy images out (BGR uint8 or single-channel uint8).
"""

from __future__ import annotations

import cv2
import numpy as np


def red_mask(bgr: np.ndarray, min_saturation: int = 60) -> np.ndarray:
    """Mask (255) of red/pink seal ink: hue near 0/180 with some saturation, not dark.

    Dark pixels (black print under a stamp) are kept out of the mask so ruling lines and
    digits under a seal survive its removal."""
    if bgr.ndim == 2:
        return np.zeros(bgr.shape, np.uint8)
    b, g, r = cv2.split(bgr)
    # red well above green and blue first (saturating uint8 arithmetic: a negative difference
    # is 0): most pages have no seal or a small one, and the colour-space conversion is then
    # only needed over the box of those pixels (everything outside it is no seal ink anyway)
    redder = cv2.subtract(r, cv2.max(g, b)) > 40
    m = np.zeros(bgr.shape[:2], np.uint8)
    rows, cols = np.flatnonzero(redder.any(axis=1)), np.flatnonzero(redder.any(axis=0))
    if rows.size == 0:
        return m
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    hsv = cv2.cvtColor(bgr[y0:y1, x0:x1], cv2.COLOR_BGR2HSV)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    hue_red = (h <= 12) | (h >= 160)
    m[y0:y1, x0:x1] = (hue_red & (s >= min_saturation) & (v >= 90) & redder[y0:y1, x0:x1]).astype(np.uint8) * 255
    return m


def remove_red(bgr: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Copy of the page with red seal ink taken out (kept out of lines and OCR crops).

    Seal pixels are not just painted white: black print under red ink stays dark in the red
    channel, seal ink over paper is bright there. The red channel splits the two (Otsu,
    capped where print can be): seal over paper turns white, print under the stamp keeps
    its red-channel grey, so ruling lines and digits under a stamp survive while the seal
    (turned to the paper's tone) leaves no pale residue for OCR to read as letters. The seal's anti-aliased rim, too
    pale to pass as red, goes with it."""
    if bgr.ndim == 2:
        return bgr
    m = red_mask(bgr) if mask is None else mask
    if not m.any():
        return bgr
    sel = cv2.dilate(m, np.ones((5, 5), np.uint8)) > 0
    out = bgr.copy()
    r = bgr[..., 2][sel]
    otsu, _ = cv2.threshold(r.reshape(-1, 1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    print_max = min(float(otsu), 150.0)  # black print under red ink is darker than this
    paper = np.percentile(to_gray(bgr[::8, ::8]), 90)  # white to the paper's own tone, no halo
    v = np.where(r > print_max, paper, r).astype(np.uint8)
    out[sel] = v[:, None]
    return out


# OpenCV labels into 16-bit label images with its sequential algorithm, about three times
# faster on a page than into 32-bit ones (same components, same numbering, same stats). Since
# 4.13 it raises when a mask holds more components than 16 bits can number (before, it wrote
# past its buffers): 16 bits are asked for only there, and 32 when it raises.
_SHORT_LABELS = tuple(int(v) for v in cv2.__version__.split(".")[:2]) >= (4, 13)


def components(mask: np.ndarray, connectivity: int = 8) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """``cv2.connectedComponentsWithStats(mask, connectivity=connectivity)``: ``(n, labels,
    stats, centroids)``, the same components numbered and measured the same, the labels as
    16-bit integers where they fit (``_SHORT_LABELS``), else 32-bit."""
    if _SHORT_LABELS:
        try:
            return cv2.connectedComponentsWithStats(mask, connectivity=connectivity, ltype=cv2.CV_16U)
        except cv2.error:
            pass  # more components than 16 bits can number
    return cv2.connectedComponentsWithStats(mask, connectivity=connectivity, ltype=cv2.CV_32S)


def component_labels(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, tuple[int, int]]:
    """``components(mask)`` (``cv2.connectedComponentsWithStats``, 8-connected) taken on the box of the
    mask's ink only: ``(n, labels, stats, (x0, y0))`` with the same components, numbered the
    same, the labels of the box whose top-left is (x0, y0), and the same stats in page pixels
    (all but row 0, the background's). The labelling looks at every pixel, the paper around a
    page's print and around a table's lines included; the box starts at even pixels so that
    the labelling's 2x2 blocks, and with them the numbering, stay as on the whole mask."""
    x, y, w, h = cv2.boundingRect(mask)
    if w == 0 or h == 0:
        return 1, np.zeros((0, 0), np.int32), np.zeros((1, 5), np.int32), (0, 0)
    x0, y0 = x & ~1, y & ~1
    n, labels, stats, _ = components(mask[y0:y + h, x0:x + w])
    stats[1:, cv2.CC_STAT_LEFT] += x0
    stats[1:, cv2.CC_STAT_TOP] += y0
    return n, labels, stats, (x0, y0)


def component_stats(mask: np.ndarray) -> tuple[int, np.ndarray]:
    """``(n, stats)`` of ``component_labels``: components, numbered and measured as by
    ``cv2.connectedComponentsWithStats`` on the whole mask (but the background's row 0)."""
    n, _, stats, _ = component_labels(mask)
    return n, stats


def to_gray(img: np.ndarray) -> np.ndarray:
    """Single-channel grey of a BGR (or already grey) image."""
    if img.ndim == 2:
        return img
    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)


def noise_sigma(gray: np.ndarray) -> float:
    """Pixel noise of the paper (robust std of grey minus its local median), measured on a
    central patch: scanner noise, JPEG artefacts and paper texture."""
    h, w = gray.shape[:2]
    s = min(h, w, 600)
    y0, x0 = (h - s) // 2, (w - s) // 2
    patch = gray[y0:y0 + s, x0:x0 + s]
    if patch.size == 0:
        return 0.0
    d = patch.astype(np.int16) - cv2.medianBlur(patch, 9).astype(np.int16)
    return float(1.4826 * np.median(np.abs(d)))


def binarize(gray: np.ndarray, block: int | None = None, c: int | None = None) -> np.ndarray:
    """Ink mask (255 = ink) by local (adaptive) threshold, robust to uneven scan lighting
    and to faint lines; the offset grows with the paper's noise so grain doesn't become
    specks; plus a global Otsu floor so solid dark ink is never lost."""
    h, w = gray.shape[:2]
    if block is None:
        block = max(15, (min(h, w) // 50) | 1)
    block |= 1
    if c is None:
        c = int(round(max(12.0, 4.5 * noise_sigma(gray))))
    adaptive = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, c)
    # pixels much darker than paper are ink even inside big dark areas
    otsu_t, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    dark = (gray < min(otsu_t, 110)).astype(np.uint8) * 255
    return cv2.bitwise_or(adaptive, dark)


def ink_mask(bgr: np.ndarray) -> np.ndarray:
    """Binarised ink of a page with seal ink removed first."""
    return binarize(to_gray(remove_red(bgr)))


def rotate_quadrant(img: np.ndarray, rotation: int) -> np.ndarray:
    """Turn an image clockwise by 0/90/180/270 degrees."""
    rotation %= 360
    if rotation == 0:
        return img
    code = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}[rotation]
    return cv2.rotate(img, code)


def rotate_small(img: np.ndarray, angle: float, border: int | None = None) -> np.ndarray:
    """Rotate by a small angle (degrees, counter-clockwise positive as in OpenCV) about the
    centre, keeping the image size (page corners that leave the frame are cut; the text
    area of a deskew of a few degrees stays inside). The uncovered corners repeat the edge
    (paper tone) unless a ``border`` value is given: a white wedge on grey paper would
    look like ink to a local threshold."""
    if abs(angle) < 1e-3:
        return img
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    if border is None:
        return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    bv = border if img.ndim == 2 else (border, border, border)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=bv)


def apply_upright(img: np.ndarray, rotation: int, skew: float) -> np.ndarray:
    """Apply a page's recorded rotation then deskew, giving the picture its boxes refer to."""
    return rotate_small(rotate_quadrant(img, rotation), skew)

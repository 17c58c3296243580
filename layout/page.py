"""Pages as a camera sees them: find the page in a photo, undo the perspective, take out the curl.

A phone photo shows the page as a quadrilateral on a desk, bent where the paper curls, lit
unevenly. Three steps make it a flat upright page like a flatbed scan:

1. **Page quad.** On a small copy, a closing wider than any character wipes out print. Two
   kinds of candidate region: the paper's tone (Otsu on brightness minus saturation, grown
   into weak paper that joins it broadly: a shadowed part of the page) and what the desk,
   flooded in from the frame's border, does not reach past the edges (a pale desk close to
   the paper's tone). Each region's outline gives four corners, each side re-fitted as a
   straight line; the quad whose weakest side sits on the strongest edge wins, and each side
   snaps onto the nearby step where the inside is clearly brighter (the paper's own edge, not
   its drop shadow). A flatbed page (paper to the frame's edge, no desk) has no tone split or
   a quad in the frame's corners: nothing is done, at the cost of one small closing.
2. **Homography** of the quad onto an upright rectangle at ``photo_dpi`` (A4 proportions when
   the quad is close to them, the long side ``page_long_side_in`` inches); a thin band along
   the edges takes the pixels just inside it (no desk strip left to be read as a rule), and
   the lighting is evened (each pixel divided by its paper's brightness).
3. **Curl.** After the page is turned upright (the caller's orientation step), text lines and
   ruling lines that should be straight are traced: horizontal ones give the vertical
   displacement dy(x, y), vertical ruling lines the horizontal dx(x, y), each a low-degree
   polynomial fitted by least squares with one free offset per traced line (a line may sit
   anywhere; only its bending is displacement). The page is remapped once, and 0°/180° is
   asked again on the straightened page (bent lines make poor crops for that vote).

``prepare_page`` runs all three and keeps every intermediate on a ``PagePrep`` (drawn by
``nianbao debug --stage page``); ``redo_page_warp`` replays a recorded ``PageWarp`` on the
file's page so report boxes line up again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, cast

import cv2
import numpy as np

from nianbao.layout.image import apply_upright, binarize, components, rotate_quadrant, to_gray
from nianbao.layout.text import estimate_char_height
from nianbao.models import PageWarp
from nianbao.settings import LayoutSettings

A4_ASPECT = 297.0 / 210.0

# orient(flat page) -> (rotation, skew), see nianbao.layout.orient.detect_orientation
Orienter = Callable[[np.ndarray], tuple[int, float]]


@dataclass
class Curl:
    """A fitted page-curl displacement: the upright page's pixel (x, y) is read from
    (x + dx, y + dy); coefficients per term u^p·v^q (u, v in [-1, 1] over the page)."""

    width: int
    height: int
    terms: list[tuple[int, int]]
    dy: np.ndarray  # coefficient per term, pixels
    dx: np.ndarray
    box: tuple[float, float, float, float] | None = None  # where the evidence lies; the field is held constant outside
    traces_h: list[np.ndarray] = field(default_factory=list)  # (x, y) samples along lines that should be horizontal
    traces_v: list[np.ndarray] = field(default_factory=list)  # (x, y) samples along rules that should be vertical
    scores: dict = field(default_factory=dict)

    def displacement(self, step: int = 16) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(xs, ys, dx, dy) on a grid every ``step`` pixels (the displacement field, drawable)."""
        xs = np.arange(0, self.width + step, step, dtype=np.float32)
        ys = np.arange(0, self.height + step, step, dtype=np.float32)
        gx, gy = np.meshgrid(xs, ys)
        if self.box is not None:  # a polynomial runs wild past its data: margins keep the edge's value
            gx, gy = np.clip(gx, self.box[0], self.box[2]), np.clip(gy, self.box[1], self.box[3])
        return xs, ys, _poly(self.terms, self.dx, gx, gy, self.width, self.height), _poly(
            self.terms, self.dy, gx, gy, self.width, self.height)

    def turned_half(self) -> "Curl":
        """The same displacement for the page turned by 180°: u → −u, v → −v and the
        displacement changes sign, so the term u^p·v^q's coefficient is multiplied by −(−1)^(p+q)."""
        sign = np.array([-((-1) ** (p + q)) for p, q in self.terms], np.float64)
        box = None if self.box is None else (self.width - self.box[2], self.height - self.box[3],
                                             self.width - self.box[0], self.height - self.box[1])
        flip = np.array([self.width, self.height], np.float64)
        return Curl(self.width, self.height, self.terms, self.dy * sign, self.dx * sign, box,
                    [flip - t for t in self.traces_h], [flip - t for t in self.traces_v], dict(self.scores))

    def max_shift(self) -> float:
        _, _, dx, dy = self.displacement(32)
        return float(max(np.abs(dx).max(initial=0.0), np.abs(dy).max(initial=0.0)))


@dataclass
class PagePrep:
    """What preparing one page found and did (the ``page`` stage's intermediates)."""

    image: np.ndarray  # the page flat, upright and level: what every later stage reads
    dpi: float
    rotation: int = 0
    skew: float = 0.0
    source_shape: tuple[int, int] = (0, 0)  # (height, width) of the image that came in
    quad: np.ndarray | None = None  # 4×2 page corners in the source image (tl, tr, br, bl); None: a flatbed page
    homography: np.ndarray | None = None  # 3×3, source → flat page
    curl: Curl | None = None  # None: no curl measured (or too little to correct)
    warp: PageWarp | None = None  # the record of all of it (PageInfo.warp)
    scores: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- page quad
def _thumb(img: np.ndarray, long_side: int) -> tuple[np.ndarray, float]:
    h, w = img.shape[:2]
    f = min(1.0, long_side / max(h, w))
    if f >= 1.0:
        return img, 1.0
    return cv2.resize(img, (max(8, round(w * f)), max(8, round(h * f))), interpolation=cv2.INTER_AREA), f


def _order_corners(pts: np.ndarray) -> np.ndarray:
    """Four points as top-left, top-right, bottom-right, bottom-left (clockwise from the
    corner nearest the image's top-left)."""
    c = pts.mean(axis=0)
    ang = np.arctan2(pts[:, 1] - c[1], pts[:, 0] - c[0])
    pts = pts[np.argsort(ang)]  # clockwise in image coordinates (y down)
    start = int(np.argmin(pts[:, 0] + pts[:, 1]))
    return np.roll(pts, -start, axis=0)


def _refit_sides(contour: np.ndarray, corners: np.ndarray, trim: float) -> np.ndarray:
    """Corners re-found as the crossings of straight lines fitted (Huber) through the outline
    points of each side, leaving out ``trim`` of the side near each corner (rounded by the
    closing, or lifted by curl)."""
    pts = contour.reshape(-1, 2).astype(np.float32)
    lines = []
    for i in range(4):
        a, b = corners[i], corners[(i + 1) % 4]
        ab = b - a
        n = float(np.hypot(*ab))
        if n < 1:
            return corners
        t = ((pts - a) @ ab) / (n * n)
        dist = np.abs((pts[:, 0] - a[0]) * ab[1] - (pts[:, 1] - a[1]) * ab[0]) / n
        sel = pts[(t > trim) & (t < 1 - trim) & (dist < 0.08 * n)]
        if len(sel) < 5:
            return corners
        vx, vy, x0, y0 = cv2.fitLine(sel, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((float(vx), float(vy), float(x0), float(y0)))
    out = []
    for i in range(4):
        (v1x, v1y, p1x, p1y), (v2x, v2y, p2x, p2y) = lines[i - 1], lines[i]
        det = v1x * (-v2y) - v1y * (-v2x)
        if abs(det) < 1e-6:
            return corners
        s = ((p2x - p1x) * (-v2y) - (p2y - p1y) * (-v2x)) / det
        out.append((p1x + s * v1x, p1y + s * v1y))
    return np.array(out, np.float32)


def _quad_angles_ok(q: np.ndarray, min_deg: float) -> bool:
    for i in range(4):
        a, b, c = q[i - 1], q[i], q[(i + 1) % 4]
        v1, v2 = a - b, c - b
        cosang = float(v1 @ v2) / max(1e-6, float(np.hypot(*v1) * np.hypot(*v2)))
        ang = np.degrees(np.arccos(np.clip(cosang, -1, 1)))
        if not min_deg <= ang <= 180 - min_deg:
            return False
    return True


def _quad_of_region(mask: np.ndarray, trim: float) -> np.ndarray | None:
    """Four corners (tl, tr, br, bl) of a page-shaped region: its outline's hull cut to four
    points, each side then re-fitted as a straight line through its outline points."""
    cs, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not cs:
        return None
    contour = max(cs, key=cv2.contourArea)
    hull = cv2.convexHull(contour)
    peri = cv2.arcLength(hull, True)
    approx = None
    for eps in (0.02, 0.03, 0.05, 0.08):
        a = cv2.approxPolyDP(hull, eps * peri, True)
        if len(a) == 4:
            approx = a.reshape(4, 2).astype(np.float32)
            break
        if len(a) < 4:
            break
    if approx is None:
        approx = cv2.boxPoints(cv2.minAreaRect(hull)).astype(np.float32)
    return _order_corners(_refit_sides(contour, _order_corners(approx), trim))


def _tone_region(paper: np.ndarray, strong: np.ndarray, t: float, k: int, lay: LayoutSettings) -> np.ndarray | None:
    """The page as the largest region of sure paper (Otsu), grown into weak paper (between the
    desk's median and Otsu) that joins it broadly: a shadowed part of the page."""
    sh, sw = paper.shape
    lo = float(np.median(paper[strong == 0]))
    weak: np.ndarray = (paper >= lo + lay.page_weak_share * (t - lo)).astype(np.uint8) * 255
    # light streaks of the desk (wood grain, cloth folds) are thin: an opening cuts them off
    # the page, while a shadowed part of the page is a broad region and stays
    weak = cv2.morphologyEx(weak, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * k + 1, 2 * k + 1)))
    for m in (weak, strong):
        n, lab, st, _ = cv2.connectedComponentsWithStats(m, connectivity=4)
        if n <= 1:
            continue
        best = 1 + int(np.argmax(st[1:, cv2.CC_STAT_AREA] * (np.bincount(lab[strong > 0], minlength=n)[1:] > 0)))
        comp = lab == best
        x, y, w, h = st[best, :4]
        touches = (x <= 1) + (y <= 1) + (x + w >= sw - 1) + (y + h >= sh - 1)
        if m is weak and touches >= 3 and comp.mean() > 0.9:
            continue  # the desk came with it: fall back on sure paper
        return comp.astype(np.uint8) * 255
    return None


def _edge_region(gray: np.ndarray, lay: LayoutSettings, g: int) -> np.ndarray | None:
    """The page as what the desk, flooded in from the frame's border up to the edges, does not
    reach (a pale desk close to the paper's tone, under shadows that beat any global
    threshold, still shows the paper's edge; edges inside the page do not matter)."""
    sh, sw = gray.shape
    edges = cv2.Canny(gray, lay.page_edge_low, lay.page_edge_high)
    # breaks in the paper's edge (where shadow or light leave little step) up to ``g`` pixels
    # bridged by a dilation, taken back off the page found below
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (g, g))
    edges = cv2.dilate(edges, kernel)
    free = cv2.bitwise_not(edges)
    n, lab = cv2.connectedComponents(free, connectivity=4)
    border = np.unique(np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]]))
    desk = np.isin(lab, border[border > 0])
    page = (~desk).astype(np.uint8) * 255
    n, lab, st, _ = cv2.connectedComponentsWithStats(page, connectivity=4)
    if n <= 1:
        return None
    best = 1 + int(np.argmax(st[1:, cv2.CC_STAT_AREA]))
    region = (lab == best).astype(np.uint8) * 255
    # what the desk did not reach runs over the dilated edge: eroded by as much, the region's
    # outline returns to the paper's edge
    return cv2.erode(region, kernel)


def _on_frame(a: np.ndarray, b: np.ndarray, shape: tuple[int, int], margin: np.ndarray) -> bool:
    """Whether the side a→b runs along one of the frame's borders (both ends within ``margin``,
    x and y, of the same border): the picture's edge cutting the page, not the paper's edge."""
    h, w = shape
    return bool((a[0] <= margin[0] and b[0] <= margin[0]) or (a[0] >= w - 1 - margin[0] and b[0] >= w - 1 - margin[0])
                or (a[1] <= margin[1] and b[1] <= margin[1]) or (a[1] >= h - 1 - margin[1] and b[1] >= h - 1 - margin[1]))


def _edge_support(grad: np.ndarray, q: np.ndarray, margin: np.ndarray | None = None, max_frame_sides: int = 0) -> float:
    """How well a quad sits on edges: for each side, the median over points along its middle
    80 % of the strongest gradient within 2 px across it; the weakest side's figure. Up to
    ``max_frame_sides`` sides that run along the frame's border (within ``margin``) are left
    out: a page that runs out of the picture there shows no edge, and its other sides are the
    evidence (a landscape sheet photographed close: spent seed-2043 sheet phone report 012)."""
    h, w = grad.shape
    worst = np.inf
    cut = 0
    for i in range(4):
        a, b = q[i], q[(i + 1) % 4]
        if margin is not None and cut < max_frame_sides and _on_frame(a, b, (h, w), margin):
            cut += 1
            continue
        d = b - a
        n = np.array([-d[1], d[0]], np.float32) / max(1e-6, float(np.hypot(*d)))
        ts = np.linspace(0.1, 0.9, 40, dtype=np.float32)[:, None]
        pts = a + ts * d
        best = np.zeros(len(pts), np.float32)
        for off in (-2, -1, 0, 1, 2):
            pp = np.rint(pts + off * n).astype(int)
            ok = (pp[:, 0] >= 0) & (pp[:, 0] < w) & (pp[:, 1] >= 0) & (pp[:, 1] < h)
            v = np.zeros(len(pp), np.float32)
            v[ok] = grad[pp[ok, 1], pp[ok, 0]]
            best = np.maximum(best, v)
        worst = min(worst, float(np.median(best)))
    return worst


def _sample(img: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Bilinear samples of a single-channel image at (x, y) points (clamped to the image)."""
    h, w = img.shape
    x = np.clip(pts[:, 0], 0, w - 1.001)
    y = np.clip(pts[:, 1], 0, h - 1.001)
    x0, y0 = x.astype(int), y.astype(int)
    fx, fy = x - x0, y - y0
    a = img[y0, x0] * (1 - fx) + img[y0, x0 + 1] * fx
    b = img[y0 + 1, x0] * (1 - fx) + img[y0 + 1, x0 + 1] * fx
    return a * (1 - fy) + b * fy


def _snap_sides(gray: np.ndarray, q: np.ndarray, reach: int, min_gain: float) -> np.ndarray:
    """Each side of the quad moved along its normal (up to ``reach`` pixels) onto the step
    where the inside is brightest against the outside: the paper's own edge, not the outer
    rim of its drop shadow on a pale desk (there the inside, the shadow, is the darker). A side
    moves only for a step at least ``min_gain`` grey levels stronger than where it is."""
    g = gray.astype(np.float32)
    c = q.mean(axis=0)
    lines = []
    ts = np.linspace(0.15, 0.85, 40, dtype=np.float32)[:, None]
    for i in range(4):
        a, b = q[i], q[(i + 1) % 4]
        d = b - a
        n = np.array([-d[1], d[0]], np.float32) / max(1e-6, float(np.hypot(*d)))
        if float((c - a) @ n) < 0:
            n = -n  # pointing into the page
        offs = np.arange(-reach, reach + 1)
        steps = np.array([float(np.median(_sample(g, a + ts * d + o * n + 2 * n) - _sample(g, a + ts * d + o * n - 2 * n)))
                          for o in offs])
        here, top = steps[reach], steps.max()
        move = 0.0
        if top >= here + min_gain:  # a clearly better step nearby: the nearest one nearly as good
            ok = offs[steps >= max(here + min_gain, 0.8 * top)]
            move = float(ok[np.argmin(np.abs(ok))])
        lines.append((a + move * n, d))
    out = []
    for i in range(4):
        (p1, d1), (p2, d2) = lines[i - 1], lines[i]
        m = np.array([[d1[0], -d2[0]], [d1[1], -d2[1]]], np.float64)
        if abs(np.linalg.det(m)) < 1e-6:
            return q
        s_, _ = np.linalg.solve(m, (p2 - p1).astype(np.float64))
        out.append(p1 + s_ * d1)
    return np.array(out, np.float32)


def find_page_quad(bgr: np.ndarray, lay: LayoutSettings) -> tuple[np.ndarray | None, dict]:
    """Corners (4×2, tl/tr/br/bl, source pixels) of the page in a photo, or None when the
    image is a page to its edges (a flatbed scan) or no page shape is found; and evidence.

    Two candidates, from the paper's tone (Otsu on brightness minus saturation) and from the
    region the edges enclose; the one whose sides sit on stronger edges wins."""
    small, f = _thumb(bgr, lay.page_thumb_px)
    sh, sw = small.shape[:2]
    k = max(3, int(round(lay.page_close_frac * max(sh, sw)))) | 1
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    if closed.ndim == 3:
        hsv = cv2.cvtColor(closed, cv2.COLOR_BGR2HSV)
        paper: np.ndarray = np.clip(hsv[..., 2].astype(np.int16) - hsv[..., 1].astype(np.int16), 0, 255).astype(np.uint8)
    else:
        paper = closed
    paper = cv2.GaussianBlur(paper, (5, 5), 0)
    t, strong = cv2.threshold(paper, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    hi, lo = paper[strong > 0], paper[strong == 0]
    scores: dict = {"thumb": [sw, sh]}
    if hi.size == 0 or lo.size == 0:
        scores["why"] = "one tone"
        return None, scores
    contrast = float(np.median(hi)) - float(np.median(lo))
    scores["contrast"] = round(contrast, 1)
    frac_paper = hi.size / paper.size
    scores["paper_frac"] = round(frac_paper, 3)
    if contrast < lay.page_min_contrast or frac_paper < lay.page_min_area_frac:
        scores["why"] = "no page edge"  # paper to the frame edge: a flatbed page
        return None, scores
    gray = cv2.GaussianBlur(to_gray(closed), (5, 5), 0)
    # the paper's edge is a step in tone (brightness minus saturation) or in grey, whichever is larger
    grad = np.maximum(*(cv2.magnitude(cv2.Sobel(c, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(c, cv2.CV_32F, 0, 1, ksize=3))
                        for c in (paper, gray)))
    frame = np.array([[0, 0], [sw - 1, 0], [sw - 1, sh - 1], [0, sh - 1]], np.float32)
    margin = lay.page_fill_margin_frac * np.array([sw, sh], np.float32)
    best, best_support, fills = None, -1.0, False
    gap = max(5, int(round(lay.page_edge_gap_frac * max(sh, sw)))) | 1
    candidates = [("tone", lambda: _tone_region(paper, strong, t, k, lay)),
                  ("edges", lambda: _edge_region(gray, lay, 5)),  # a clean edge: a close fit
                  ("edges_bridged", lambda: _edge_region(gray, lay, gap))]  # a broken one: bridged
    for name, make in candidates:
        region = make()
        q = _quad_of_region(region, lay.page_side_trim) if region is not None else None
        if q is None:
            continue
        if np.all(np.abs(q - frame) <= margin):
            fills = True
            continue
        area = abs(cv2.contourArea(q)) / float(sw * sh)
        if area < lay.page_min_area_frac or not _quad_angles_ok(q, lay.page_min_corner_deg):
            continue
        support = _edge_support(grad, q, margin, lay.page_max_frame_sides)
        scores[f"support_{name}"] = round(support, 1)
        if support > best_support:
            best, best_support = q, support
            scores.update({"quad_from": name, "area_frac": round(area, 3)})
    if best is None or best_support < lay.page_min_edge_support:
        scores["why"] = "page fills the frame" if fills else "no page-shaped quad"
        return None, scores
    reach = int(round(lay.page_snap_frac * max(sh, sw)))
    if reach > 0:
        best = _snap_sides(gray, best, reach, lay.page_snap_min_gain)
    return best / f, scores


def flat_size(quad: np.ndarray, lay: LayoutSettings) -> tuple[int, int]:
    """(width, height) in pixels of the flat page: the quad's proportions (snapped to A4 when
    close), the long side ``page_long_side_in`` inches at ``photo_dpi``."""
    tl, tr, br, bl = quad
    w = (np.hypot(*(tr - tl)) + np.hypot(*(br - bl))) / 2
    h = (np.hypot(*(bl - tl)) + np.hypot(*(br - tr))) / 2
    aspect = max(w, h) / max(1.0, min(w, h))
    if abs(aspect / A4_ASPECT - 1) <= lay.page_a4_snap:
        aspect = A4_ASPECT
    long_px = int(round(lay.page_long_side_in * lay.photo_dpi))
    short_px = int(round(long_px / aspect))
    return (short_px, long_px) if h >= w else (long_px, short_px)


def flatten(bgr: np.ndarray, quad: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The quad warped onto a ``size`` rectangle, and the homography used."""
    w, h = size
    dst = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    m = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    return cv2.warpPerspective(bgr, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE), m


# --------------------------------------------------------------------------- curl
def _terms(x_deg: int, y_deg: int) -> list[tuple[int, int]]:
    """Exponents (p, q) of u^p·v^q: dy uses the terms with p ≥ 1, dx (by symmetry) those with q ≥ 1."""
    return [(p, q) for p in range(0, x_deg + 1) for q in range(0, x_deg + 1)
            if (p >= 1 and q <= y_deg) or (q >= 1 and p <= y_deg)]


def _poly(terms, coef, x, y, width, height):
    u = 2.0 * np.asarray(x, np.float32) / max(1, width) - 1.0
    v = 2.0 * np.asarray(y, np.float32) / max(1, height) - 1.0
    out = np.zeros(np.broadcast(u, v).shape, np.float32)
    for (p, q), c in zip(terms, coef):
        if c:
            out += np.float32(c) * (u ** p) * (v ** q)
    return out


def _component_traces(mask: np.ndarray, along_x: bool, bin_px: int, keep) -> list[np.ndarray]:
    """For each component of ``mask`` that ``keep(w, h)`` accepts: its centre line sampled every
    ``bin_px`` along its length, as (x, y) rows (mask pixels)."""
    n, lab, st, _ = components(mask)
    if n <= 1:
        return []
    ok = np.zeros(n, bool)
    ok[1:] = [keep(int(w), int(h)) for w, h in zip(st[1:, cv2.CC_STAT_WIDTH], st[1:, cv2.CC_STAT_HEIGHT])]
    if not ok.any():
        return []
    ys, xs = np.nonzero(ok[lab])
    ls = lab[ys, xs]
    along, across = (xs, ys) if along_x else (ys, xs)
    nb = int(along.max()) // bin_px + 1
    key = ls.astype(np.int64) * nb + along // bin_px
    cnt = np.bincount(key, minlength=n * nb).reshape(n, nb)
    s_across = np.bincount(key, weights=across, minlength=n * nb).reshape(n, nb)
    s_along = np.bincount(key, weights=along, minlength=n * nb).reshape(n, nb)
    out = []
    for i in np.nonzero(ok)[0]:
        c = cnt[i]
        full = c >= 0.5 * c.max()  # leave out the ragged ends of a line
        if full.sum() < 3:
            continue
        a = s_along[i][full] / c[full]
        b = s_across[i][full] / c[full]
        out.append(np.stack([a, b], 1) if along_x else np.stack([b, a], 1))
    return out


def trace_lines(gray: np.ndarray, lay: LayoutSettings) -> tuple[list[np.ndarray], list[np.ndarray], float, float]:
    """Traces of what should be straight on an upright page, measured on a copy of at most
    ``curl_fit_px``: text lines and horizontal rules (horizontal), vertical ruling lines
    (vertical); in the page's own pixels. Also the character height and the copy's scale."""
    small, f = _thumb(gray, lay.curl_fit_px)
    ink = binarize(small)
    char_h = estimate_char_height(ink)
    ch = max(4, int(round(char_h)))
    # vertical rules: long vertical runs (a curled rule stays near-vertical over a few characters)
    run = max(3, int(round(lay.curl_rule_run_chars * ch)))
    vert = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, run)))
    vert = cv2.morphologyEx(vert, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, ch)))
    horiz_ink = cv2.bitwise_and(ink, cv2.bitwise_not(cv2.dilate(vert, np.ones((3, 3), np.uint8))))
    min_len = lay.curl_min_trace_chars * ch
    # a long line may bow by a few percent of its length on top of its own thickness
    bow = lay.curl_max_shift_frac
    band_h = lay.curl_band_chars * ch
    rules_h: list[np.ndarray] = []
    if lay.curl_trace_rules_apart:
        # horizontal rules traced on their own, and taken out of the text: a rule's centre line
        # pulled towards the text that touches it, or a header's words chained over it to the
        # label centred in the two rows beside them, bends where the page does not
        hor = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (run, 1)))
        hor = cv2.morphologyEx(hor, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (ch, 1)))
        rules_h = _component_traces(hor, True, ch, lambda w, h: w >= 2 * min_len and h <= 0.8 * ch + bow * w)
        horiz_ink = cv2.bitwise_and(horiz_ink, cv2.bitwise_not(cv2.dilate(hor, np.ones((3, 3), np.uint8))))
    # characters of a line run together, lines stay apart
    band = cv2.morphologyEx(horiz_ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (ch, 1)))
    th = rules_h + _component_traces(band, True, ch, lambda w, h: w >= min_len and h <= band_h + bow * w and w >= 4 * h)
    tv = _component_traces(vert, False, ch, lambda w, h: h >= 2 * min_len and w <= 0.8 * ch + bow * h)
    return [t / f for t in th], [t / f for t in tv], char_h / f, f


def _odd_traces(a: np.ndarray, y: np.ndarray, g: np.ndarray, ridge: float, sigmas: float) -> list[int]:
    """Traces the others do not bear out: each trace's rms off the bend fitted to all the
    other traces (leave one out), over ``sigmas`` robust sigmas of those rms and over a pixel.
    A "line" chained across the stacked words of a two-level table header runs aslant; the
    sample-level outlier test cannot drop it, since the fit bends to it where no other trace
    lies (a phone photo's application matrix bowed by 80 px off one such trace: mix2039 Word
    phone report 009, page 4)."""
    ng = int(g.max()) + 1
    if ng < 4:
        return []
    k = a.shape[1]
    cnt = np.maximum(1, np.bincount(g, minlength=ng))
    ym = y - (np.bincount(g, weights=y, minlength=ng) / cnt)[g]
    am = a - np.stack([np.bincount(g, weights=a[:, j], minlength=ng) / cnt for j in range(k)], 1)[g]
    lhs = am.T @ am
    rhs = am.T @ ym
    rms = np.zeros(ng)
    for i in range(ng):
        own = g == i
        ai, yi = am[own], ym[own]
        coef = np.linalg.solve(lhs - ai.T @ ai + ridge * (len(y) - len(yi)) * np.eye(k), rhs - ai.T @ yi)
        res = yi - ai @ coef
        rms[i] = float(np.sqrt(np.mean((res - res.mean()) ** 2)))
    sigma = 1.4826 * float(np.median(rms)) + 1e-6
    return [i for i in range(ng) if rms[i] > max(sigmas * sigma, 1.0)]


def _fit_bend(traces: list[np.ndarray], terms: list[tuple[int, int]], width: int, height: int, along_x: bool,
              ridge: float, outlier_sigmas: float, trace_sigmas: float = 0.0) -> tuple[np.ndarray, float, float, int]:
    """Least-squares coefficients of the bending of ``traces`` (each with its own free offset),
    the traces the others do not bear out left out (``trace_sigmas``, 0: none; ``_odd_traces``),
    then two passes with outliers (residual over ``outlier_sigmas`` robust sigmas) left out.
    Returns coefficients, rms across the lines before and after, and the number of samples used."""
    k = len(terms)
    if not traces or k == 0:
        return np.zeros(k), 0.0, 0.0, 0
    rows, obs, gid = [], [], []
    for i, t in enumerate(traces):
        rows.append(np.stack([_poly([tm], [1.0], t[:, 0], t[:, 1], width, height) for tm in terms], 1))
        obs.append(t[:, 1] if along_x else t[:, 0])
        gid.append(np.full(len(t), i))
    a_all, y_all, g_all = np.concatenate(rows).astype(np.float64), np.concatenate(obs).astype(np.float64), np.concatenate(gid)
    trusted = np.ones(len(y_all), bool)
    if trace_sigmas > 0:
        trusted = ~np.isin(g_all, _odd_traces(a_all, y_all, g_all, ridge, trace_sigmas))
    keep = trusted.copy()
    coef = np.zeros(k)
    before = after = 0.0
    for _ in range(2):
        a, y, g = a_all[keep], y_all[keep], g_all[keep]
        ng = int(g_all.max()) + 1
        cnt = np.maximum(1, np.bincount(g, minlength=ng))
        ym = y - (np.bincount(g, weights=y, minlength=ng) / cnt)[g]
        am = a - np.stack([np.bincount(g, weights=a[:, j], minlength=ng) / cnt for j in range(k)], 1)[g]
        lhs = am.T @ am + ridge * len(y) * np.eye(k)
        coef = np.linalg.solve(lhs, am.T @ ym)
        res = ym - am @ coef
        before, after = float(np.sqrt(np.mean(ym ** 2))), float(np.sqrt(np.mean(res ** 2)))
        # residuals of every sample (with the kept samples' line offsets) for the outlier test
        full = y_all - a_all @ coef
        off = np.bincount(g, weights=y - a @ coef, minlength=ng) / cnt
        r_all = full - off[g_all]
        sigma = 1.4826 * float(np.median(np.abs(res))) + 1e-6
        keep = trusted & (np.abs(r_all) <= max(outlier_sigmas * sigma, 1.0))
    return coef, before, after, int(keep.sum())


def estimate_curl(upright: np.ndarray, lay: LayoutSettings) -> Curl | None:
    """The curl displacement of an upright page from its text lines and rules. None when
    nothing could be traced; a zero displacement (kept for drawing, the reason in its scores)
    when the bend is too small to be worth a remap or too large to be believed."""
    gray = to_gray(upright)
    h, w = gray.shape[:2]
    th, tv, char_h, _ = trace_lines(gray, lay)
    terms = _terms(lay.curl_x_degree, lay.curl_y_degree)
    ty = [i for i, (p, q) in enumerate(terms) if p >= 1 and q <= lay.curl_y_degree]
    tx = [i for i, (p, q) in enumerate(terms) if q >= 1 and p <= lay.curl_y_degree]
    scores: dict = {"traces_h": len(th), "traces_v": len(tv), "char_h": round(char_h, 1)}
    dy = np.zeros(len(terms))
    dx = np.zeros(len(terms))
    if len(th) >= lay.curl_min_traces:
        c, b, a, n = _fit_bend(th, [terms[i] for i in ty], w, h, True, lay.curl_ridge, lay.curl_outlier_sigmas,
                              lay.curl_trace_sigmas)
        dy[ty] = c
        scores.update({"dy_rms_before": round(b, 2), "dy_rms_after": round(a, 2), "dy_samples": n})
    if len(tv) >= lay.curl_min_rules:
        c, b, a, n = _fit_bend(tv, [terms[i] for i in tx], w, h, False, lay.curl_ridge, lay.curl_outlier_sigmas,
                              lay.curl_trace_sigmas)
        dx[tx] = c
        scores.update({"dx_rms_before": round(b, 2), "dx_rms_after": round(a, 2), "dx_samples": n})
    pts = np.concatenate(th + tv) if (th or tv) else np.zeros((0, 2))
    box = (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())) if len(pts) else None
    curl = Curl(w, h, terms, dy, dx, box, th, tv, scores)
    shift = curl.max_shift()
    scores["max_shift_px"] = round(shift, 1)
    if shift < lay.curl_min_shift_px:
        scores["why"] = "flat enough"
        return None if not (th or tv) else _none_but(curl, scores)
    if shift > lay.curl_max_shift_frac * max(w, h):
        scores["why"] = "implausible bend"
        return _none_but(curl, scores)
    return curl


def _none_but(curl: Curl, scores: dict) -> Curl:
    """A Curl kept for drawing (its traces and why it was not applied) with zero displacement."""
    curl.dy = np.zeros_like(curl.dy)
    curl.dx = np.zeros_like(curl.dx)
    curl.scores = scores
    return curl


def uncurl(img: np.ndarray, curl: Curl, step: int = 16) -> np.ndarray:
    """The page remapped so the fitted displacement is taken out."""
    h, w = img.shape[:2]
    if not (np.any(curl.dx) or np.any(curl.dy)):
        return img
    xs, ys, dx, dy = curl.displacement(step)
    gx, gy = np.meshgrid(xs, ys)
    mx = cv2.resize((gx + dx).astype(np.float32), (len(xs) * step, len(ys) * step), interpolation=cv2.INTER_LINEAR)
    my = cv2.resize((gy + dy).astype(np.float32), (len(xs) * step, len(ys) * step), interpolation=cv2.INTER_LINEAR)
    # resize puts sample k at pixel k*step + (step-1)/2 (samples as pixel areas): moved back
    # by that half step, sample k lands on pixel k*step where it was evaluated
    back = np.array([[1, 0, -(step - 1) / 2.0], [0, 1, -(step - 1) / 2.0]], np.float32)
    mx = cv2.warpAffine(mx, back, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    my = cv2.warpAffine(my, back, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return cv2.remap(img, mx, my, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def clear_edges(img: np.ndarray, frac: float) -> np.ndarray:
    """The flat page with a band of ``frac`` of its short side along each edge replaced by the
    pixels just inside it (stretched outwards): where the quad's corners or the curled paper's
    edge let the desk show, a dark strip would be read as a ruling line or traced as a bent
    line. Print never sits that close to a sheet's edge; copying the inside leaves no step."""
    h, w = img.shape[:2]
    b = int(round(frac * min(h, w)))
    if b <= 0 or 2 * b >= min(h, w):
        return img
    return cv2.copyMakeBorder(img[b:h - b, b:w - b], b, b, b, b, cv2.BORDER_REPLICATE)


def even_light(img: np.ndarray, kernel_frac: float) -> np.ndarray:
    """The page with its lighting made even: each pixel divided by the paper's own brightness
    there (a closing wider than print, on a quarter-size copy, leaves only the paper), so a
    rule under a shadow keeps the contrast it has in the light (a local threshold's offset is
    in grey levels, and a shadow scales them down)."""
    h, w = img.shape[:2]
    small = cv2.resize(img, (max(8, w // 4), max(8, h // 4)), interpolation=cv2.INTER_AREA)
    k = max(3, int(round(kernel_frac * min(small.shape[:2])))) | 1
    bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    bg = cv2.GaussianBlur(bg, (0, 0), k / 2)
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    # in place, on the page-sized float arrays: img * (245 / max(bg, 1)), clipped to 0..255
    gain = np.maximum(bg, 1.0, out=bg)
    np.divide(245.0, gain, out=gain)
    out = img.astype(np.float32)
    out *= gain
    return np.clip(out, 0, 255, out=out).astype(np.uint8)


# --------------------------------------------------------------------------- the stage
def prepare_page(image: np.ndarray, dpi: float, lay: LayoutSettings, orient: Orienter | None = None,
                 quad: np.ndarray | None = None) -> PagePrep:
    """A page image made flat, upright and level: a photo's page found and its perspective
    undone (flatbed pages pass through), quarter turn and deskew from ``orient``, then a
    photo's curl taken out. Every intermediate is kept on the result. ``quad``: the page's
    corners in ``image`` found already (the same photo drawn again at another dpi)."""
    import time

    t0 = time.perf_counter()
    prep = PagePrep(image=image, dpi=float(dpi), source_shape=image.shape[:2])
    flat = image
    if lay.photo_pages:
        if quad is None:
            quad, prep.scores = find_page_quad(image, lay)
        if quad is not None:
            size = flat_size(quad, lay)
            flat, prep.homography = flatten(image, quad, size)
            flat = clear_edges(flat, lay.photo_edge_clear_frac)  # no desk strip taken for a rule or a trace
            if lay.photo_even_light:
                flat = even_light(flat, lay.photo_light_kernel_frac)
            prep.quad, prep.dpi = quad, float(lay.photo_dpi)
    prep.timings["page"] = round(time.perf_counter() - t0, 3)
    if orient is not None:
        prep.rotation, prep.skew = orient(flat)
    upright = apply_upright(flat, prep.rotation, prep.skew) if (prep.rotation or prep.skew) else flat
    prep.timings["orient"] = round(time.perf_counter() - t0, 3)
    if prep.quad is not None or lay.uncurl_flatbed:
        prep.curl = estimate_curl(upright, lay)
        if prep.curl is not None:
            upright = uncurl(upright, prep.curl)
            if orient is not None and np.any(prep.curl.dy):
                # bent lines make poor crops for the 0°/180° vote: asked again on the straightened
                # page, a half turn found now is applied (and the curl turned with it)
                again, _ = orient(upright)
                prep.scores["orient_after_curl"] = again
                if again == 180:
                    upright = rotate_quadrant(upright, 180)
                    prep.rotation = (prep.rotation + 180) % 360
                    prep.curl = prep.curl.turned_half()
    if prep.quad is not None:  # the uncurl may have pulled the edge band back in
        upright = clear_edges(upright, lay.photo_edge_clear_frac)
    prep.timings["curl"] = round(time.perf_counter() - t0, 3)
    prep.image = upright
    if prep.quad is not None or (prep.curl is not None and prep.curl.max_shift() > 0):
        c = prep.curl
        prep.warp = PageWarp(
            source_dpi=float(dpi),
            quad=[(float(x), float(y)) for x, y in (prep.quad if prep.quad is not None else _frame(image))],
            width=int(flat.shape[1]), height=int(flat.shape[0]),
            curl_terms=[tuple(t) for t in c.terms] if c is not None else [],
            curl_dy=[float(v) for v in c.dy] if c is not None else [],
            curl_dx=[float(v) for v in c.dx] if c is not None else [],
            curl_box=list(c.box) if c is not None and c.box is not None else [],
            edge_clear_frac=lay.photo_edge_clear_frac if prep.quad is not None else 0.0,
            light_kernel_frac=lay.photo_light_kernel_frac if prep.quad is not None and lay.photo_even_light else 0.0)
    return prep


def _frame(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    return np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)


def redo_page_warp(source: np.ndarray, warp: PageWarp, rotation: int, skew: float) -> np.ndarray:
    """The flat upright page a report's boxes refer to, from the file's page image at
    ``warp.source_dpi``: the recorded homography, turn, deskew, curl and edge band replayed."""
    flat, _ = flatten(source, np.array(warp.quad, np.float32), (warp.width, warp.height))
    flat = clear_edges(flat, warp.edge_clear_frac)
    if warp.light_kernel_frac:
        flat = even_light(flat, warp.light_kernel_frac)
    upright = apply_upright(flat, rotation, skew) if (rotation or skew) else flat
    if warp.curl_terms:
        h, w = upright.shape[:2]
        # the schema stores the box as a list; it is always written from Curl.box (four values)
        box = cast(tuple[float, float, float, float], tuple(warp.curl_box)) if warp.curl_box else None
        curl = Curl(w, h, [(p, q) for p, q in warp.curl_terms], np.array(warp.curl_dy), np.array(warp.curl_dx), box)
        upright = uncurl(upright, curl)
    return clear_edges(upright, warp.edge_clear_frac)

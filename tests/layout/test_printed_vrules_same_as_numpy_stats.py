"""``structure.printed_vrules`` asks each of a page's thousands of faint vertical rules for the
mean of three ridge profiles and the median of the darkest; ``np.mean``/``np.median`` checks
took half its time (a flatbed page: ~0.4 s of CPU). It computes both as numpy does (float32 sum
over the count, one partition): the same rules must be kept, on a real hairline scan
(``hairline_digit_columns_taken_for_rules.jpg``, world2035 report 011 page 3), as with numpy's
own functions."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from nianbao.layout import structure
from nianbao.layout.structure import _float32_mean, _float32_median, faint_rules, printed_vrules, table_regions
from nianbao.layout.text import find_text_lines
from nianbao.scan import _page_ink
from nianbao.settings import StructureSettings

DATA = Path(__file__).parents[1] / "data" / "scan"
CHAR_H = 43.0


def _numpy_kept(vrules, words, gray, char_h, p):
    """The rules printed_vrules keeps, decided with np.mean and np.median (its former code)."""
    H, W = gray.shape[:2]
    d = max(2, int(round(p.rule_side_chars * char_h)))
    need = max(2, int(p.rule_blank_min_chars * char_h))
    out = []
    for rule in vrules:
        x, y0, y1 = int(round(rule[0])), max(0, int(rule[1])), min(H, int(np.ceil(rule[2])))
        if y1 - y0 < need or x - d - 1 < 0 or x + d + 2 > W:
            out.append(rule)
            continue
        clear = np.ones(y1 - y0, bool)
        for w in words:
            if w[0] - 1 <= x <= w[2] + 1:
                a, b = max(y0, int(w[1])), min(y1, int(np.ceil(w[3])))
                if b > a:
                    clear[a - y0:b - y0] = False
        rows = np.flatnonzero(clear) + y0
        if rows.size < need:
            out.append(rule)
            continue
        dark = 255.0 - gray[rows, x - d - 1:x + d + 2].astype(np.float32)
        c = d + 1
        ridges = [dark[:, c + k] - np.maximum(dark[:, c + k - d], dark[:, c + k + d]) for k in (-1, 0, 1)]
        best = max(ridges, key=lambda r: float(r.mean()))
        if float(np.median(best)) >= p.faint_ink_offset:
            out.append(rule)
    return out


def test_printed_vrules_keeps_the_rules_numpy_mean_and_median_keep() -> None:
    p = StructureSettings()
    _, gray, ink, _ = _page_ink(cv2.imread(str(DATA / "hairline_digit_columns_taken_for_rules.jpg")))
    h, v = faint_rules(gray, CHAR_H, p.faint_ink_offset, max(3, int(2 * CHAR_H)))
    _, _, vrules = table_regions(h, v, CHAR_H, [])
    words = find_text_lines(ink, char_h=CHAR_H)
    assert len(vrules) >= 7 and words
    for ws in (words, []):
        kept = printed_vrules(vrules, ws, gray, CHAR_H, p)
        assert kept == _numpy_kept(vrules, ws, gray, CHAR_H, p)
        assert 0 < len(kept) < len(vrules) or ws == []


def test_float32_mean_and_median_are_numpys() -> None:
    rng = np.random.default_rng(6800)
    for n in [1, 2, 3, 8, 9, 128, 129, 1000, 1001, 4097]:
        for a in (rng.integers(-255, 256, n).astype(np.float32), (rng.standard_normal(n) * 100).astype(np.float32)):
            assert _float32_mean(a) == float(a.mean())
            assert _float32_median(a) == float(np.median(a))
    assert structure._float32_median(np.array([3.0, 1.0], np.float32)) == 2.0

"""A heavily speckled fax page (dev seed 4602 report 004, page 6: ~25 s a page) made thousands of
text-line pieces: joining them was quadratic per pass, and each speck "line" went to the
recogniser. The pieces are joined by the bands they cover (same lines as before), and with
``OcrSettings.min_line_height_chars`` lines less tall than that many characters are not read."""

from __future__ import annotations

import random

import cv2
import numpy as np

from nianbao.layout.text import _merge_same_line, find_text_lines
from nianbao.scan import _plan_text_lines
from nianbao.settings import OcrSettings


def _merge_naive(boxes, char_h):
    out = []
    for b in sorted(boxes, key=lambda b: b[0]):
        for o in out:
            ov = min(o[3], b[3]) - max(o[1], b[1])
            hmin = min(o[3] - o[1], b[3] - b[1])
            if hmin > 0 and ov >= 0.6 * hmin and b[0] - o[2] <= char_h * 3:
                o[:] = [min(o[0], b[0]), min(o[1], b[1]), max(o[2], b[2]), max(o[3], b[3])]
                break
        else:
            out.append(list(b))
    return [tuple(o) for o in out]


def test_pieces_join_into_the_same_lines_as_one_by_one():
    rnd = random.Random(4900)
    for _ in range(200):
        char_h = rnd.uniform(5, 30)
        boxes = []
        for _ in range(rnd.randint(1, 200)):
            x, y = rnd.uniform(0, 2000), rnd.uniform(0, 1500)
            boxes.append((round(x), round(y), round(x + rnd.uniform(1, 200)), round(y + rnd.uniform(0, 60))))
        assert _merge_same_line(boxes, char_h) == _merge_naive(boxes, char_h)


def test_speckled_page_text_lines_found_and_specks_not_read():
    rng = np.random.default_rng(4901)
    ink = np.zeros((3508, 2480), np.uint8)
    ys, xs = rng.integers(0, 3500, 8000), rng.integers(0, 2470, 8000)  # fax speckle, 2-4 px
    for y, x, s in zip(ys, xs, rng.integers(2, 5, ys.size)):
        ink[y:y + s, x:x + s] = 255
    cv2.putText(ink, "2023 NIANBAO 12345", (200, 400), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 255, 5)
    char_h = 40.0
    lines = find_text_lines(ink, char_h=char_h)
    text = [b for b in lines if b[1] <= 400 <= b[3] and b[2] - b[0] > 600]
    assert len(text) == 1  # the printed line is one line
    plan = _plan_text_lines(lines, char_h, OcrSettings(min_line_height_chars=0.5))
    assert plan[lines.index(text[0])] != "skip"
    read = [b for b, p in zip(lines, plan) if p != "skip"]
    assert all(b[3] - b[1] >= 0.5 * char_h for b in read)
    assert len(read) < len(lines) / 2

"""``layout.value_row.number_boxes``: the numbers of a value row from the gaps in its ink, on a
drawn row (Hershey digits, 1 px rules): the digits of one number are one box, numbers of
neighbouring cells are two, and what a scan leaves of the walls is no number."""

from __future__ import annotations

import cv2
import numpy as np

from nianbao.layout.value_row import number_boxes

VALUES = ["1", "12", "0", "305", "7"]
PITCH, TOP, BOTTOM = 80, 20, 60  # cell width; the row's rules


def _row(stubs: bool) -> tuple[np.ndarray, np.ndarray]:
    """(text ink, ink with rules) of one row of five cells; ``stubs``: the walls broken into
    pieces hanging from the rule above (the rule removal keeps them), else walls removed."""
    ruled = np.zeros((80, PITCH * len(VALUES) + 20), np.uint8)
    text = ruled.copy()
    for k, v in enumerate(VALUES):
        (w, _), _ = cv2.getTextSize(v, cv2.FONT_HERSHEY_SIMPLEX, 0.7, 2)
        for img in (ruled, text):
            cv2.putText(img, v, (10 + k * PITCH + (PITCH - w) // 2, 50), cv2.FONT_HERSHEY_SIMPLEX, 0.7, 255, 2)
    for y in (TOP, BOTTOM):
        ruled[y, 10:10 + PITCH * len(VALUES)] = 255
    for k in range(len(VALUES) + 1):
        x = 10 + k * PITCH
        ruled[TOP:BOTTOM, x] = 255
        if stubs:
            text[TOP:TOP + 26, x] = 255  # a piece of the wall left below the rule above, into the line
            text[TOP, x - 6:x + 7] = 255  # and a dash of that rule ("T")
    return text, ruled


def test_numbers_of_a_row_are_one_box_each() -> None:
    text, ruled = _row(stubs=False)
    boxes = number_boxes(text, (32.0, 52.0), (0.0, float(text.shape[1])), 0.5, ruled=ruled)
    assert len(boxes) == len(VALUES)
    assert all(10 + k * PITCH < b[0] and b[2] < 10 + (k + 1) * PITCH for k, b in enumerate(boxes))


def test_wall_stubs_and_rule_dashes_are_not_numbers() -> None:
    text, ruled = _row(stubs=True)
    boxes = number_boxes(text, (32.0, 52.0), (0.0, float(text.shape[1])), 0.5, ruled=ruled)
    assert len(boxes) == len(VALUES)


def test_line_bands_join_a_characters_strokes_not_two_lines():
    """One answer to "where are the bands of ink" (``layout.text.ink_row_runs``): a drawn 三
    (three strokes, 3 px apart) over a second line 20 px lower. Its strokes are three runs of
    inked rows; joined across gaps of a sixth of a character they are one line, and the two
    lines stay two (``text_line_bands``, which a one-row matrix's value line is cut from)."""
    from nianbao.layout.text import ink_row_runs
    from nianbao.layout.value_row import text_line_bands

    ink = np.zeros((90, 60), np.uint8)
    for y in (10, 17, 24):  # 三: strokes 4 px high, 3 px gaps
        ink[y:y + 4, 10:40] = 255
    ink[48:76, 12:38] = 255  # the next line's character, 28 px high
    assert ink_row_runs(ink.any(axis=1)) == [(10, 14), (17, 21), (24, 28), (48, 76)]
    assert ink_row_runs(ink.any(axis=1), join=3) == [(10, 28), (48, 76)]
    assert text_line_bands(ink, (0, 0, 60, 90), char_h=24.0) == [(10, 28), (48, 76)]

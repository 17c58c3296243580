"""Ruling-line extraction by morphology (shared by grid detection, text-line finding, deskew)."""

from __future__ import annotations

import cv2
import numpy as np


def line_masks(ink: np.ndarray, min_h_len: int, min_v_len: int, gap: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical ruling-line masks of a binary ink image.

    A short closing first bridges small breaks (broken/faint scans), then an opening with a
    long thin kernel keeps only straight runs at least ``min_*_len`` pixels long."""
    h = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 1))) if gap > 1 else ink
    h = cv2.morphologyEx(h, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, min_h_len), 1)))
    v = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, gap))) if gap > 1 else ink
    v = cv2.morphologyEx(v, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(3, min_v_len))))
    return h, v


def remove_lines(ink: np.ndarray, min_len: int) -> np.ndarray:
    """Ink with long straight horizontal/vertical runs (ruling lines, underlines) removed."""
    h, v = line_masks(ink, min_len, min_len, gap=1)
    lines = cv2.dilate(cv2.bitwise_or(h, v), np.ones((3, 3), np.uint8))
    return cv2.bitwise_and(ink, cv2.bitwise_not(lines))

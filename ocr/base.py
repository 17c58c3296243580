"""The one small interface every OCR engine implements, and its plain result types."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from nianbao.models import BBox as Box  # (x0, y0, x1, y1) in page pixels: one definition, in the schema


@dataclass
class CharBox:
    """One recognised character and where it lies along the crop (x in crop pixels)."""

    char: str
    confidence: float
    x0: float
    x1: float


@dataclass
class Recognition:
    """Text read from one crop. ``confidence`` is the weakest character's probability (a
    raw score: the caller still checks formats); ``alternatives`` are the engine's
    runner-up readings with their scores, best first."""

    text: str
    confidence: float
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    chars: list[CharBox] = field(default_factory=list)


@dataclass
class TextBox:
    """A detected and recognised text line on an image."""

    bbox: Box
    text: str
    confidence: float
    alternatives: list[tuple[str, float]] = field(default_factory=list)


class OcrEngine(ABC):
    """Recognise text crops and detect+recognise text on whole images."""

    name: str = "base"

    @abstractmethod
    def recognize(self, crops: Sequence[np.ndarray]) -> list[Recognition]:
        """Read each crop (BGR or grey uint8, one text line each); same order out."""

    @abstractmethod
    def detect_and_recognize(self, image: np.ndarray) -> list[TextBox]:
        """Find text lines on an image and read them, top to bottom."""

    def detect_words(self, image: np.ndarray, max_side: int = 960) -> list[Box]:
        """Boxes (x0, y0, x1, y1) of the text runs on an image, without reading them (engines
        without a detector of their own take them from ``detect_and_recognize``)."""
        return [t.bbox for t in self.detect_and_recognize(image)]

    def classify_orientation(self, crops: Sequence[np.ndarray]) -> list[tuple[int, float]]:
        """(0 or 180, score) per text-line crop; engines without a classifier say 0."""
        return [(0, 0.0) for _ in crops]

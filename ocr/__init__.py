"""OCR engines behind one small interface (``OcrEngine``); ``get_engine`` gives the
configured one, built once per process (model sessions are the expensive part)."""

from __future__ import annotations

import threading

from nianbao.ocr.base import CharBox, OcrEngine, Recognition, TextBox
from nianbao.settings import OcrSettings

_ENGINES: dict[tuple, OcrEngine] = {}
_LOCK = threading.Lock()


def get_engine(settings: OcrSettings) -> OcrEngine:
    """The engine named by ``settings``, cached per process and per (engine, threads, gpu, spin_wait,
    memory_arena, rec_batch_max_px, rec_pad_alone)."""
    key = (settings.engine, int(settings.threads), bool(settings.use_gpu), bool(settings.spin_wait),
           bool(settings.memory_arena), int(settings.rec_batch_max_px),
           bool(settings.rec_pad_alone))
    with _LOCK:
        eng = _ENGINES.get(key)
        if eng is None:
            if settings.engine == "rapidocr":
                from nianbao.ocr.rapid import RapidOcrEngine

                eng = RapidOcrEngine(threads=settings.threads, use_gpu=settings.use_gpu, spin_wait=settings.spin_wait,
                                     memory_arena=settings.memory_arena,
                                     rec_batch_max_px=settings.rec_batch_max_px,
                                     rec_pad_alone=settings.rec_pad_alone)
            elif settings.engine == "paddle":
                from nianbao.ocr.paddle import PaddleOcrEngine

                eng = PaddleOcrEngine(threads=settings.threads, use_gpu=settings.use_gpu)
            else:  # pragma: no cover - pydantic restricts the value
                raise ValueError(f"unknown OCR engine {settings.engine!r}")
            _ENGINES[key] = eng
    return eng


__all__ = ["CharBox", "OcrEngine", "Recognition", "TextBox", "get_engine"]

"""Optional engine: PaddleOCR (extra ``paddle``). It needs the paddleocr package, paddlepaddle,
and its detection/recognition models on disk (PaddleOCR downloads them on first use, which
fails offline with "No available model hosting platforms detected"). When any of that is
missing, ``PaddleOcrEngine()`` raises EngineUnavailableError saying what and how to get it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from nianbao.errors import EngineUnavailableError
from nianbao.ocr.base import OcrEngine, Recognition, TextBox

HOW = ("install the extra (pip install 'nianbao[paddle]' paddlepaddle) and fetch the models once on a machine "
       "with internet (python -c \"from paddleocr import PaddleOCR; PaddleOCR(lang='ch')\"), then copy "
       "~/.paddlex/official_models (or set NIANBAO_PADDLE_MODEL_DIR) to this machine")


def _model_dir() -> Path:
    return Path(os.environ.get("NIANBAO_PADDLE_MODEL_DIR", Path.home() / ".paddlex" / "official_models"))


class PaddleOcrEngine(OcrEngine):
    name = "paddle"
    DET = "PP-OCRv5_mobile_det"
    REC = "PP-OCRv5_mobile_rec"

    def __init__(self, threads: int = 2, use_gpu: bool = False):
        missing = []
        try:
            import paddleocr  # noqa: F401
        except ImportError:
            missing.append("python package paddleocr")
        try:
            import paddle  # noqa: F401
        except ImportError:
            missing.append("python package paddlepaddle (or paddlepaddle-gpu)")
        d = _model_dir()
        for m in (self.DET, self.REC):
            if not (d / m).is_dir():
                missing.append(f"model folder {d / m}")
        if missing:
            raise EngineUnavailableError("PaddleOCR engine unavailable, missing: " + "; ".join(missing) + ". To get it: " + HOW)
        from paddleocr import PaddleOCR, TextRecognition

        try:
            self._ocr = PaddleOCR(
                text_detection_model_name=self.DET, text_detection_model_dir=str(d / self.DET),
                text_recognition_model_name=self.REC, text_recognition_model_dir=str(d / self.REC),
                use_doc_orientation_classify=False, use_doc_unwarping=False, use_textline_orientation=False,
                device="gpu" if use_gpu else "cpu", cpu_threads=threads,
            )
            self._rec = TextRecognition(model_name=self.REC, model_dir=str(d / self.REC),
                                        device="gpu" if use_gpu else "cpu")
        except Exception as e:  # paddle's own errors, e.g. "No available model hosting platforms detected"
            raise EngineUnavailableError(f"PaddleOCR failed to load its models from {d}: {e}. To get them: {HOW}") from e

    def recognize(self, crops: Sequence[np.ndarray]) -> list[Recognition]:
        imgs = [c if c.ndim == 3 else cv2.cvtColor(c, cv2.COLOR_GRAY2BGR) for c in crops]
        out = []
        for res in self._rec.predict(imgs):
            out.append(Recognition(text=str(res["rec_text"]), confidence=float(res["rec_score"])))
        return out

    def detect_and_recognize(self, image: np.ndarray) -> list[TextBox]:
        res = self._ocr.predict(image)
        out = []
        for page in res:
            for poly, text, score in zip(page["rec_polys"], page["rec_texts"], page["rec_scores"]):
                p = np.asarray(poly, dtype=np.float32)
                out.append(TextBox((float(p[:, 0].min()), float(p[:, 1].min()), float(p[:, 0].max()), float(p[:, 1].max())),
                                   str(text), float(score)))
        out.sort(key=lambda t: (t.bbox[1], t.bbox[0]))
        return out

"""Default engine: RapidOCR 3.10 (onnxruntime) with the PP-OCRv6 small det/rec and the
mobile cls models that ship inside the rapidocr wheel, passed by explicit path so nothing
is ever downloaded.

Recognition runs the rec ONNX session directly (rapidocr's own loader builds it) so that we
get the full CTC probability matrix: per-character confidence, x positions along the
crop (to split a composed strip back into cells) and runner-up characters as alternatives.
Crops are batched by width with little padding, which is where the time goes on CPU; a batch's
area is bounded (``OcrSettings.rec_batch_max_px``): the model's working memory grows with it
(32 crops 3072 px wide asked ~1.7 GB), and past a few thousand pixels its CPU per pixel too.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from nianbao.errors import EngineUnavailableError
from nianbao.ocr.base import Box, CharBox, OcrEngine, Recognition, TextBox

REC_H = 48  # input height of the PP-OCR rec models
MAX_W = 48 * 64  # widest crop fed to rec (wider ones are squeezed)


def padded_width(w: int) -> int:
    """The width a crop ``w`` pixels wide at the model's height is padded to when its reading
    must not depend on its batch (``OcrSettings.rec_pad_alone``): at least one blank glyph
    (``REC_H`` px of mid-grey) past its end, then up to the next step of a fixed ladder (16 px up
    to 256, an eighth of the width's power of two above): a function of the crop's width alone."""
    w = int(w) + REC_H
    q = max(16, 1 << max(0, w.bit_length() - 4))
    return -(-w // q) * q


def model_dir() -> Path:
    """Folder of the ONNX models inside the installed rapidocr wheel."""
    import rapidocr

    return Path(rapidocr.__file__).parent / "models"


MODEL_FILES = {
    "det": "PP-OCRv6_det_small.onnx",
    "rec": "PP-OCRv6_rec_small.onnx",
    "cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}


def packaged_model_params(threads: int = 2) -> dict:
    """RapidOCR parameters naming the det/rec/cls models shipped inside the wheel by path
    (any other model config makes rapidocr try to download, which fails offline)."""
    d = model_dir()
    return {
        "Global.log_level": "error",
        "Global.model_root_dir": str(d),
        "Det.model_path": str(d / MODEL_FILES["det"]),
        "Rec.model_path": str(d / MODEL_FILES["rec"]),
        "Cls.model_path": str(d / MODEL_FILES["cls"]),
        "EngineConfig.onnxruntime.intra_op_num_threads": int(threads),
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }


_ARENA_LOCK = threading.Lock()
_arena_registered = False


def shared_arena() -> None:
    """Register, once per process, the onnxruntime CPU memory arena that sessions built with
    ``memory_arena`` share: grown by what a run asks (not to the next power of two), its buffers
    kept for the next run (a page's detector run asks for hundreds of MB, taken from and given
    back to the system each time without it)."""
    global _arena_registered
    import onnxruntime as ort

    with _ARENA_LOCK:
        if not _arena_registered:
            info = ort.OrtMemoryInfo("Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT)
            ort.create_and_register_allocator(info, ort.OrtArenaCfg({"arena_extend_strategy": 1}))  # 1: same as requested
            _arena_registered = True


def cpu_session(path: Path, threads: int, spin_wait: bool, memory_arena: bool = False):
    """An onnxruntime CPU session with rapidocr's options (all graph optimisations,
    ``threads`` intra-op threads, one inter-op), whether those threads busy-wait for work
    between operators, and whether it allocates from the process's shared memory arena
    (``shared_arena``; rapidocr's sessions have none). The arena changes where buffers come
    from, not what is computed: the same outputs either way."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 4
    opts.enable_cpu_mem_arena = bool(memory_arena)
    if memory_arena:
        shared_arena()
        opts.add_session_config_entry("session.use_env_allocators", "1")
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = int(threads)
    opts.inter_op_num_threads = 1
    opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin_wait else "0")
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


class RapidOcrEngine(OcrEngine):
    name = "rapidocr"

    def __init__(self, threads: int = 2, use_gpu: bool = False, det_max_side: int = 1600, spin_wait: bool = False,
                 memory_arena: bool = False, rec_batch_max_px: int = 4096, rec_pad_alone: bool = False):
        try:
            from rapidocr import RapidOCR
        except ImportError as e:  # pragma: no cover - core dependency
            raise EngineUnavailableError(f"rapidocr is not installed ({e}); pip install rapidocr==3.10.0 onnxruntime") from e
        d = model_dir()
        missing = [f for f in MODEL_FILES.values() if not (d / f).exists()]
        if missing:
            raise EngineUnavailableError(
                f"rapidocr models missing in {d}: {', '.join(missing)}; reinstall the wheel: pip install --force-reinstall rapidocr==3.10.0")
        params = {
            **packaged_model_params(threads),
            "Det.limit_type": "max",
            "Det.limit_side_len": det_max_side,
            "EngineConfig.onnxruntime.use_cuda": bool(use_gpu),
        }
        self._rapid = RapidOCR(params=params)
        # rapidocr's session options cannot say whether worker threads spin nor share a memory
        # arena: without spinning (``OcrSettings.spin_wait``) each model's session is built
        # again here, on the CPU (with ``OcrSettings.memory_arena``: from the shared arena)
        self._own_sessions = not spin_wait and not use_gpu
        self._threads = int(threads)
        self._memory_arena = bool(memory_arena)
        self._rec_batch_max_px = max(1, int(rec_batch_max_px))
        self._rec_pad_alone = bool(rec_pad_alone)
        self._swapped: set[str] = set()
        self._lock = threading.Lock()
        rec = self._model("rec")
        self._rec_session = rec.session.session  # onnxruntime.InferenceSession
        self._rec_input = self._rec_session.get_inputs()[0].name
        self._chars = list(rec.postprocess_op.character)  # index 0 = CTC blank

    def _model(self, kind: str):
        """rapidocr's det/cls/rec model (loaded on first use), its onnxruntime session built
        with this engine's options where rapidocr's own cannot carry them."""
        load = {"det": self._rapid._load_det_model, "cls": self._rapid._load_cls_model, "rec": self._rapid._load_rec_model}
        model = load[kind]()
        if self._own_sessions and kind not in self._swapped:
            with self._lock:
                if kind not in self._swapped:
                    model.session.session = cpu_session(model_dir() / MODEL_FILES[kind], self._threads, spin_wait=False,
                                                        memory_arena=self._memory_arena)
                    self._swapped.add(kind)
        return model

    # ---------------------------------------------------------------- recognition
    @staticmethod
    def _prepare(crop: np.ndarray) -> np.ndarray:
        if crop.ndim == 2:
            crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)
        h, w = crop.shape[:2]
        nw = max(8, min(MAX_W, int(math.ceil(REC_H * w / max(1, h)))))
        img = cv2.resize(crop, (nw, REC_H), interpolation=cv2.INTER_AREA if h > REC_H else cv2.INTER_LINEAR)
        return img

    def recognize(self, crops: Sequence[np.ndarray]) -> list[Recognition]:
        if not crops:
            return []
        prepared = [self._prepare(c) for c in crops]
        if self._rec_pad_alone:
            return self._recognize_alone(crops, prepared)
        order = sorted(range(len(prepared)), key=lambda i: prepared[i].shape[1])
        out: list[Recognition | None] = [None] * len(prepared)
        i = 0
        while i < len(order):
            # batch crops of similar width (padding costs as much as ink), a batch's padded width
            # times its count at most ``rec_batch_max_px`` (one crop however wide goes alone)
            w0 = prepared[order[i]].shape[1]
            j = i + 1
            while (j < len(order) and j - i < 32 and prepared[order[j]].shape[1] <= max(w0 * 1.25, w0 + 16)
                   and (j - i + 1) * prepared[order[j]].shape[1] <= self._rec_batch_max_px):
                j += 1
            idx = order[i:j]
            bw = max(prepared[k].shape[1] for k in idx)
            bw = max(16, int(math.ceil(bw / 8.0)) * 8)
            self._read_batch(crops, prepared, idx, bw, out)
            i = j
        return out  # type: ignore[return-value]

    def _recognize_alone(self, crops: Sequence[np.ndarray], prepared: list[np.ndarray]) -> list[Recognition]:
        """``recognize`` with each crop's reading a function of that crop alone: padded with
        mid-grey (0 once normalised, as PP-OCR's rec training and inference pad) to
        ``padded_width`` of its own width, and batched only with crops of that same padded width."""
        buckets: dict[int, list[int]] = {}
        for k, im in enumerate(prepared):
            buckets.setdefault(padded_width(im.shape[1]), []).append(k)
        out: list[Recognition | None] = [None] * len(prepared)
        for bw in sorted(buckets):
            members = buckets[bw]
            per = max(1, min(32, self._rec_batch_max_px // bw))  # one crop however wide goes alone
            for i in range(0, len(members), per):
                self._read_batch(crops, prepared, members[i:i + per], bw, out)
        return out  # type: ignore[return-value]

    def _read_batch(self, crops: Sequence[np.ndarray], prepared: list[np.ndarray], idx: list[int], bw: int,
                    out: list[Recognition | None]) -> None:
        """Read the prepared crops ``idx`` as one batch padded with mid-grey (0 once normalised)
        to ``bw`` pixels, each decoded into ``out`` at its index."""
        batch = np.zeros((len(idx), 3, REC_H, bw), np.float32)
        for n, k in enumerate(idx):
            im = prepared[k]
            batch[n, :, :, : im.shape[1]] = (im.transpose(2, 0, 1).astype(np.float32) / 127.5) - 1.0
        with self._lock:
            preds = self._rec_session.run(None, {self._rec_input: batch})[0]
        for n, k in enumerate(idx):
            w_in = prepared[k].shape[1]
            out[k] = self._decode(preds[n], bw / preds.shape[1], w_in, crops[k].shape[1] / float(w_in))

    def _decode(self, probs: np.ndarray, px_per_step: float, w_in: int, scale: float) -> Recognition:
        """Greedy CTC decode with per-character peak probability, position and runner-up."""
        steps = min(probs.shape[0], int(math.ceil(w_in / px_per_step)) + 1)
        probs = probs[:steps]
        idx = probs.argmax(axis=1)
        chars: list[CharBox] = []
        runner: list[tuple[str, float]] = []  # runner-up char at each emitted char
        t = 0
        while t < steps:
            c = int(idx[t])
            if c == 0:
                t += 1
                continue
            t1 = t
            while t1 + 1 < steps and int(idx[t1 + 1]) == c:
                t1 += 1
            seg = probs[t:t1 + 1]
            peak = t + int(seg[:, c].argmax())
            p = float(probs[peak, c])
            row = probs[peak].copy()
            row[c] = 0.0
            row[0] = 0.0
            r = int(row.argmax())
            ch = self._chars[c] if c < len(self._chars) else ""
            chars.append(CharBox(ch, p, t * px_per_step * scale, (t1 + 1) * px_per_step * scale))
            runner.append((self._chars[r] if r < len(self._chars) else "", float(row[r])))
            t = t1 + 1
        text = "".join(c.char for c in chars)
        if not chars:
            blank = float(probs[:, 0].min()) if steps else 0.0
            return Recognition(text="", confidence=blank)
        conf = min(c.confidence for c in chars)
        alts: list[tuple[str, float]] = []
        weak = sorted(range(len(chars)), key=lambda k: chars[k].confidence)[:3]
        for k in weak:
            alt_c, alt_p = runner[k]
            if alt_p < 0.02 or not alt_c:
                continue
            alt = text[:k] + alt_c + text[k + 1:]
            others = min([chars[m].confidence for m in range(len(chars)) if m != k] or [1.0])
            alts.append((alt, round(min(alt_p, others), 4)))
        alts.sort(key=lambda a: -a[1])
        return Recognition(text=text, confidence=round(conf, 4), alternatives=alts, chars=chars)

    # ---------------------------------------------------------------- detection
    def detect_and_recognize(self, image: np.ndarray) -> list[TextBox]:
        from rapidocr.utils.process_img import get_rotate_crop_image

        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        det = self._model("det")
        with self._lock:
            res = det(image)
        if res.boxes is None or len(res.boxes) == 0:
            return []
        boxes = [np.asarray(b, dtype=np.float32) for b in res.boxes]
        crops = [get_rotate_crop_image(image, b.copy()) for b in boxes]
        recs = self.recognize(crops)
        out = []
        for b, r in zip(boxes, recs):
            if not r.text.strip():
                continue
            x0, y0 = float(b[:, 0].min()), float(b[:, 1].min())
            x1, y1 = float(b[:, 0].max()), float(b[:, 1].max())
            out.append(TextBox((x0, y0, x1, y1), r.text, r.confidence, r.alternatives))
        out.sort(key=lambda t: (t.bbox[1], t.bbox[0]))
        return out

    def detect_words(self, image: np.ndarray, max_side: int = 960) -> list[Box]:
        """The packaged PP-OCR detector's boxes only (no recognition), the image's long side
        brought to at most ``max_side``: a table region's words for ``layout.structure``."""
        h, w = image.shape[:2]
        scale = min(1.0, max_side / float(max(h, w)))
        small = cv2.resize(image, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA) if scale < 1 else image
        if small.ndim == 2:  # grey to BGR after the resize: the same pixels, a third of the work
            small = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
        det = self._model("det")
        with self._lock:
            res = det(small)
        if res.boxes is None or len(res.boxes) == 0:
            return []
        out = []
        for b in np.asarray(res.boxes, dtype=np.float32):
            out.append((float(b[:, 0].min()) / scale, float(b[:, 1].min()) / scale,
                        float(b[:, 0].max()) / scale, float(b[:, 1].max()) / scale))
        return out

    # ---------------------------------------------------------------- orientation
    def classify_orientation(self, crops: Sequence[np.ndarray]) -> list[tuple[int, float]]:
        if not crops:
            return []
        cls = self._model("cls")
        imgs = [c if c.ndim == 3 else cv2.cvtColor(c, cv2.COLOR_GRAY2BGR) for c in crops]
        with self._lock:
            res = cls(imgs)
        return [(180 if "180" in str(label) else 0, float(score)) for label, score in res.cls_res]

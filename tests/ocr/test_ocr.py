"""OCR engines: the default rapidocr engine reads real crops of a rendered report table;
the optional paddle engine says exactly what is missing."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from nianbao.errors import EngineUnavailableError
from nianbao.layout import detect_grids, ink_mask
from nianbao.ocr import get_engine
from nianbao.settings import OcrSettings, Settings

LAYOUT = Settings().layout

DATA = Path(__file__).resolve().parents[1] / "data" / "scan"


@pytest.fixture(scope="module")
def page():
    return cv2.imread(str(DATA / "applications.png"))


@pytest.fixture(scope="module")
def engine():
    return get_engine(OcrSettings())


def test_engine_cached_per_process(engine):
    assert get_engine(OcrSettings()) is engine


def _tight(gray: np.ndarray, box, pad: int = 3) -> np.ndarray:
    x0, y0, x1, y1 = (int(v) for v in box)
    sub = gray[y0 + 3:y1 - 3, x0 + 3:x1 - 3]
    ys, xs = np.nonzero(sub < 128)
    return sub[max(0, ys.min() - pad):ys.max() + pad + 1, max(0, xs.min() - pad):xs.max() + pad + 1]


def test_numbers_of_a_table_row_read_exactly(page, engine):
    truth = json.loads((DATA / "applications.truth.json").read_text(encoding="utf-8"))["values"]
    g = detect_grids(ink_mask(page), LAYOUT)[0]
    gray = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    crops, want = [], []
    for r in (3, 4, 14, 25):  # 一、二、（三）5.、四、
        values = truth[r - 3]
        for k, c in enumerate(range(3, 10)):
            crops.append(_tight(gray, g.cell_at(r, c).bbox))
            want.append(str(values[k]))
    got = engine.recognize(crops)
    assert [x.text for x in got] == want
    assert all(0 < x.confidence <= 1 for x in got)
    # character boxes lie inside the crop, left to right
    for x, c in zip(got, crops):
        assert len(x.chars) == len(x.text)
        assert all(0 <= ch.x0 < ch.x1 <= c.shape[1] + 8 for ch in x.chars)
        assert [ch.x0 for ch in x.chars] == sorted(ch.x0 for ch in x.chars)


def test_labels_and_alternatives(page, engine):
    g = detect_grids(ink_mask(page), LAYOUT)[0]
    gray = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    crop = _tight(gray, g.cell_at(3, 0).bbox)
    r = engine.recognize([crop])[0]
    assert r.text == "一、本年新收政府信息公开申请数量"
    # a squeezed, blurred crop is read less surely and offers runner-up readings
    blurred = cv2.GaussianBlur(cv2.resize(_tight(gray, g.cell_at(3, 6).bbox), None, fx=0.5, fy=0.5), (3, 3), 0)
    r2 = engine.recognize([blurred])[0]
    assert isinstance(r2.alternatives, list)
    assert all(isinstance(a, str) and 0 <= s <= 1 for a, s in r2.alternatives)


def test_detect_and_recognize_title(page, engine):
    boxes = engine.detect_and_recognize(page[:180])
    texts = [b.text for b in boxes]
    assert "某某县人民政府2020年政府信息公开工作年度报告" in texts
    assert boxes == sorted(boxes, key=lambda b: (b.bbox[1], b.bbox[0]))


def test_orientation_classifier(page, engine):
    line = page[60:100, 320:920]
    assert engine.classify_orientation([line])[0][0] == 0
    assert engine.classify_orientation([cv2.rotate(line, cv2.ROTATE_180)])[0][0] == 180


def test_paddle_engine_says_what_is_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("NIANBAO_PADDLE_MODEL_DIR", str(tmp_path / "no-models"))
    from nianbao.ocr.paddle import PaddleOcrEngine

    with pytest.raises(EngineUnavailableError) as e:
        PaddleOcrEngine()
    msg = str(e.value)
    assert "no-models" in msg and "PP-OCRv5_mobile_det" in msg and "To get it" in msg
    with pytest.raises(EngineUnavailableError):
        get_engine(OcrSettings(engine="paddle"))


def test_model_sessions_do_not_spin_unless_asked(engine, page):
    """``OcrSettings.spin_wait`` off (the default): every model the engine runs (rec, and det
    and cls once used) has worker threads that sleep between operators; on, rapidocr's own
    spinning sessions; the same readings either way, and the setting does not change a
    result's settings hash."""
    from nianbao.settings import Settings

    engine.detect_words(page, 640)
    engine.classify_orientation([page[:80, :400]])
    def spins(session) -> bool:
        try:
            return session.get_session_options().get_session_config_entry("session.intra_op.allow_spinning") != "0"
        except RuntimeError:  # not set: onnxruntime's default, spinning
            return True

    sessions = {kind: engine._model(kind).session.session for kind in ("det", "cls", "rec")}
    assert engine._rec_session is sessions["rec"]
    assert not any(spins(s) for s in sessions.values())
    spinning = get_engine(OcrSettings(spin_wait=True))
    assert spinning is not engine and spins(spinning._rec_session)
    gray = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    crops = [gray[:80, :600], gray[200:260, 100:700]]
    assert [(r.text, r.confidence) for r in spinning.recognize(crops)] == [(r.text, r.confidence) for r in engine.recognize(crops)]
    assert Settings(ocr=OcrSettings(spin_wait=True)).results_hash() == Settings().results_hash()


def test_models_share_one_memory_arena_and_read_the_same_without_it(engine, page):
    """``OcrSettings.memory_arena`` on: every model the engine runs allocates from the one arena
    of the process (buffers kept from run to run); off (the default, for peak memory), each run
    allocates afresh; the same word boxes, readings and orientation votes either way, and the
    setting does not change a result's settings hash."""
    from nianbao.settings import Settings

    fresh, engine = engine, get_engine(OcrSettings(memory_arena=True))
    engine.classify_orientation([page[:80, :400]])
    sessions = {kind: engine._model(kind).session.session for kind in ("det", "cls", "rec")}
    for s in sessions.values():
        opts = s.get_session_options()
        assert opts.enable_cpu_mem_arena and opts.get_session_config_entry("session.use_env_allocators") == "1"
    assert fresh is not engine and not fresh._rec_session.get_session_options().enable_cpu_mem_arena
    gray = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    crops = [gray[:80, :600], gray[200:260, 100:700], gray[300:340, 50:250]]
    assert fresh.detect_words(page, 960) == engine.detect_words(page, 960)
    assert [(r.text, r.confidence, r.alternatives) for r in fresh.recognize(crops)] == \
        [(r.text, r.confidence, r.alternatives) for r in engine.recognize(crops)]
    assert fresh.classify_orientation(crops) == engine.classify_orientation(crops)
    assert Settings(ocr=OcrSettings(memory_arena=False)).results_hash() == Settings().results_hash()


def test_wide_crops_go_to_the_recogniser_in_bounded_batches_and_read_the_same(page):
    """The peak RSS of held-out captures2038 (1814 MB) was one recognition batch of 32 of a
    page's widest lines (~1.7 GB of the model's working memory): a batch's count times its padded
    width stays within ``rec_batch_max_px``, and the numbers read the same as in one batch."""
    from nianbao.ocr.rapid import RapidOcrEngine

    truth = json.loads((DATA / "applications.truth.json").read_text(encoding="utf-8"))["values"]
    g = detect_grids(ink_mask(page), LAYOUT)[0]
    gray = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    row = [_tight(gray, g.cell_at(3, c).bbox) for c in range(3, 10)]
    # a wide line: the row's seven numbers side by side, far apart, repeated as a batch would meet it
    h = max(c.shape[0] for c in row)
    gap = np.full((h, 6 * h), 255, np.uint8)
    wide = np.hstack([np.vstack([c, np.full((h - c.shape[0], c.shape[1]), 255, np.uint8)]) for c in row
                      for c in (c, gap)][:-1])
    crops = [wide] * 6 + row
    budget = 2048
    eng = RapidOcrEngine(threads=1, rec_batch_max_px=budget)
    shapes: list[tuple[int, ...]] = []
    run = eng._rec_session.run
    eng._rec_session = type("Recorder", (), {"run": lambda self, out, feed: (
        shapes.append(next(iter(feed.values())).shape), run(out, feed))[1]})()
    got = eng.recognize(crops)
    assert all(n == 1 or n * w <= budget for n, _, _, w in shapes)
    assert any(n == 1 and w > budget / 2 for n, _, _, w in shapes)  # the wide line was there, alone
    want = [str(v) for v in truth[0]]
    assert [x.text for x in got[6:]] == want
    assert got[0].text.replace(" ", "") == "".join(want)


def test_a_crops_reading_padded_alone_does_not_depend_on_its_batch():
    """By default a batch is padded with mid-grey to its widest crop, so a crop's reading hangs
    on its neighbours: leaving a few speck crops out of samples 008 page 3 turned a cell's '6'
    into '6-1'. With ``OcrSettings.rec_pad_alone`` each crop is padded to a width of its own (its
    width and one blank glyph of mid-grey, up a fixed ladder). Twenty crops of that page (its
    cells and lines, the '6' among them, 004.png): read alone, all together in any order, with
    some of their neighbours left out or under another batch budget, each gives the same text,
    score and runner-ups."""
    from nianbao.ocr.rapid import RapidOcrEngine, padded_width

    files = sorted((DATA.parent / "ocr" / "samples008_p3_crops").glob("*.png"))
    crops = [cv2.imread(str(f), cv2.IMREAD_GRAYSCALE) for f in files]
    assert len(crops) == 20
    eng = RapidOcrEngine(threads=1, rec_pad_alone=True)
    key = lambda rs: [(r.text, r.confidence, r.alternatives) for r in rs]  # noqa: E731
    alone = [key(eng.recognize([c]))[0] for c in crops]
    assert alone[[f.stem for f in files].index("004")][0] == "6"  # the cell whose '6' read '6-1' in a batch
    assert key(eng.recognize(crops)) == alone
    order = list(reversed(range(len(crops))))
    assert key(eng.recognize([crops[k] for k in order])) == [alone[k] for k in order]
    for keep in (range(0, len(crops), 2), range(1, len(crops), 3), range(12)):
        assert key(eng.recognize([crops[k] for k in keep])) == [alone[k] for k in keep]
    small = RapidOcrEngine(threads=1, rec_batch_max_px=400, rec_pad_alone=True)
    assert key(small.recognize(crops)) == alone
    # the padded width: the crop's own and a blank glyph (48 px at the model's height), at most an eighth over that
    widths = [eng._prepare(c).shape[1] for c in crops]
    assert all(w + 48 <= padded_width(w) <= max(w + 48 + 16, 1.125 * (w + 48)) for w in widths)
    assert [padded_width(w) for w in (8, 40, 130, 300, 3072)] == [64, 96, 192, 352, 3328]
    # the default batches pad to the widest crop of a batch: some of these crops read otherwise in company
    dflt = RapidOcrEngine(threads=1)
    assert key(dflt.recognize(crops)) != [key(dflt.recognize([c]))[0] for c in crops]

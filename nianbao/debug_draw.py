"""Debug pictures of the layout stages: grid lines, cell boxes, text lines and optional
labels (canonical id, value) coloured by confidence → PNG."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import cv2
import numpy as np

from nianbao.layout.grid import Grid
from nianbao.layout.structure import TableStructure
from nianbao.settings import Settings
from nianbao.models import BBox as Box  # (x0, y0, x1, y1) in page pixels: one definition, in the schema


@dataclass
class Label:
    """A text to write at a box (e.g. "applications.new_received.total=3"), coloured by confidence."""

    bbox: Box
    text: str
    confidence: float | None = None


def confidence_colour(conf: float | None) -> tuple[int, int, int]:
    """BGR: green ≥ 0.9, orange ≥ 0.6, red below, grey unknown."""
    if conf is None:
        return (128, 128, 128)
    if conf >= 0.9:
        return (0, 160, 0)
    if conf >= 0.6:
        return (0, 140, 255)
    return (0, 0, 230)


def _put_text(img: np.ndarray, xy: tuple[int, int], text: str, colour, size: int) -> np.ndarray:
    """Draw text that may hold CJK (Pillow with a Noto CJK font when present, else OpenCV ASCII)."""
    try:
        from PIL import Image, ImageDraw

        font = _cjk_font(size)
        if font is None:
            raise OSError
        pil = Image.fromarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
        ImageDraw.Draw(pil).text(xy, text, fill=(colour[2], colour[1], colour[0]), font=font)
        return cv2.cvtColor(np.asarray(pil), cv2.COLOR_RGB2BGR)
    except (ImportError, OSError):
        cv2.putText(img, text.encode("ascii", "replace").decode(), (xy[0], xy[1] + size), cv2.FONT_HERSHEY_SIMPLEX,
                    size / 30, colour, 1, cv2.LINE_AA)
        return img


_FONT_CACHE: dict[int, object] = {}


def _cjk_font(size: int):
    if size in _FONT_CACHE:
        return _FONT_CACHE[size]
    from PIL import ImageFont

    font = None
    for p in ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
              "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc"):
        if Path(p).exists():
            font = ImageFont.truetype(p, size)
            break
    _FONT_CACHE[size] = font
    return font


def draw_page(
    image: np.ndarray,
    grids: Sequence[Grid] = (),
    text_lines: Iterable[Box] = (),
    labels: Iterable[Label] = (),
    show_cell_ids: bool = True,
) -> np.ndarray:
    """A copy of the page with grid boundaries (blue), merged cells (cyan), text lines
    (magenta) and labels drawn on it."""
    out = image.copy() if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    out = cv2.addWeighted(out, 0.6, np.full_like(out, 255), 0.4, 0)
    size = max(10, out.shape[1] // 110)
    texts: list[tuple[tuple[int, int], str, tuple[int, int, int]]] = []
    for k, g in enumerate(grids):
        x0, y0, x1, y1 = map(int, g.bbox)
        for y in g.rows:
            cv2.line(out, (x0, int(y)), (x1, int(y)), (255, 120, 0), 1)
        for x in g.cols:
            cv2.line(out, (int(x), y0), (int(x), y1), (255, 120, 0), 1)
        for c in g.cells:
            a, b, cc, d = map(int, c.bbox)
            colour = (200, 200, 0) if (c.rowspan > 1 or c.colspan > 1) else (255, 0, 0)
            cv2.rectangle(out, (a + 2, b + 2), (cc - 2, d - 2), colour, 1)
            if show_cell_ids:
                texts.append(((a + 3, b + 2), f"{c.row},{c.col}", (160, 60, 0)))
        texts.append(((x0, max(0, y0 - size - 4)), f"grid {k}: {g.n_rows}x{g.n_cols}", (255, 0, 0)))
    for lx0, ly0, lx1, ly1 in text_lines:
        cv2.rectangle(out, (int(lx0), int(ly0)), (int(lx1), int(ly1)), (200, 0, 200), 1)
    for lab in labels:
        col = confidence_colour(lab.confidence)
        a, b, cc, d = map(int, lab.bbox)
        cv2.rectangle(out, (a, b), (cc, d), col, 2)
        t = lab.text if lab.confidence is None else f"{lab.text} ({lab.confidence:.2f})"
        texts.append(((a + 2, max(0, d - size - 2)), t, col))
    for xy, t, col in texts:
        out = _put_text(out, xy, t, col, int(size * 0.8))
    return out


def draw_page_stage(prep, source: np.ndarray, arrow_step: int = 80, arrow_gain: float = 4.0) -> np.ndarray:
    """The ``page`` stage (``nianbao.layout.page.PagePrep``) side by side: left, the image as it
    came in with the page quad found (green; none on a flatbed page); right, the flat upright
    page with the traced text lines/rules (magenta horizontal, cyan vertical) and the fitted
    curl displacement as arrows (orange, ``arrow_gain`` times their length), plus the evidence."""
    left = source.copy() if source.ndim == 3 else cv2.cvtColor(source, cv2.COLOR_GRAY2BGR)
    right = prep.image.copy() if prep.image.ndim == 3 else cv2.cvtColor(prep.image, cv2.COLOR_GRAY2BGR)
    right = cv2.addWeighted(right, 0.6, np.full_like(right, 255), 0.4, 0)
    lw = max(2, left.shape[1] // 300)
    if prep.quad is not None:
        q = prep.quad.reshape(-1, 1, 2).astype(np.int32)
        cv2.polylines(left, [q], True, (0, 200, 0), lw, cv2.LINE_AA)
        for k, (x, y) in enumerate(prep.quad):
            cv2.circle(left, (int(x), int(y)), 4 * lw, (0, 200, 0), -1)
    curl = prep.curl
    if curl is not None:
        for t, colour in [(t, (200, 0, 200)) for t in curl.traces_h] + [(t, (200, 160, 0)) for t in curl.traces_v]:
            cv2.polylines(right, [t.reshape(-1, 1, 2).astype(np.int32)], False, colour, 1, cv2.LINE_AA)
        xs, ys, dx, dy = curl.displacement(arrow_step)
        for i, y in enumerate(ys):
            for j, x in enumerate(xs):
                tip = (int(x + arrow_gain * dx[i, j]), int(y + arrow_gain * dy[i, j]))
                cv2.arrowedLine(right, (int(x), int(y)), tip, (0, 120, 255), 1, cv2.LINE_AA, tipLength=0.25)
    h = max(left.shape[0], right.shape[0])

    def fit(img: np.ndarray) -> np.ndarray:
        f = h / img.shape[0]
        return cv2.resize(img, (max(1, int(img.shape[1] * f)), h), interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)

    out = np.hstack([fit(left), np.full((h, 12, 3), 255, np.uint8), fit(right)])
    size = max(12, out.shape[1] // 120)
    facts = dict(prep.scores)
    facts.update({"dpi": prep.dpi, "rotation": prep.rotation, "skew": prep.skew, "timings": prep.timings})
    if curl is not None:
        facts["curl"] = curl.scores
    lines = ["page: " + ("photo, quad found" if prep.quad is not None else "flatbed (passed through)")]
    lines += [f"{k}: {v}" for k, v in facts.items()]
    for k, t in enumerate(lines):
        out = _put_text(out, (8, 8 + k * int(size * 1.2)), t, (0, 0, 160), size)
    return out


STAGES = ("regions", "words", "lines", "columns", "rows", "word-grid", "line-grid", "chosen", "walls")


def draw_structure(image: np.ndarray, structures: Sequence[TableStructure], stage: str,
                   page_words: Sequence[Box] = (), walls_kept: Sequence[Box] = ()) -> np.ndarray:
    """A copy of the page with one stage of each table region's word reading drawn on it
    (``layout.structure``): ``regions`` (every region read, blue where rules found it, orange
    where its words did, with the page's words in grey; pass every candidate region, those
    that were found no table included), ``words`` (detector boxes, red), ``lines`` (word lines, alternating
    colours), ``columns``/``rows`` (boundaries, green), ``word-grid``/``line-grid`` (the two
    readings' cells), ``chosen`` (the grid the page was read with, cells the readings place
    differently in red) or ``walls`` (the walls told from the ink between the text lines,
    ``layout.walls``, along their segments in blue; in red the stretches ``walls_kept``, not
    erased because a character touches them), each region captioned with its verdict and faults."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; one of {', '.join(STAGES)}")
    out = image.copy() if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    out = cv2.addWeighted(out, 0.6, np.full_like(out, 255), 0.4, 0)
    size = max(10, out.shape[1] // 110)
    texts: list[tuple[tuple[int, int], str, tuple[int, int, int]]] = []
    if stage == "regions":
        for w in page_words:
            cv2.rectangle(out, (int(w[0]), int(w[1])), (int(w[2]), int(w[3])), (150, 150, 150), 1)
    for st in structures:
        x0, y0, x1, y1 = map(int, st.region)
        cv2.rectangle(out, (x0, y0), (x1, y1), (128, 128, 128), 1)
        if stage == "regions":
            colour = (0, 140, 255) if st.source == "words" else (230, 0, 0)
            cv2.rectangle(out, (x0, y0), (x1, y1), colour, 3)
            texts.append(((x0, max(0, y0 - 2 * size - 8)), f"found by its {st.source}", colour))
        elif stage == "words":
            for w in st.words:
                cv2.rectangle(out, (int(w[0]), int(w[1])), (int(w[2]), int(w[3])), (0, 0, 230), 1)
        elif stage == "lines":
            palette = [(0, 0, 230), (0, 150, 0), (230, 0, 0), (0, 140, 255)]
            for i, w in enumerate(st.words):
                col = palette[st.line_of_word[i] % len(palette)] if st.line_of_word else (0, 0, 230)
                cv2.rectangle(out, (int(w[0]), int(w[1])), (int(w[2]), int(w[3])), col, 2)
        elif stage in ("columns", "rows"):
            for w in st.words:
                cv2.rectangle(out, (int(w[0]), int(w[1])), (int(w[2]), int(w[3])), (180, 180, 180), 1)
            for k, x in enumerate(st.columns if stage == "columns" else []):
                col = (0, 160, 0) if k != st.label_columns else (0, 0, 230)  # red: where values begin
                cv2.line(out, (int(x), y0), (int(x), y1), col, 2)
            for y in (st.rows if stage == "rows" else []):
                cv2.line(out, (x0, int(y)), (x1, int(y)), (0, 160, 0), 2)
        elif stage == "walls":
            for wall in st.walls:
                for ys, ye, a, b in wall.segments if wall.segments is not None else ((wall.y0, wall.y1, wall.x0, wall.x1),):
                    cv2.rectangle(out, (a - 1, ys), (b + 1, ye), (230, 0, 0), 1)
        else:
            g = {"word-grid": st.word_grid, "line-grid": st.line_grid, "chosen": st.grid}[stage]
            if g is not None:
                for c in g.cells:
                    a, b, cc, d = map(int, c.bbox)
                    disputed = stage == "chosen" and (c.row, c.col) in st.disputed
                    colour = (0, 0, 230) if disputed else (200, 200, 0) if (c.rowspan > 1 or c.colspan > 1) else (255, 0, 0)
                    cv2.rectangle(out, (a + 2, b + 2), (cc - 2, d - 2), colour, 2 if disputed else 1)
        verdict = f"{st.chosen} (placement {st.placement:.2f})"
        if st.faults:
            verdict += " | lines: " + "; ".join(st.faults)
        if st.word_faults:
            verdict += " | words: " + "; ".join(st.word_faults)
        texts.append(((x0, max(0, y0 - size - 4)), verdict, (0, 0, 0)))
    if stage == "walls":
        for kx0, ky0, kx1, ky1 in walls_kept:
            cv2.rectangle(out, (int(kx0) - 2, int(ky0)), (int(kx1) + 2, int(ky1)), (0, 0, 230), 2)
    for xy, t, col in texts:
        out = _put_text(out, xy, t, col, int(size * 0.8))
    return out


def save_page(path: str | Path, image: np.ndarray, structures: Sequence[TableStructure] = (), stage: str | None = None,
              page_words: Sequence[Box] = (), walls_kept: Sequence[Box] = (), **kwargs) -> Path:
    """Draw (see ``draw_page``, or ``draw_structure`` when a ``stage`` is named) and write a PNG."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    picture = draw_structure(image, structures, stage, page_words, walls_kept) if stage else draw_page(image, **kwargs)
    cv2.imwrite(str(path), picture)
    return path


def with_word_reading(settings: Settings) -> Settings:
    """A copy of ``settings`` with the word reading on (a stage of it is asked for)."""
    return settings.model_copy(update={"structure": settings.structure.model_copy(update={"word_reading": True})})

"""PDFs with a text layer: pdfplumber's table finder gives the grid (with page + box of every
cell); words outside the tables become text lines, all in reading order."""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any

import pdfplumber

from nianbao.models import Document, PageInfo, Row, TextCell
from nianbao.readers.common import join_cell_lines

_TABLE_SETTINGS: dict[str, Any] = {"vertical_strategy": "lines", "horizontal_strategy": "lines",
                                   "intersection_tolerance": 4, "snap_tolerance": 3}


logging.getLogger("pdfminer").setLevel(logging.ERROR)  # font-descriptor chatter on every page

_RADICALS = re.compile(r"[\u2e80-\u2fdf]")
# CJK Radicals Supplement forms without a Unicode decomposition, as PDF fonts emit them
_SUPPLEMENT = dict(zip("⺠⻄⻅⻆⻈⻉⻋⻐⻓⻔⻘⻙⻚⻛⻜⻠⻢⻣⻤⻥⻦⻧⻨⻩⻪⻬⻮⻰⻱⺟⻳",
                       "民西见角讠贝车钅长门青韦页风飞饣马骨鬼鱼鸟卤麦黄黾齐齿龙龜母龟"))


def fix_radicals(text: str) -> str:
    """PDF producers (Chromium, Word) often emit radicals (⽣ U+2F63, ⻔ U+2ED4) for the
    ideographs they look like (生, 门)."""
    return _RADICALS.sub(lambda m: _SUPPLEMENT.get(m.group(0)) or unicodedata.normalize("NFKC", m.group(0)), text)


def _join_words(line: list[dict]) -> str:
    """Words of one line; a visible gap (a table cell boundary without ruling) becomes a space."""
    out = line[0]["text"]
    for prev, w in zip(line, line[1:]):
        height = max(1.0, w["bottom"] - w["top"])
        out += (" " if w["x0"] - prev["x1"] > 0.6 * height else "") + w["text"]
    return out


def _inside(word: dict, boxes: list[tuple[float, float, float, float]]) -> bool:
    cx, cy = (word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2
    return any(b[0] - 1 <= cx <= b[2] + 1 and b[1] - 1 <= cy <= b[3] + 1 for b in boxes)


def read_pdf_text(path: str, dpi: float = 200.0, pages: list[int] | None = None) -> Document:
    """Rows of a text-layer PDF; boxes in pixels of the page rendered at ``dpi``."""
    scale = dpi / 72.0
    rows: list[Row] = []
    infos: list[PageInfo] = []
    table_index = 0
    with pdfplumber.open(path) as pdf:
        for pno, page in enumerate(pdf.pages, start=1):
            if pages is not None and pno not in pages:
                continue
            infos.append(PageInfo(number=pno, width=float(page.width) * scale, height=float(page.height) * scale,
                                  dpi=dpi, source="text"))
            placed: list[tuple[float, Row]] = []
            tables = page.find_tables(_TABLE_SETTINGS)
            boxes = [t.bbox for t in tables]
            for t in tables:
                xs = sorted({round(c[0], 1) for c in t.cells} | {round(c[2], 1) for c in t.cells})
                for r in t.rows:
                    cells: list[TextCell] = []
                    for cb in r.cells:
                        if cb is None:
                            continue
                        text = fix_radicals(page.crop(cb).extract_text() or "")
                        joined = join_cell_lines([ln.strip() for ln in text.split("\n") if ln.strip()])
                        col = min(range(len(xs)), key=lambda k: abs(xs[k] - cb[0]))
                        end = min(range(len(xs)), key=lambda k: abs(xs[k] - cb[2]))
                        cells.append(TextCell(text=joined, bbox=tuple(v * scale for v in cb), col=col,
                                              colspan=max(1, end - col)))
                    if cells:
                        top = min(c.bbox[1] for c in cells if c.bbox) / scale
                        placed.append((top, Row(kind="table", cells=cells, page=pno, table_index=table_index,
                                                exact_cells=True)))
                table_index += 1
            words = [w for w in page.extract_words(keep_blank_chars=False, use_text_flow=True) if not _inside(w, boxes)]
            lines: list[list[dict]] = []
            for w in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
                if lines and abs(lines[-1][-1]["top"] - w["top"]) <= 3:
                    lines[-1].append(w)
                else:
                    lines.append([w])
            for ln in lines:
                ln.sort(key=lambda w: w["x0"])
                text = fix_radicals(_join_words(ln))
                box = (min(w["x0"] for w in ln) * scale, min(w["top"] for w in ln) * scale,
                       max(w["x1"] for w in ln) * scale, max(w["bottom"] for w in ln) * scale)
                placed.append((ln[0]["top"], Row(kind="text", cells=[TextCell(text=text, bbox=box)], page=pno)))
            placed.sort(key=lambda p: p[0])
            rows.extend(r for _, r in placed)
    return Document(path=path, format="pdf-text", rows=rows, pages=infos)


def text_layer_quality(path: str, max_pages: int = 50) -> list[bool]:
    """Per page: does it carry a usable (CJK, not garbled) text layer? Read with pdfium, which
    is far faster than parsing every page with pdfminer just to look."""
    import pypdfium2 as pdfium

    usable = []
    pdf = pdfium.PdfDocument(path)
    try:
        for i in range(min(len(pdf), max_pages)):
            tp = pdf[i].get_textpage()
            text = tp.get_text_range()
            tp.close()
            cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff" or "\u2e80" <= ch <= "\u2fdf")
            bad = text.count("\ufffd") + text.count("(cid:")
            usable.append(cjk >= 10 and bad <= max(5, cjk // 20))
    finally:
        pdf.close()
    return usable

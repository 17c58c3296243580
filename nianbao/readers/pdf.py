"""PDFs with a text layer: pdfplumber's table finder gives the grid (with page + box of every
cell); words outside the tables become text lines, all in reading order.

The words are exact evidence, the found grid is not: where a table's cells do not separate its
words (Word/LibreOffice tables without inner vertical rules: a cell holding several values, or a
label and its values), the rows are rebuilt from the words and the horizontal rules that exist
(``_rows_from_words``); a cell's text is the chars whose centre lies in it."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import pdfplumber
from pdfplumber.table import Table, TableFinder, TableSettings

from nianbao.models import Document, PageInfo, Row, TextCell
from nianbao.numbers import NUMBER_CLASSES, ValueClass, classify, has_chinese, normalize_text
from nianbao.readers.common import join_cell_lines, table_layouts
from nianbao.settings import TextLayerSettings

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


def _chars_centred_in(box: tuple[float, float, float, float]) -> Callable[[dict], bool]:
    """A page-object test: keep every object but the chars whose centre lies outside ``box``."""
    def keep(obj: dict) -> bool:
        return obj.get("object_type") != "char" or _inside(obj, [box])
    return keep




def _is_value_word(text: str) -> bool:
    """A word of the text layer that marks a value column: a number as printed or a dash mark
    (:func:`nianbao.numbers.classify` with ``as_printed``: words are exact, no look-alike
    repairs). An amount with its unit ("0.54万元") is one: a table that prints its amounts so
    (第二十条（九）'s 采购总金额) has no other value word in that column. Other words with Chinese
    ("无", "共0件") are left out: they stand in labels and notes as often as in value cells, so
    they are no evidence of where a column is. (A number class as printed allows no Chinese but
    its unit 元/万元: the classifier's rule, not one of ours.)"""
    kind = classify(text, as_printed=True)
    return kind in NUMBER_CLASSES or (kind == ValueClass.dash and not has_chinese(normalize_text(text)))




def _lines_of(words: list[dict]) -> list[list[dict]]:
    """Words grouped into text lines (tops within 3 pt), each line left to right."""
    lines: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(lines[-1][-1]["top"] - w["top"]) <= 3:
            lines[-1].append(w)
        else:
            lines.append([w])
    for ln in lines:
        ln.sort(key=lambda w: w["x0"])
    return lines


def _cells_separate_words(table: Any, words: list[dict]) -> bool:
    """Do the found cells hold one value each? False when a cell's line holds two value words,
    or a value beside label words (a table whose inner rules pdfplumber could not use)."""
    for cb in table.cells:
        inside = [w for w in words if _inside(w, [cb])]
        for ln in _lines_of(inside):
            values = sum(1 for w in ln if _is_value_word(w["text"]))
            if values >= 2 or (values and len(ln) > values):
                return False
    return True


def _merge_positions(values: list[float], tol: float) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if out and v - out[-1] <= tol:
            continue
        out.append(v)
    return out


def _value_line_cuts(values: list[dict], top: float, bottom: float) -> list[float]:
    """Row bounds of a table body printed without rules (a 三线表): half-way between the centres
    of consecutive lines of value words. A wrapped label's lines around its values (set in the
    middle of their row) fall to the nearer line of values, which is their row's."""
    inside = [w for w in values if top < (w["top"] + w["bottom"]) / 2 < bottom]
    centres = [sum((w["top"] + w["bottom"]) / 2 for w in ln) / len(ln) for ln in _lines_of(inside)]
    return [(a + b) / 2 for a, b in zip(centres, centres[1:])]


def _label_column_starts(labels: list[dict], left: float, value_left: float, layer: TextLayerSettings) -> list[float]:
    """Where the label columns of a body without rules begin: label words placed as
    ``_rows_from_words`` places them (the middle of the first glyph) stand in groups apart by more
    than ``label_column_gap_em`` of their height; each group after the first begins a column just
    left of its leftmost word (row-group labels, then item labels, then sub-item labels)."""
    if not labels:
        return []
    height = sorted(w["bottom"] - w["top"] for w in labels)[len(labels) // 2]
    anchored = sorted((w["x0"] + layer.label_anchor_em * max(1.0, w["bottom"] - w["top"]), w["x0"]) for w in labels)
    starts: list[float] = []
    for (a, _), (b, x0) in zip(anchored, anchored[1:]):
        if b - a > layer.label_column_gap_em * height:
            starts.append(min(x for anchor, x in anchored if anchor >= b) - 1.0)
    return [x for x in starts if left + 3 < x < value_left - 3]


def _ruleless_body_bottom(table: Any, page: Any, words: list[dict], others: list[Any], layer: TextLayerSettings
                          ) -> float | None:
    """A 三线表's body: pdfplumber finds the ruled header of a table (its top rule, the rule under
    it and the short ones under spanning headers) but not the body, which has no rule until the
    table's bottom. The bottom is the next rule below the found table across its whole width,
    with no other table between, lines of values in the columns under the header, and no line
    without values that reaches those columns (prose between the table and a rule further down).
    None when there is no such body."""
    fx0, _, fx1, fbottom = table.bbox
    reach = layer.body_rule_cover * (fx1 - fx0)
    below = sorted(e["top"] for e in page.edges if e["orientation"] == "h" and e["top"] > fbottom + layer.edge_merge_pt
                   and min(e["x1"], fx1) - max(e["x0"], fx0) >= reach)
    if not below:
        return None
    bottom = below[0]
    if any(fbottom < o.bbox[1] < bottom for o in others if o is not table):
        return None
    band = [w for w in words if fbottom < (w["top"] + w["bottom"]) / 2 < bottom]
    if any(w["x1"] < fx0 - 2 or w["x0"] > fx1 + 2 for w in band):
        return None
    lines = _lines_of(band)
    valued = [ln for ln in lines if sum(_is_value_word(w["text"]) for w in ln) >= 2]
    if len(valued) < layer.body_min_value_lines:
        return None
    value_left = min(w["x0"] for ln in valued for w in ln if _is_value_word(w["text"]))
    if any(not any(_is_value_word(w["text"]) for w in ln) and max(w["x1"] for w in ln) > value_left + 2 for ln in lines):
        return None
    return bottom


class _Widened:
    """A found table with its bounding box taken down over its rule-less body."""

    def __init__(self, table: Any, bottom: float):
        self.bbox = (table.bbox[0], table.bbox[1], table.bbox[2], bottom)
        self.rows, self.cells = table.rows, table.cells


def _rows_from_words(table: Any, page: Any, words: list[dict], scale: float, pno: int,
                     table_index: int, layer: TextLayerSettings, body_top: float | None = None) -> list[tuple[float, Row]]:
    """Rebuild a table's rows from the words of the text layer when its found cells do not
    separate them (Word tables without inner vertical rules). Row bands come from the
    horizontal rules that exist; value columns from the x-alignment of value words across rows;
    label columns from where the partial rules of nested labels begin. A cell spans down while no
    rule crosses its column, and a label spans right while its words do, so a wrapped label is
    one cell and every value its own cell."""
    fx0, ftop, fx1, fbottom = table.bbox
    values = [w for w in words if _is_value_word(w["text"])]
    if not values:
        return []
    rules = [e for e in page.edges if e["orientation"] == "h" and ftop - 2 <= e["top"] <= fbottom + 2
             and e["x0"] >= fx0 - 3 and e["x1"] <= fx1 + 3 and e["x1"] - e["x0"] > 5]
    ys = _merge_positions([ftop, fbottom] + [e["top"] for e in rules] + [r.bbox[1] for r in table.rows]
                          + [r.bbox[3] for r in table.rows], layer.edge_merge_pt)
    ys = [y for y in ys if ftop - 2 <= y <= fbottom + 2]
    cuts: set[float] = set()
    if body_top is not None:  # a body printed without rules: a row per line of values
        cuts = set(_value_line_cuts(values, body_top, fbottom))
        ys = sorted(set(ys) | cuts)
    # value columns: clusters of value-word centres
    clusters: list[list[dict]] = []
    for w in sorted(values, key=lambda w: (w["x0"] + w["x1"]) / 2):
        c = (w["x0"] + w["x1"]) / 2
        if clusters and c - (clusters[-1][-1]["x0"] + clusters[-1][-1]["x1"]) / 2 <= layer.align_gap_pt:
            clusters[-1].append(w)
        else:
            clusters.append([w])
    spans = [(min(w["x0"] for w in c), max(w["x1"] for w in c)) for c in clusters]
    inner = [(a[1] + b[0]) / 2 for a, b in zip(spans, spans[1:])]
    # where values begin: a ruled boundary between the labels of value rows and the first value
    # column, else half-way between them; no labels beside the values, no label column
    def band_of(w: dict) -> int:
        return next((b for b in range(len(ys) - 1) if (w["top"] + w["bottom"]) / 2 <= ys[b + 1]), -1)

    value_bands = {band_of(w) for w in values}
    labels = [w for w in words if w not in values and w["x1"] < spans[0][0] and band_of(w) in value_bands]
    starts = [e["x0"] for e in rules] + [c[0] for c in table.cells]
    if labels:
        label_right = max(w["x1"] for w in labels)
        ruled = [x for x in starts if label_right - 1 <= x <= spans[0][0] + 1]
        value_left = max(ruled) if ruled else (label_right + spans[0][0]) / 2
    else:
        value_left = fx0
    label_xs = _merge_positions([x for x in starts if fx0 + 3 < x < value_left - 3], 2.0)
    if body_top is not None and not label_xs:  # no rule starts a label column: where label words begin
        label_xs = _label_column_starts([w for w in labels if (w["top"] + w["bottom"]) / 2 > body_top],
                                        fx0, value_left, layer)
    xs = ([fx0] + label_xs if value_left > fx0 else []) + [value_left] + inner + [fx1]
    value_start = len(xs) - len(inner) - 2
    ncols = len(xs) - 1

    def separated(b: int, c: int) -> bool:
        """Is there a rule between band b-1 and band b over column c?"""
        if b == 0 or b == len(ys) - 1 or ys[b] in cuts:
            return True
        mid = (xs[c] + xs[c + 1]) / 2
        return any(abs(e["top"] - ys[b]) <= layer.edge_merge_pt and e["x0"] - 2 <= mid <= e["x1"] + 2 for e in rules) \
            or any(abs(r.bbox[1] - ys[b]) <= layer.edge_merge_pt for r in table.rows)

    def trailing_value(w: dict) -> dict | None:
        """The value word a unit word ("万元" after "3.4") follows closely on its line."""
        height = max(1.0, w["bottom"] - w["top"])
        return next((v for v in values if abs(v["top"] - w["top"]) <= 3 and 0 <= w["x0"] - v["x1"] <= 0.6 * height), None)

    def column_of(w: dict) -> int:
        lead = trailing_value(w) if w["x0"] >= value_left and w not in values else None
        if lead is not None:
            w = lead
        # a label word stands where its first glyph's middle is, not its box's left edge: an
        # opening bracket set half-width at a line's start hangs its box over the column's rule
        height = max(1.0, w["bottom"] - w["top"])
        x = w["x0"] + layer.label_anchor_em * height if w["x0"] < value_left else (w["x0"] + w["x1"]) / 2
        return max(0, min(ncols - 1, next((k for k in range(ncols) if x < xs[k + 1]), ncols - 1)))

    nb = len(ys) - 1
    occupied = [[False] * ncols for _ in range(nb)]
    placed: list[tuple[float, Row]] = []
    for b in range(nb):
        cells: list[TextCell] = []
        for c in range(ncols):
            if occupied[b][c]:
                continue
            b_end = b + 1
            while b_end < nb and not separated(b_end, c):
                b_end += 1
            top, bottom = ys[b], ys[b_end]
            mine = [w for w in words if top <= (w["top"] + w["bottom"]) / 2 <= bottom and column_of(w) == c]
            c_end = c + 1
            if c < value_start:
                right = max((w["x1"] for w in mine), default=xs[c + 1])
                while c_end < value_start and right > xs[c_end] + 2 and not occupied[b][c_end]:
                    c_end += 1
            for bb in range(b, b_end):
                for cc in range(c, c_end):
                    occupied[bb][cc] = True
            text = join_cell_lines([fix_radicals(_join_words(ln)).strip() for ln in _lines_of(mine)])
            cells.append(TextCell(text=text, bbox=(xs[c] * scale, top * scale, xs[c_end] * scale, bottom * scale),
                                  col=c, colspan=c_end - c))
        if cells:
            if any(c.text for c in cells if c.col is not None and c.col >= value_start):
                placed.append((ys[b], Row(kind="table", cells=cells, page=pno, table_index=table_index, exact_cells=True)))
            elif any(c.text for c in cells):  # a label with no values (its row split across a page): context
                placed.append((ys[b], Row(kind="table", cells=[c for c in cells if c.text], page=pno,
                                          table_index=table_index)))
    return placed


def _open_ends(edges: list[dict]) -> list[dict]:
    """Rules that close a table a page break left open. A browser printing a table across pages
    draws each row's border once (collapsed borders), so the piece on the next page has walls but
    no rule over its first row (or under its last): pdfplumber's line strategy then makes no cell of
    that row, and its label and values fall out of the table. Where two or more vertical rules end
    at the same height beyond every horizontal rule they cross, that height is the table's open
    end: a rule between the outermost of those walls closes it. Heights within pdfplumber's snap
    tolerance are one height."""
    tol = float(_TABLE_SETTINGS["snap_tolerance"])
    verticals = [e for e in edges if e["orientation"] == "v"]
    horizontals = [e for e in edges if e["orientation"] == "h"]
    closing: list[dict] = []
    for end in ("top", "bottom"):
        groups: dict[float, list[dict]] = {}
        for v in verticals:
            key = next((k for k in groups if abs(k - v[end]) <= tol), v[end])
            groups.setdefault(key, []).append(v)
        for y, walls in groups.items():
            if len(walls) < 2:
                continue
            x0, x1 = min(w["x0"] for w in walls), max(w["x0"] for w in walls)
            crossing = [h for h in horizontals if h["x0"] < x1 and h["x1"] > x0]
            if any(abs(h["top"] - y) <= tol for h in crossing):
                continue  # the end is ruled
            inner = [h["top"] for h in crossing if min(w["top"] for w in walls) < h["top"] < max(w["bottom"] for w in walls)]
            if not inner or (end == "top" and y >= min(inner)) or (end == "bottom" and y <= max(inner)):
                continue
            closing.append({"x0": x0, "x1": x1, "top": y, "bottom": y, "width": x1 - x0, "height": 0.0,
                            "orientation": "h", "object_type": "line"})
    return closing


def _find_tables(page: Any, words: list[dict]) -> list[Any]:
    """pdfplumber's tables, plus any lone ruled cell whose words are a table row (a label and
    values): pdfplumber drops one-cell tables, and the piece of a table without inner vertical
    rules that a page break leaves alone (one row) is one cell."""
    finder = TableFinder(page, TableSettings.resolve(_TABLE_SETTINGS))
    closing = _open_ends(finder.edges)
    if closing:
        finder = TableFinder(page, TableSettings.resolve({**_TABLE_SETTINGS, "explicit_horizontal_lines": closing}))
    tables = list(finder.tables)
    taken = {c for t in tables for c in t.cells}
    for cell in finder.cells:
        if cell not in taken:
            lone = Table(page, [cell])
            inside = [w for w in words if _inside(w, [cell])]
            if inside and not _cells_separate_words(lone, inside):
                tables.append(lone)
    return sorted(tables, key=lambda t: min((c[1], c[0]) for c in t.cells))


def read_pdf_text(path: str, layer: TextLayerSettings, dpi: float = 200.0, pages: list[int] | None = None) -> Document:
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
            page_words = page.extract_words(keep_blank_chars=False, use_text_flow=True)
            found = _find_tables(page, page_words)
            tables: list[Any] = []
            bodies: list[float | None] = []
            for t in found:
                bottom = _ruleless_body_bottom(t, page, page_words, found, layer) if layer.ruleless_bodies else None
                tables.append(t if bottom is None else _Widened(t, bottom))
                bodies.append(None if bottom is None else t.bbox[3])
            boxes = [t.bbox for t in tables]
            for t, body_top in zip(tables, bodies):
                in_table = [w for w in page_words if _inside(w, [t.bbox])]
                if body_top is not None or not _cells_separate_words(t, in_table):
                    rebuilt = _rows_from_words(t, page, in_table, scale, pno, table_index, layer, body_top)
                    if rebuilt:
                        placed.extend(rebuilt)
                        table_index += 1
                        continue
                xs = sorted({round(c[0], 1) for c in t.cells} | {round(c[2], 1) for c in t.cells})
                for r in t.rows:
                    cells: list[TextCell] = []
                    for cb in r.cells:
                        if cb is None:
                            continue
                        # chars whose centre is in the cell: a glyph of the next row that touches
                        # the rule (rows barely taller than their text) is not this cell's
                        own = page.filter(_chars_centred_in(cb))
                        text = fix_radicals(own.crop(cb).extract_text() or "")
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
            words = [w for w in page_words if not _inside(w, boxes)]
            for ln in _lines_of(words):
                text = fix_radicals(_join_words(ln))
                box = (min(w["x0"] for w in ln) * scale, min(w["top"] for w in ln) * scale,
                       max(w["x1"] for w in ln) * scale, max(w["bottom"] for w in ln) * scale)
                placed.append((ln[0]["top"], Row(kind="text", cells=[TextCell(text=text, bbox=box)], page=pno)))
            placed.sort(key=lambda p: p[0])
            rows.extend(r for _, r in placed)
    return Document(path=path, format="pdf-text", rows=rows, pages=infos, tables=table_layouts(rows, "text layer"))


def text_layer_quality(path: str, layer: TextLayerSettings, max_pages: int = 50) -> list[bool]:
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
            usable.append(cjk >= layer.usable_min_cjk
                          and bad <= max(layer.usable_min_broken, cjk // layer.usable_cjk_per_broken))
    finally:
        pdf.close()
    return usable

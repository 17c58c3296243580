"""Page images → ``nianbao.models.Document``: orientation and deskew, table grids, OCR.

For each page, top to bottom: a ``Row(kind="text")`` per text line outside tables, and per
grid row a ``Row(kind="table", exact_cells=True)`` with one TextCell per printed cell (blank
cells included, text ""), a merged cell only in the first grid row it covers. Boxes are
pixels of the upright page image at its dpi (``PageInfo`` records rotation, skew and a
photographed page's flattening; ``nianbao.ingest.render_page(path, n, dpi, rotation, skew,
warp=...)`` redraws that picture).

Which canonical table a grid is, and which row is which, is left to ``nianbao.assembly``.
"""

from __future__ import annotations

import functools
import itertools
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import cv2
import numpy as np

from nianbao.layout import Grid, GridCell, binarize, detect_grids, detect_orientation, find_text_lines, red_mask, remove_red, speck_mask, to_gray
from nianbao.layout.lines import remove_lines
from nianbao.layout.orient import Orientation, reads_upright
from nianbao.layout.page import PagePrep, prepare_page
from nianbao.layout.structure import (TableStructure, faint_rules, find_words, grow_region, printed_vrules, read_structure,
                                      stretch_contrast, table_regions, trim_prose, word_regions, words_in,
                                      prose_edge_rows, without_edge_rows)
from nianbao.layout.text import estimate_char_height, ink_row_runs
from nianbao.layout.walls import erase_walls, find_walls, walls_on_boundaries
from nianbao.layout.value_row import last_line_band, number_boxes, text_line_bands
from nianbao.heap import release_free_heap
from nianbao.labels import normalize_label
from nianbao.models import (ConfidenceFactor, Document, FactorCode, NoteCode, PageInfo, Row, TableLayout, TextCell,
                            load_template, TEMPLATE_VERSIONS)
from nianbao.numbers import NUMBER_CLASSES, VALUE_CLASSES, WELL_FORMED_CLASSES, ValueClass, classify, has_chinese
from nianbao.ocr import OcrEngine, Recognition, get_engine
from nianbao.readers.common import grid_columns
from nianbao.settings import LayoutSettings, OcrSettings, Settings, StructureSettings
from nianbao.models import BBox as Box  # (x0, y0, x1, y1) in page pixels: one definition, in the schema
from nianbao.wording import factor, note

log = logging.getLogger(__name__)



@dataclass
class CellRead:
    """Where to read one printed cell: its grid place, box and the crops of its text lines."""

    grid: int
    row: int
    col: int
    colspan: int
    bbox: Box
    line_boxes: list[Box] = field(default_factory=list)
    texts: list[Recognition] = field(default_factory=list)
    split_of: int | None = None  # index of the merged grid cell this part was cut from
    whole: bool = False  # the merged cell itself, read too in case its parts are put back together
    factors: list[ConfidenceFactor] = field(default_factory=list)  # what made the reading less sure (the ledger)


@dataclass
class PageResult:
    """Everything one page gave, kept for debugging and dumps."""

    info: PageInfo
    grids: list[Grid]
    text_lines: list[Box]
    rows: list[Row]
    timings: dict = field(default_factory=dict)
    image: np.ndarray | None = None  # upright page image (only kept when asked)
    page: PagePrep | None = None  # the page stage's intermediates: photo quad, homography, curl (kept with image)
    structures: list[TableStructure] = field(default_factory=list)  # word readings (``structure.word_reading``)
    page_words: list[Box] = field(default_factory=list)  # the detector's words of the whole page (``structure.page_words``)
    candidates: list[TableStructure] = field(default_factory=list)  # every region read, those found no table included
    layouts: list[TableLayout] = field(default_factory=list)  # the structure each grid was read with
    walls_kept: list[Box] = field(default_factory=list)  # stretches of wall not erased: a character touches them


# --------------------------------------------------------------------------- crops
def _ink_lines(ink: np.ndarray, box: Box, char_h: float) -> list[Box]:
    """Text lines of ink inside a box (cell), as page-pixel boxes tight to the ink: the runs of
    inked pixel rows (``layout.text.ink_row_runs``), the pieces of one character line then
    joined by their size, never by distance alone (``layout.value_row.text_line_bands`` joins
    by distance: in a cell, a wrapped label's lines stand a pixel or two apart)."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    sub = ink[y0:y1, x0:x1]
    if sub.size == 0:
        return []
    rows = (sub > 0).sum(axis=1)
    on = rows > 0
    if on.sum() == 0:
        return []
    runs = ink_row_runs(on)
    # join pieces of one character line (三, 二, dots, a vertical header's 二/三) but never two
    # full lines: wrapped labels in cells have line gaps of a pixel or two
    ref = min(max(e - s for s, e in runs), 1.5 * char_h)
    merged: list[list[int]] = [list(r) for r in runs]
    changed = True
    while changed and len(merged) > 1:
        changed = False
        best = None
        for k in range(len(merged) - 1):
            a, b = merged[k], merged[k + 1]
            small = (a[1] - a[0]) < 0.5 * ref or (b[1] - b[0]) < 0.5 * ref
            gap = b[0] - a[1]
            if small and b[1] - a[0] <= 1.25 * ref and gap <= 0.5 * ref and (best is None or gap < best[0]):
                best = (gap, k)
        if best is not None:
            k = best[1]
            merged[k] = [merged[k][0], merged[k + 1][1]]
            del merged[k + 1]
            changed = True
    out: list[Box] = []
    for s, e in merged:
        band = sub[s:e]
        cols = np.flatnonzero((band > 0).any(axis=0))
        if cols.size == 0:
            continue
        if (band > 0).sum() < max(4, 0.04 * char_h * char_h) and (e - s) < 0.3 * char_h:
            continue  # specks
        edge = max(2.0, 0.15 * char_h)
        if (e - s) < 0.3 * char_h and cols[-1] - cols[0] >= 1.5 * char_h and (s < edge or e > len(on) - edge):
            continue  # a flat run along the cell's top or bottom edge: what is left of its rule, not a dash
        out.append((float(x0 + cols[0]), float(y0 + s), float(x0 + cols[-1] + 1), float(y0 + e)))
    return out


def _cell_lines(text_ink: np.ndarray, box: Box, margin: float, char_h: float) -> list[Box]:
    """Text lines of a cell's ink, ``margin`` pixels inside its ruling lines."""
    inner = (box[0] + margin, box[1] + margin, box[2] - margin, box[3] - margin)
    if inner[2] <= inner[0] or inner[3] <= inner[1]:
        return []
    return _ink_lines(text_ink, inner, char_h)


def _split_merged(gi: int, g: Grid, c: GridCell, text_ink: np.ndarray, char_h: float, margin: float, key: int,
                  words: Sequence[Box] = (), hrules: np.ndarray | None = None, rule_cover: float = 1.0) -> list[CellRead]:
    """Parts of a merged cell whose ink does not run across its inner grid lines: where a broken
    scan lost a wall between two value cells, "19" and "0" stay two cells, not "190". Only
    tried here; ``_keep_numeric_splits`` keeps the parts only when each reads as a number.
    A detected word (``words``, the word reading) across a grid line is one cell's text: no
    cut there ("108" with a streak through it stays "108"). A row line is also cut where a
    rule however faint (``hrules``, the mask of ``layout.structure.faint_rules``) runs along it
    over ``rule_cover`` of the cell's width: a dotted rule a low-resolution scan left as grey
    dots the binarised ink cannot tell from the text touching it."""
    if c.colspan == 1 and c.rowspan == 1:
        return []
    x0, y0, x1, y1 = (int(round(v)) for v in c.bbox)
    sub = text_ink[y0:y1, x0:x1] > 0
    m = max(1, int(round(margin)))  # the cell's own ruling lines (or what is left of them) are no text
    sub[:m], sub[-m:], sub[:, :m], sub[:, -m:] = False, False, False, False
    half = max(2, int(0.25 * char_h))
    line = int(g.line_width / 2 + 2)  # what a broken scan left of the lost line itself

    def cuts(bounds: list[float], proj: np.ndarray, origin: int) -> list[int]:
        out = []
        for k, b in enumerate(bounds, start=1):
            p = int(round(b)) - origin
            if not (0 < p - half and p + half < len(proj)):
                continue
            # ink within ``half`` of the lost line's own band on both sides is text across
            # it; on one side only, a value set against the line (right-aligned numbers
            # printed almost on the rule)
            left, right = proj[max(0, p - line - half):max(0, p - line)], proj[p + line + 1:p + line + 1 + half]
            if not (left.any() and right.any()) and proj[:p - half].any() and proj[p + half:].any():
                out.append(k)
        return out

    def across(x: float) -> bool:
        return any(w[0] < x - 1 and w[2] > x + 1 and min(w[3], c.bbox[3]) - max(w[1], c.bbox[1]) > 0.5 * (w[3] - w[1])
                   for w in words)

    col_cuts = [k for k in cuts(g.cols[c.col + 1:c.col + c.colspan], np.asarray(sub.any(axis=0)), x0) if not across(g.cols[c.col + k])]
    row_cuts = cuts(g.rows[c.row + 1:c.row + c.rowspan], np.asarray(sub.any(axis=1)), y0)
    if hrules is not None:
        for k, y in enumerate(g.rows[c.row + 1:c.row + c.rowspan], start=1):
            yi = int(round(y))
            along = hrules[max(0, yi - line - 1):yi + line + 2, x0 + m:max(x0 + m, x1 - m)]
            if k not in row_cuts and along.size and along.any(axis=0).mean() >= rule_cover:
                row_cuts.append(k)
        row_cuts.sort()
    if not col_cuts and not row_cuts:
        return []
    col_edges = [0] + col_cuts + [c.colspan]
    row_edges = [0] + row_cuts + [c.rowspan]
    parts: list[CellRead] = []
    for ra, rb in zip(row_edges, row_edges[1:]):
        for ca, cb in zip(col_edges, col_edges[1:]):
            box = (g.cols[c.col + ca], g.rows[c.row + ra], g.cols[c.col + cb], g.rows[c.row + rb])
            part = CellRead(gi, c.row + ra, c.col + ca, cb - ca, box, split_of=key)
            part.line_boxes = _cell_lines(text_ink, box, margin, char_h)
            parts.append(part)
    return parts


def garbled_digits(text: str, max_chars: int) -> bool:
    """A short reading with no Chinese in it that is no value ("d", "a", "of"): a number the
    recogniser garbled (a "0" set against its wall reads "d"), not a label's text."""
    t = text.strip()
    return 0 < len(t) <= max_chars and not has_chinese(t) \
        and classify(t) not in WELL_FORMED_CLASSES


def _keep_numeric_splits(cells: list[CellRead], garble_chars: int = 0) -> list[CellRead]:
    """Keep the parts of a split merged cell when every part reads as a value (a number,
    a dash or blank); when a row's walls were all lost, its label and numbers are one merged
    cell: the label parts on the left go back together and the numbers stay apart; likewise
    a column's header over its values (the rule under the header lost): the text parts on top
    go back together and the values below stay apart.
    Otherwise (a label with a gap at a grid line) the merged cell is kept whole.
    With ``garble_chars`` (``StructureSettings.split_garble_chars``): a part that reads as
    garbled digits (``garbled_digits``) counts as a value when more parts of the cell read as
    values than as garble: a row of numbers whose walls a faint print lost ("0 0 0 0 0 0 d")
    stays seven cells, one of them unreadable, instead of one unreadable cell of seven."""
    out: list[CellRead] = []
    groups: dict[int, list[CellRead]] = {}
    for cr in cells:
        if cr.split_of is None:
            out.append(cr)
        else:
            groups.setdefault(cr.split_of, []).append(cr)
    for group in groups.values():
        whole = next(cr for cr in group if cr.whole)
        parts = sorted((cr for cr in group if not cr.whole), key=lambda p: (p.bbox[1], p.col))
        texts = ["".join(r.text for r in p.texts) for p in parts]
        numeric = [classify(t) in WELL_FORMED_CLASSES for t in texts]
        if garble_chars > 0:
            garbled = [garbled_digits(t, garble_chars) for t in texts]
            if sum(garbled) and sum(n and t.strip() != "" for n, t in zip(numeric, texts)) > sum(garbled):
                numeric = [n or g for n, g in zip(numeric, garbled)]
        k = len(parts)
        while k > 0 and numeric[k - 1]:
            k -= 1
        one_row = len({p.bbox[1] for p in parts}) == 1
        one_col = len({(p.col, p.colspan) for p in parts}) == 1
        if k == 0:
            out.extend(parts)
        elif one_row and len(parts) - k >= 2 and any(t.strip() for t in texts[k:]):
            out.append(_joined(parts[:k]))
            out.extend(parts[k:])
        elif one_col and any(classify(t) != ValueClass.blank for t in texts[k:]):
            # a header over its value whose rule a scan lost ("结果维持" over "1"): the header
            # parts go back together, the value below keeps its own row
            out.append(_joined(parts[:k]))
            out.extend(parts[k:])
        else:
            out.append(whole)
    out.sort(key=lambda cr: (cr.grid, cr.row, cr.col))
    return out


def _rows_of(g: Grid, box: Box) -> range:
    """The grid rows a cell's box covers."""
    tol = 0.25 * min((b - a for a, b in zip(g.rows, g.rows[1:])), default=1.0)
    first = next((r for r in range(g.n_rows) if g.rows[r + 1] > box[1] + tol), 0)
    last = max((r for r in range(g.n_rows) if g.rows[r] < box[3] - tol), default=first)
    return range(first, max(first, last) + 1)


def _label_lines_to_rows(cells: list[CellRead], grids: Sequence[Grid]) -> list[CellRead]:
    """A label cell the grid merged over several rows of values is one label per row.

    The template prints one label beside every row of values: the label column next to the
    values never spans value rows (group labels such as "（三）不予公开" stand further left,
    beside other labels). When a scan lost the faint (dotted, hairline) rules between the labels
    of that column, the line grid makes them one tall cell, its text all the labels run together
    and the rows below it without a label. Such a cell, whose right-hand neighbour in every row
    it spans is a single-row value cell, gives each of its text lines to the row the line lies in;
    a row no line lies in keeps an empty label."""
    out: list[CellRead] = []
    by_grid: dict[int, list[CellRead]] = {}
    for cr in cells:
        by_grid.setdefault(cr.grid, []).append(cr)
    for cr in cells:
        g = grids[cr.grid]
        rows = _rows_of(g, cr.bbox)
        if len(rows) < 2 or len(cr.line_boxes) < 2 or len(cr.line_boxes) != len(cr.texts) \
                or (cr.split_of is not None and not cr.whole):
            out.append(cr)
            continue
        right = cr.col + cr.colspan
        neighbours: dict[int, list[CellRead]] = {}
        for other in by_grid[cr.grid]:
            if other.col == right and (other.split_of is None or other.whole):
                for r in _rows_of(g, other.bbox):
                    neighbours.setdefault(r, []).append(other)
        texts = {r: ["".join(t.text for t in n.texts) for n in neighbours.get(r, [])] for r in rows}
        beside_values = all(len(neighbours.get(r, [])) == 1 and len(_rows_of(g, neighbours[r][0].bbox)) == 1
                            and classify(texts[r][0]) in WELL_FORMED_CLASSES for r in rows)
        if not beside_values or sum(1 for r in rows if texts[r][0].strip()) < 2:
            out.append(cr)
            continue
        for r in rows:
            part = CellRead(cr.grid, r, cr.col, cr.colspan, (cr.bbox[0], g.rows[r], cr.bbox[2], g.rows[r + 1]))
            for box, rec in zip(cr.line_boxes, cr.texts):
                if g.rows[r] <= (box[1] + box[3]) / 2 < g.rows[r + 1]:
                    part.line_boxes.append(box)
                    part.texts.append(rec)
            out.append(part)
    return out


def stacked_rows(crs: list[CellRead], char_h: float, st: StructureSettings) -> list[tuple[float, list[CellRead]]]:
    """The cells of one grid row as the rows of the table they hold: ``[(top, cells)]``, one
    entry (the row as it is) unless the row's value cells show a stack.

    A scan that lost the rules between k table rows (a low-resolution page, hairline rules, a
    word reading that put two value lines together) gives one grid row whose every value cell
    holds k values one above the other ("0", "0", "0"), and whose label cell holds k labels. When
    at least ``st.stacked_min_cells`` value cells hold the same k >= 2 lines that each read as a
    value, their j-th lines lying at one height (within ``st.stacked_line_tolerance`` character
    heights), the row is cut between those heights: each value cell gives its j-th line to the
    j-th row, a label cell each of its lines to the row it lies in. What is left of a lost rule
    (a run of ink flatter than ``st.stacked_flat_chars`` and wider than a character) is no line. A
    cell whose one line covers several of those heights (values run together over lost walls)
    is read in none of the rows: its columns are missing there, not blank."""
    whole = [(min(cr.bbox[1] for cr in crs), crs)]

    def flat(b: Box) -> bool:
        return b[3] - b[1] < st.stacked_flat_chars * char_h and b[2] - b[0] > char_h

    lines: dict[int, list[tuple[Box, Recognition]]] = {}
    for k, cr in enumerate(crs):
        if len(cr.line_boxes) != len(cr.texts):
            return whole
        lines[k] = [(b, r) for b, r in zip(cr.line_boxes, cr.texts) if not flat(b)]
    is_value = {k: bool(ls) and all(classify(r.text) in WELL_FORMED_CLASSES - {ValueClass.blank} for _, r in ls)
                for k, ls in lines.items()}
    stacks = [k for k in lines if is_value[k] and len(lines[k]) >= 2]
    counts = {len(lines[k]) for k in stacks}
    if len(stacks) < st.stacked_min_cells or len(counts) != 1:
        return whole
    n = counts.pop()
    centres = [[(b[1] + b[3]) / 2 for b, _ in sorted(lines[k], key=lambda br: br[0][1])] for k in stacks]
    bands = [float(np.median([c[j] for c in centres])) for j in range(n)]
    tol = st.stacked_line_tolerance * char_h
    if any(abs(c[j] - bands[j]) > tol for c in centres for j in range(n)) \
            or any(b - a <= 2 * tol for a, b in zip(bands, bands[1:])):
        return whole
    # every other value cell holds one value per band, or none (blank): otherwise no stack
    for k, ls in lines.items():
        if k in stacks or not is_value[k]:
            continue
        if len(ls) == 1 and sum(ls[0][0][1] - tol <= b <= ls[0][0][3] + tol for b in bands) >= 2:
            continue  # one line over several bands: read in none of the rows
        return whole
    top, bottom = min(cr.bbox[1] for cr in crs), max(cr.bbox[3] for cr in crs)
    cuts = [top] + [(a + b) / 2 for a, b in zip(bands, bands[1:])] + [bottom]
    rows: list[tuple[float, list[CellRead]]] = []
    for j in range(n):
        y0, y1 = cuts[j], cuts[j + 1]
        part_cells = []
        for k, cr in enumerate(crs):
            if not is_value[k]:
                mine = [(b, r) for b, r in lines[k] if y0 <= (b[1] + b[3]) / 2 < y1]  # a label's lines, or nothing
            elif k in stacks:
                mine = [sorted(lines[k], key=lambda br: br[0][1])[j]]
            else:
                continue  # one line over several rows
            part = CellRead(cr.grid, cr.row, cr.col, cr.colspan, (cr.bbox[0], y0, cr.bbox[2], y1), factors=list(cr.factors))
            part.line_boxes = [b for b, _ in mine]
            part.texts = [r for _, r in mine]
            part_cells.append(part)
        rows.append((y0, part_cells))
    return rows


def _joined(parts: list[CellRead]) -> CellRead:
    """One cell made of split parts again: their box, their lines and readings in order."""
    first = parts[0]
    whole = CellRead(first.grid, first.row, first.col, max(p.col + p.colspan for p in parts) - first.col,
                     (min(p.bbox[0] for p in parts), min(p.bbox[1] for p in parts),
                      max(p.bbox[2] for p in parts), max(p.bbox[3] for p in parts)))
    for p in parts:
        whole.line_boxes += p.line_boxes
        whole.texts += p.texts
    return whole


def _crop_window(shape: tuple[int, ...], box: Box, char_h: float, pad: float) -> tuple[int, int, int, int]:
    """The window ``_crop`` takes around ``box``: (x0, y0, x1, y1), inside an image of ``shape``."""
    H, W = shape[:2]
    x0, y0, x1, y1 = box
    h = y1 - y0
    want = max(h, 0.8 * char_h)
    cy = (y0 + y1) / 2.0
    y0, y1 = cy - want / 2.0 - pad, cy + want / 2.0 + pad
    x0, x1 = x0 - pad, x1 + pad
    return max(0, int(x0)), max(0, int(y0)), min(W, int(np.ceil(x1))), min(H, int(np.ceil(y1)))


def _crop(gray: np.ndarray, box: Box, char_h: float, pad: float) -> np.ndarray:
    """Tight crop around ink plus ``pad``; at least ~0.8 character high so a dash or a
    dot keeps its size relative to the line (a loose crop reads a lone "0" as "。")."""
    xa, ya, xb, yb = _crop_window(gray.shape, box, char_h, pad)
    c = gray[ya:yb, xa:xb]
    if c.size == 0:
        return np.full((8, 8), 255, np.uint8)
    return c


def _cell_crop(gray: np.ndarray, rules: np.ndarray, box: Box, char_h: float, pad: float, cover: float | None) -> np.ndarray:
    """``_crop`` of a text line of a cell, showing only what lies inside the cell's walls: in the
    crop's margins around ``box`` (the line's own ink), the column or row nearest the text that
    ``rules`` (the page's rule ink) covers over ``cover`` of the crop is the wall, and it and what
    lies beyond it are painted with the crop's paper (a '0' set against its wall read '10').
    ``cover`` None (``StructureSettings.crop_inside_walls`` off): ``_crop`` as it stands."""
    if cover is None:
        return _crop(gray, box, char_h, pad)
    xa, ya, xb, yb = _crop_window(gray.shape, box, char_h, pad)
    if xb <= xa or yb <= ya:
        return np.full((8, 8), 255, np.uint8)
    c = gray[ya:yb, xa:xb]
    r = rules[ya:yb, xa:xb] > 0
    h, w = c.shape[:2]
    bx0, bx1 = int(np.clip(np.floor(box[0]) - xa, 0, w)), int(np.clip(np.ceil(box[2]) - xa, 0, w))
    by0, by1 = int(np.clip(np.floor(box[1]) - ya, 0, h)), int(np.clip(np.ceil(box[3]) - ya, 0, h))
    cols = r.mean(axis=0) > cover
    rows = r.mean(axis=1) > cover
    left, right = np.flatnonzero(cols[:bx0]), np.flatnonzero(cols[bx1:])
    top, bottom = np.flatnonzero(rows[:by0]), np.flatnonzero(rows[by1:])
    if not (left.size or right.size or top.size or bottom.size):
        return c
    c = c.copy()
    paper = np.percentile(c.reshape(-1, c.shape[2]) if c.ndim == 3 else c.reshape(-1, 1), 90, axis=0).astype(c.dtype)
    paper = paper if c.ndim == 3 else paper[0]
    if left.size:
        c[:, : min(bx0, left[-1] + 2)] = paper  # the wall and its grey fringe
    if right.size:
        c[:, max(bx1, bx1 + right[0] - 1):] = paper
    if top.size:
        c[: min(by0, top[-1] + 2)] = paper
    if bottom.size:
        c[max(by1, by1 + bottom[0] - 1):] = paper
    return c


def _is_numberish(text: str) -> bool:
    """A reading with digits that is a number or digits OCR may have garbled (what a second
    look can settle), or a lone look-alike of 0 ("O", "〇", and "。", how a loose crop reads
    a lone "0")."""
    t = text.strip()
    if t in ("o", "O", "〇", "。"):
        return True
    return any(ch.isdigit() for ch in t) and classify(t) in NUMBER_CLASSES | {ValueClass.garbled}


def _is_clean_number(text: str) -> bool:
    """A reading that is a number exactly as printed, no look-alike letters or stray marks."""
    return classify(text, as_printed=True) in NUMBER_CLASSES


def _norm_num(text: str) -> str:
    return text.replace(" ", "").replace("．", ".").replace("－", "-").replace("—", "-")


# --------------------------------------------------------------------------- one page
def page_orienter(engine: OcrEngine, lay: LayoutSettings, seen: list[Orientation] | None = None):
    """The orientation step of ``prepare_page``: quarter turn and deskew of a page image, 0 and
    180 told apart by the engine's line classifier and, when that is unsure, by reading. Every
    answer with its evidence is appended to ``seen``."""

    def orient(img: np.ndarray) -> tuple[int, float]:
        o = detect_orientation(img, classify=engine.classify_orientation,
                               read=lambda crops: [(r.text, r.confidence) for r in engine.recognize(crops)], lay=lay)
        if seen is not None:
            seen.append(o)
        return o.rotation, o.skew

    return orient


def _turn_unsure(items: list[tuple[float, int, Row]], orientations: Sequence[Orientation]) -> None:
    """Every cell of a page whose 0°/180° answer rests on too little evidence is placed at most
    ``page_turn_unsure_placement``: read the wrong way up, a row of numbers is read backwards
    and a group of symmetric values (1 0 0 0 1) still satisfies its rules."""
    o = orientations[-1]
    votes = ", ".join(f"{k} {v}" for k, v in o.scores.items() if k.startswith(("cls_", "read_")))
    for _, _, row in items:
        for tc in row.cells:
            tc.factors.append(factor(FactorCode.page_turn_unsure, rotation=int(o.rotation), votes=votes))


def _page_ink(upright: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The seal mask, grey page (seal taken out), its ink and its typical character height."""
    seal = red_mask(upright)
    gray = to_gray(remove_red(upright, seal))
    ink = binarize(gray)
    return seal, gray, ink, estimate_char_height(ink)


def _recorded(orient):
    """An orienter that keeps its answers (``prepare_page`` asks once, and again after a curl)."""
    answers: list[tuple[int, float]] = []

    def ask(img: np.ndarray) -> tuple[int, float]:
        answers.append(orient(img))
        return answers[-1]

    return ask, answers


def _replayed(answers: Sequence[tuple[int, float]]):
    """An orienter giving ``answers`` in order, then "upright": a page drawn again at another
    scale is turned and levelled as it was the first time, without reading its lines again."""
    it = iter(list(answers))
    return lambda img: next(it, (0, 0.0))


def print_scale(char_h: float, lay: LayoutSettings) -> float:
    """How much larger to draw a page whose typical character is ``char_h`` pixels high: 1.0
    unless it is small print (below ``small_print_char_px``), then up to the working size
    ``small_print_target_char_px``, at most ``small_print_max_scale``."""
    if not lay.small_print_rescale or char_h <= 0 or char_h >= lay.small_print_char_px:
        return 1.0
    return float(min(lay.small_print_max_scale, lay.small_print_target_char_px / char_h))


def prepare_at_print_scale(image: np.ndarray, dpi: float, prep: PagePrep, scale: float, lay: LayoutSettings,
                           answers: Sequence[tuple[int, float]], max_pixels: int) -> PagePrep | None:
    """The page prepared again ``scale`` times larger, from the file's image as it came in (not
    from the prepared page): a photo's page re-flattened from the whole photo at ``scale`` times
    the flat page's dpi (the photo's own pixels, where the first flat page had thrown some away),
    a flatbed scan resampled (cubic, as ``ingest`` draws a scan at a higher dpi). Turned and
    levelled as the first time (``answers``, the orienter's). None when the larger page would pass
    ``max_pixels`` or came out turned otherwise (the first page stands)."""
    h, w = prep.image.shape[:2]
    scale = min(scale, float(np.sqrt(max_pixels / max(1.0, float(h * w)))))
    if scale <= 1.01:
        return None
    if prep.quad is not None:
        again = prepare_page(image, dpi, lay.model_copy(update={"photo_dpi": lay.photo_dpi * scale}), _replayed(answers),
                             quad=prep.quad)
    else:
        ih, iw = image.shape[:2]
        big = cv2.resize(image, (max(1, int(round(iw * scale))), max(1, int(round(ih * scale)))), interpolation=cv2.INTER_CUBIC)
        again = prepare_page(big, dpi * scale, lay.model_copy(update={"photo_pages": False}), _replayed(answers))
    if again.rotation != prep.rotation:
        return None
    again.timings["print_scale"] = round(scale, 3)
    return again


def read_page(
    image: np.ndarray,
    number: int,
    dpi: float,
    settings: Settings,
    engine: OcrEngine | None = None,
    table_offset: int = 0,
    keep_image: bool = False,
) -> PageResult:
    """Orientation, deskew, grids and OCR of one page image; rows in reading order."""
    engine = engine or get_engine(settings.ocr)
    t = {"start": time.perf_counter()}
    lay = settings.layout
    # a photo's page found and flattened, then turned upright and levelled, then uncurled
    orientations: list[Orientation] = []
    orient, answers = _recorded(page_orienter(engine, lay, orientations)) if lay.detect_orientation else (None, [])
    prep = prepare_page(image, dpi, lay, orient)
    half_turn_sure = all(o.half_turn_sure for o in orientations)
    t["orient"] = time.perf_counter()
    seal, gray, ink, char_h = _page_ink(prep.image)
    # small print: the page drawn again at a scale that brings its characters to a working size
    scale = print_scale(char_h, lay)
    if scale > 1.0 and (prep.quad is not None or lay.small_print_scans):
        larger = prepare_at_print_scale(image, dpi, prep, scale, lay, answers, settings.limits.max_page_pixels)
        if larger is not None:
            log.info("page %d: small print (characters %.0f px): drawn again %.2f times larger", number, char_h,
                     larger.timings["print_scale"])
            prep = larger
            seal, gray, ink, char_h = _page_ink(prep.image)
        t["print_scale"] = time.perf_counter()
    upright, dpi, rotation, skew = prep.image, prep.dpi, prep.rotation, prep.skew
    grids = detect_grids(ink, lay, seal_mask=seal, char_h=char_h)
    t["grids"] = time.perf_counter()
    text_ink = remove_lines(ink, max(int(3 * char_h), 20))
    text_ink[speck_mask(text_ink, char_h, lay.speck_area, lay.speck_reach)] = 0  # scan noise out, so blank cells stay blank
    structures: list[TableStructure] = []
    candidates: list[TableStructure] = []
    page_words: list[Box] = []
    walls_kept: list[Box] = []
    faint: tuple[np.ndarray, np.ndarray] | None = None
    if settings.structure.word_reading:
        # words are found on the page without its straight runs (rules, a streak through a
        # column of numbers) and without specks: the two readings must not share the rules'
        # evidence, and speckle bridges the detector's words across columns
        straight = cv2.dilate(cv2.subtract(ink, text_ink), np.ones((3, 3), np.uint8))
        unruled = gray.copy()
        unruled[straight > 0] = 255
        if settings.structure.page_words:
            page_words = engine.detect_words(unruled, settings.structure.page_det_max_side)
            t["page_words"] = time.perf_counter()
        # rules however faint, found once: the word reading's regions and the cuts of merged cells take them
        faint = faint_rules(gray, char_h, settings.structure.faint_ink_offset, max(3, int(2 * char_h)))
        candidates = read_structures(gray, unruled, grids, char_h, engine, settings,
                                     page_words if settings.structure.page_words else None, faint, text_ink)
        grids = [st.grid for st in candidates if st.grid is not None]
        structures = [st for st in candidates if st.grid is not None]
        if settings.structure.erase_walls and structures:
            gray, text_ink, walls_kept = _without_walls(gray, text_ink, structures, settings.structure)
    t["structure"] = time.perf_counter()
    lines = find_text_lines(ink, exclude=[g.bbox for g in grids], char_h=char_h)
    # rules however faint along the grids' row lines, where a merged cell may be cut
    merged_rows = any(c.rowspan > 1 for g in grids for c in g.cells)
    if merged_rows and faint is None:
        faint = faint_rules(gray, char_h, settings.structure.faint_ink_offset, max(3, int(2 * char_h)))
    faint_h = faint[0] if merged_rows and faint is not None else None
    # what to read
    cells: list[CellRead] = []
    for gi, g in enumerate(grids):
        # keep clear of the ruling line and of its dashes left beside it by a tilted or broken scan
        m = g.line_width / 2.0 + max(2.0, 0.12 * char_h)
        for c in g.cells:
            cr = CellRead(gi, c.row, c.col, c.colspan, c.bbox)
            cr.line_boxes = _cell_lines(text_ink, c.bbox, m, char_h)
            words = structures[gi].words if structures else ()
            parts = _split_merged(gi, g, c, text_ink, char_h, m, len(cells), words, faint_h,
                                  settings.structure.cut_rule_cover) if cr.line_boxes else []
            if parts:
                cr.split_of, cr.whole = len(cells), True
            cells.extend(parts + [cr])
    pad = max(3.0, 0.2 * char_h)
    crops: list[np.ndarray] = []
    owners: list[tuple[str, int]] = []
    rules = cv2.compare(ink, text_ink, cv2.CMP_GT)  # rule ink: the straight runs taken out of the text ink
    cover = settings.structure.crop_wall_cover if settings.structure.crop_inside_walls else None
    for i, cr in enumerate(cells):
        for b in cr.line_boxes:
            crops.append(_cell_crop(gray, rules, b, char_h, pad, cover))
            owners.append(("cell", i))
    plan = _plan_text_lines(lines, char_h, settings.ocr)
    for i, (b, mode) in enumerate(zip(lines, plan)):
        if mode == "skip":
            continue
        if mode == "head":
            b = (b[0], b[1], min(b[2], b[0] + settings.ocr.head_chars * 1.05 * max(char_h, b[3] - b[1])), b[3])
        crops.append(_crop(gray, b, char_h, pad))
        owners.append(("line", i))
    t["crops"] = time.perf_counter()
    recs = engine.recognize(crops) if crops else []
    t["ocr"] = time.perf_counter()
    # the page's own labels and lines, read the way it was turned, are the best evidence of that turn
    half_turn_sure = half_turn_sure or reads_upright([(r.text, r.confidence) for r in recs], lay)
    line_recs: dict[int, Recognition] = {}
    for (kind, i), rec in zip(owners, recs):
        if kind == "cell":
            cells[i].texts.append(rec)
        else:
            line_recs[i] = rec
    cells = _keep_numeric_splits(cells, settings.structure.split_garble_chars)
    cells = _label_lines_to_rows(cells, grids)
    _slash_check(cells, text_ink, settings.ocr)
    if settings.ocr.second_look:
        _second_look(cells, gray, char_h, pad, engine, rules, cover)
    t["second_look"] = time.perf_counter()
    matrix_rows, unread = _reread_matrix_rows(cells, grids, structures, text_ink, ink, gray, char_h, pad, engine,
                                              settings, number, table_offset) \
        if settings.structure.matrix_row_reread else ([], [])
    if settings.structure.matrix_row_reread and settings.structure.matrix_title_reach > 0:
        matrix_rows += _matrix_row_under_header(lines, line_recs, grids, unread, text_ink, ink, gray, char_h, pad,
                                                engine, settings.structure, number, table_offset)
    if settings.structure.matrix_row_reread and settings.structure.matrix_unheaded_lines > 0:
        matrix_rows += _matrix_row_unheaded(candidates, grids, matrix_rows, lines, line_recs, text_ink, ink, gray,
                                            char_h, pad, engine, settings.structure, number)
    # rows in reading order
    items: list[tuple[float, int, Row]] = []
    for i, b in enumerate(lines):
        line_rec = line_recs.get(i)
        if line_rec is None or not line_rec.text.strip():
            continue
        text = line_rec.text + ("…" if plan[i] == "head" else "")
        items.append((b[1], 0, Row(kind="text", page=number,
                                   cells=[TextCell(text=text, bbox=_rb(b), confidence=line_rec.confidence,
                                                   alternatives=line_rec.alternatives[:3])])))
    by_row: dict[tuple[int, int], list[CellRead]] = {}
    for cr in cells:
        by_row.setdefault((cr.grid, cr.row), []).append(cr)
    st_set = settings.structure
    for (gi, r), crs in sorted(by_row.items()):
        g = grids[gi]
        table_rows = stacked_rows(sorted(crs, key=lambda c: c.col), char_h, st_set)
        for top, row_cells in table_rows:
            tcells = [_text_cell(cr) for cr in row_cells]
            if structures:
                _place(tcells, [cr.row for cr in row_cells], structures[gi])
            if len(table_rows) > 1:
                for tc in tcells:
                    tc.placement = min(tc.placement, st_set.stacked_row_placement)
                    tc.notes.append(note(NoteCode.rows_read_as_one, rows=len(table_rows)))
            items.append((g.rows[r] if len(table_rows) == 1 else top, 1, Row(kind="table", page=number, cells=tcells,
                                                                      table_index=table_offset + gi, exact_cells=True)))
    items.extend(matrix_rows)
    items.sort(key=lambda it: (it[0], it[1]))
    if not half_turn_sure:
        _turn_unsure(items, orientations)
    h, w = upright.shape[:2]
    info = PageInfo(number=number, width=float(w), height=float(h), dpi=float(dpi), source="scan",
                    rotation=int(rotation), skew=float(skew), warp=prep.warp, half_turn_sure=half_turn_sure)
    timings = {k: round(t[k] - t["start"], 3) for k in t if k != "start"}
    columns = grid_columns([it[2] for it in items])  # which grid columns hold labels: the readers' one rule
    layouts = [_layout(table_offset + gi, number, g, structures[gi] if structures else None, columns.get(table_offset + gi))
               for gi, g in enumerate(grids)]
    res = PageResult(info=info, grids=grids, text_lines=lines, rows=[it[2] for it in items], timings=timings,
                     image=upright if keep_image else None, page=prep if keep_image else None,
                     structures=structures, layouts=layouts, page_words=page_words, candidates=candidates,
                     walls_kept=walls_kept)
    return res


def template_value_counts() -> list[int]:
    """How many value columns a printed table of any template version can have."""
    return sorted({len(item.columns) for v in TEMPLATE_VERSIONS for t in load_template(v).tables for item in t.items})


@functools.lru_cache(maxsize=1)
def one_row_matrices() -> tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], int], ...]:
    """The template tables printed as one row of values under their header (the review matrix),
    as (their anchors, their column labels no other table prints, every other table's anchors,
    value column count), over every version; labels normalised (``labels.normalize_label``)."""
    out = set()
    for v in TEMPLATE_VERSIONS:
        tables = load_template(v).tables
        for t in tables:
            if len(t.items) != 1 or len(t.items[0].rows) != 1:
                continue
            others = [o for o in tables if o.id != t.id]
            elsewhere = {normalize_label(n) for o in others for item in o.items
                         for names in [*(c.names for c in item.columns), *(r.names for r in item.rows)] for n in names}
            own = sorted({normalize_label(c.label) for c in t.items[0].columns} - elsewhere - {""})
            out.add((tuple(normalize_label(a) for a in t.anchors), tuple(own),
                     tuple(normalize_label(a) for o in others for a in o.anchors), len(t.items[0].columns)))
    return tuple(sorted(out))


def _matrix_columns(text: str, min_labels: int = 2) -> int | None:
    """The value column count of the one-row template table whose header ``text`` prints: one
    of its anchors, or ``min_labels`` of the column labels only it has (结果维持, 尚未审结: a
    fax may lose the 行政复议 over them), and no anchor of another table."""
    t = normalize_label(text)
    fits = {n for anchors, own, others, n in one_row_matrices()
            if (any(a in t for a in anchors) or sum(label in t for label in own) >= min_labels)
            and not any(a in t for a in others)}
    return fits.pop() if len(fits) == 1 else None


def _has_value_row(cells: Sequence[CellRead], n: int) -> bool:
    """A grid row of ``cells`` printing exactly ``n`` values, each a number or a dash."""
    by_row: dict[int, list[str]] = {}
    for cr in cells:
        text = "".join(r.text for r in cr.texts).strip()
        if text:
            by_row.setdefault(cr.row, []).append(text)
    return any(len(texts) == n and all(classify(x) in WELL_FORMED_CLASSES for x in texts) for texts in by_row.values())


def _reread_matrix_rows(cells: list[CellRead], grids: Sequence[Grid], structures: Sequence[TableStructure],
                        text_ink: np.ndarray, ink: np.ndarray, gray: np.ndarray, char_h: float, pad: float, engine: OcrEngine,
                        settings: Settings, page: int, table_offset: int
                        ) -> tuple[list[tuple[float, int, Row]], list[tuple[int, int]]]:
    """The template is the model: a table whose header prints a one-row template table's words
    (行政复议 / 行政诉讼: the review matrix, 15 value columns) and whose grid reading gave no row
    of exactly those n values (walls lost, glyph strokes taken for walls, numbers boxed as one
    word) has its last text line cut into numbers by the gaps in its ink
    (``layout.value_row.number_boxes``), each read alone. With exactly n values (leading label
    text left out) they are the row, placed by their x order (placement
    ``matrix_row_placement``, with a note saying so; ``matrix_row_even_placement`` when they are
    evenly spaced, within ``matrix_row_pitch_tolerance`` of their median step); the grid's readings inside that line are
    dropped. Otherwise the grid reading stands. ``cells`` is changed in place; the new rows
    come back as (y, 1, Row) for the page's reading order, with the (grid index, n) of the
    matrices whose last line gave no row either (their values may stand under the grid:
    ``_matrix_row_under_header``)."""
    p = settings.structure
    out: list[tuple[float, int, Row]] = []
    unread: list[tuple[int, int]] = []
    for gi, g in enumerate(grids):
        mine = [cr for cr in cells if cr.grid == gi]
        n = _matrix_columns(" ".join(r.text for cr in mine for r in cr.texts))
        if n is None or _has_value_row(mine, n):
            continue
        region = g.bbox
        if structures:
            r0 = structures[gi].region
            region = (min(region[0], r0[0]), min(region[1], r0[1]), max(region[2], r0[2]), max(region[3], r0[3]))
        # the last text line: of the words the detector found without the rules (walls join
        # the lines of the ink), else of the ink
        st = structures[gi] if structures else None
        bands = [(float(a), float(b)) for a, b in st.lines] if st is not None and st.lines else \
            [(float(a), float(b)) for a, b in text_line_bands(text_ink, region, char_h)]
        if not bands:
            unread.append((gi, n))
            continue
        band = last_line_band(bands[-1], text_ink, region, char_h, p.matrix_row_line_min_height,
                              p.matrix_row_stroke_height, p.matrix_row_gap_ink, p.matrix_row_line_join,
                              p.matrix_row_band_trim)
        tcells = _read_value_line(band, (region[0], region[2]), n, text_ink, ink, gray, char_h, pad, engine, p,
                                  "last_line")
        at = float(band[0])
        if tcells is None and p.matrix_inside_lines > 0:
            # not the last line: a region grown over the paragraphs around the table prints its
            # values on a line inside it; its lines top to bottom, the first of exactly n numbers
            for inner in _value_line_candidates(text_ink, (region[0], region[1], region[2], band[0]), char_h,
                                                p.matrix_inside_lines, p):
                tcells = _read_value_line(inner, (region[0], region[2]), n, text_ink, ink, gray, char_h, pad, engine,
                                          p, "inside")
                if tcells is not None:
                    # in reading order before the rest of the grid row it stands in (the prose under it)
                    band, at = inner, min(float(inner[0]), max([y for y in g.rows if y <= inner[0]] or [inner[0]]) - 0.5)
                    break
        if tcells is None:
            log.debug("page %d grid %d: the one-row matrix's value line gave no row of %d values", page, gi, n)
            unread.append((gi, n))
            continue
        gone = {id(cr) for cr in mine if _in_band(cr, band)}
        cells[:] = [cr for cr in cells if id(cr) not in gone]
        for cr in mine:  # the grid's readings of the line go: the line is read above
            if id(cr) not in gone and len(cr.line_boxes) == len(cr.texts):
                kept = [(b, r) for b, r in zip(cr.line_boxes, cr.texts) if not band[0] <= (b[1] + b[3]) / 2 <= band[1]]
                cr.line_boxes, cr.texts = [b for b, _ in kept], [r for _, r in kept]
        out.append((at, 1, Row(kind="table", page=page, cells=tcells, table_index=table_offset + gi,
                               exact_cells=True)))
    return out, unread


def _matrix_row_under_header(lines: Sequence[Box], line_recs: dict[int, Recognition], grids: Sequence[Grid],
                             unread: Sequence[tuple[int, int]], text_ink: np.ndarray, ink: np.ndarray, gray: np.ndarray,
                             char_h: float, pad: float, engine: OcrEngine, p: StructureSettings, page: int,
                             table_offset: int) -> list[tuple[float, int, Row]]:
    """The template is the model where the rules are not: a one-row template table (行政复议 /
    行政诉讼: the review matrix, 15 values) prints its row of values under its header. Where the
    rules lost the row, its values are looked for under the header: the first text line that
    cuts into exactly n numbers (``_read_value_line``), in x order, never certain (placement
    at most ``matrix_row_placement``: no wall placed them). The header is either

    - a text line printing the title with no grid under it (hairline rules and a faint header
      too pale to find: spent mix2039 sheet hairline 022, the matrix lost whole): the next
      ``matrix_title_lines`` text lines within ``matrix_title_reach`` characters under it, or
    - a grid that printed the header and gave no row of n values, not even its last line
      (``unread``, from ``_reread_matrix_rows``: hairline rules whose bottom rule is gone, the
      grid closed under the header and the values left outside it as a text line: spent
      mix2040 word hairline 021, the matrix lost whole): the next ``matrix_under_grid_lines``
      text lines under the grid within the same reach, across the grid's width (``matrix_under_grid_pad``
      characters either side); the row is that grid's table's.

    The text lines read inside the value line go (the line is read here); the rows come back as
    (y, 1, Row) for the page's reading order."""
    H, W = text_ink.shape[:2]
    # (top of the search, x span, lines to try, table index, why) per header
    heads: list[tuple[float, tuple[float, float], int, int | None, int, str]] = []
    for i in sorted(line_recs, key=lambda i: lines[i][1]):
        n = _matrix_columns(line_recs[i].text)
        if n is None:
            continue
        title = lines[i]
        if any(g.bbox[1] < title[3] + p.matrix_title_reach * char_h and g.bbox[3] > title[1] for g in grids):
            continue  # the matrix has a grid (read, or not, by ``_reread_matrix_rows``)
        heads.append((float(title[3]), (0.0, float(W)), p.matrix_title_lines, None, n,
                      "under_title"))
    for gi, n in unread:
        x0, _, x1, bottom = grids[gi].bbox
        reach = p.matrix_under_grid_pad * char_h
        heads.append((float(bottom), (max(0.0, x0 - reach), min(float(W), x1 + reach)), p.matrix_under_grid_lines,
                      table_offset + gi, n, "under_grid"))
    out: list[tuple[float, int, Row]] = []
    for top, span, tries, table_index, n, why in heads:
        if table_index is None and any(row.table_index is None for _, _, row in out):
            continue  # one matrix of a title without a grid to a page: the first title read
        bottom = min(float(H), top + p.matrix_title_reach * char_h)
        below = [g.bbox[1] for g in grids if g.bbox[1] >= top]
        bottom = min([bottom, *below])  # no further than the next table
        region = (span[0], top, span[1], bottom)
        for band in _value_line_candidates(text_ink, region, char_h, tries, p):
            tcells = _read_value_line(band, span, n, text_ink, ink, gray, char_h, pad, engine, p, why)
            if tcells is None:
                continue
            for tc in tcells:
                tc.placement = min(tc.placement, p.matrix_row_placement)
            log.debug("page %d: the one-row matrix's values read under its header (%s)", page, why)
            for k in [k for k in line_recs if band[0] <= (lines[k][1] + lines[k][3]) / 2 <= band[1]]:
                del line_recs[k]
            out.append((band[0], 1, Row(kind="table", page=page, cells=tcells, table_index=table_index,
                                        exact_cells=True)))
            break
    return out


@functools.lru_cache(maxsize=1)
def unshared_row_counts() -> tuple[int, ...]:
    """The value column counts of the one-row template tables that no other table of any
    version prints (15: the review matrix): a line of exactly that many numbers is that table's."""
    counts = {n for *_, n in one_row_matrices()}
    others = {len(item.columns) for v in TEMPLATE_VERSIONS for t in load_template(v).tables for item in t.items
              if not (len(t.items) == 1 and len(item.rows) == 1)}
    return tuple(sorted(counts - others))


def _matrix_row_unheaded(candidates: Sequence[TableStructure], grids: Sequence[Grid],
                         found: Sequence[tuple[float, int, Row]], lines: Sequence[Box],
                         line_recs: dict[int, Recognition], text_ink: np.ndarray, ink: np.ndarray, gray: np.ndarray,
                         char_h: float, pad: float, engine: OcrEngine, p: StructureSettings, page: int
                         ) -> list[tuple[float, int, Row]]:
    """The template is the model where neither the rules nor the header are read: a table
    region found by its rules (however faint) that the word reading refused and no grid came
    from, whose header printed too pale to be found (a hairline scan of a spreadsheet's grey
    header: spent mix2045 sheet hairline 027, the review matrix lost whole), may still print a
    one-row template table whose column count no other table has (15: the review matrix). Its
    first text line (of ``matrix_unheaded_lines``) that cuts into exactly that many numbers,
    standing evenly one to a column with no piece left out, is that table's row, placed in x
    order, never certain (``matrix_row_placement``: neither a wall nor a header placed them).
    The text lines read inside it go; the rows come back as (y, 1, Row), table unknown (the
    assembly finds the matrix's row by its count, as a row read under its title)."""
    out: list[tuple[float, int, Row]] = []
    counts = unshared_row_counts()
    if len(counts) != 1:
        return out
    n = counts[0]
    for st in candidates:
        region = st.region
        if st.source != "rules" or st.grid is not None:
            continue
        if any(g.bbox[1] < region[3] and g.bbox[3] > region[1] and g.bbox[0] < region[2] and g.bbox[2] > region[0]
               for g in grids):
            continue  # a grid read there: its own matrix reading holds
        if any(region[1] <= y <= region[3] for y, _, _ in [*found, *out]):
            continue  # a matrix row read there already
        for band in _value_line_candidates(text_ink, region, char_h, p.matrix_unheaded_lines, p):
            tcells = _read_value_line(band, (region[0], region[2]), n, text_ink, ink, gray, char_h, pad, engine, p,
                                      "unheaded")
            if tcells is None or not all(tc.notes[0].params.get("even") and not tc.notes[0].params.get("strays")
                                         for tc in tcells):
                continue  # without a header, only a row standing one number to each of n even columns
            for tc in tcells:
                tc.placement = min(tc.placement, p.matrix_row_placement)
            log.debug("page %d: a one-row matrix's %d values read in a ruled region with no header", page, n)
            for k in [k for k in line_recs if band[0] <= (lines[k][1] + lines[k][3]) / 2 <= band[1]]:
                del line_recs[k]
            out.append((float(band[0]), 1, Row(kind="table", page=page, cells=tcells, table_index=None,
                                               exact_cells=True)))
            break
    return out


def _value_line_candidates(text_ink: np.ndarray, region: Box, char_h: float, tries: int,
                           p: StructureSettings) -> list[tuple[float, float]]:
    """The y bands a one-row matrix's value line may be, top to bottom, under its header: the
    first ``tries`` text lines of ``region`` (``text_line_bands``), each followed by the lines
    its ink parts into when read the way a value line is (``matrix_row_line_min_height``,
    ``matrix_row_stroke_height``, ``matrix_row_gap_ink``, ``matrix_row_line_join``, as
    ``last_line_band`` reads a grid's last line). A hairline scan leaves what is left of the
    table's faint walls and rules in the text ink: the stubs of the walls join the header's
    lines and the value line into one tall text line, the dashes of the bottom rule touch the
    digits (typst hairline: the row of 15 values, read as 7 pieces, lost whole)."""
    out: list[tuple[float, float]] = []
    for a, b in text_line_bands(text_ink, region, char_h)[:tries]:
        out.append((float(a), float(b)))
        parts = text_line_bands(text_ink, (region[0], a, region[2], b), char_h, p.matrix_row_line_min_height,
                                p.matrix_row_stroke_height, p.matrix_row_gap_ink, p.matrix_row_line_join)
        if len(parts) > 1 or (parts and (parts[0][0] > a or parts[0][1] < b)):
            out += [(float(c), float(d)) for c, d in parts]
    return out


def _read_value_line(band: tuple[float, float], span: tuple[float, float], n: int, text_ink: np.ndarray, ink: np.ndarray,
                     gray: np.ndarray, char_h: float, pad: float, engine: OcrEngine, p: StructureSettings,
                     why: str) -> list[TextCell] | None:
    """A one-row matrix's ``n`` values from the text line ``band`` (y) across ``span`` (x): the
    line cut into numbers by the gaps in its ink (``layout.value_row.number_boxes``), each read
    alone, one to a column in x order (see ``_reread_matrix_rows``); None unless exactly ``n``
    stand there. ``why``: which line is read ("last_line", "under_title", "under_grid": the
    ``value_line_cut`` note's ``line``)."""
    boxes = number_boxes(text_ink, band, span, p.matrix_row_gap_digits,
                         ruled=ink, digit_min_height=p.matrix_row_digit_min_height,
                         walled_digit=p.matrix_row_walled_digit)
    if len(boxes) < n:
        return None
    recs = engine.recognize([_crop(gray, b, char_h, pad) for b in boxes])
    kinds = [classify(r.text) for r in recs]
    # a speck that reads as no value ("。", ":") is noise, not a cell; so is a piece of a wall
    # a fax broke off: an upright stroke (under ``matrix_row_stroke_width`` as wide as tall)
    # that reads as no value, or one shorter than the digits and narrower than a dash,
    # whatever it reads as ("1": a "1" stands the digits' full height). Judged on the reading
    # as printed: with the rules whitened, what is left of a wall's piece reads "1"
    size = float(np.median([b[3] - b[1] for b in boxes]))
    wall_piece = [(b[2] - b[0] < p.matrix_row_stroke_width * (b[3] - b[1]) and kinds[i] not in VALUE_CLASSES)
                  or (b[3] - b[1] < 0.7 * size and b[2] - b[0] < 0.4 * size) for i, b in enumerate(boxes)]
    # any other piece that reads as no value is read again with the rules' ink whitened: a
    # number set flush against its wall (a spreadsheet's) reads as the number and the wall
    # ("0|" → "d"); the rules' grey fringe goes too (their ink grown by a pixel, not into the text's)
    again = [i for i, k in enumerate(kinds) if k not in VALUE_CLASSES and not wall_piece[i]]
    if again:
        rules = (cv2.dilate(cv2.subtract(ink, text_ink), np.ones((3, 3), np.uint8)) > 0) & (text_ink == 0)
        # the whole row again (a crop is read as one of its batch: alone it reads otherwise)
        whitened = engine.recognize([_crop_without(gray, rules, b, char_h, pad) for b in boxes])
        for i in again:
            if classify(whitened[i].text) in VALUE_CLASSES:
                recs[i], kinds[i] = whitened[i], classify(whitened[i].text)
    keep = [i for i, b in enumerate(boxes) if not wall_piece[i]
            and (kinds[i] in VALUE_CLASSES or max(b[2] - b[0], b[3] - b[1]) >= 0.7 * size)]
    boxes, recs, kinds = [boxes[i] for i in keep], [recs[i] for i in keep], [kinds[i] for i in keep]
    first = 0
    while first < len(kinds) and kinds[first] not in VALUE_CLASSES:
        first += 1  # the row's label, if it prints one
    if len(boxes) - first != n and len(boxes) == n:
        first = 0  # exactly n pieces: the first is a value that reads as none, not a label
    strays: list[str] = []
    if len(boxes) - first > n:  # a piece off the columns' pitch (a dash of a dashed wall): dropped
        kept = _evenly_spaced_subset([(b[0] + b[2]) / 2 for b in boxes[first:]], n, p.matrix_row_stray_max,
                                     p.matrix_row_pitch_tolerance)
        if kept is not None:
            strays = [recs[first + i].text for i in range(len(boxes) - first) if i not in kept]
            idx = list(range(first)) + [first + i for i in kept]
            boxes, recs, kinds = [boxes[i] for i in idx], [recs[i] for i in idx], [kinds[i] for i in idx]
    # evenly spaced, the numbers stand one to a column of a table of even columns: a stray
    # piece taken for a number, or a number missed, would leave a gap half or twice as wide
    centres = [((b[0] + b[2]) / 2) for b in boxes[first:]]
    steps = np.diff(centres)
    even = bool(steps.size) and bool(np.all(np.abs(steps - np.median(steps)) <= p.matrix_row_pitch_tolerance * np.median(steps)))
    # a piece that reads as no value: the row is lost unless the n pieces stand evenly, one
    # to a column, when it is that column's number unread (its cell held for review)
    unread = sum(k not in VALUE_CLASSES for k in kinds[first:])
    if len(boxes) - first != n or (unread and not (even and unread <= p.matrix_row_unread_max)):
        return None
    boxes, recs = boxes[first:], recs[first:]
    left_out: dict[str, str | int | float | bool] = \
        {"strays": len(strays), "stray_texts": ", ".join(repr(t) for t in strays)} if strays else {}
    cut = note(NoteCode.value_line_cut, line=why, values=n, even=even, **left_out)
    # a row that stands evenly only once pieces were left out was guessed: never certain
    placement = p.matrix_row_even_placement if even and not strays else p.matrix_row_placement
    # each piece its column (the row is the table's n columns, one number to each): a piece
    # that reads as no value stays its column's cell, and the others keep their columns
    tcells = [TextCell(text=r.text, bbox=_rb(b), confidence=round(float(r.confidence), 4), alternatives=r.alternatives[:3],
                       placement=placement, notes=[cut], col=j)
              for j, (b, r) in enumerate(zip(boxes, recs))]
    return tcells


def _evenly_spaced_subset(centres: Sequence[float], n: int, most: int, tolerance: float) -> list[int] | None:
    """The indexes of the ``n`` of ``centres`` (x order) that stand evenly spaced (every step
    within ``tolerance`` of their median step) once at most ``most`` others are left out, when
    exactly one choice does so; None otherwise. A one-row matrix prints one number to a column
    of even width: a piece between two columns' pitch positions (a dash of a dashed wall a
    copier kept, read "1": spent mix2039 word copier 057) is no value, while a value left out
    would leave a gap twice as wide."""
    surplus = len(centres) - n
    if not 0 < surplus <= most or n < 2:
        return None
    fits = []
    for drop in itertools.combinations(range(len(centres)), surplus):
        kept = [i for i in range(len(centres)) if i not in drop]
        steps = np.diff([centres[i] for i in kept])
        med = float(np.median(steps))
        if med > 0 and bool(np.all(np.abs(steps - med) <= tolerance * med)):
            fits.append(kept)
    return fits[0] if len(fits) == 1 else None


def _crop_without(gray: np.ndarray, mask: np.ndarray, box: Box, char_h: float, pad: float) -> np.ndarray:
    """``_crop`` of ``gray`` with the pixels of ``mask`` (the page's rules) made paper white."""
    xa, ya, xb, yb = _crop_window(gray.shape, box, char_h, pad)
    if xb <= xa or yb <= ya:
        return np.full((8, 8), 255, np.uint8)
    c = gray[ya:yb, xa:xb].copy()
    c[mask[ya:yb, xa:xb]] = 255
    return c


def _in_band(cr: CellRead, band: tuple[float, float]) -> bool:
    """Is every text line of the cell (or, empty, its middle) inside the y ``band``?"""
    ys = [(b[1] + b[3]) / 2 for b in cr.line_boxes] or [(cr.bbox[1] + cr.bbox[3]) / 2]
    return all(band[0] <= y <= band[1] for y in ys)


def region_det_side(crop_long: int, char_h: float, st: StructureSettings) -> int:
    """The long side (pixels) the word detector sees a region's crop at: ``det_max_side``, or
    larger where that brings the characters (``char_h`` high on the page, small-print page or
    not) to ``det_min_char_px``, at most ``small_print_det_max_side`` and the crop's own size.
    The detector finds words of a working size, not of a working canvas: a wide table of small
    print shrunk to 960 px loses its digits."""
    want = st.det_min_char_px
    if want <= 0 or char_h <= 0:
        return st.det_max_side
    need = crop_long * want / char_h
    return int(max(st.det_max_side, min(need, st.small_print_det_max_side, crop_long)))


def faint_region_words(unruled: np.ndarray, region: Box, char_h: float, engine: OcrEngine,
                       st: StructureSettings) -> list[Box]:
    """The detector's words of a ruled region looked at again with its ink's contrast stretched
    (``layout.structure.stretch_contrast``, ``StructureSettings.faint_stretch_*``): for a region
    in which the detector found too few words as scanned (text printed light grey on a shaded
    header, left a few grey levels deep by the scan)."""
    return find_words(unruled, region, lambda crop: engine.detect_words(
        stretch_contrast(crop, char_h, st.faint_stretch_percentile, st.faint_stretch_min),
        region_det_side(max(crop.shape[:2]), char_h, st)))


def read_structures(gray: np.ndarray, unruled: np.ndarray, grids: list[Grid], char_h: float,
                    engine: OcrEngine, settings: Settings, page_words: list[Box] | None = None,
                    rules: tuple[np.ndarray, np.ndarray] | None = None,
                    text_ink: np.ndarray | None = None) -> list[TableStructure]:
    """The word reading of every table region of a page (each line grid's box, and every
    ruled frame no grid came from), arbitrated against the line grid (``layout.structure``).
    A region whose line grid is not trusted grows along its rules over the rows no other
    region holds (a band of rows whose walls were all lost), and is read again. Rules are
    taken from ``gray`` however faint, words from ``unruled`` (the page without its rules).
    With ``page_words`` (the detector's words of the whole page, found once) the tables no rule
    shows at all are found from them (``word_regions``) and read with them; a region found by
    its rules is read with the detector run on its crop, or with ``region_words_from_page`` with
    the page's words inside it too. (At page scale the detector finds the words of a table no
    rule frames better than on the crop; on a ruled table's shaded header, worse.) ``rules``: the
    page's faint rules (``faint_rules``) when the caller found them already. ``text_ink``
    (the page's ink without its rules) tells a word box that joins the texts of neighbouring
    cells across a wall from a wall through a word."""
    st_set = settings.structure
    counts = template_value_counts()

    def read(region, line_grid, source: str = "rules") -> TableStructure:
        if st_set.trim_prose and page_words is not None and line_grid is None and source == "rules":
            region = trim_prose(region, page_words, st_set)  # a paragraph over a faint rule stack is no row
        if st_set.prose_rows_out and page_words is not None and line_grid is not None:
            top, bottom = prose_edge_rows(line_grid, page_words, st_set)  # a paragraph the grid took in
            if top or bottom:
                line_grid = without_edge_rows(line_grid, top, bottom)
                region = (region[0], max(region[1], line_grid.bbox[1]), region[2], min(region[3], line_grid.bbox[3]))
        if page_words is not None and (source == "words" or st_set.region_words_from_page):
            words = words_in(page_words, region)
        else:
            words = find_words(unruled, region, lambda crop: engine.detect_words(
                crop, region_det_side(max(crop.shape[:2]), char_h, st_set)))
            if st_set.faint_words_retry and len(words) < st_set.min_words:
                words = faint_region_words(unruled, region, char_h, engine, st_set) or words
        walls = find_walls(gray, region, words, char_h, st_set.wall_min_ridge, st_set.wall_min_blank_chars,
                           st_set.wall_side_chars, st_set.wall_max_width_chars,
                           st_set.wall_track_chars, st_set.wall_edge) if st_set.find_walls else []
        # the region's vertical rules that show between its words: no column of stacked digits
        region_vrules = printed_vrules(vrules, words, gray, char_h, st_set, line_grid) \
            if st_set.printed_rules_only else vrules
        return read_structure(region, words, char_h, hrules, region_vrules, line_grid, counts, st_set, source,
                              text_ink, walls)

    # rules and walls from two characters long (a wall may be a row high)
    h, v = rules if rules is not None else faint_rules(gray, char_h, st_set.faint_ink_offset, max(3, int(2 * char_h)))
    regions, hrules, vrules = table_regions(h, v, char_h, grids, max_row_chars=st_set.max_row_chars)
    out = [read(region, grids[k] if k < len(grids) else None) for k, region in enumerate(regions)]
    if page_words is not None:
        taken = [st.region for st in out if st.chosen != "none"]
        out += [read(region, None, "words") for region in word_regions(page_words, char_h, taken, st_set)]
    for k, st in enumerate(out):
        if (st.chosen == "lines" and not st.faults) or st.source == "words":
            continue
        grown = grow_region(st.region, hrules, vrules, char_h, [o.region for j, o in enumerate(out) if j != k],
                            st_set.max_row_chars)
        if grown != st.region:
            out[k] = read(grown, st.line_grid)
    out.sort(key=lambda st: (st.grid.bbox[1], st.grid.bbox[0]) if st.grid is not None else (0.0, 0.0))
    return out


def _without_walls(gray: np.ndarray, text_ink: np.ndarray, structures: Sequence[TableStructure],
                   p: StructureSettings) -> tuple[np.ndarray, np.ndarray, list[Box]]:
    """The page image and its text ink with the walls of every table region taken out
    (``layout.walls``: hair, dotted and dashed walls no long straight run shows, which the crop
    of a number set against its wall catches), as copies; the walls of the value columns only
    (from a character height left of the first value column on) that lie on a column boundary
    of the grid the table is read with (``wall_boundary_chars``), kept in the rows where a
    character touches them (``wall_touch_px``, ``wall_touch_min_chars``;
    ``layout.walls.erase_walls``: the stretches kept are returned too). Only in a table whose
    grid no fault discredits: where the readings disagree (cells holding the words of two
    columns) the walls are what parts the values of one cell, and the rows read again by their
    gaps (``_reread_matrix_rows``) ran together without them (spent sheet2036 flatbed report
    007: 115 -> 98 cells erased; its fax report 004, grid sound: 43 -> 144)."""
    gray, text_ink = gray.copy(), text_ink.copy()
    kept: list[Box] = []
    for st in structures:
        if st.faults if st.chosen == "lines" else st.word_faults:
            continue
        # the value columns' walls only: a label's text runs across the walls of the label
        # columns merged over it (multi-level labels), and its crop is read as words anyway
        value_x = st.columns[min(st.label_columns, len(st.columns) - 1)] if st.columns else st.region[0]
        margin = st.char_h
        bounds = st.grid.cols if st.grid is not None else st.columns
        walls = walls_on_boundaries([w for w in st.walls if w.x >= value_x - margin], bounds,
                                    p.wall_boundary_chars * st.char_h)
        kept += erase_walls(gray, text_ink, walls, p.wall_touch_px if p.wall_touch_px >= 0 else None,
                            max(1, int(round(p.wall_touch_min_chars * st.char_h))))
    return gray, text_ink, kept


def _place(tcells: list[TextCell], rows: list[int], st: TableStructure) -> None:
    """The structure reading's placement (evidence) and its reason on the cells of one grid row;
    a cell the two readings place differently gets a ``cell_disputed`` factor."""
    for tc, r in zip(tcells, rows):
        if st.chosen == "words":
            tc.notes.append(note(NoteCode.words_over_lines, **{f.code: f.n for f in st.faults}))
        if (r, tc.col) in st.disputed:
            tc.factors.append(factor(FactorCode.cell_disputed))
        tc.placement = round(st.placement, 4)


def _layout(index: int, page: int, g: Grid, st: TableStructure | None,
            columns: tuple[int, list[tuple[int, int | None]]] | None) -> TableLayout:
    """The structure one grid was read with, as plain data for the Document; ``columns``: its
    grid columns and where its values begin as its rows give them (``readers.common.grid_columns``)."""
    return TableLayout(index=index, page=page, source="words" if st is not None and st.chosen == "words" else "lines",
                       bbox=_rb(g.bbox), rows=[round(v, 1) for v in g.rows], cols=[round(v, 1) for v in g.cols],
                       cells=[(c.row, c.col, c.rowspan, c.colspan) for c in g.cells],
                       columns=columns[0] if columns is not None else len(g.cols) - 1,
                       value_runs=columns[1] if columns is not None else [],
                       placement=st.placement if st is not None else 1.0, faults=[str(f) for f in st.faults] if st is not None else [])


def _plan_text_lines(lines: list[Box], char_h: float, ocr: OcrSettings) -> list[str]:
    """How much of each text line to read: "full", "head" (first ``head_chars``) or "skip".

    With ``body_text="heads"``: short lines (titles, headings, ends of paragraphs) in full,
    indented full-width lines (paragraph starts, run-in headings) by their head, full-width
    continuation lines not at all: prose is where OCR time goes, the tables are elsewhere."""
    # a "line" less tall than ``min_line_height_chars`` characters holds no character: specks,
    # dashes (a noisy fax page made 1800 such lines, each one sent to the recogniser)
    if ocr.body_text == "full" or len(lines) < 4:
        return ["full" if b[3] - b[1] >= ocr.min_line_height_chars * char_h else "skip" for b in lines]
    left = float(np.percentile([b[0] for b in lines], 10))
    right = float(np.percentile([b[2] for b in lines], 90))
    width = max(1.0, right - left)
    plan = []
    prev: Box | None = None
    for b in lines:
        if b[3] - b[1] < ocr.min_line_height_chars * char_h:
            plan.append("skip")
            continue
        h = max(char_h, b[3] - b[1])
        wraps_into = prev is not None and prev[2] >= right - 2 * char_h and 0 <= b[1] - prev[3] <= 1.5 * h
        if b[2] - b[0] <= 0.7 * width or b[2] - b[0] <= (ocr.head_chars + 2) * h or b[3] - b[1] >= 1.3 * char_h:
            plan.append("full")  # titles, headings, ends of paragraphs
        elif b[0] - left >= 1.2 * char_h or not wraps_into:
            plan.append("head")  # a paragraph starts here
        else:
            plan.append("skip")  # the paragraph goes on
        prev = b
    return plan


def _rb(b: Box) -> Box:
    return (round(b[0], 1), round(b[1], 1), round(b[2], 1), round(b[3], 1))


def _text_cell(cr: CellRead) -> TextCell:
    if not cr.texts:
        return TextCell(text="", bbox=_rb(cr.bbox), col=cr.col, colspan=cr.colspan,
                        factors=[factor(FactorCode.empty_cell)])
    texts = [r.text for r in cr.texts]
    text = "".join(texts)
    conf = min(r.confidence for r in cr.texts)
    alts: list[tuple[str, float]] = []
    if len(cr.texts) == 1:
        alts = list(cr.texts[0].alternatives[:3])
    else:
        for k, r in enumerate(cr.texts):
            for a, s in r.alternatives[:1]:
                alts.append(("".join(texts[:k] + [a] + texts[k + 1:]), s))
        alts = sorted(alts, key=lambda a: -a[1])[:3]
    return TextCell(text=text, bbox=_rb(cr.bbox), confidence=round(float(conf), 4), col=cr.col,
                    colspan=cr.colspan, alternatives=alts, factors=list(cr.factors))


SLASHLIKE = {"1", "l", "I", "|", "/", "丨", "J", "／", "7"}


def _ink_slant(ink: np.ndarray, box: Box) -> float | None:
    """Angle (degrees) of the ink's main axis from vertical: ~0 for "1", 20-35 for "/"."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    ys, xs = np.nonzero(ink[y0:y1, x0:x1])
    if ys.size < 8:
        return None
    c = np.cov(np.vstack([xs.astype(np.float64), ys.astype(np.float64)]))
    evals, evecs = np.linalg.eigh(c)
    vx, vy = evecs[:, int(np.argmax(evals))]
    if evals.max() < 2.0 * max(1e-6, evals.min()):
        return None  # not a stroke
    return float(np.degrees(np.arctan2(abs(vx), abs(vy))))


def _slash_check(cells: list[CellRead], text_ink: np.ndarray, ocr: OcrSettings) -> None:
    """A lone "/" (printed for "not applicable") is read as "1" with a high score; the
    slant of the ink tells them apart (``ocr.slash_min_slant``, ``ocr.upright_max_slant``), so
    the reading follows the shape (its score the slant's, a ``slash_by_shape`` factor bounding
    it; an upright "/" keeps its reading, less sure)."""
    for cr in cells:
        if len(cr.texts) != 1 or len(cr.line_boxes) != 1:
            continue
        r = cr.texts[0]
        if r.text.strip() not in SLASHLIKE:
            continue
        slant = _ink_slant(text_ink, cr.line_boxes[0])
        if slant is None:
            continue
        if slant >= ocr.slash_min_slant and r.text.strip() != "/":
            cr.texts[0] = Recognition("/", round(min(1.0, 0.5 + slant / 60), 4), [(r.text, round(r.confidence * 0.3, 4))], r.chars)
            cr.factors.append(factor(FactorCode.slash_by_shape, read=r.text.strip()))
        elif slant < ocr.upright_max_slant and r.text.strip() == "/":
            cr.texts[0] = Recognition("/", r.confidence, [("1", round(r.confidence * 0.4, 4))], r.chars)
            cr.factors.append(factor(FactorCode.slash_upright))


def _second_look(cells: list[CellRead], gray: np.ndarray, char_h: float, pad: float, engine: OcrEngine,
                 rules: np.ndarray, cover: float | None) -> None:
    """Re-read single-line numeric-looking cells the engine was unsure of (low score or not a
    well-formed number) from a looser crop (inside the cell's walls, ``_cell_crop``); agreement keeps the reading, disagreement records
    a factor (the reading is less sure) and the other reading as an alternative."""
    todo: list[int] = []
    for i, cr in enumerate(cells):
        if len(cr.texts) != 1:
            continue
        r = cr.texts[0]
        if not _is_numberish(r.text):
            continue
        if r.confidence >= 0.97 and _is_clean_number(r.text):
            continue
        todo.append(i)
    if not todo:
        return
    crops = []
    for i in todo:
        b = cells[i].line_boxes[0]
        c = _cell_crop(gray, rules, b, char_h, pad * 2.5, cover)
        # a sharper, binarised view of the same ink
        _, c = cv2.threshold(c, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        crops.append(c)
    again = engine.recognize(crops)
    for i, r2 in zip(todo, again):
        r1 = cells[i].texts[0]
        num1, num2 = _norm_num(r1.text), _norm_num(r2.text)
        ok1, ok2 = _is_clean_number(r1.text), _is_clean_number(r2.text)
        if num1 == num2:
            cells[i].texts[0] = Recognition(r1.text, max(r1.confidence, r2.confidence), r1.alternatives, r1.chars)
            if not ok1:
                cells[i].factors.append(factor(FactorCode.second_look_not_number, read=r1.text))
        elif ok2 and not ok1:
            alts = [(r1.text, round(r1.confidence * 0.5, 4))] + r2.alternatives
            cells[i].texts[0] = Recognition(r2.text, r2.confidence, alts[:3], r2.chars)
            cells[i].factors.append(factor(FactorCode.second_look_disagrees, other=r1.text))
        else:
            alts = [(r2.text, round(r2.confidence * 0.5, 4))] + r1.alternatives
            cells[i].texts[0] = Recognition(r1.text, r1.confidence, alts[:3], r1.chars)
            cells[i].factors.append(factor(
                FactorCode.second_look_disagrees if ok1 else FactorCode.second_look_disagrees_not_number, other=r2.text))


# --------------------------------------------------------------------------- document
def read_scanned_pages(
    path_or_images: str | Path | Sequence[np.ndarray] | Sequence,
    settings: Settings,
    pages: Iterable[int] | None = None,
    engine: OcrEngine | None = None,
) -> Document:
    """Read scanned pages into a Document.

    ``path_or_images``: a PDF/image path (its scan and drawn pages are read; PDF pages with a
    text layer are skipped unless ``pages`` names them), or a list of BGR images or
    ``ingest.PageImage`` objects (dpi 300 assumed for bare images)."""
    engine = engine or get_engine(settings.ocr)
    from nianbao.ingest import PageImage, iter_page_images, sniff_format

    want = set(pages) if pages is not None else None
    if isinstance(path_or_images, (str, Path)):
        path = str(path_or_images)
        fmt = sniff_format(path)
        kinds = None if want is not None else {"scan", "render", "image"}
        source = (p for p in iter_page_images(path, settings, kinds=kinds) if want is None or p.number in want)
        doc = Document(path=path, format="pdf-scan" if fmt == "pdf" else "image")
    else:
        seq = list(path_or_images)
        source = (p if isinstance(p, PageImage) else PageImage(i + 1, p, 300.0, "image") for i, p in enumerate(seq))
        source = (p for p in source if want is None or p.number in want)
        doc = Document(path="<images>", format="image")
    n_tables = 0
    stages = doc.timings
    pages_in = iter(source)
    while True:
        t0 = time.perf_counter()
        p = next(pages_in, None)  # the page image: rendered, or decoded from its embedded scan
        stages["render"] = stages.get("render", 0.0) + time.perf_counter() - t0
        if p is None:
            break
        res = read_page(p.image, p.number, p.dpi, settings, engine, table_offset=n_tables)
        n_tables += len(res.grids)
        doc.rows.extend(res.rows)
        doc.pages.append(res.info)
        doc.tables.extend(res.layouts)
        for stage, seconds in stage_seconds(res.timings).items():
            stages[stage] = stages.get(stage, 0.0) + seconds
        log.debug("page %d: %s", p.number, res.timings)
        del p, res  # the page's image and arrays, before the next page is decoded
        if settings.limits.release_heap_per_page:
            release_free_heap(settings.limits.release_heap_above_mb)
    doc.timings = {k: round(v, 4) for k, v in stages.items()}
    return doc


def stage_seconds(timings: dict) -> dict[str, float]:
    """Seconds spent in each stage of ``read_page`` from its ``PageResult.timings`` (the time
    since the page's start at the end of each stage, in stage order)."""
    out, before = {}, 0.0
    for stage, at in timings.items():
        out[stage] = max(0.0, at - before)
        before = at
    return out

"""Table-grid detection with OpenCV morphology.

Ruling lines are taken from the binarised ink (seal ink removed first): components that can
be line pieces (long, or thin dashes of a broken line) are kept, an opening with thin kernels
keeps straight runs, and collinear pieces are joined across gaps. Horizontal lines give row
boundaries, vertical pieces that meet horizontal lines give column boundaries. Pieces of one
table that an erased band split apart are joined again.

Which cell sides are there is then decided per side, from the thin straight ink along it
(dashes count, glyphs don't): a boundary that is never there, or beside one cell only without
meeting any line, is text that lined up and is dropped; cells are grown as rectangles where a
side is missing → merged cells with row/col spans that never flood past a broken wall.
Output is plain data (pydantic) in page pixels.
"""

from __future__ import annotations

import cv2
import numpy as np
from pydantic import BaseModel

from nianbao.layout.image import component_labels, component_stats, components
from nianbao.layout.lines import line_masks, remove_lines
from nianbao.layout.text import estimate_char_height
from nianbao.models import BBox as Box  # (x0, y0, x1, y1) in page pixels: one definition, in the schema
from nianbao.settings import GridSettings, LayoutSettings


class GridCell(BaseModel):
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    bbox: Box  # x0, y0, x1, y1: the cell's inner area between its ruling lines


class Grid(BaseModel):
    bbox: Box
    rows: list[float]  # y of each horizontal boundary, top to bottom (len = n_rows + 1)
    cols: list[float]  # x of each vertical boundary, left to right (len = n_cols + 1)
    cells: list[GridCell]
    line_width: float = 2.0

    @property
    def n_rows(self) -> int:
        return len(self.rows) - 1

    @property
    def n_cols(self) -> int:
        return len(self.cols) - 1

    def cell_at(self, row: int, col: int) -> GridCell | None:
        """The (possibly merged) cell covering grid position (row, col)."""
        for c in self.cells:
            if c.row <= row < c.row + c.rowspan and c.col <= col < c.col + c.colspan:
                return c
        return None


def _long_components(ink: np.ndarray, char_h: float, min_piece_frac: float, p: GridSettings) -> np.ndarray:
    """Keep only ink components that can be ruling lines: long ones (a table's lines are one
    big component; broken pieces are still long) and thin tall pieces (a wall broken off at
    both ends). Characters never reach that size, so their strokes can't become lines."""
    n, labels, stats, (bx, by) = component_labels(ink)  # labels of the box of the ink at (bx, by)
    if n <= 1:
        return ink
    w = stats[:, cv2.CC_STAT_WIDTH]
    h = stats[:, cv2.CC_STAT_HEIGHT]
    thin = max(p.piece_thin_px, p.piece_thin_chars * char_h)
    # thin pieces about a character long: a ruling line cut into short runs by a broken/faint
    # scan (a lone dash is kept too, but only long, mostly inked joined lines count)
    piece = min_piece_frac * char_h
    keep = (np.maximum(w, h) >= p.long_component_chars * char_h) | ((h >= piece) & (w <= thin)) | ((w >= piece) & (h <= thin))
    keep[0] = False
    # where a dashed wall meets a dashed line their two dashes are one L/T/+ shaped piece:
    # nearly all of its ink lies in one thin row band and one thin column band (a glyph's
    # strokes spread over many)
    band = max(2, int(round(thin)))
    box = np.ones(band, np.float32)
    for i in np.nonzero(~keep & (w >= piece) & (h >= piece) & (np.maximum(w, h) >= p.corner_min_chars * char_h)
                        & (np.maximum(w, h) < p.long_component_chars * char_h))[0]:
        if i == 0:
            continue  # the background
        x, y = stats[i, cv2.CC_STAT_LEFT] - bx, stats[i, cv2.CC_STAT_TOP] - by
        m = labels[y:y + h[i], x:x + w[i]] == i
        row_band = np.convolve(m.sum(axis=1), box, mode="valid").max() if h[i] >= band else m.sum()
        col_band = np.convolve(m.sum(axis=0), box, mode="valid").max() if w[i] >= band else m.sum()
        keep[i] = row_band + col_band >= p.corner_band_share * stats[i, cv2.CC_STAT_AREA]
    out = np.zeros_like(ink)
    out[by:by + labels.shape[0], bx:bx + labels.shape[1]] = keep[labels].astype(np.uint8) * 255
    return out


def _segments(mask: np.ndarray, horizontal: bool) -> list[tuple[float, float, float, float]]:
    """Connected line pieces as (pos, start, end, thickness): pos = y for horizontal lines."""
    n, stats = component_stats(mask)
    out = []
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        if horizontal:
            thick = area / max(1, w)
            out.append((y + h / 2.0, float(x), float(x + w), thick))
        else:
            thick = area / max(1, h)
            out.append((x + w / 2.0, float(y), float(y + h), thick))
    return out


def _cluster(values: list[tuple[float, float]], tol: float) -> list[float]:
    """Cluster positions (pos, weight) closer than tol; weighted mean per cluster."""
    if not values:
        return []
    values = sorted(values)
    groups: list[list[tuple[float, float]]] = [[values[0]]]
    for v in values[1:]:
        if v[0] - groups[-1][-1][0] <= tol:
            groups[-1].append(v)
        else:
            groups.append([v])
    return [sum(p * w for p, w in g) / max(1e-6, sum(w for _, w in g)) for g in groups]


# a joined ruling line: (pos, start, end, thickness, inked length, longest piece)
JoinedLine = tuple[float, float, float, float, float, float]


def _join_collinear(segs: list[tuple[float, float, float, float]], tol: float, max_gap: float,
                    seal: np.ndarray | None, horizontal: bool, bridge: float = 0.0,
                    cross: list[tuple[float, float, float, float]] | None = None,
                    near: float = 0.0, long_piece: float = 0.0, short_gap: float = 6.0,
                    seal_cover: float = 0.3) -> list[JoinedLine]:
    """Join pieces of one ruling line broken by a gap: short gaps always, longer ones (up to
    ``max_gap``) where seal ink lies in the gap, the usual reason a line is missing there
    (removing the red ink takes the black line under it along). Gaps up to ``bridge`` (a
    broken/faint scan) are joined too, unless both ends of the gap stop at a crossing wall
    from ``cross`` that runs on across the line: that is a merged cell, not a break."""
    out: list[list[float]] = []
    cross_arr = np.array([(p, a, b) for p, a, b, _ in cross]) if cross else np.zeros((0, 3))

    def wall_at(pos: float, at: float, within: float) -> bool:
        """A crossing line at ``at`` (± within) that runs on across position ``pos``."""
        if not len(cross_arr):
            return False
        sel = (np.abs(cross_arr[:, 0] - at) <= within) & (cross_arr[:, 1] <= pos + near) & (cross_arr[:, 2] >= pos - near)
        return bool(sel.any())

    def crossed(pos: float, g0: float, g1: float) -> bool:
        if not len(cross_arr):
            return False
        sel = (cross_arr[:, 0] > g0 + 1) & (cross_arr[:, 0] < g1 - 1) & (cross_arr[:, 1] <= pos + near) & (cross_arr[:, 2] >= pos - near)
        return bool(sel.any())

    for pos, a, b, t in sorted(segs, key=lambda s: s[1]):
        joined = False
        best = None
        for o in out:
            if abs(o[0] - pos) > tol or a < o[2] - 1:
                continue
            if best is None or o[2] > best[2]:
                best = o
        if best is not None:
            o = best
            gap = a - o[2]
            ok = gap <= max(short_gap, tol)
            if not ok and seal is not None and gap <= max_gap:
                p_px = int(round((o[0] + pos) / 2))
                g0, g1 = int(o[2]), int(a) + 1
                r = int(max(2, tol))
                region = seal[max(0, p_px - r):p_px + r + 1, g0:g1] if horizontal else seal[g0:g1, max(0, p_px - r):p_px + r + 1]
                ok = region.size > 0 and (region > 0).any(axis=0 if horizontal else 1).mean() >= seal_cover
            if not ok and gap <= bridge:
                p0 = (o[0] + pos) / 2
                if gap <= 2 * near and crossed(p0, o[2], a):
                    ok = True  # a break where a line crosses this one
                elif wall_at(p0, o[2], near) and wall_at(p0, a, near):
                    ok = False  # the line stops at two walls: a merged cell (or two tables)
                elif wall_at(p0, o[2], tol) or wall_at(p0, a, tol):
                    # a line that stops at a wall goes on past it only for a real line piece,
                    # not a glyph stroke in the merged cell beyond
                    ok = min(o[5], b - a) >= long_piece
                else:
                    ok = True
            if ok:
                o[2] = max(o[2], b)
                o[3] = max(o[3], t)
                o[4] += b - a
                o[5] = max(o[5], b - a)
                joined = True
        if not joined:
            out.append([pos, a, b, t, b - a, b - a])
    return [(o[0], o[1], o[2], o[3], o[4], o[5]) for o in out]


def detect_grids(
    ink: np.ndarray,
    lay: LayoutSettings,
    seal_mask: np.ndarray | None = None,
    char_h: float | None = None,
    table_font: bool = True,
    glyph_h: float | None = None,
) -> list[Grid]:
    """Table grids on a binarised, upright page (ink = 255), top to bottom. ``seal_mask``
    (255 where red seal ink was removed) lets lines broken under a seal be rejoined.

    Thresholds come from ``lay`` (``lay.grid`` holds all but three). Line pieces from
    ``lay.min_piece_frac`` of a character height on count (a broken scan cuts lines into
    dashes); a wall or line between two cells is there when its dashes cover
    ``lay.wall_cover`` of its length (see ``_grid_in_region``). ``char_h`` is the page's
    character height (estimated when not given); with ``table_font``, a table set smaller
    than the body text is detected again in its own font (``_redo_in_table_font``).
    ``glyph_h`` is the tallest text on the page (a table's headings may be set larger than
    its cells): no glyph stroke is longer; ``char_h`` when not given."""
    H, W = ink.shape[:2]
    p = lay.grid
    min_piece_frac, wall_cover = lay.min_piece_frac, lay.wall_cover
    char_h = char_h or estimate_char_height(ink)
    glyph_h = max(char_h, glyph_h or 0.0)
    raw_ink = ink
    ink = _long_components(ink, char_h, min_piece_frac, p)
    # a ruling line is longer than a few touching characters; a wall at least a character high.
    # Pieces are taken from min_piece_frac characters on (broken scans cut lines into short
    # runs) and must reach that length once the pieces of one line are joined
    min_h = max(p.min_line_px, int(W * lay.min_line_length_frac), int(p.min_line_chars * char_h))
    min_v = max(p.min_wall_px, int(H * p.min_wall_page_frac), int(min_piece_frac * char_h))
    min_piece = max(p.min_piece_px, int(min_piece_frac * char_h))
    hmask, vmask = line_masks(ink, min(min_h, min_piece), min_v, gap=max(3, W // p.line_gap_divisor))
    hsegs = [s for s in _segments(hmask, True) if s[3] <= max(p.max_line_thick_px, H * p.max_line_thick_page_frac)]
    if not hsegs:
        return []
    tol = max(p.line_tol_px, W * p.line_tol_page_frac)
    # keep vertical segments that join two horizontal lines (cell walls, not text strokes)
    vsegs_all = [s for s in _segments(vmask, False) if s[3] <= max(p.max_line_thick_px, W * p.max_line_thick_page_frac)]
    seal = None
    if seal_mask is not None and seal_mask.any():
        seal = cv2.dilate(seal_mask, np.ones((p.seal_grow_px, p.seal_grow_px), np.uint8))
    bridge = max(p.bridge_chars * char_h, p.bridge_page_frac * W)
    near = max(tol * p.near_tol_factor, p.near_chars * char_h)
    join = dict(bridge=bridge, near=near, long_piece=p.long_piece_chars * char_h, short_gap=p.short_gap_px,
                seal_cover=p.seal_gap_cover)
    vj = _join_collinear(vsegs_all, tol, p.seal_gap_chars * char_h, seal, horizontal=False, cross=hsegs, **join)
    hj = _join_collinear(hsegs, tol, p.seal_gap_chars * char_h, seal, horizontal=True, cross=vsegs_all, **join)
    # a joined line must be long, mostly inked and hold one long piece (not a row of dashes)
    hsegs = [s[:4] for s in hj if s[2] - s[1] >= min_h and s[4] >= wall_cover * (s[2] - s[1])
             and s[4] >= p.min_inked_line_chars * char_h]
    if not hsegs:
        return []
    hs = np.array([(y, x0, x1) for y, x0, x1, _ in hsegs])

    def walls(seg):
        """The part of a vertical piece between the first and last horizontal line it meets
        (touches or crosses), if it meets two: cell walls do, text strokes and seal arcs don't.
        ``seg`` is a joined piece (x, top, bottom, thickness, inked length, longest piece)."""
        x, y0, y1, t, _, longest = seg
        to_line = max(tol * p.to_line_tol_factor, p.to_line_chars * char_h)  # broken scans leave gaps where lines cross
        hit = (hs[:, 1] - to_line <= x) & (hs[:, 2] + to_line >= x) & (hs[:, 0] >= y0 - to_line) & (hs[:, 0] <= y1 + to_line)
        ys = hs[hit, 0]
        if ys.size and ys.max() - ys.min() < p.one_line_px:
            # a piece of a wall broken into dashes meets one line only: it must touch it (a
            # glyph near a line keeps a margin); whether its column is a wall is decided by
            # the whole column (it must meet lines at crossings, see _grid_in_region)
            # (or come near it in one piece longer than any glyph stroke: a long dash of a
            # wall broken at both ends; not glyph strokes joined across the gaps between them)
            touch = max(p.touch_px, tol) if longest < p.long_piece_chars * glyph_h else to_line
            y = float(ys.mean())
            return (x, y0, y1, t) if min(abs(y - y0), abs(y - y1)) <= touch else None
        if ys.size < 2:
            return None
        a, b = float(max(y0, ys.min())), float(min(y1, ys.max()))
        if b - a < p.wall_span_share * (ys.max() - ys.min()):
            return None  # a stroke inside a row, not a wall from line to line
        # a wall running on, mostly inked, a character or more past the first or last line:
        # the table is open there (continued from or onto another page), its end row has
        # walls only (a wall joined across a gap to a glyph stroke below is not inked there)
        if ys.min() - y0 >= p.open_end_chars * char_h and inked(x, y0, ys.min()) >= p.open_end_inked:
            a = float(y0)
        if y1 - ys.max() >= p.open_end_chars * char_h and inked(x, ys.max(), y1) >= p.open_end_inked:
            b = float(y1)
        return (x, a, b, t)

    def inked(x: float, y0: float, y1: float) -> float:
        """Share of the rows from y0 to y1 with vertical line ink at x."""
        xi, r = int(round(x)), int(max(p.inked_probe_px, tol / 2))
        col = vmask[int(y0):int(y1) + 1, max(0, xi - r):xi + r + 1]
        return float((col.max(axis=1) > 0).mean()) if col.size else 0.0

    vsegs = [w for w in (walls(s) for s in vj) if w is not None]
    # rebuild a clean line mask from the accepted segments, then group into tables
    clean_v = np.zeros_like(vmask)
    for x, y0, y1, t in vsegs:
        cv2.line(clean_v, (int(round(x)), int(y0)), (int(round(x)), int(y1)), 255, max(1, int(round(t))))
    clean_h = np.zeros_like(hmask)
    for y, x0, x1, t in hsegs:
        cv2.line(clean_h, (int(x0), int(round(y))), (int(x1), int(round(y))), 255, max(1, int(round(t))))
    # the line's own pixels (a slanted line), but only those of accepted lines
    clean_h = cv2.bitwise_or(clean_h, cv2.bitwise_and(hmask, cv2.dilate(clean_h, np.ones((9, 3), np.uint8))))
    hmask = clean_h
    hv = cv2.bitwise_or(hmask, clean_v)
    # pieces of one table lie within a gap of each other (broken lines); the table's box is
    # that of its line pixels, not of the grouping blob
    k = max(p.group_gap_px, int(p.group_gap_chars * char_h))
    both = cv2.dilate(hv, np.ones((k, k), np.uint8))
    n, labels, _, _ = components(both)
    boxes: dict[int, list[int]] = {}
    ys_, xs_ = np.nonzero(hv)
    lab = labels[ys_, xs_]
    for i in np.unique(lab):
        sel = lab == i
        boxes[int(i)] = [int(xs_[sel].min()), int(ys_[sel].min()), int(xs_[sel].max()) + 1, int(ys_[sel].max()) + 1]
    grids: list[Grid] = []
    for x0b, y0b, x1b, y1b in _merge_adjacent(list(boxes.values()), char_h, W, p):
        x, y, w, h = x0b, y0b, x1b - x0b, y1b - y0b
        if w < W * p.min_table_width_frac or h < max(p.min_table_h_px, H * p.min_table_h_page_frac):
            continue
        region = (float(x), float(y), float(x + w), float(y + h))
        g = _grid_in_region(region, hsegs, vsegs, raw_ink, char_h, tol, p, seal, wall_cover)
        if g is not None:
            grids.append(g)
    if table_font:
        grids = [_redo_in_table_font(raw_ink, g, char_h, seal_mask, lay) for g in grids]
    grids.sort(key=lambda g: g.bbox[1])
    return grids


def _redo_in_table_font(ink: np.ndarray, g: Grid, page_char_h: float, seal_mask: np.ndarray | None,
                        lay: LayoutSettings) -> Grid:
    """A table set in a smaller font than the page's body text has thinner, shorter dashes
    than the page's character height lets count: find its grid again on its own crop with
    the table's character height."""
    x0, y0, x1, y1 = (int(round(v)) for v in g.bbox)
    p = lay.grid
    inner = remove_lines(ink[y0:y1, x0:x1], max(p.text_line_px, int(p.text_line_chars * page_char_h)))
    table_h = estimate_char_height(inner) if inner.size else page_char_h
    if table_h >= p.table_font_ratio * page_char_h:
        return g
    m = int(p.table_font_margin_chars * page_char_h)
    ox, oy = max(0, x0 - m), max(0, y0 - m)
    crop = ink[oy:y1 + m, ox:x1 + m]
    seal = seal_mask[oy:y1 + m, ox:x1 + m] if seal_mask is not None else None
    again = detect_grids(crop, lay, seal_mask=seal, char_h=table_h, table_font=False, glyph_h=page_char_h)
    if len(again) != 1 or again[0].n_rows < g.n_rows or again[0].n_rows * again[0].n_cols <= g.n_rows * g.n_cols:
        return g
    return _shifted(again[0], ox, oy)


def _shifted(g: Grid, dx: float, dy: float) -> Grid:
    """The grid moved by (dx, dy) pixels: from a crop's coordinates back to the page's."""
    box = lambda b: (b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy)  # noqa: E731
    return Grid(bbox=box(g.bbox), rows=[round(r + dy, 1) for r in g.rows], cols=[round(c + dx, 1) for c in g.cols],
                cells=[c.model_copy(update={"bbox": box(c.bbox)}) for c in g.cells], line_width=g.line_width)


def _wall_evidence(ink: np.ndarray, rows: list[float], cols: list[float], char_h: float, band: int,
                   line_width: float, horizontal: bool, p: GridSettings) -> np.ndarray:
    """Ink that can be a piece of a ruling line between the given boundaries: the crossing
    lines are cut out along their boundaries (so a wall's dash does not join the line it
    meets), then only components thin across the direction are kept. Glyphs are wide in
    both directions and drop out, so text in a merged cell never reads as a wall, while a
    wall broken into short dashes still does."""
    ev = ink.copy()
    if horizontal:
        for x in cols:
            xi = int(round(x))
            ev[:, max(0, xi - band - 1):xi + band + 2] = 0
    else:
        for y in rows:
            yi = int(round(y))
            ev[max(0, yi - band - 1):yi + band + 2, :] = 0
    n, labels, stats, _ = components(ev)
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    thin = max(p.evidence_thin_px, p.evidence_thin_lw * line_width + p.evidence_thin_pad_px)  # a glyph is wider than a ruling line
    length, across = (w, h) if horizontal else (h, w)
    min_len = max(p.evidence_min_px, int(p.evidence_min_chars * char_h))
    # a line piece touching a seal's rim or a glyph is part of a big component: keep those too,
    # then only their straight runs along the direction
    keep = ((across <= thin) & (length >= min_len)) | (np.maximum(w, h) >= p.evidence_big_chars * char_h)
    keep[0] = False
    ev = keep[labels].astype(np.uint8) * 255
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (min_len, 1) if horizontal else (1, min_len))
    return cv2.morphologyEx(ev, cv2.MORPH_OPEN, kernel)


def _grid_in_region(region, hsegs, vsegs, ink, char_h, tol, p: GridSettings, seal=None,
                    wall_cover: float = 0.3) -> Grid | None:
    rx0, ry0, rx1, ry1 = region
    e = p.region_slack_px
    inside_h = [s for s in hsegs if ry0 - e <= s[0] <= ry1 + e and s[1] >= rx0 - e and s[2] <= rx1 + e]
    inside_v = [s for s in vsegs if rx0 - e <= s[0] <= rx1 + e and s[1] >= ry0 - e and s[2] <= ry1 + e]
    rows = _cluster([(s[0], s[2] - s[1]) for s in inside_h], tol)
    cols = _cluster([(s[0], s[2] - s[1]) for s in inside_v], tol)
    # a table without side or top/bottom borders: its region edges are boundaries too
    border = tol * p.border_tol_factor
    if not cols or cols[0] - rx0 > border:
        cols.insert(0, rx0)
    if cols[-1] < rx1 - border:
        cols.append(rx1)
    if rows[0] - ry0 > border:
        rows.insert(0, ry0)
    if rows[-1] < ry1 - border:
        rows.append(ry1)
    if len(rows) < 2 or len(cols) < 2:
        return None
    # drop boundaries closer than the line width (double lines)
    rows = _dedupe(rows, tol * p.double_line_tol_factor)
    cols = _dedupe(cols, tol * p.double_line_tol_factor)
    nr, nc = len(rows) - 1, len(cols) - 1
    if nr < 1 or nc < 1 or (nr == 1 and nc == 1):
        return None
    lw = float(np.median([s[3] for s in inside_h])) if inside_h else 2.0
    band = int(max(2, round(lw / 2 + p.band_pad_px)))
    # evidence of each wall and line piece, on the region's crop only
    ox, oy = int(max(0, cols[0] - 2 * band)), int(max(0, rows[0] - 2 * band))
    crop = ink[oy:int(rows[-1] + 2 * band) + 1, ox:int(cols[-1] + 2 * band) + 1]
    # under a seal the line's ink went with the red, and what is left of the seal's rim is no
    # line: no evidence either way there, so a boundary seen elsewhere is taken to go on under
    # it (but a seal alone makes no boundary)
    under = seal[oy:oy + crop.shape[0], ox:ox + crop.shape[1]] if seal is not None else np.zeros_like(crop)
    crop = cv2.bitwise_and(crop, cv2.bitwise_not(under))
    rows_c, cols_c = [r - oy for r in rows], [c - ox for c in cols]
    vmask = _wall_evidence(crop, rows_c, cols_c, char_h, band, lw, False, p)
    hmask = _wall_evidence(crop, rows_c, cols_c, char_h, band, lw, True, p)

    def v_present(j: int, r: int, sealed: bool = True) -> bool:
        x = int(round(cols_c[j]))
        y0, y1 = int(rows_c[r] + band + 1), int(rows_c[r + 1] - band - 1)
        if y1 <= y0:
            return True
        xs = slice(max(0, x - band - 2), x + band + 3)
        on = vmask[y0:y1, xs].max(axis=1, initial=0) > 0
        if sealed:
            on |= under[y0:y1, xs].max(axis=1, initial=0) > 0
        return on.size > 0 and on.mean() >= wall_cover

    def h_present(i: int, c: int, sealed: bool = True) -> bool:
        y = int(round(rows_c[i]))
        x0, x1 = int(cols_c[c] + band + 1), int(cols_c[c + 1] - band - 1)
        if x1 <= x0:
            return True
        ys = slice(max(0, y - band - 2), y + band + 3)
        on = hmask[ys, x0:x1].max(axis=0, initial=0) > 0
        if sealed:
            on |= under[ys, x0:x1].max(axis=0, initial=0) > 0
        return on.size > 0 and on.mean() >= wall_cover

    reach = max(p.joined_reach_px, int(p.joined_reach_chars * char_h))

    def joined(i: int, j: int, vertical: bool) -> bool:
        """Unbroken ink runs out of the crossing of row line i and column line j, along the
        column (vertical) or the row: walls meet lines, a glyph stroke keeps off them."""
        y, x = int(round(rows_c[i])), int(round(cols_c[j]))
        if vertical:
            sides = [crop[y + band + 1:y + band + 1 + reach, max(0, x - band - 1):x + band + 2],
                     crop[max(0, y - band - reach):y - band, max(0, x - band - 1):x + band + 2]]
            return any(sd.shape[0] == reach and (sd.max(axis=1) > 0).all() for sd in sides)
        sides = [crop[max(0, y - band - 1):y + band + 2, x + band + 1:x + band + 1 + reach],
                 crop[max(0, y - band - 1):y + band + 2, max(0, x - band - reach):x - band]]
        return any(sd.shape[1] == reach and (sd.max(axis=0) > 0).all() for sd in sides)

    def rows_met(j: int) -> int:
        """Rows in which column line j is seen and meets a row line above or below."""
        return sum(1 for r in range(len(rows) - 1)
                   if v_present(j, r, False) and (joined(r, j, True) or joined(r + 1, j, True)))

    # a boundary with no line piece in any row/column, or that never meets a crossing line
    # beside the cells it is seen by, is strokes of text that lined up, not a ruling line
    while True:
        nr, nc = len(rows) - 1, len(cols) - 1
        seen_c = [nr] + [sum(v_present(j, r, False) for r in range(nr)) for j in range(1, nc)] + [nr]
        seen_r = [nc] + [sum(h_present(i, c, False) for c in range(nc)) for i in range(1, nr)] + [nc]
        dead_c = [j for j in range(1, nc) if _lone(seen_c[j], lambda: rows_met(j) > 0)
                  or _unjoined(seen_c[j], lambda: rows_met(j), p)]
        dead_r = [i for i in range(1, nr) if _lone(seen_r[i], lambda: any(joined(i, j, False) for j in range(nc + 1)))]
        if not dead_c:  # no cell is narrower than a character: of two such lines, the stronger stays
            dead_c = _too_close(cols, seen_c, p.min_col_chars * char_h)
        if not dead_r:
            dead_r = _too_close(rows, seen_r, p.min_row_chars * char_h)
        if not dead_c and not dead_r:
            break
        for j in reversed(dead_c):
            del cols[j], cols_c[j]
        for i in reversed(dead_r):
            del rows[i], rows_c[i]
    if nr < 1 or nc < 1 or (nr == 1 and nc == 1):
        return None
    wall = np.array([[v_present(j, r) if 0 < j < nc else True for j in range(nc + 1)] for r in range(nr)])
    line = np.array([[h_present(i, c) if 0 < i < nr else True for c in range(nc)] for i in range(nr + 1)])
    # a column whose wall was lost in every row: a clear vertical gap with text on both sides
    # in two rows or more, inside a wide column
    text = cv2.bitwise_and(crop, cv2.bitwise_not(cv2.bitwise_or(vmask, hmask)))
    n, labels, stats, _ = components(text)
    dots = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]) < p.dot_chars * char_h
    dots[0] = False  # what a faint lost wall leaves: dots, not glyphs
    text[dots[labels]] = 0
    for j, x, present in reversed(_gap_columns(text, rows_c, cols_c, char_h, band, p)):
        cols.insert(j + 1, x + ox)
        cols_c.insert(j + 1, x)
        wall = np.insert(wall, j + 1, present, axis=1)
        line = np.insert(line, j + 1, line[:, j], axis=1)
        nc += 1
    # cells as rectangles, in reading order: grow right while the wall is missing in every
    # row of the cell, then down while the line is missing under every column of it. A wall
    # missing in one row only merges that row's cells, never floods the grid.
    cells: list[GridCell] = []
    taken = np.zeros((nr, nc), bool)
    for r0 in range(nr):
        for c0 in range(nc):
            if taken[r0, c0]:
                continue
            c1 = c0
            while c1 + 1 < nc and not wall[r0, c1 + 1] and not taken[r0, c1 + 1]:
                c1 += 1
            r1 = r0
            while (r1 + 1 < nr and not line[r1 + 1, c0:c1 + 1].any() and not taken[r1 + 1, c0:c1 + 1].any()
                   and not wall[r1 + 1, c0 + 1:c1 + 1].any()):
                r1 += 1
            taken[r0:r1 + 1, c0:c1 + 1] = True
            cells.append(GridCell(row=r0, col=c0, rowspan=r1 - r0 + 1, colspan=c1 - c0 + 1,
                                  bbox=(cols[c0], rows[r0], cols[c1 + 1], rows[r1 + 1])))
    cells.sort(key=lambda c: (c.row, c.col))
    return Grid(bbox=(cols[0], rows[0], cols[-1], rows[-1]), rows=[round(r, 1) for r in rows],
                cols=[round(c, 1) for c in cols], cells=cells, line_width=round(lw, 1))


def _gap_columns(text: np.ndarray, rows: list[float], cols: list[float], char_h: float,
                 band: int, p: GridSettings) -> list[tuple[int, float, list[bool]]]:
    """Columns whose ruling line was lost in every row, found from the text: inside a column
    at least twice the typical width, an x where two rows or more hold two blocks of text
    with one clear gap between them, a character or more and much wider than any other gap
    in the row (two numbers, two header labels side by side in one cell). The wall is there
    in the rows with no text across x, missing where text runs across (a label merged over
    both columns).
    Returns (column index, x, wall present per row), left to right."""
    widths = np.diff(cols)
    if len(widths) < 2:
        return []
    typical = float(np.median(widths))
    min_gap = max(p.gap_min_px, int(round(p.gap_min_chars * char_h)))
    out: list[tuple[int, float, list[bool]]] = []
    for j in range(len(cols) - 1):
        if widths[j] < p.gap_col_typical * typical or widths[j] < p.gap_col_min_chars * char_h:
            continue
        x0, x1 = int(cols[j]) + band + 2, int(cols[j + 1]) - band - 1
        profiles: list[np.ndarray] = []
        for r in range(len(rows) - 1):
            y0, y1 = int(rows[r]) + band + 2, int(rows[r + 1]) - band - 1
            profiles.append(np.asarray((text[y0:y1, x0:x1] > 0).any(axis=0)) if y1 > y0 and x1 > x0 else np.zeros(0, bool))
        votes = np.zeros(max(0, x1 - x0), int)
        for prof in profiles:
            if prof.size == 0 or not prof.any():
                continue
            ink_at = np.flatnonzero(prof)
            steps = np.diff(ink_at)
            if steps.size == 0:
                continue
            # two blocks of text and one clear gap between them, much wider than any other
            # (a label's glyphs have many gaps of about the same size)
            g = int(steps.argmax())
            wide = steps[g]
            others = np.delete(steps, g)
            if wide < max(min_gap, p.gap_min_share * prof.size) or (others.size and others.max() > wide / p.gap_dominance):
                continue
            votes[ink_at[g] + 1:ink_at[g + 1]] += 1
        if votes.size == 0 or votes.max() < p.gap_min_rows:
            continue
        best = np.flatnonzero(votes == votes.max())
        # the middle of the widest run of best votes
        runs = np.split(best, np.flatnonzero(np.diff(best) > 1) + 1)
        run = max(runs, key=len)
        x = float(x0 + (run[0] + run[-1]) / 2.0)
        if x - cols[j] < p.gap_side_chars * char_h or cols[j + 1] - x < p.gap_side_chars * char_h:
            continue
        xi = int(round(x)) - x0
        present = [prof.size == 0 or not prof[max(0, xi - 1):xi + 2].any() for prof in profiles]
        out.append((j, x, present))
    return out


def _lone(sides_present: int, meets_a_line) -> bool:
    """A candidate boundary that is no ruling line: present beside no cell, or beside one cell
    only without meeting any crossing line there (strokes of text that happen to line up)."""
    return sides_present == 0 or (sides_present == 1 and not meets_a_line())


def _unjoined(sides_present: int, rows_met, p: GridSettings) -> bool:
    """A candidate wall that runs through its rows without meeting their row lines: strokes of
    digits lined up down a column of values (the "1"s and "0"s of a low-resolution scan, whose
    cells are two character heights high, so a digit covers most of its row), not a ruling
    line. A wall seen beside ``sides_present`` cells meets a row line above or below nearly
    every one of them (a fax breaks it at some crossings, not at all); ``rows_met`` (that count,
    taken only when needed) under ``wall_min_join_share`` of them, from ``wall_join_min_rows``
    rows on, is no wall: a glyph keeps a margin off the lines of its cell."""
    return sides_present >= p.wall_join_min_rows and rows_met() < p.wall_min_join_share * sides_present


def _too_close(bounds: list[float], seen: list[int], min_gap: float) -> list[int]:
    """Interior boundaries closer than ``min_gap`` to a neighbour with more evidence (a "1"
    beside a wall, a double line): the weaker of each close pair."""
    out: list[int] = []
    for k in range(len(bounds) - 1):
        if bounds[k + 1] - bounds[k] < min_gap:
            weak = k if seen[k] < seen[k + 1] else k + 1
            if 0 < weak < len(bounds) - 1 and weak not in out:
                out.append(weak)
    return sorted(out)


def _merge_adjacent(boxes: list[list[int]], char_h: float, page_w: int, p: GridSettings) -> list[list[int]]:
    """Join pieces of one table that a band erased across all its lines split apart: boxes
    side by side over the same rows, or one just under the other over the same columns, or
    a lone line a row above or below a table (its border, the row's walls all lost)."""
    boxes = [list(b) for b in boxes]
    merged = True
    while merged:
        merged = False
        for a in range(len(boxes)):
            for b in range(a + 1, len(boxes)):
                A, B = boxes[a], boxes[b]
                y_over = min(A[3], B[3]) - max(A[1], B[1])
                x_over = min(A[2], B[2]) - max(A[0], B[0])
                same_rows = y_over >= p.merge_same_rows * max(A[3] - A[1], B[3] - B[1])
                side = (y_over >= p.merge_side_overlap * min(A[3] - A[1], B[3] - B[1])
                        and -x_over <= max(p.merge_side_gap_chars * char_h, p.merge_side_gap_page_frac * page_w)
                        or same_rows and -x_over <= max(p.merge_same_rows_gap_chars * char_h,
                                                        p.merge_same_rows_gap_page_frac * page_w))
                stacked = (x_over >= p.merge_stacked_overlap * min(A[2] - A[0], B[2] - B[0])
                           and -y_over <= p.merge_stacked_gap_chars * char_h)
                # a lone ruling line as wide as a table, a row over or under it: the table's
                # top or bottom border where every wall of that row was lost
                flat = [Z for Z in (A, B) if Z[3] - Z[1] <= p.merge_flat_chars * char_h]
                border = (len(flat) == 1 and x_over >= p.merge_border_overlap * max(A[2] - A[0], B[2] - B[0])
                          and -y_over <= p.merge_border_gap_chars * char_h)
                if side or stacked or border:
                    boxes[a] = [min(A[0], B[0]), min(A[1], B[1]), max(A[2], B[2]), max(A[3], B[3])]
                    del boxes[b]
                    merged = True
                    break
            if merged:
                break
    return sorted(boxes, key=lambda b: (b[1], b[0]))


def _dedupe(vals: list[float], tol: float) -> list[float]:
    out: list[float] = []
    for v in sorted(vals):
        if out and v - out[-1] < tol:
            out[-1] = (out[-1] + v) / 2
        else:
            out.append(v)
    return out

"""Table structure from the words of a table region; ruling lines as evidence.

The ruling-line grid (``layout.grid``) is one reading of a table; a scan that kept only a
fraction of a hairline rule's darkness, or glyph strokes that line up like a wall, make it
wrong in ways its own evidence cannot see. The words of the region are a second reading that
does not depend on the rules at all: the text detector gives one box per run of text, and
numbers in different columns are different words. This module builds that second reading in
named stages, each kept on a ``TableStructure`` (as pdfplumber's ``TableFinder`` keeps
``.edges/.intersections/.cells``) so ``nianbao debug --stage`` can draw it:

0. regions (``table_regions``): each line grid's box, each ruled frame no grid came from,
   each stack of long rules of one right end; rules however faint (``faint_rules``: the page
   smoothed along each direction, thin long runs only). A region whose line grid is not
   trusted grows along its rules between its own borders (``grow_region``). Then the tables no
   rule shows at all (``word_regions``): runs of word lines that share their columns; of the
   vertical rules, those whose ink shows between the region's words too (``printed_vrules``:
   the strokes of a column of stacked digits smear into "rules" under the smoothing);
1. ``words``: the detector's word boxes inside the region (page pixels), found once on the
   whole page without its rules (``words_in``; ``find_words`` runs it on one region's crop);
2. ``lines``: words grouped into text lines (y bands);
3. ``columns``: column boundaries where, across the lines, no word covers x, or spanning
   headers only and more lines flank the gap than cross it; on the line with the most words
   (a row of values) two neighbouring words are two columns; each boundary moved onto a
   rule, however faint, inside its gap;
4. ``label_columns``: how many leading columns hold labels, from the template's value
   column counts (the only table sizes a report can print); a word standing over several
   lines (a group label in vertical text) gets a label column of its own;
5. ``rows``: one row per line holding words in value columns (a band above the first one
   with no word in it, a header the detector did not find, a row of its own:
   ``unread_header_bound``); between two such lines the
   boundary goes onto a rule through no value (a box reaching past a rule by no more than
   the detector's padding ends at it), else in the widest gap between word lines; no row
   thinner than half a character (overlapping lines are one row);
6. ``word_grid``: the cells, merged where a word crosses a boundary (spanning headers,
   labels over several rows);
7. ``faults`` of the ruling-line grid, read against the value words: walls through words
   (glyph strokes taken for walls), cells holding words of several word cells (lost walls),
   words outside it; of the word grid also a printed value column count no template has.
   A grid with faults is not trusted;
8. ``chosen``/``placement``/``disputed``: the grid the page is read with, and how sure the
   placement is: both readings agreeing is evidence (the line grid, placement 1), the line
   grid contradicted leaves the word grid (0.9), value cells the two place differently or no
   reading free of faults get 0.7 and a reason.

Everything is plain data in page pixels; thresholds come from ``StructureSettings``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
import logging
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import cv2
import numpy as np

from nianbao.layout.grid import Grid, GridCell
from nianbao.layout.image import components
from nianbao.layout.text import ink_row_runs
from nianbao.layout.walls import Wall, snap_to_walls
from nianbao.settings import StructureSettings
from nianbao.wording import Fault
from nianbao.models import BBox as Box  # (x0, y0, x1, y1) in page pixels: one definition, in the schema
log = logging.getLogger(__name__)
WordDetector = Callable[[np.ndarray], list[Box]]
Rule = tuple[float, float, float]  # (position across, start, end): y, x0, x1 of a horizontal rule; x, y0, y1 of a vertical one


@dataclass
class TableStructure:
    """Every stage of reading one table region's structure, kept for inspection and drawing."""

    region: Box
    char_h: float
    source: str = "rules"  # what found the region: "rules" (a line grid, a ruled frame, a stack of rules) | "words"
    words: list[Box] = field(default_factory=list)
    lines: list[tuple[float, float]] = field(default_factory=list)  # y band of each word line
    line_of_word: list[int] = field(default_factory=list)
    columns: list[float] = field(default_factory=list)  # x boundaries, left to right (outer ones included)
    label_columns: int = 0
    value_lines: list[int] = field(default_factory=list)  # word lines holding words in value columns
    rows: list[float] = field(default_factory=list)  # y boundaries, top to bottom (outer ones included)
    word_grid: Grid | None = None
    line_grid: Grid | None = None
    faults: list[Fault] = field(default_factory=list)  # why the ruling-line grid is not trusted
    word_faults: list[Fault] = field(default_factory=list)  # why the word grid is not trusted
    chosen: str = "lines"  # "lines" | "words" | "none"
    placement: float = 1.0  # placement confidence of every cell read with the chosen grid
    disputed: set[tuple[int, int]] = field(default_factory=set)  # chosen-grid cells the other reading places otherwise
    notes: list[str] = field(default_factory=list)
    walls: list[Wall] = field(default_factory=list)  # walls told from the ink between the text lines (``layout.walls``)

    @property
    def grid(self) -> Grid | None:
        """The grid the page is read with."""
        if self.chosen == "words":
            return self.word_grid
        if self.chosen == "lines":
            return self.line_grid
        return None

    @property
    def n_value_columns(self) -> int:
        return max(0, len(self.columns) - 1 - self.label_columns)


# --------------------------------------------------------------------------- regions
def faint_rules(gray: np.ndarray, char_h: float, offset: float, min_len: int, min_v_len: int | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical rules however faint, as masks. The page is first averaged along
    each direction over two character heights: a hairline rule a scan left at a fraction of
    its darkness keeps its darkness along itself while the scan's noise averages out; then a
    pixel darker than its neighbourhood by ``offset`` grey levels is ink, long straight runs of
    it (``min_len``; ``min_v_len`` for vertical ones: a column of characters smeared downwards
    makes short vertical runs) at most a third of a character thick are rules (text smears
    thicker). The smoothing lengthens a rule by up to a character at each end."""
    k = max(3, int(2 * char_h))
    block = max(3, int(char_h) | 1)
    thin = max(2.0, 0.3 * char_h)
    out = []
    for horizontal in (True, False):
        smooth = cv2.blur(gray, (k, 1) if horizontal else (1, k))
        dark = cv2.adaptiveThreshold(smooth, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, offset)
        length = min_len if horizontal else (min_v_len or min_len)
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1) if horizontal else (1, length))
        runs = cv2.morphologyEx(dark, cv2.MORPH_OPEN, kernel)
        # what is thicker than a rule (smeared text, a shaded band) goes, even where a rule runs into it
        t = int(thin) + 1
        thick = cv2.morphologyEx(runs, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, t) if horizontal else (t, 1)))
        out.append(cv2.morphologyEx(cv2.subtract(runs, thick), cv2.MORPH_OPEN, kernel))
    return out[0], out[1]


def grid_walls(grid: Grid) -> list[Rule]:
    """The walls of a line grid where it has them: (x, y0, y1) of each run of rows in which the
    cells either side of a column boundary differ (the outer walls from top to bottom). A
    boundary the grid keeps for a few rows only (glyph strokes of a column of digits that a
    fax's toner joined into a piece of "wall": spent mix2045 word fax report 021, a boundary
    through the application matrix's 商业企业 column in 3 rows of 25) is no wall in the other
    rows, where the grid merges the cells across it."""
    out: list[Rule] = [(grid.cols[0], grid.rows[0], grid.rows[-1])]
    for j in range(1, grid.n_cols):
        start = None
        for r in range(grid.n_rows + 1):
            wall = r < grid.n_rows and grid.cell_at(r, j - 1) is not grid.cell_at(r, j)
            if wall and start is None:
                start = r
            elif not wall and start is not None:
                out.append((grid.cols[j], grid.rows[start], grid.rows[r]))
                start = None
    out.append((grid.cols[-1], grid.rows[0], grid.rows[-1]))
    return out


def printed_vrules(vrules: Sequence[Rule], words: Sequence[Box], gray: np.ndarray, char_h: float,
                   p: StructureSettings, line_grid: Grid | None = None) -> list[Rule]:
    """Stage 0b: the vertical rules of a region that are printed, not the strokes of a column of
    characters lined up. ``faint_rules`` smooths the page along each direction over two
    character heights, so the left and right strokes of a column of digits stacked row under
    row ("0" over "0" over "0": a hairline table whose walls a scan lost keeps nothing else in
    its columns) smear into two long dark runs a stroke apart, which it takes for rules: they
    pull the column boundaries into the middle of a column and cut its numbers' boxes into
    slivers. A printed rule runs through the paper between the words as well; a stroke stops
    with its glyph. So a rule is kept when, on the rows of its length that no word over it
    covers (at least ``rule_blank_min_chars`` character heights of them, else it is kept for
    want of evidence), its column is on most (the median) ``faint_ink_offset`` grey levels darker than
    the paper ``rule_side_chars`` character heights to either side (the darkness
    ``faint_rules`` asks of a rule, read without its smoothing). A rule on a wall of the
    region's ``line_grid``, in the rows where the grid has that wall (``grid_walls``), is kept:
    the grid found that wall as a long straight run of ink (a
    rule over spanned cells, or with numbers set against it on most rows, has few clear rows
    that show it: seed-2027 Chromium report 011's sub-tables)."""
    H, W = gray.shape[:2]
    walls = grid_walls(line_grid) if line_grid is not None else []
    on_wall = (line_grid.line_width / 2 + 2.0) if line_grid is not None else 0.0
    d = max(2, int(round(p.rule_side_chars * char_h)))
    need = max(2, int(p.rule_blank_min_chars * char_h))
    # the words' x reach and rows, as arrays: the words over a rule are looked up at once (a
    # scanapp page's regions hold a thousand rules and hundreds of words each)
    wb = np.asarray(words, np.float64).reshape(-1, 4)
    w_left, w_right = wb[:, 0] - 1, wb[:, 2] + 1
    w_top, w_bottom = wb[:, 1].astype(np.int64), np.ceil(wb[:, 3]).astype(np.int64)
    out = []
    for rule in vrules:
        x, y0, y1 = int(round(rule[0])), max(0, int(rule[1])), min(H, int(np.ceil(rule[2])))
        mid = (rule[1] + rule[2]) / 2  # on a wall where the grid has it (``grid_walls``)
        if any(abs(rule[0] - c) <= on_wall and a <= mid <= b for c, a, b in walls) \
                or y1 - y0 < need or x - d - 1 < 0 or x + d + 2 > W:
            out.append(rule)
            continue
        clear = np.ones(y1 - y0, bool)
        for k in np.flatnonzero((w_left <= x) & (x <= w_right)):
            a, b = max(y0, int(w_top[k])), min(y1, int(w_bottom[k]))
            if b > a:
                clear[a - y0:b - y0] = False
        rows = np.flatnonzero(clear) + y0
        if rows.size < need:
            out.append(rule)
            continue
        dark = 255.0 - gray[rows, x - d - 1:x + d + 2].astype(np.float32)
        centre = d + 1
        # per clear row, the rule's column against the paper either side of it, at the one of
        # the three columns about the rule's centre that is darkest on average (the smoothing
        # blurs its position by a pixel); the median over the rows: a rule is dark on nearly
        # every one, a glyph a word box missed only on its own few
        ridges = [dark[:, centre + k] - np.maximum(dark[:, centre + k - d], dark[:, centre + k + d]) for k in (-1, 0, 1)]
        best = max(ridges, key=_float32_mean)
        if _float32_median(best) >= p.faint_ink_offset:
            out.append(rule)
    return out


def _float32_mean(a: np.ndarray) -> float:
    """``float(a.mean())`` of a 1-D float32 array, as numpy computes it (the float32 pairwise
    sum divided by the count in float32), without ``np.mean``'s checks: ``printed_vrules``
    asks it three times for each of a page's thousands of rules."""
    return float(a.sum() / a.size)


def _float32_median(a: np.ndarray) -> float:
    """``float(np.median(a))`` of a 1-D float32 array without NaN (the middle order statistic,
    or the float32 mean of the middle two), from one partition."""
    n = a.size
    h = n // 2
    if n % 2:
        return float(np.partition(a, h)[h])
    part = np.partition(a, (h - 1, h))
    return float(part[h - 1:h + 1].sum() / 2)


def table_regions(h: np.ndarray, v: np.ndarray, char_h: float, grids: Sequence[Grid], min_width_frac: float = 0.3,
                  max_row_chars: float = 8.0) -> tuple[list[Box], list[Rule], list[Rule]]:
    """Table regions of a page, its horizontal and its vertical rules (``h``/``v``: rule masks,
    see ``faint_rules``). One region per line grid (in the grids' order), then one per ruled
    frame no grid came from (a table whose inner rules a scan lost keeps its thicker outer
    border, but the line grid needs inner walls to be a grid at all), then one per stack of
    long horizontal rules of one width a row apart (a table whose every rule a scan left at a
    fraction of its darkness keeps its long rules best)."""
    H, W = h.shape[:2]
    regions: list[Box] = [g.bbox for g in grids]
    n, _, stats, _ = components(h)
    # (a rule's ends come back by a character: ``faint_rules`` smoothing lengthened it)
    hrules = [(float(stats[i, 1] + stats[i, 3] / 2), float(stats[i, 0]) + char_h, float(stats[i, 0] + stats[i, 2]) - char_h)
              for i in range(1, n) if stats[i, 2] > 2 * char_h]
    frame = cv2.dilate(cv2.bitwise_or(h, v), np.ones((5, 5), np.uint8))
    n, _, stats, _ = components(frame)
    for i in range(1, n):
        x, y, w, hh, _ = stats[i]
        if w < min_width_frac * W or hh < 2.5 * char_h:
            continue
        box = (float(x), float(y), float(x + w), float(y + hh))
        cols = np.asarray(v[y:y + hh, x:x + w].any(axis=0))
        edge = max(3, int(1.5 * char_h))  # the smoothing lengthened the frame's rules by up to a character
        if not (cols[:edge].any() and cols[-edge:].any()):
            continue  # closed on both sides: vertical ink near both ends
        # the frame's own rows: runs of its rules across, a row apart, that no region holds yet
        # (text beside a table smeared into its rules joins it to them, not to the table)
        across = [r for r in hrules if box[1] <= r[0] <= box[3] and r[2] - r[1] >= 0.6 * w
                  and not any(g[1] - char_h <= r[0] <= g[3] + char_h and min(g[2], r[2]) > max(g[0], r[1]) for g in regions)]
        for stack in _rule_stacks(across, char_h, 0.6 * w, 2 * max_row_chars, min_rules=2, taken=regions):  # a header may be tall
            regions.append((box[0], stack[1], box[2], stack[3]))
    free = [r for r in hrules if not any(g[1] - char_h <= r[0] <= g[3] + char_h and min(g[2], r[2]) > max(g[0], r[1])
                                         for g in regions)]  # rules of a table found already are its own
    regions.extend(_rule_stacks(free, char_h, min_width_frac * W, max_row_chars, taken=regions))
    n, _, stats, _ = components(v)
    vrules = [(float(stats[i, 0] + stats[i, 2] / 2), float(stats[i, 1]) + char_h, float(stats[i, 1] + stats[i, 3]) - char_h)
              for i in range(1, n) if stats[i, 3] > 2 * char_h]
    return regions, hrules, vrules


def _rule_stacks(hrules: Sequence[Rule], char_h: float, min_width: float, max_row_chars: float,
                 min_rules: int = 3, taken: Sequence[Box] = ()) -> list[Box]:
    """Boxes of ``min_rules`` or more long horizontal rules with the same right end (± two
    characters; the left ends step in under group labels), each at most a row height
    (``max_row_chars`` characters) below the last, and no ``taken`` region (a table found
    already) between the two: the edges of the text lines over and under a table, smeared
    into rules, are no rows of a second table around it."""
    long = sorted((r for r in hrules if r[2] - r[1] >= min_width), key=lambda r: r[0])
    stacks: list[list[Rule]] = []

    def between(a: Rule, b: Rule) -> bool:
        return any(a[0] <= (t[1] + t[3]) / 2 <= b[0] and min(t[2], a[2], b[2]) > max(t[0], a[1], b[1]) for t in taken)

    for r in long:
        for st in stacks:
            last = st[-1]
            if abs(r[2] - last[2]) <= 2 * char_h and r[0] - last[0] <= max_row_chars * char_h and not between(last, r):
                st.append(r)
                break
        else:
            stacks.append([r])
    return [(min(r[1] for r in st), st[0][0], max(r[2] for r in st), st[-1][0]) for st in stacks if len(st) >= min_rules]


def grow_region(region: Box, hrules: Sequence[Rule], vrules: Sequence[Rule], char_h: float, keep_out: Sequence[Box],
                max_row_chars: float) -> Box:
    """A region reaching on along horizontal rules of its own width (same right end, at least
    half its width), one row height (``max_row_chars`` character heights) at a time, never into
    a ``keep_out`` region (a table read with trust): a table whose walls were lost in a band of
    rows comes as line grids above and below the band, and the band is the table's too."""
    x0, y0, x1, y1 = region
    width = x1 - x0
    own = sorted(y for y, a, b in hrules if abs(b - x1) <= 2 * char_h and a >= x0 - 2 * char_h and b - a >= 0.5 * width)
    across = [o for o in keep_out if min(o[2], x1) - max(o[0], x0) > 0.5 * width]
    below = min([o[1] for o in across if o[1] >= y1 - char_h] or [float("inf")])
    above = max([o[3] for o in across if o[3] <= y0 + char_h] or [float("-inf")])
    step = max_row_chars * char_h

    def bordered(a: float, b: float) -> bool:
        """The table's own left and right borders run on over [a, b] (a heading between two
        tables has none)."""
        def covered(x: float) -> bool:
            return sum(max(0.0, min(e, b) - max(s, a)) for pos, s, e in vrules if abs(pos - x) <= char_h) >= 0.8 * (b - a)
        return covered(x0) and covered(x1)

    for y in own:
        if y1 < y <= y1 + step and y < below and bordered(y1, y):
            y1 = y
    for y in reversed(own):
        if y0 - step <= y < y0 and y > above and bordered(y, y0):
            y0 = y
    return (x0, y0, x1, y1)


def word_regions(words: Sequence[Box], char_h: float, taken: Sequence[Box], p: StructureSettings) -> list[Box]:
    """Stage 0b: table regions from the page's words alone, for a table whose every rule a scan
    lost (border included; no region of ``table_regions`` holds it). Prose comes out of the
    detector as one word per line (no gaps between characters); the rows of a table as several
    words a column gap apart (a label, then values), and the rows below one another share their
    columns. So a region is a run of lines, each at most ``region_max_gap_chars`` below the
    last, with ``region_min_lines`` or more row lines (two words or more, ``region_min_aligned``
    of them under exactly one run of words of the row line before), one of them of ``region_min_line_words``; a
    word wider than ``region_prose_frac`` of the page's text ends a run. Above the first row,
    the header lines: lines of two words or more, or one word set right of the labels' edge
    (a spanning column header, not a heading). Words inside a ``taken`` region (found by its
    rules) are left out; the region is read like any other (``read_structure``), which refuses
    what has no value columns."""
    free = [w for w in words if not any(_overlap(w, t) >= 0.5 * _area(w) for t in taken)]
    if len(free) < p.region_min_line_words * p.region_min_lines:
        return []
    lines, line_of = group_lines(free, p.line_overlap)
    members: list[list[Box]] = [[] for _ in lines]
    for i, k in enumerate(line_of):
        members[k].append(free[i])
    for m in members:
        m.sort(key=lambda w: w[0])
    text_w = max(w[2] for w in free) - min(w[0] for w in free)
    top = [min(w[1] for w in m) for m in members]
    bottom = [max(w[3] for w in m) for m in members]
    prose = [any(w[2] - w[0] > p.region_prose_frac * text_w for w in m) for m in members]
    gap = p.region_max_gap_chars * char_h

    def aligned(a: int, b: int) -> int:
        """Words of line ``b`` under exactly one run of line ``a`` (its words' x ranges, the
        overlapping ones joined: the detector may box a wrapped label twice): a value under its
        column (or under a header spanning several), not a run of prose across columns."""
        runs: list[list[float]] = []
        for v in members[a]:  # sorted by x0
            if runs and v[0] < runs[-1][1]:
                runs[-1][1] = max(runs[-1][1], v[2])
            else:
                runs.append([v[0], v[2]])
        return sum(1 for w in members[b] if sum(1 for r in runs if min(w[2], r[1]) - max(w[0], r[0]) > 0) == 1)

    # runs of lines close below one another, no prose among them
    runs: list[list[int]] = []
    for k in range(len(lines)):
        if prose[k]:
            continue
        if runs and runs[-1][-1] == k - 1 and top[k] - bottom[k - 1] <= gap:
            runs[-1].append(k)
        else:
            runs.append([k])
    pad = p.region_pad_chars * char_h
    out: list[Box] = []
    for run in runs:
        # row lines, split where a row shares too few columns with the row above it
        blocks: list[list[int]] = []
        for k in run:
            if len(members[k]) < 2:
                continue
            if blocks and aligned(blocks[-1][-1], k) >= p.region_min_aligned:
                blocks[-1].append(k)
            else:
                blocks.append([k])
        start = run[0]
        for rows in blocks:
            first, last = rows[0], rows[-1]
            if len(rows) < p.region_min_lines or max(len(members[k]) for k in rows) < p.region_min_line_words:
                start = last + 1
                continue
            left = min(w[0] for k in rows for w in members[k])
            head = first
            while head - 1 >= start and (len(members[head - 1]) >= 2 or
                                         members[head - 1][0][0] > left + p.region_header_indent_chars * char_h):
                head -= 1
            ws = [w for k in range(head, last + 1) for w in members[k]]
            x0, y0 = min(w[0] for w in ws) - pad, min(w[1] for w in ws) - pad
            x1, y1 = max(w[2] for w in ws) + pad, max(w[3] for w in ws) + pad
            for t in taken:  # the padding stops at a region above or below: no row is read twice
                if min(x1, t[2]) > max(x0, t[0]):
                    if t[1] <= y0 < t[3]:
                        y0 = t[3]
                    if t[1] < y1 <= t[3]:
                        y1 = t[1]
            if y1 > y0:
                out.append((x0, y0, x1, y1))
            start = last + 1
    return out


def trim_prose(region: Box, words: Sequence[Box], p: StructureSettings) -> Box:
    """A region of rules however faint and no line grid (a stack of long rules, a frame) may
    take in the paragraph over or under its table (text lines smeared into rules): its lines of
    prose at its top or bottom edge (a word wider than ``region_prose_frac`` of the page's text
    width, ``words`` being the page's) are left out. A region of prose only is left as it is
    (``read_structure`` refuses it)."""
    inside = words_in(words, region)
    if not inside:
        return region
    text_w = max(w[2] for w in words) - min(w[0] for w in words)
    lines, line_of = group_lines(inside, p.line_overlap)
    prose = [False] * len(lines)
    count = [0] * len(lines)
    top = [float("inf")] * len(lines)
    bottom = [float("-inf")] * len(lines)
    for i, w in enumerate(inside):
        k = line_of[i]
        prose[k] = prose[k] or w[2] - w[0] > p.region_prose_frac * text_w
        count[k] += 1
        top[k], bottom[k] = min(top[k], w[1]), max(bottom[k], w[3])
    # the table's rows: lines of two words or more, no prose among them; the paragraph's short
    # last line ("网。") goes with the prose above it
    rows = [k for k in range(len(lines)) if count[k] >= 2 and not prose[k]]
    if not rows:
        return region
    above = [k for k in range(rows[0]) if prose[k]]
    below = [k for k in range(rows[-1] + 1, len(lines)) if prose[k]]
    y0 = max(region[1], (bottom[above[-1]] + top[above[-1] + 1]) / 2) if above else region[1]
    y1 = min(region[3], (bottom[below[0] - 1] + top[below[0]]) / 2) if below else region[3]
    return (region[0], y0, region[2], y1)


def prose_edge_rows(grid: Grid, words: Sequence[Box], p: StructureSettings) -> tuple[int, int]:
    """How many of a line grid's top and bottom rows are a paragraph of the page, not rows of
    its table: a row that is one cell across the whole grid, holding lines of prose only (each
    with a word wider than ``region_prose_frac`` of the page's text width, ``words`` being the
    page's). A fax's toner spread joins the tops of a text line's characters into a short
    "rule" that the grid takes for its top line, and the paragraph over the table becomes its
    first row (spent mix2045 word fax report 021: five lines of prose in the application
    matrix's region, and the column boundaries the word reading found through them). A row of
    the table is never one cell holding nothing but prose: a title row inside the frame holds
    a short heading, a table row a label and values. Returns (top rows, bottom rows) to leave
    out; (0, 0) when every row would go."""
    if not words or grid.n_rows < 2:
        return 0, 0
    text_w = max(w[2] for w in words) - min(w[0] for w in words)

    def prose_row(r: int) -> bool:
        cell = grid.cell_at(r, 0)
        if cell is None or cell.colspan != grid.n_cols or cell.rowspan != 1:
            return False
        inside = words_in(words, (grid.cols[0], grid.rows[r], grid.cols[-1], grid.rows[r + 1]))
        if not inside:
            return False
        lines, line_of = group_lines(inside, p.line_overlap)
        prose = [False] * len(lines)
        count = [0] * len(lines)
        for i, w in enumerate(inside):
            prose[line_of[i]] = prose[line_of[i]] or w[2] - w[0] > p.region_prose_frac * text_w
            count[line_of[i]] += 1
        # a paragraph's short last line ("网。") or a heading between paragraphs is one word
        return any(prose) and all(pr or n == 1 for pr, n in zip(prose, count))

    top = 0
    while top < grid.n_rows and prose_row(top):
        top += 1
    bottom = 0
    while bottom < grid.n_rows - top and prose_row(grid.n_rows - 1 - bottom):
        bottom += 1
    if top + bottom >= grid.n_rows:
        return 0, 0
    return top, bottom


def without_edge_rows(grid: Grid, top: int, bottom: int) -> Grid:
    """``grid`` less its first ``top`` and last ``bottom`` rows (rows of one cell each, as
    ``prose_edge_rows`` finds them), its cells renumbered."""
    last = grid.n_rows - bottom
    rows = grid.rows[top:last + 1]
    cells = [c.model_copy(update={"row": c.row - top}) for c in grid.cells if c.row >= top and c.row + c.rowspan <= last]
    return grid.model_copy(update={"bbox": (grid.cols[0], rows[0], grid.cols[-1], rows[-1]), "rows": rows, "cells": cells})


def stretch_contrast(crop: np.ndarray, char_h: float, percentile: float, floor: float) -> np.ndarray:
    """A grey crop with its ink's contrast stretched, for the word detector: each pixel's
    darkness against the paper around it (a grey closing two characters wide: the paper,
    shading and all, without the text) scaled so that the ``percentile``-th percentile of the
    crop's darkness (at least ``floor`` grey levels) is black. Text a scan left a few grey levels
    deep (a light-grey header on a shaded band) comes out as dark as the rest; ink already dark
    stays black; the paper, shading included, goes white."""
    if crop.ndim == 3:
        crop = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    if crop.size == 0:
        return crop
    k = max(3, int(2 * char_h) | 1)
    paper = cv2.morphologyEx(crop, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    dark = cv2.subtract(paper, crop).astype(np.float32)
    top = max(float(floor), float(np.percentile(dark, percentile)))
    return (255.0 - np.clip(dark * (255.0 / top), 0.0, 255.0)).astype(np.uint8)


def words_in(words: Sequence[Box], region: Box, inside: float = 0.8) -> list[Box]:
    """Stage 1 from the page's words: those lying (``inside`` of their area) in the region; a
    heading or a caption that touches the region is no cell's text."""
    return [w for w in words if _overlap(w, region) >= inside * _area(w)]


def _area(b: Box) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def _overlap(a: Box, b: Box) -> float:
    return _area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


# --------------------------------------------------------------------------- stages
def find_words(image: np.ndarray, region: Box, detect: WordDetector, pad: int = 4, inside: float = 0.8,
               shrink: float = 0.0) -> list[Box]:
    """Stage 1: word boxes of the region (page pixels), from a detector run on its crop."""
    H, W = image.shape[:2]
    x0, y0 = max(0, int(region[0]) - pad), max(0, int(region[1]) - pad)
    x1, y1 = min(W, int(np.ceil(region[2])) + pad), min(H, int(np.ceil(region[3])) + pad)
    crop = image[y0:y1, x0:x1]
    if crop.size == 0:
        return []
    out = []
    for b in detect(crop):
        # the detector pads its boxes (PP-OCR's unclip) by about a fifth of their height: back to the ink
        pad_in = shrink * (b[3] - b[1])
        bx = (b[0] + x0 + pad_in, b[1] + y0 + pad_in, b[2] + x0 - pad_in, b[3] + y0 - pad_in)
        if bx[2] <= bx[0] or bx[3] <= bx[1]:
            continue
        # whole words only: a heading or a caption that touches the region is no cell's text
        if _overlap(bx, region) >= inside * _area(bx):
            out.append(bx)
    return out


def group_lines(words: Sequence[Box], overlap: float) -> tuple[list[tuple[float, float]], list[int]]:
    """Stage 2: words into text lines: a word joins the line it overlaps vertically by at
    least ``overlap`` of the shorter height. Lines top to bottom."""
    order = sorted(range(len(words)), key=lambda i: (words[i][1] + words[i][3]) / 2)
    bands: list[list[float]] = []
    members: list[list[int]] = []
    for i in order:
        b = words[i]
        best, best_ov = None, 0.0
        for k, (y0, y1) in enumerate(bands):
            ov = min(y1, b[3]) - max(y0, b[1])
            need = overlap * min(y1 - y0, b[3] - b[1])
            if ov >= need and ov > best_ov:
                best, best_ov = k, ov
        if best is None:
            bands.append([b[1], b[3]])
            members.append([i])
        else:
            members[best].append(i)
            # the band stays the line's core: the median word's extent, not the union
            ys0 = sorted(words[j][1] for j in members[best])
            ys1 = sorted(words[j][3] for j in members[best])
            bands[best] = [ys0[len(ys0) // 2], ys1[len(ys1) // 2]]
    idx = sorted(range(len(bands)), key=lambda k: bands[k][0])
    line_of = [0] * len(words)
    for new, k in enumerate(idx):
        for i in members[k]:
            line_of[i] = new
    return [(bands[k][0], bands[k][1]) for k in idx], line_of


def rule_in(rules: Sequence[Rule], lo: float, hi: float, span: tuple[float, float], min_cover: float) -> float | None:
    """Position of the longest rule lying in [lo, hi] that covers at least ``min_cover`` of
    ``span`` (the region's extent along the rule), or None."""
    best, best_len = None, 0.0
    for pos, a, b in rules:
        if lo <= pos <= hi:
            cover = min(b, span[1]) - max(a, span[0])
            if cover >= min_cover * (span[1] - span[0]) and cover > best_len:
                best, best_len = pos, cover
    return best


def find_columns(words: Sequence[Box], line_of: Sequence[int], n_lines: int, region: Box, char_h: float,
                 vrules: Sequence[Rule], p: StructureSettings) -> list[float]:
    """Stage 3: column boundaries. x is a gap where at most ``column_cross_frac`` of the lines
    have a word over it (spanning headers cross a few); a boundary goes in the least-covered
    part of each gap between words, onto a ruling line however faint when there is one, and
    a column needs words in ``min_column_lines`` lines of its own."""
    x0, x1 = int(region[0]), int(np.ceil(region[2]))
    width = x1 - x0
    if width <= 0 or not words:
        return [region[0], region[2]]
    cover = np.zeros(width, np.int32)
    per_line: dict[int, np.ndarray] = {}
    for i, b in enumerate(words):
        m = per_line.setdefault(line_of[i], np.zeros(width, bool))
        m[max(0, int(b[0]) - x0):max(0, int(np.ceil(b[2])) - x0)] = True
    for m in per_line.values():
        cover += m
    tol = max(1, int(p.column_cross_frac * n_lines))
    # a short table (the review matrix: a header of three levels over one row of values) has
    # spanning headers on a third of its lines: a gap they cross still counts when at least
    # more lines have words on both sides of it right beside it than cross it
    cap = max(tol, int(p.header_cross_frac * n_lines))
    first = max(0, int(min(b[0] for b in words)) - x0)
    last = min(width, int(max(b[2] for b in words)) - x0)
    bounds = [float(region[0])]
    x = first
    low = cover <= cap
    while x < last:
        if not low[x]:
            x += 1
            continue
        s = x
        while x < last and low[x]:
            x += 1
        if x >= last:
            break
        found = _least_covered_stretch(cover[s:x], p.min_gap_chars * char_h)
        if found is None:
            continue
        floor, best_s, best_e = found
        if floor > tol and floor >= _flanking_lines(words, line_of, x0 + s + best_s, x0 + s + best_e):
            continue
        pos = (best_s + best_e) / 2.0 + s
        # a wall, however faint, in the gap is where the boundary is
        rule = rule_in(vrules, x0 + s, x0 + x, (region[1], region[3]), p.min_rule_cover)
        if rule is not None:
            pos = rule - x0
        bounds.append(x0 + pos)
    bounds.append(float(region[2]))
    bounds = _drop_thin_columns(bounds, words, line_of, p.min_column_lines)
    return _fullest_line_columns(bounds, words, line_of, region, vrules, p)


def _least_covered_stretch(run: np.ndarray, min_width: float) -> tuple[int, int, int] | None:
    """The least-covered stretch of a gap at least ``min_width`` wide: (cover, start, end) of
    the widest run of x at the lowest cover level that has one that wide, None when none has.
    The lowest level alone may be a sliver: two header words that all but touch over the gap
    (a fax's 商业|科研) leave one line fewer over a few pixels than over the rest of it, and a
    sliver is no place for a boundary while the gap beside it, one line more, is."""
    for level in np.unique(run):
        start, end = max(ink_row_runs(run <= level), key=lambda r: r[1] - r[0])  # the first widest
        if end - start >= min_width:
            return int(level), start, end - 1
    return None


def _fullest_line_columns(bounds: list[float], words: Sequence[Box], line_of: Sequence[int], region: Box,
                          vrules: Sequence[Rule], p: StructureSettings) -> list[float]:
    """Numbers in different columns are different words: on the line with the most words (a
    row of values), two neighbouring words with no boundary between them are two columns (the
    review matrix: fifteen values under a header of three levels that crosses every gap)."""
    by_line: dict[int, list[Box]] = {}
    for i, w in enumerate(words):
        by_line.setdefault(line_of[i], []).append(w)
    if not by_line:
        return bounds
    # (max apart from sorted: mypy infers max's type from sorted's parameter and rejects len)
    fullest_line = max(by_line.values(), key=len)
    fullest = sorted(fullest_line, key=lambda w: w[0])
    if len(fullest) <= len(bounds) - 1:
        return bounds
    out = list(bounds)
    for a, b in zip(fullest, fullest[1:]):
        # a boundary already between the two words' centres separates them (it may graze a word)
        if b[0] <= a[2] or any((a[0] + a[2]) / 2 < x < (b[0] + b[2]) / 2 for x in out):
            continue
        rule = rule_in(vrules, a[2], b[0], (region[1], region[3]), p.min_rule_cover)
        out.append(rule if rule is not None else (a[2] + b[0]) / 2.0)
    return sorted(out)


def _flanking_lines(words: Sequence[Box], line_of: Sequence[int], a: float, b: float) -> int:
    """Lines with words on both sides of [a, b] and none over it."""
    left = {line_of[i] for i, w in enumerate(words) if w[2] <= a + 1}
    right = {line_of[i] for i, w in enumerate(words) if w[0] >= b - 1}
    over = {line_of[i] for i, w in enumerate(words) if w[0] < b - 1 and w[2] > a + 1}
    return len((left & right) - over)


def group_label_columns(bounds: list[float], words: Sequence[Box], value_x: float, char_h: float,
                        p: StructureSettings) -> list[float]:
    """A word standing over several lines (a group label in vertical text, "三、本年度办理结果")
    is a column of its own beside the labels it groups: a boundary just past its right edge
    (wide labels of other rows cross it and merge back), so it never swallows those labels."""
    heights = sorted(w[3] - w[1] for w in words)
    typical = heights[len(heights) // 2] if heights else char_h
    out = list(bounds)
    for w in words:
        if w[3] - w[1] < p.tall_word_lines * typical or w[2] - w[0] > 2.0 * typical:
            continue
        x = w[2] + p.min_gap_chars * char_h
        if out[0] < x < value_x - typical and min(abs(x - b) for b in out) > typical:
            # only where nothing on the word's own lines reaches across
            if not any(o is not w and o[0] < x < o[2] and min(o[3], w[3]) - max(o[1], w[1]) > 0 for o in words):
                out.append(x)
    return sorted(out)


def _drop_thin_columns(bounds: list[float], words: Sequence[Box], line_of: Sequence[int], min_lines: int) -> list[float]:
    """Merge a column with words in fewer than ``min_lines`` lines into its neighbour
    (a header word that sticks out, a stray mark)."""
    bounds = list(bounds)
    while len(bounds) > 2:
        counts = []
        for k in range(len(bounds) - 1):
            a, b = bounds[k], bounds[k + 1]
            counts.append(len({line_of[i] for i, w in enumerate(words) if a <= w[0] and w[2] <= b}))
        k = int(np.argmin(counts))
        if counts[k] >= min_lines:
            break
        # drop the inner boundary on the side of the narrower neighbour
        if k == 0:
            bounds.pop(1)
        elif k == len(counts) - 1:
            bounds.pop(len(bounds) - 2)
        else:
            left_w = bounds[k] - bounds[k - 1]
            right_w = bounds[k + 2] - bounds[k + 1]
            bounds.pop(k if left_w <= right_w else k + 1)
    return bounds


def label_column_count(n_cols: int, value_counts: Iterable[int], max_label: int) -> int:
    """Stage 4: leading label columns: the template's largest value column count that leaves
    1..``max_label`` columns for labels (the applications matrix: label columns then 7)."""
    counts = list(value_counts)
    fits = [v for v in counts if 1 <= n_cols - v <= max_label]
    if counts and n_cols == max(counts):
        return 0  # the widest table (the review matrix) is one row of values under its header, no labels
    return n_cols - max(fits) if fits else min(1, n_cols)


def find_rows(words: Sequence[Box], lines: Sequence[tuple[float, float]], line_of: Sequence[int],
              columns: Sequence[float], label_columns: int, region: Box, char_h: float,
              hrules: Sequence[Rule], p: StructureSettings) -> tuple[list[float], list[int]]:
    """Stage 5: row boundaries. Each word line with a word in a value column is a row; between
    two such lines the boundary goes in the widest gap between word lines (cell padding and the
    rule make a row gap wider than a wrapped label's line gap), onto a faint rule in any of
    those gaps when there is one. Label-only lines fall on the side the gap puts them."""
    if not lines:
        return [region[1], region[3]], []
    value_x = columns[label_columns] if label_columns < len(columns) - 1 else columns[-1]
    value_lines = sorted({line_of[i] for i, w in enumerate(words) if (w[0] + w[2]) / 2 >= value_x})
    # the extent of each line over all its words (not only its core band)
    ext = [[y0, y1] for y0, y1 in lines]
    for i, w in enumerate(words):
        e = ext[line_of[i]]
        e[0], e[1] = min(e[0], w[1]), max(e[1], w[3])
    m = p.crossing_chars * char_h
    margin_y = [max(2.0, word_margins(w, m)[1]) for w in words]
    bounds = [float(region[1])]
    top = unread_header_bound(region, lines, ext, value_lines, char_h, hrules, words, margin_y, value_x, p)
    if top is not None:
        bounds.append(top)
    for a, b in zip(value_lines, value_lines[1:]):
        gaps = []
        for k in range(a, b):
            lo, hi = ext[k][1], ext[k + 1][0]
            gaps.append((hi - lo, lo, hi))
        best = max(gaps)
        pos = (best[1] + best[2]) / 2.0  # lines that touch or overlap a little: between them all the same
        # a rule, however faint, between the two value lines and through no value is where the
        # boundary is (values set in the middle of a tall cell overlap its labels' lines)
        # (a group label, "（四）无法提供", stands across its rows' rules: only values may not)
        # (a word "through" a rule by no more than its ``word_margins``, the detector's padding
        # of its box, ends at the rule: a tall header box over the rule above the values)
        # (where no rule lies between the two lines, one may lie within that padding of either:
        # a value box reaching up to the rule over it)
        lo = lines[a][1] - min(m, 0.25 * (lines[a][1] - lines[a][0]))
        hi = lines[b][0] + min(m, 0.25 * (lines[b][1] - lines[b][0]))
        through_none = [r for r in hrules if lo < r[0] < hi
                        and not any(w[1] + my < r[0] < w[3] - my and (w[0] + w[2]) / 2 >= value_x
                                    for w, my in zip(words, margin_y))]
        span = (region[0], region[2])
        rule = rule_in(through_none, lines[a][1], lines[b][0], span, p.min_rule_cover)
        if rule is None:
            rule = rule_in(through_none, lo, hi, span, p.min_rule_cover)
        if rule is not None:
            pos = rule
        # between the two value lines' own words, whatever the gaps between label lines say
        pos = min(max(pos, ext[a][1] if ext[a][1] < ext[b][0] else lines[a][1]), ext[b][0] if ext[a][1] < ext[b][0] else lines[b][0])
        # a row thinner than ``min_row_chars`` holds no line of text: two lines that overlap
        # (a tall box of vertical header text, a short word the detector found beside it) are
        # one row, whatever boundary each pair of them suggests
        if pos > bounds[-1] + p.min_row_chars * char_h:
            bounds.append(pos)
    bounds.append(float(region[3]))
    return bounds, value_lines


def unread_header_bound(region: Box, lines: Sequence[tuple[float, float]], ext: Sequence[Sequence[float]],
                        value_lines: Sequence[int], char_h: float, hrules: Sequence[Rule], words: Sequence[Box],
                        margin_y: Sequence[float], value_x: float, p: StructureSettings) -> float | None:
    """The top of the first row when the region's first word line is a value line with more
    than ``unread_header_chars`` character heights of region above it: a header the detector
    found no word in (a faint shaded header over a hairline table's one row of values, the
    review matrix). That band is a row of its own, so the value cells under it are cropped
    without the header's ink ("持0", "i0" read for "0"). The boundary goes onto the lowest
    rule however faint in that band through no value, else the detector's padding
    (``crossing_chars``) above the first line's words."""
    if not lines or not value_lines or value_lines[0] != 0:
        return None
    first_top = ext[0][0]
    if first_top - region[1] <= p.unread_header_chars * char_h:
        return None
    lo = region[1] + p.min_row_chars * char_h
    through_none = [r for r in hrules if lo < r[0] < first_top
                    and not any(w[1] + my < r[0] < w[3] - my and (w[0] + w[2]) / 2 >= value_x
                                for w, my in zip(words, margin_y))]
    rules = [r for r in through_none if min(r[2], region[2]) - max(r[1], region[0]) >= p.min_rule_cover * (region[2] - region[0])]
    if rules:
        return max(r[0] for r in rules)
    return max(lo, first_top - p.crossing_chars * char_h)


class _CellMerges:
    """Which of a grid's ``nr`` x ``nc`` cells (numbered row * nc + col) are merged into one:
    union-find, each set named by its smallest cell, so that a merged cell is anchored at its
    top-left; ``cells`` grows every set to a rectangle and gives the grid's cells."""

    def __init__(self, nr: int, nc: int) -> None:
        self.nr, self.nc = nr, nc
        self.parent = list(range(nr * nc))

    def find(self, a: int) -> int:
        parent = self.parent
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def cells(self, rows: Sequence[float], cols: Sequence[float]) -> list[GridCell]:
        """The merged cells, each set grown to its bounding rectangle until stable, in reading
        order; boxes from the row and column lines."""
        nr, nc, find = self.nr, self.nc, self.find
        changed = True
        while changed:
            changed = False
            groups: dict[int, list[int]] = {}
            for k in range(nr * nc):
                groups.setdefault(find(k), []).append(k)
            for members in groups.values():
                r0, r1 = min(k // nc for k in members), max(k // nc for k in members)
                c0, c1 = min(k % nc for k in members), max(k % nc for k in members)
                for r in range(r0, r1 + 1):
                    for c in range(c0, c1 + 1):
                        if find(r * nc + c) != find(members[0]):
                            self.union(members[0], r * nc + c)
                            changed = True
        seen: set[int] = set()
        cells: list[GridCell] = []
        for r in range(nr):
            for c in range(nc):
                root = find(r * nc + c)
                if root in seen:
                    continue
                seen.add(root)
                ks = [k for k in range(nr * nc) if find(k) == root]
                r1, c1 = max(k // nc for k in ks), max(k % nc for k in ks)
                cells.append(GridCell(row=r, col=c, rowspan=r1 - r + 1, colspan=c1 - c + 1,
                                      bbox=(cols[c], rows[r], cols[c1 + 1], rows[r1 + 1])))
        return cells


def build_grid(rows: Sequence[float], cols: Sequence[float], words: Sequence[Box], char_h: float,
               p: StructureSettings, line_width: float = 2.0) -> Grid:
    """Stage 6: cells of the boundaries, merged where a word crosses a boundary by more than
    ``crossing_chars`` character heights on both sides (a spanning header, a label over rows).
    With ``line_word_one_row`` a word one text line high (under ``line_word_height`` typical
    word heights) merges no rows: a line of text lies in one row (a wrapped label's line a row
    boundary grazes chained the label cells of a whole group into one: world2035 Word fax 021)."""
    nr, nc = len(rows) - 1, len(cols) - 1
    merged = _CellMerges(nr, nc)
    union = merged.union

    m = p.crossing_chars * char_h
    heights = sorted(w[3] - w[1] for w in words)
    typical = heights[len(heights) // 2] if heights else char_h
    for w in words:
        rs = [r for r in range(nr) if min(w[3], rows[r + 1]) - max(w[1], rows[r]) > m]
        cs = [c for c in range(nc) if min(w[2], cols[c + 1]) - max(w[0], cols[c]) > m]
        if not rs or not cs:
            continue
        if p.line_word_one_row and len(rs) > 1 and w[3] - w[1] < p.line_word_height * typical:
            # one text line high: the line is in one row, the one holding most of it
            rs = [max(rs, key=lambda r: min(w[3], rows[r + 1]) - max(w[1], rows[r]))]
        spanned = [r * nc + c for r in rs for c in cs]
        for c in spanned[1:]:
            union(spanned[0], c)
    cells = merged.cells(rows, cols)
    return Grid(bbox=(cols[0], rows[0], cols[-1], rows[-1]), rows=list(rows), cols=list(cols), cells=cells,
                line_width=line_width)


# --------------------------------------------------------------------------- arbitration
def cell_boxes(grid: Grid) -> np.ndarray:
    """The boxes of a grid's cells as one (cells, 4) array, for ``cell_of_word``."""
    return np.array([c.bbox for c in grid.cells], np.float64).reshape(-1, 4)


def word_margins(word: Box, margin: float) -> tuple[float, float]:
    """How far (x, y) a word must reach into a cell to be in it: ``margin``, or a quarter of
    the word's own extent for a lone digit narrower than that."""
    return (max(1.0, min(margin, 0.25 * (word[2] - word[0]))), max(1.0, min(margin, 0.25 * (word[3] - word[1]))))


def cell_of_word(grid: Grid, word: Box, margin: float, boxes: np.ndarray | None = None) -> list[int]:
    """Indices of the grid cells a word covers by more than its ``word_margins`` on each axis.
    ``boxes`` is ``cell_boxes(grid)``, given when many words are placed on one grid."""
    mx, my = word_margins(word, margin)
    b = cell_boxes(grid) if boxes is None else boxes
    inside = ((np.minimum(word[2], b[:, 2]) - np.maximum(word[0], b[:, 0]) > mx)
              & (np.minimum(word[3], b[:, 3]) - np.maximum(word[1], b[:, 1]) > my))
    return np.flatnonzero(inside).tolist()


def occupied_columns(grid: Grid, words: Sequence[Box], line_of: Sequence[int], min_lines: int) -> list[int]:
    """Grid columns holding whole words (in a one-column cell) on ``min_lines`` lines or more:
    the columns a table prints in, whatever empty columns its rules add."""
    lines_in: dict[int, set[int]] = {}
    for i, w in enumerate(words):
        cx = (w[0] + w[2]) / 2
        for c in grid.cells:
            b = c.bbox
            if c.colspan == 1 and b[0] <= w[0] + 1 and w[2] - 1 <= b[2] and b[1] <= (w[1] + w[3]) / 2 <= b[3] and b[0] <= cx <= b[2]:
                lines_in.setdefault(c.col, set()).add(line_of[i])
                break
    return sorted(c for c, ls in lines_in.items() if len(ls) >= min_lines)


def printed_rule_through(word: Box, pos: float, rules: Sequence[Rule], vertical: bool, char_h: float,
                         line_width: float, reach_chars: float) -> bool:
    """Is the grid boundary at ``pos`` inside ``word`` a printed rule running right through
    it: a rule at ``pos`` covering the word's whole extent along it (less a quarter, the
    detector's padding) and reaching ``reach_chars`` character heights further than the word?
    Text cannot be printed across such a rule, so a word box over one is two words the
    detector joined, not a wall cut through a word; a glyph stroke taken for a wall reaches
    no further than its line of text."""
    lo, hi = (word[1], word[3]) if vertical else (word[0], word[2])
    pad = 0.25 * (hi - lo)
    tol = line_width / 2 + 0.25 * char_h
    return any(abs(at - pos) <= tol and a <= lo + pad and b >= hi - pad and (b - a) >= (hi - lo) + reach_chars * char_h
               for at, a, b in rules)


def _joined_across_rules(grid: Grid, word: Box, margin: float, hrules: Sequence[Rule], vrules: Sequence[Rule],
                         char_h: float, reach_chars: float) -> bool:
    """Every grid boundary ``word`` crosses is a printed rule through it (see :func:`printed_rule_through`)."""
    mx, my = word_margins(word, margin)
    xs = [x for x in grid.cols if word[0] + mx < x < word[2] - mx]
    ys = [y for y in grid.rows if word[1] + my < y < word[3] - my]
    if not xs and not ys:
        return False
    return (all(printed_rule_through(word, x, vrules, True, char_h, grid.line_width, reach_chars) for x in xs)
            and all(printed_rule_through(word, y, hrules, False, char_h, grid.line_width, reach_chars) for y in ys))


def blank_across(ink: np.ndarray, word: Box, pos: float, vertical: bool, char_h: float, clear_chars: float,
                 dash_chars: float, rules_across: Sequence[float] = (), line_width: float = 2.0
                 ) -> tuple[bool, bool] | None:
    """Does the grid boundary at ``pos`` run through blank paper inside ``word`` (``ink``: the
    page's text ink, rules taken out)? No text within ``clear_chars`` character heights of it.
    What a broken rule leaves is no text: a piece thinner than ``dash_chars`` (or than the
    grid's line, blurred) on the boundary that runs out of the box (the wall's dash; the stroke
    of a "1" taken for a wall stays inside its box), pieces as flat along the other
    direction (a rule's dashes, which the box may reach over), and whatever lies on the grid's
    lines across (``rules_across``: where a wall's dash meets a rule's). Text is set clear of
    its cell's walls; the characters of one word or the digits of one number are closer
    together than that, and a glyph stroke taken for a wall has the rest of its glyph beside it.
    None where text is near it, else whether the box holds text before it and after it."""
    H, W = ink.shape[:2]
    x0, y0 = max(0, int(word[0])), max(0, int(word[1]))
    x1, y1 = min(W, int(np.ceil(word[2]))), min(H, int(np.ceil(word[3])))
    if x1 <= x0 or y1 <= y0:
        return None
    crop = (ink[y0:y1, x0:x1] > 0).astype(np.uint8)
    at, origin = pos - x0, y0
    if not vertical:  # a row boundary: look along columns as along rows
        crop, at, origin = np.ascontiguousarray(crop.T), pos - y0, x0
    dash = max(1.0, dash_chars * char_h, line_width + 2)  # a rule blurred by the scan is wider than its line
    clear = max(1.0, clear_chars * char_h)
    half = line_width / 2 + 0.1 * char_h
    ends = [0, crop.shape[0]]  # where a wall's dash runs out of the box: its edges, the grid's lines across
    for r in rules_across:
        a, b = max(0, int(r - origin - half)), max(0, int(np.ceil(r - origin + half)) + 1)
        if a < crop.shape[0] and b > 0:
            crop[a:b] = 0
            ends += [a, b]
    n, _, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=8)
    before = after = False
    for i in range(1, n):
        cx, cy, w, h, _ = stats[i]
        if h <= dash and w >= h:
            continue  # flat along: a rule's dash
        if w <= dash and abs(cx + w / 2 - at) <= dash and any(abs(cy - e) <= 1 or abs(cy + h - e) <= 1 for e in ends):
            continue  # thin on the boundary and running out of the box: the wall's dash ("1" stays inside)
        if cx < at + clear and cx + w > at - clear:
            return None
        before, after = before or cx + w <= at, after or cx >= at
    return before, after


def _joined_across_blank(grid: Grid, word: Box, margin: float, ink: np.ndarray, char_h: float,
                         p: StructureSettings) -> bool:
    """Every grid boundary ``word`` crosses runs through blank paper inside it (see
    :func:`blank_across`), with text on both sides of one of them: the box holds the texts of
    neighbouring cells, joined by the detector across walls it did not see; ambiguous
    evidence, not a wall through a word (a lone "1" a wall runs through has no text beside it)."""
    mx, my = word_margins(word, margin)
    sides = [blank_across(ink, word, x, True, char_h, p.joined_clear_chars, p.wall_dash_chars, grid.rows,
                          grid.line_width) for x in grid.cols if word[0] + mx < x < word[2] - mx]
    sides += [blank_across(ink, word, y, False, char_h, p.joined_clear_chars, p.wall_dash_chars, grid.cols,
                           grid.line_width) for y in grid.rows if word[1] + my < y < word[3] - my]
    return bool(sides) and all(sd is not None for sd in sides) and any(sd[0] and sd[1] for sd in sides if sd)


def label_stroke_walls(grid: Grid, words: Sequence[Box], value_x: float, char_h: float,
                       vrules: Sequence[Rule], ink: np.ndarray | None, p: StructureSettings) -> list[int]:
    """Column boundaries of a line grid, left of the value columns, that are glyph strokes
    lined up, not walls: label words run across them through their own ink
    (``label_stroke_min_words`` or more) in more rows than words begin right of them. A label
    is set inside its cell, so a word box over a wall is two words the detector joined across
    it: over a printed rule (:func:`printed_rule_through`) or over blank paper (the rules are
    taken out of the page the detector sees; :func:`blank_across` on ``ink``) it is no
    evidence; and a wall is where labels begin (``label_wall_start_chars`` either side: typst
    hangs a line's opening bracket over it), strokes are where they run through. Left-aligned labels put their characters at the same x row after row,
    and a blurred photo or copy joins their vertical strokes into lines that meet the row
    rules: a label column cut into a column per character (spent mix2045 typst phone 014:
    eleven label columns, the labels read in pieces and half the application matrix lost)."""
    m = p.crossing_chars * char_h
    tall = p.tall_word_lines * char_h
    start = p.label_wall_start_chars * char_h
    label_words = [w for w in words if (w[0] + w[2]) / 2 < value_x and w[3] - w[1] < tall]
    seen: dict[int, tuple[int, int]] = {}  # boundary -> (words through it, labels beginning right of it)
    for j in range(1, grid.n_cols):
        x = grid.cols[j]
        if x >= value_x - m:
            break
        begins = sum(1 for w in label_words if abs(w[0] - x) <= start)
        crossed = 0
        for w in label_words:
            if not (w[0] + m < x < w[2] - m):
                continue
            cy = (w[1] + w[3]) / 2
            r = next((k for k in range(grid.n_rows) if grid.rows[k] <= cy < grid.rows[k + 1]), None)
            if r is None:
                continue
            left, right = grid.cell_at(r, j - 1), grid.cell_at(r, j)
            if left is None or right is None or left is right:
                continue  # no wall at x on this word's row (a cell spanning it)
            if printed_rule_through(w, x, vrules, True, char_h, grid.line_width, p.printed_rule_reach_chars):
                continue
            if ink is not None and blank_across(ink, w, x, True, char_h, p.joined_clear_chars, p.wall_dash_chars,
                                                grid.rows, grid.line_width) is not None:
                continue
            crossed += 1
        seen[j] = (crossed, begins)
    out = [j for j, (crossed, begins) in seen.items() if crossed >= p.label_stroke_min_words and crossed > begins]
    # the template's tables have at most ``max_label_columns`` label columns: while the grid
    # has more, a boundary that words run across and no label begins at is no wall either
    # (strokes that fell where the characters' gaps are: fewer words cross them through ink)
    while len(seen) - len(out) + 1 > p.max_label_columns:
        rest = [j for j, (crossed, begins) in seen.items() if j not in out and crossed >= 1 and begins == 0]
        if not rest:
            break
        out.append(max(rest, key=lambda j: seen[j][0]))
    return sorted(out)


def without_columns(grid: Grid, drop: Iterable[int]) -> Grid:
    """``grid`` with the column boundaries ``drop`` (interior indices into ``grid.cols``)
    taken out. The columns joined over them make bands; a cell inside one band is cut at every
    row line a cell of the band ends at (a row rule printed across the band, which strokes
    taken for walls had cut into pieces that missed it), the pieces on one band row joined
    into one cell; a cell reaching out of its band is kept whole."""
    drop = {j for j in drop if 0 < j < grid.n_cols}
    if not drop:
        return grid
    cols = [x for j, x in enumerate(grid.cols) if j not in drop]
    new_col = [c - sum(1 for j in drop if j <= c) for c in range(grid.n_cols)]
    nr, nc = grid.n_rows, len(cols) - 1

    band_lines: dict[int, set[int]] = {}
    for c in grid.cells:  # the row lines the cells over each column end at
        for k in range(new_col[c.col], new_col[c.col + c.colspan - 1] + 1):
            band_lines.setdefault(k, {0, nr}).update((c.row, c.row + c.rowspan))
    merged = _CellMerges(nr, nc)
    union = merged.union

    for c in grid.cells:
        c0, c1 = new_col[c.col], new_col[c.col + c.colspan - 1]
        if c0 == c1:  # inside one column: cut at the row lines of the cells joined into it
            lines = sorted(v for v in band_lines[c0] if c.row <= v < c.row + c.rowspan)
            for r in range(c.row, c.row + c.rowspan):
                union(max(v for v in lines if v <= r) * nc + c0, r * nc + c0)
        else:
            spanned = [r * nc + k for r in range(c.row, c.row + c.rowspan) for k in range(c0, c1 + 1)]
            for k in spanned[1:]:
                union(spanned[0], k)
    cells = merged.cells(grid.rows, cols)
    return grid.model_copy(update={"cols": cols, "cells": cells})


def grid_faults(grid: Grid, words: Sequence[Box], line_of: Sequence[int], reference: Grid | None,
                value_x: float, value_counts: Iterable[int], char_h: float, p: StructureSettings,
                check_count: bool = True, hrules: Sequence[Rule] = (), vrules: Sequence[Rule] = (),
                ink: np.ndarray | None = None) -> list[Fault]:
    """Stage 7: what the words right of ``value_x`` (the value columns) say against a grid:
    walls through words (over-segmentation), cells holding words that the ``reference`` grid
    (the word reading) puts in different cells on one line (a lost wall), and a count of
    printed value columns no template has. Header and label words left of the values may
    cross a wall the table's own layout draws through them; they are not counted, nor are
    word boxes the detector joined across printed rules (``hrules``/``vrules``: the rules
    themselves are the evidence that the grid's boundary is there) or across blank paper
    (``ink``, the page's text ink: the detector runs on the page without its rules and joins
    the digits of narrow neighbouring cells over a wall a scan broke)."""
    faults: list[Fault] = []
    m = p.crossing_chars * char_h
    # a value is one line high: a "word" ``tall_word_lines`` characters tall in the value
    # columns is the detector's one box over stacked text (a header and the value under it in
    # a narrow column), which a grid's row line rightly cuts
    tall = p.tall_word_lines * char_h
    in_values = [i for i, w in enumerate(words) if (w[0] + w[2]) / 2 >= value_x and w[3] - w[1] < tall]
    boxes = cell_boxes(grid)
    crossing = [i for i in in_values if len(cell_of_word(grid, words[i], m, boxes)) > 1
                and not _joined_across_rules(grid, words[i], m, hrules, vrules, char_h, p.printed_rule_reach_chars)
                and not (ink is not None and _joined_across_blank(grid, words[i], m, ink, char_h, p))]
    share = max(2.0, p.fault_frac * len(in_values))  # a header's own layout may cut a word or two; one word is no proof
    gx0, gy0, gx1, gy1 = grid.bbox
    outside = [i for i in in_values if not (gx0 <= (words[i][0] + words[i][2]) / 2 <= gx1 and gy0 <= (words[i][1] + words[i][3]) / 2 <= gy1)]
    if len(outside) >= share:
        faults.append(Fault("outside_grid", len(outside)))
    if len(crossing) >= share:
        faults.append(Fault("cut_by_wall", len(crossing)))
    lost = 0
    if reference is not None:
        seen: dict[tuple[int, int], int] = {}
        ref_boxes = cell_boxes(reference)
        for i in in_values:
            mine = cell_of_word(grid, words[i], m, boxes)
            ref = cell_of_word(reference, words[i], m, ref_boxes)
            if len(mine) != 1 or len(ref) != 1:
                continue
            key = (mine[0], line_of[i])
            if key in seen and seen[key] != ref[0]:
                lost += 1
            seen.setdefault(key, ref[0])
    if lost >= share:
        faults.append(Fault("two_columns", lost))
    counts = set(value_counts)
    printed = [c for c in occupied_columns(grid, words, line_of, p.min_column_lines) if grid.cols[c + 1] > value_x]
    n_lines = len(set(line_of[i] for i in in_values))
    if check_count and counts and printed and len(printed) not in counts and n_lines >= p.min_lines_for_count:
        faults.append(Fault("printed_columns_unfit", len(printed)))
    return faults


def drop_wall_dashes(words: Sequence[Box], line_grid: Grid | None, vrules: Sequence[Rule], char_h: float,
                     reach_chars: float = 0.0) -> list[Box]:
    """Stage 1b: the detector reads the dashes a broken wall leaves as text ("|"): a "word"
    narrower than half a character (less the padding the detector adds) centred on a wall (of the line grid, or a rule however
    faint) is a piece of that wall, not a word. A digit "1" sits inside its cell, not on a wall.
    The wall runs past the word above and below, and ``reach_chars`` character heights further
    on at least one side (``printed_rule_reach_chars``: a rule that far past a word is printed;
    a glyph stroke taken for a wall reaches no further than its line of text): the strokes of a narrow digit ("0") smoothed together with a faint
    header's over it make a "rule" that ends with its text (world2035 Word hairline report 023:
    two zeros of the review matrix's value row taken for wall dashes, the row and the table lost)."""
    walls: list[Rule] = grid_walls(line_grid) if line_grid is not None else []  # where the grid has them
    walls += list(vrules)
    out = []
    for w in words:
        cx = (w[0] + w[2]) / 2
        narrow = w[2] - w[0] - 0.3 * (w[3] - w[1]) < 0.5 * char_h
        # the wall must run past the word itself, above and below
        reach = reach_chars * char_h
        if narrow and any(abs(cx - x) <= 0.3 * char_h and y0 <= w[1] and w[3] <= y1
                          and max(w[1] - y0, y1 - w[3]) >= reach for x, y0, y1 in walls):
            continue
        out.append(w)
    return out


def clip_at_rules(words: Sequence[Box], vrules: Sequence[Rule], char_h: float, line_width: float,
                  p: StructureSettings) -> list[Box]:
    """Stage 1c: a word box that reaches at most ``rule_overhang_chars`` character heights
    over a printed wall running right through it (``printed_rule_through``: no text is
    printed across a rule) is cut back to the side of the rule holding the rest of it. The
    detector pads its boxes; a number printed right against its cell's wall (right-aligned in
    a narrow spreadsheet column, small print of a table shrunk to fit the page) has its box
    reach into the next cell, which would otherwise merge the two cells, count the word as
    cut by the wall, or keep a merged value cell from being cut there. The cut leaves the
    rule's ink and a pixel clear of the word. (Row rules are left alone: a value is one line
    high and a row line never comes that close to it.)"""
    clear = line_width / 2.0 + 1.0
    reach = p.rule_overhang_chars * char_h
    # only the rules near ``at`` can run through there (within ``printed_rule_through``'s
    # tolerance; a pixel to spare): looked up by position, not tried all for every word and wall
    # (a copier page's hundreds of wall pieces made this quadratic)
    by_at = sorted(vrules, key=lambda r: r[0])
    ats = [r[0] for r in by_at]
    near = line_width / 2 + 0.25 * char_h + 1.0

    def through(w: Box, at: float, lo: float, hi: float) -> bool:
        return (lo < at < hi and min(at - lo, hi - at) <= reach
                and printed_rule_through(w, at, by_at[bisect_left(ats, at - near):bisect_right(ats, at + near)], True,
                                         char_h, line_width, p.printed_rule_reach_chars))

    out = []
    for w in words:
        x0, y0, x1, y1 = w
        for at, _, _ in vrules:
            if through(w, at, x0, x1):
                x0, x1 = (x0, min(x1, at - clear)) if at - x0 >= x1 - at else (max(x0, at + clear), x1)
        out.append((x0, y0, x1, y1) if x1 > x0 and y1 > y0 else w)
    return out


def read_structure(region: Box, words: list[Box], char_h: float, hrules: Sequence[Rule], vrules: Sequence[Rule],
                   line_grid: Grid | None,
                   value_counts: Iterable[int], p: StructureSettings, source: str = "rules",
                   ink: np.ndarray | None = None, walls: Sequence[Wall] = ()) -> TableStructure:
    """All stages for one table region: the word reading, the ruling-line grid's faults read
    against it (``ink``: the page's text ink, rules taken out, where a word box crosses a
    wall), and which grid the page is read with (``chosen``) at what ``placement``. A
    region found from its words alone (``source="words"``, no rule to confirm a row or a
    column) with fewer than ``region_min_value_lines`` value lines is thin evidence: its cells
    get ``thin_placement``. ``walls``: the region's walls told from the ink between its text
    lines (``layout.walls.find_walls``); the word grid's column boundaries go onto them
    (``snap_to_walls``)."""
    counts = sorted(set(value_counts))
    words = drop_wall_dashes(words, line_grid, vrules, char_h, p.printed_rule_reach_chars)
    st = TableStructure(region=region, char_h=char_h, source=source, words=words, line_grid=line_grid,
                        walls=list(walls))
    if len(words) < p.min_words:
        st.chosen = "lines" if line_grid is not None else "none"
        st.notes.append(f"{len(words)} words: too few for a word reading")
        return st
    st.lines, st.line_of_word = group_lines(words, p.line_overlap)
    st.columns = find_columns(words, st.line_of_word, len(st.lines), region, char_h, vrules, p)
    if walls:
        st.columns = snap_to_walls(st.columns, walls, words, ink)
    st.label_columns = label_column_count(len(st.columns) - 1, counts, p.max_label_columns)
    grouped = group_label_columns(st.columns, words, st.columns[st.label_columns], char_h, p)
    st.label_columns += len(grouped) - len(st.columns)
    st.columns = grouped
    st.rows, st.value_lines = find_rows(words, st.lines, st.line_of_word, st.columns, st.label_columns, region,
                                        char_h, hrules, p)
    lw = line_grid.line_width if line_grid is not None else 2.0
    # the boundaries come from the gaps between the words as found, and so do both grids'
    # faults (a word grid whose cells hold a number only once it is cut back at the wall has
    # its boundaries mid-gap, and its cells' crops catch the wall: the line grid reads those
    # better; judged on cut-back boxes, a sound line grid was faulted and a word grid that
    # joined label columns won: seed 2027 report 011); which cells a word spans, from the word
    # kept to its side of every wall through it
    found = words
    if walls:
        # walls told from the blank rows between the text lines are no glyph strokes lined up
        # (as the faint rules of a column of right-aligned digits are): a number's box reaching
        # over one by the detector's padding is judged cut back to its side, for both grids
        wall_rules = [(w.x, float(w.y0), float(w.y1)) for w in walls]
        found = clip_at_rules(found, wall_rules, char_h, lw, p)
        vrules = list(vrules) + wall_rules
    words = st.words = clip_at_rules(words, vrules, char_h, lw, p)
    st.word_grid = build_grid(st.rows, st.columns, words, char_h, p, lw)
    value_x = st.columns[min(st.label_columns, len(st.columns) - 1)]
    st.word_faults = grid_faults(st.word_grid, found, st.line_of_word, None, value_x, counts, char_h, p)
    n_cols = len(st.columns) - 1
    if counts and not (n_cols in counts or any(1 <= n_cols - v <= p.max_label_columns for v in counts)):
        st.word_faults.append(Fault("columns_unfit", n_cols))
    if line_grid is not None and p.label_stroke_walls:
        strokes = label_stroke_walls(line_grid, found, value_x, char_h, vrules, ink, p)
        if strokes:
            line_grid = st.line_grid = without_columns(line_grid, strokes)
            st.notes.append(f"{len(strokes)} label column boundaries are glyph strokes lined up: taken out")
            log.info("region %s: %d label column boundaries are glyph strokes lined up: taken out",
                     tuple(round(v) for v in region), len(strokes))
    if line_grid is None:
        st.faults = [Fault("no_grid")]
    else:
        # the rules may add empty columns (header structure) a template does not count: a line
        # grid answers for words it cuts or puts together, not for its column count
        st.faults = grid_faults(line_grid, found, st.line_of_word, st.word_grid, value_x, counts, char_h, p,
                                check_count=False, hrules=hrules, vrules=vrules, ink=ink)
    # one line of exactly the widest template count of words: the review matrix's row of values
    # (its header's shaded text not found), a table of one row
    one_row = len(st.value_lines) == 1 and bool(counts) and st.word_grid.n_cols == max(counts)
    if line_grid is None and (st.word_grid.n_cols < 2 or (len(st.value_lines) < 2 and not one_row)):
        # no rules to speak of and no columns of values: a paragraph between rules, not a table
        st.chosen = "none"
        st.notes.append("no value columns in the words and no line grid: not a table")
        return st
    if not st.faults:
        st.chosen, st.placement = "lines", p.agree_placement
    elif st.word_grid is not None and not st.word_faults:
        st.chosen, st.placement = "words", p.words_placement
    elif line_grid is not None and (lost := lost_value_walls(line_grid, st.faults, st.word_grid, found,
                                                             st.line_of_word, value_x, counts, p)):
        st.chosen, st.placement = "words", p.disputed_placement
        st.notes.append(f"neither reading is free of faults; {lost}")
    elif line_grid is not None:
        st.chosen, st.placement = "lines", p.disputed_placement
        st.notes.append("neither reading is free of faults")
    else:
        st.chosen, st.placement = "words", p.disputed_placement
        st.notes.append("the word reading alone, with faults")
    if line_grid is None and one_row:
        st.placement = min(st.placement, p.thin_placement)
        st.notes.append(f"one line of {n_cols} words and no line grid: thin evidence")
    if source == "words" and len(st.value_lines) < p.region_min_value_lines:
        st.placement = min(st.placement, p.thin_placement)
        st.notes.append(f"found from its words alone, {len(st.value_lines)} value line(s): thin evidence")
    st.disputed = disputed_cells(st, p)
    return st


def lost_value_walls(line_grid: Grid, line_faults: Sequence[Fault], word_grid: Grid, words: Sequence[Box],
                     line_of: Sequence[int], value_x: float, counts: Sequence[int], p: StructureSettings) -> str | None:
    """Why the line grid is contradicted by the template and the words together, or None: its
    cells hold words the word reading puts in different columns (walls a fax or a copier lost),
    it prints in fewer value columns than the word reading, and the word reading's count is a
    template's. The template knows how many value columns a table has; a line grid of one
    value column over the application matrix's seven is no reading of it, whatever faults the
    word reading has (a two-level header's words cross its row lines by their own layout)."""
    if not p.template_arbitration or not counts or not any(f.code == "two_columns" for f in line_faults):
        return None
    mine = [c for c in occupied_columns(line_grid, words, line_of, p.min_column_lines) if line_grid.cols[c + 1] > value_x]
    theirs = [c for c in occupied_columns(word_grid, words, line_of, p.min_column_lines) if word_grid.cols[c + 1] > value_x]
    if len(theirs) not in counts or len(mine) >= len(theirs):
        return None
    return f"the line grid prints {len(mine)} value column(s), the words {len(theirs)} as a template does"


def disputed_cells(st: TableStructure, p: StructureSettings) -> set[tuple[int, int]]:
    """(row, col) of line-grid cells whose words the word reading groups otherwise: a word
    of the cell shares its cell with a different set of words there."""
    # only a trusted word reading can dispute the line grid it agrees with elsewhere; when
    # the words were chosen, the line grid was contradicted and has no say on single cells
    if st.chosen != "lines" or st.word_faults or st.word_grid is None or st.line_grid is None:
        return set()
    chosen, other = st.line_grid, st.word_grid
    value_x = st.columns[min(st.label_columns, len(st.columns) - 1)]  # labels are not placed: values are
    m = p.crossing_chars * st.char_h
    mine: dict[int, set[int]] = {}
    theirs: dict[int, set[int]] = {}
    where: dict[int, tuple[int, int]] = {}
    chosen_boxes, other_boxes = cell_boxes(chosen), cell_boxes(other)
    for i, w in enumerate(st.words):
        if (w[0] + w[2]) / 2 < value_x:
            continue
        a, b = cell_of_word(chosen, w, m, chosen_boxes), cell_of_word(other, w, m, other_boxes)
        if len(a) == 1:
            mine.setdefault(a[0], set()).add(i)
            where[i] = (chosen.cells[a[0]].row, chosen.cells[a[0]].col)
        if len(b) == 1:
            theirs.setdefault(b[0], set()).add(i)
    out: set[tuple[int, int]] = set()
    group_in_other = {i: frozenset(g) for g in theirs.values() for i in g}
    for g in mine.values():
        for i in g:
            if i in where and group_in_other.get(i) != frozenset(g):
                out.add(where[i])
    return out

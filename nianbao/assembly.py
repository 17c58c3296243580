"""Assembly: from a Document (rows of cell texts, from any reader or the scan pipeline) to the
canonical cells of the report's template.

One path for every input:
1. detect the template version from the tables' own headers (SPEC §1);
2. locate each table's region in the row stream (tables continued on the next page are just
   consecutive rows);
3. split every table row into its label part and its value part;
4. align value rows to template rows with an order-preserving dynamic programme over fuzzy
   label scores (labels split over rows, merged and vertical row headers, missing labels);
5. map values to columns (by count; rows with too few or too many values are resolved with
   the consistency rules, marked and given a lower confidence, never silently).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from nianbao.models.rules import CellKey, Equation, derive_unknowns, evaluate, expand_rules
from nianbao.labels import LabelMatcher, normalize_label
from nianbao.models import (
    Cell,
    CellKind,
    CellNote,
    CheckStatus,
    ColumnSpec,
    ConfidenceFactor,
    Document,
    FactorCode,
    ItemSpec,
    NoteCode,
    Row,
    RowSpec,
    Table,
    TableSpec,
    Template,
    TextCell,
    load_template,
    TEMPLATE_VERSIONS,
)
from nianbao.numbers import (SPACED_NUMBERS, VALUE_CLASSES, WELL_FORMED_CLASSES, ValueClass, classify, has_chinese,
                             parse_cell, to_wan, value_like)
from nianbao.settings import AssemblySettings
from nianbao.wording import factor, note

_SPACED_VALUES = re.compile(r"^(?P<label>.*?[\u4e00-\u9fff)）])\s+(?P<values>(?:[-+]?[\d.,]+(?:\s*万?元)?\s+){1,14}[-+]?[\d.,]+(?:\s*万?元)?)\s*$")


# ----------------------------------------------------------------------------- rows → candidates


@dataclass
class Candidate:
    """A table row that may hold values: its label text and its value cells."""

    index: int  # position in Document.rows
    row: Row
    label: str
    values: list[TextCell]
    context: str = ""  # label text of neighbouring label-only rows (split labels, vertical headers)
    grid_start: int | None = None  # grid column where values begin, when cells carry grid columns
    grid_width: int | None = None  # number of value columns of the printed grid


def split_row(row: Row, label_columns: int | None = None) -> tuple[str, list[TextCell]]:
    """Label text and value cells of a row. In a grid whose label columns its reader stated
    (``label_columns``, from ``Document.tables``), a cell's column decides (so OCR garble in a
    value cell stays a value cell); otherwise values are the cells after the last label cell."""
    cells = list(row.cells)
    if label_columns is not None and row.exact_cells and all(c.col is not None for c in cells):
        label_cells = [c for c in cells if c.col < label_columns]  # type: ignore[operator]
        values = [c for c in cells if c.col >= label_columns]  # type: ignore[operator]
        if any(value_like(c.text) for c in values):
            return " ".join(c.text for c in label_cells if c.text.strip()), values
    if row.kind == "text" and len(cells) == 1:
        m = _SPACED_VALUES.match(" ".join(cells[0].text.split()))
        if m:  # "规章 0 0 0" written as one line
            vals = re.findall(r"[-+]?[\d.,]+(?:\s*万?元)?", m.group("values"))
            return m.group("label"), [TextCell(text=v, confidence=cells[0].confidence) for v in vals]
        return cells[0].text, []
    last_label = -1
    for i, c in enumerate(cells):
        if c.text.strip() and not value_like(c.text):
            last_label = i
    label = " ".join(c.text for c in cells[: last_label + 1] if c.text.strip())
    values = cells[last_label + 1 :]
    if not row.exact_cells:
        values = [c for c in values if c.text.strip()] if any(c.text.strip() for c in values) else []
    return label, values


# ----------------------------------------------------------------------------- version


def detect_version(doc: Document, year: int | None = None) -> tuple[str, str]:
    """Template version from the printed headers (SPEC §1), with the evidence as text."""
    table_text = normalize_label(" ".join(r.text for r in doc.rows if r.kind == "table" or len(r.text) < 60))
    hits: dict[str, list[str]] = {}
    for version in TEMPLATE_VERSIONS:
        hits[version] = [m for m in load_template(version).markers if normalize_label(m) in table_text]
    best = max(TEMPLATE_VERSIONS, key=lambda v: len(hits[v]))
    others = [v for v in TEMPLATE_VERSIONS if v != best]
    if hits[best] and all(len(hits[best]) > len(hits[o]) for o in others):
        return best, f"headers print {', '.join(hits[best])}"
    if year is not None:
        guess = "2021" if year >= 2021 else "2019"
        return guess, f"no decisive template headers found; guessed from report year {year}"
    return "2019", "no template headers found; assumed 2019"


# ----------------------------------------------------------------------------- regions


def _find_row(rows: list[Row], needles: list[str], start: int = 0, stop: int | None = None,
              table_only: bool = False, max_len: int | None = None) -> int | None:
    needles_n = [normalize_label(n) for n in needles]
    for i in range(start, len(rows) if stop is None else stop):
        r = rows[i]
        if table_only and r.kind != "table":
            continue
        t = normalize_label(r.text)
        if max_len is not None and r.kind == "text" and len(t) > max_len:
            continue
        if any(n in t for n in needles_n):
            return i
    return None


def locate_regions(doc: Document) -> dict[str, tuple[int, int]]:
    """Row ranges [start, end) of each table (heuristic on headers and section headings)."""
    rows = doc.rows
    n = len(rows)
    app_start = _find_row(rows, ["申请人情况", "勾稽关系", "本年新收政府信息公开申请", "自然人"], table_only=True)
    if app_start is None:
        app_start = _find_row(rows, ["收到和处理政府信息公开申请情况", "本年新收政府信息公开申请"], max_len=40)
    rev_start = _find_row(rows, ["行政复议"], start=app_start or 0, table_only=True)
    if rev_start is None:
        rev_start = _find_row(rows, ["行政复议"], start=app_start or 0, max_len=40)
    ad_start = _find_row(rows, ["第二十条第"], max_len=40)
    heading = _find_row(rows, ["主动公开政府信息情况"], max_len=40)
    if ad_start is None:
        ad_start = heading or 0
    elif heading is not None and heading < ad_start:
        # a table row between the section's heading and the first 第二十条 heading found is the
        # table's: the item heading over it was lost (read into no row, or misread)
        first_table = next((i for i in range(heading, ad_start) if rows[i].kind == "table"), None)
        if first_table is not None:
            ad_start = first_table
    regions: dict[str, tuple[int, int]] = {}
    ad_end = app_start if app_start is not None and app_start > ad_start else n
    regions["active_disclosure"] = (ad_start, ad_end)
    if app_start is not None:
        regions["applications"] = (app_start, rev_start if rev_start is not None and rev_start > app_start else n)
    else:
        regions["applications"] = (0, n)
    if rev_start is not None:
        end = _find_row(rows, ["存在的主要问题", "存在问题", "其他需要报告"], start=rev_start + 1, max_len=40)
        regions["reviews_litigation"] = (rev_start, end if end is not None else n)
    else:
        regions["reviews_litigation"] = (regions["applications"][1] if app_start is not None else 0, n)
    return regions


@dataclass(frozen=True)
class TableShape:
    """What the template says a printed table looks like, for telling its value rows from the
    rest: how many values a row of it has, and the words of its header (anchors, column labels)
    when it has one header over all its rows (a table of several items, such as the 第二十条
    tables, prints a header per item, which is also the item's label: no header words)."""

    value_counts: frozenset[int]
    header_words: tuple[str, ...]
    max_label_chars: int  # the longest row label (normalised), with room for a group label before it
    one_value_labels: tuple[str, ...] = ()  # the names (normalised) of the rows of its one-value items
    column_labels: tuple[str, ...] = ()  # the names (normalised) of its value columns, every item's
    row_names: tuple[str, ...] = ()  # the names (normalised) of its rows, every item's

    @classmethod
    def of(cls, spec: TableSpec) -> "TableShape":
        words: set[str] = set()
        if len(spec.items) == 1:
            words = {normalize_label(w) for w in spec.anchors}
            words |= {normalize_label(c.label) for c in spec.items[0].columns}
        longest = max((len(normalize_label(name)) for item in spec.items for r in item.rows for name in r.names), default=0)
        one = {normalize_label(name) for item in spec.items if len(item.columns) == 1 for r in item.rows for name in r.names}
        cols = {normalize_label(name) for item in spec.items for c in item.columns for name in c.names}
        names = {normalize_label(name) for item in spec.items for r in item.rows for name in r.names}
        return cls(frozenset(len(item.columns) for item in spec.items), tuple(sorted(w for w in words if w)),
                   longest + 10, tuple(sorted(n for n in one if n)), tuple(sorted(n for n in cols if len(n) >= 2)),
                   tuple(sorted(n for n in names if n)))

    def begins_row(self, label: str) -> bool:
        """Does the label begin (or is it begun by) one of the table's row names?"""
        t = normalize_label(label)
        return bool(t) and any(n.startswith(t) or t.startswith(n) for n in self.row_names)

    def is_header(self, label: str) -> bool:
        """A label that names the table's header: one of its anchors ("申请人情况", "勾稽关系")
        or two of its column labels ("自然人 商业企业")."""
        t = normalize_label(label)
        hits = [w for w in self.header_words if w in t]
        return len(hits) >= 2 or any(len(w) >= 4 and w in t for w in hits)


def candidates_in(doc: Document, start: int, end: int, settings: AssemblySettings, shape: TableShape | None = None
                  ) -> tuple[list[Candidate], list[int]]:
    """Value rows of a region, with label-only neighbours attached as context; also the
    indexes of label-only rows (possible headers).

    With the table's ``shape`` (the template's): a grid row with no label and no printed value
    (a sliver between two rules) and a header row repeated over a table continued on the next
    page are no value rows; a grid row with a label and fewer blank cells than a row of the table
    has columns is a label only (labels of the rows below whose cells the grid merged); a row
    whose cells give no values is a template row whose rules were lost when
    ``find_row_values`` finds its values (beside it, under the headers, in its own text)."""
    cands: list[Candidate] = []
    label_only: list[int] = []
    pending_context: list[str] = []
    layouts = {t.index: t for t in doc.tables}  # the structure the readers stated
    numbers = _table_row_numbers(doc.rows)
    for i in range(start, end):
        row = doc.rows[i]
        layout = layouts.get(row.table_index) if row.table_index is not None else None
        labels = layout.label_columns(numbers[i]) if layout is not None else None
        label, values = split_row(row, labels)
        rescued = False  # values found by ``find_row_values``: a row even as a text line of one value
        if row.kind == "text" and not values and _VALUES_ONLY.match(label.strip()):
            label, values = _row_from_text_lines(doc, i, start, end)
        if values and not any(v.text.strip() for v in values) and _is_continuation(label, cands, i, doc.rows, shape):
            values = []  # the rest of the label of the row above, cut by a page break
        if shape is not None and values and not any(v.text.strip() for v in values):
            if not normalize_label(label) or shape.is_header(label):
                pending_context = []
                continue
            if row.exact_cells and len(values) < min(shape.value_counts):
                values = []  # a grid row printed blank has a cell per column: this is a label only
        if shape is not None and not values:
            found = find_row_values(doc, i, start, end, label, shape, settings)
            if found is not None:
                (label, values), rescued = found, True
        if values and (row.kind == "table" or len(values) >= 2 or rescued):
            c = Candidate(i, row, label, values, context=" ".join(pending_context))
            if layout is not None and labels is not None and values and values[0].col is not None \
                    and values[0].col >= labels:
                c.grid_start, c.grid_width = labels, layout.columns - labels
            cands.append(c)
            pending_context = []
        elif row.kind == "table" and label:
            label_only.append(i)
            if cands and cands[-1].index >= i - 2:
                cands[-1].context = (cands[-1].context + " " + label).strip()  # "止公开" after "…法规禁"
            pending_context.append(label)
            pending_context = pending_context[-2:]
    return cands, label_only


def _table_row_numbers(rows: Sequence[Row]) -> list[int]:
    """Each row's number among its table's rows in document order (as ``TableLayout.value_runs``
    counts them); 0 for a row of no table."""
    seen: dict[int, int] = {}
    out = []
    for row in rows:
        k = seen.get(row.table_index, 0) if row.table_index is not None else 0
        if row.table_index is not None:
            seen[row.table_index] = k + 1
        out.append(k)
    return out


_VALUES_ONLY = re.compile(r"^[-+]?\d[\d.,]*(?:\s+[-+]?\d[\d.,]*)+$")


def _row_from_text_lines(doc: Document, i: int, start: int, end: int) -> tuple[str, list[TextCell]]:
    """A table row a PDF's table finder missed (open at a page top) comes as text lines: its
    label's first line, a line of numbers only, the label's last line. The numbers are the
    row's values; the short label-only lines just above and below are its label."""
    row = doc.rows[i]
    values = _placed([(row.cells[0], v) for v in row.cells[0].text.split()], None, 1.0)  # printed, in their row
    parts: list[str] = []
    for j in (i - 1, i + 1):
        if start <= j < end:
            other = doc.rows[j]
            text = " ".join(c.text for c in other.cells).strip()
            if other.kind == "text" and other.page == row.page and text and len(text) <= 30 \
                    and not re.search(r"\d", text.lstrip("0123456789.．、")):
                parts.append(text)
    return "".join(parts), values


_ENUMERATED = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+[.．、])")


def _is_continuation(label: str, cands: list[Candidate], index: int, rows: Sequence[Row],
                     shape: TableShape | None = None) -> bool:
    """A label-only remainder ("请内容仍不明确") right below a row that has values: the next row,
    or the first table row of a later page with only text lines (page number, running head)
    between, where a page break cut the row (its values above the break, its label's last lines
    below: dev seed 4987 typst born-digital 012) and the label begins none of the table's rows
    (a row printed blank at the top of the page is a row)."""
    if not label or _ENUMERATED.match(label) or not cands or not any(v.text.strip() for v in cands[-1].values):
        return False
    last = cands[-1].index
    if last == index - 1:
        return True
    between = rows[last + 1:index]
    return (rows[index].page or 0) > (rows[last].page or 0) and all(r.kind == "text" for r in between) \
        and shape is not None and not shape.begins_row(label)


# ----------------------------------------------------------------------------- rows whose rules were lost


# where a value of a row that its cells did not give was found: the cell it was read in and,
# when it is only part of that cell's text, the text (None: the whole cell)
ValueWord = tuple[TextCell, str | None]
# what a finder of ``find_row_values`` gives: the row's label, its value words, why they are its values
Finding = tuple[str, list[ValueWord], CellNote]


def _placed(words: Sequence[ValueWord], note: CellNote | None, most: float) -> list[TextCell]:
    """The one place that says how sure the place of a value is that no cell of the structure
    gave (its level, its header, its order in a text did): its placement at most ``most``, the
    reason (``note``, said in Chinese by ``nianbao.wording``) recorded; ``nianbao.confidence``
    folds both in. A cell that gives one value is that value (its text the number, its reading
    kept); a cell read as several values gives a new cell for each, with the cell's box and
    reading score (the cell's other readings are of its whole text, not of one value)."""
    several = {id(cell) for cell, text in words if text is not None
               and sum(c is cell for c, _ in words) > 1}
    out: list[TextCell] = []
    for cell, text in words:
        placement = min(cell.placement, most)
        notes = [*cell.notes, note] if note is not None else list(cell.notes)
        if id(cell) in several:
            out.append(TextCell(text=text or "", bbox=cell.bbox, confidence=cell.confidence, placement=placement,
                                notes=notes))
        else:
            update: dict[str, object] = {"placement": placement, "notes": notes}
            if text is not None:
                update["text"] = text
            out.append(cell.model_copy(update=update))
    return out


def find_row_values(doc: Document, i: int, start: int, end: int, label: str, shape: TableShape,
                    settings: AssemblySettings) -> tuple[str, list[TextCell]] | None:
    """The values of row ``i`` when its cells gave none: a template row whose rules a scan lost
    (or that was printed without them), its value words looked for where the template's shape
    of the table (``shape``) says they can be, the most direct first:

    - beside its label: the row is a text line and its numbers are text lines of one value
      each, level with it (``values_beside``), placement at most ``beside_placement``;
    - under its column headers: a grid row whose every cell after the label reads a column's
      name then a number ("本年新制作数量0": ``values_under_headers``);
    - in its own text: a one-value row's name then its number ("行政许可139":
      ``labelled_value``), or a label then as many numbers as a row has values
      ("3.补正后申请内容仍不 0 0 0 0 0 0 0": ``trailing_values``); both placed by their order
      only, at most ``spaced_values_placement``.

    What every finding must meet, checked here once: as many values as a row of the table has
    (one of ``shape.value_counts``), and for a text line a label no longer than a row label (a
    longer line is prose). Their placement and reason: ``_placed``. (label, values), or None."""
    row = doc.rows[i]
    order = settings.spaced_values_placement
    where: list[tuple[Callable[[], Finding | None], float]] = [
        (lambda: values_beside(doc, i, start, end, shape.value_counts, settings.beside_overlap) if row.kind == "text"
         else None, settings.beside_placement),
        (lambda: values_under_headers(row, shape.column_labels) if row.kind == "table" else None, order),
        (lambda: labelled_value(row, label, shape.one_value_labels), order),
        (lambda: trailing_values_row(row, shape.value_counts), order),
    ]
    for find, most in where:
        found = find()
        if found is None:
            continue
        found_label, words, why = found
        if len(words) not in shape.value_counts:
            continue
        if row.kind == "text" and len(normalize_label(found_label)) > shape.max_label_chars:
            continue
        return found_label, _placed(words, why, most)
    return None


_LABEL_THEN_NUMBER = re.compile(r"^(?P<label>.*?[^\dOo])\s*(?P<value>[-+]?[\dOo][\d.,Oo]*)\s*$")


def _number_after_name(cell: TextCell, names: Sequence[str], ends: bool) -> str | None:
    """The number a cell's text ends in, when the text before it is one of the template's
    ``names`` whole (or, with ``ends``, ends in one: a label before it), so that the number is
    no misread last character of a label. None otherwise."""
    m = _LABEL_THEN_NUMBER.match(cell.text.strip())
    if m is None or classify(m.group("value")) not in VALUE_CLASSES:
        return None
    head = normalize_label(m.group("label"))
    return m.group("value") if (any(head.endswith(n) for n in names) if ends else head in names) else None


def values_under_headers(row: Row, column_labels: Sequence[str]) -> Finding | None:
    """A grid row whose value cells each read a column's header then a number ("本年新制作数量0":
    the rule between the header row and the first value row lost, each header cell and the
    value under it read as one): the label cell's text and those numbers, when every cell after
    the first is such a text, its header a template column name (``column_labels``)."""
    cells = [c for c in row.cells if c.text.strip()]
    numbers = [_number_after_name(c, column_labels, ends=False) for c in cells[1:]]
    if not numbers or None in numbers:
        return None
    return cells[0].text, [(c, n) for c, n in zip(cells[1:], numbers)], note(NoteCode.header_and_value)


def labelled_value(row: Row, label: str, labels: Sequence[str]) -> Finding | None:
    """The value of a one-value row read as one text, its label then its number ("行政许可139":
    the wall between the two cells lost, or never printed), the text before the number ending
    in one of ``labels`` (a one-value row's name in the template). The row keeps its ``label``."""
    texts = [c for c in row.cells if c.text.strip()]
    number = _number_after_name(texts[0], labels, ends=True) if len(texts) == 1 else None
    if number is None:
        return None
    return label, [(texts[0], number)], note(NoteCode.label_and_number)


def values_beside(doc: Document, i: int, start: int, end: int, counts: Collection[int], overlap: float
                  ) -> Finding | None:
    """The numbers printed beside text line ``i`` (a label with a Chinese character and no digit):
    the text lines of a single value each (a number or a dash) among the rows around it, on its
    page, right of it and level with it (sharing ``overlap`` of the lower one's height), in x
    order — a table row whose walls and rules a scan lost, its label and its numbers a column
    apart (as far as a row of the table has values, one of ``counts``, from it). No rule says
    they are one row, only their level."""
    row = doc.rows[i]
    lab = row.cells[0]
    if lab.bbox is None or not has_chinese(lab.text) or re.search(r"\d", lab.text):
        return None
    reach = max(counts) + 1
    found: list[TextCell] = []
    for j in range(max(start, i - reach), min(end, i + reach + 1)):
        other = doc.rows[j]
        if j == i or other.kind != "text" or other.page != row.page or len(other.cells) != 1:
            continue
        cell = other.cells[0]
        if cell.bbox is None or cell.bbox[0] <= lab.bbox[2] or classify(cell.text) not in VALUE_CLASSES:
            continue
        shared = min(cell.bbox[3], lab.bbox[3]) - max(cell.bbox[1], lab.bbox[1])
        if shared >= overlap * min(cell.bbox[3] - cell.bbox[1], lab.bbox[3] - lab.bbox[1]):
            found.append(cell)
    if not found:
        return None
    found.sort(key=lambda c: c.bbox[0] if c.bbox is not None else 0.0)
    return row.cells[0].text, [(c, None) for c in found], note(NoteCode.values_beside_label)


# ----------------------------------------------------------------------------- row alignment


@dataclass
class TemplateRow:
    item: ItemSpec
    spec: RowSpec

    @property
    def row_id(self) -> str:
        return self.item.row_id(self.spec)


@dataclass
class Match:
    cand: Candidate
    trow: TemplateRow
    label_score: float
    factors: list[ConfidenceFactor] = field(default_factory=list)  # how sure the row's placement is (the ledger)
    notes: list[CellNote] = field(default_factory=list)  # how the row's values were read, if not by its grid


def _label_score(matcher: LabelMatcher, trow: TemplateRow, cand: Candidate) -> float:
    variants = [cand.label]
    if cand.context:
        variants += [cand.label + cand.context, cand.context + cand.label]
    return max(matcher.best(trow.spec.names, v) for v in variants if v) if any(variants) else 0.0


def align_rows(cands: list[Candidate], trows: list[TemplateRow], matcher: LabelMatcher,
               settings: AssemblySettings) -> list[Match]:
    """Order-preserving alignment of value rows to template rows (dynamic programming).

    A required template row earns a reward for any candidate placed on it (so rows whose label
    is missing but whose position is clear are still placed) plus its label score; an optional
    row (the other version's rows, provincial rows) is taken only on a clear label match.
    """
    n, m = len(cands), len(trows)
    if n == 0 or m == 0:
        return []
    score = [[_label_score(matcher, t, c) for t in trows] for c in cands]
    min_s = settings.min_label_score
    neg = float("-inf")

    def reward(i: int, j: int) -> float:
        s = score[i][j]
        if trows[j].spec.optional:
            return s if s >= 0.6 else neg
        if s >= min_s:
            return 0.25 + s
        if not normalize_label(cands[i].label):
            return 0.25  # no label at all: position only
        return 0.1 + 0.3 * s  # a label that does not fit

    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    move = [[0] * (m + 1) for _ in range(n + 1)]  # 1 skip cand, 2 skip trow, 3 match
    for i in range(1, n + 1):
        best[i][0], move[i][0] = 0.0, 1
    for j in range(1, m + 1):
        best[0][j], move[0][j] = 0.0, 2
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            options = [(best[i - 1][j], 1), (best[i][j - 1], 2)]
            r = reward(i - 1, j - 1)
            if r != neg:
                options.append((best[i - 1][j - 1] + r, 3))
            best[i][j], move[i][j] = max(options, key=lambda o: (o[0], o[1]))
    matches: list[Match] = []
    where: list[tuple[int, int]] = []  # (candidate, template row) index of each match
    i, j = n, m
    while i > 0 and j > 0:
        mv = move[i][j]
        if mv == 3:
            s = score[i - 1][j - 1]
            matches.append(Match(cands[i - 1], trows[j - 1], s))
            where.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif mv == 1:
            i -= 1
        else:
            j -= 1
    matches.reverse()
    where.reverse()
    # a weak label is placed by position only between two rows whose labels matched well: one
    # such row, or a run of them that is every value row between the two and fills every
    # required template row between theirs (the template knows how many rows come between);
    # the start and the end of the table count as such a row for a run that is every value row
    # before the first (after the last) well-matched row and fills every required template row
    # before (after) it
    good = [mt.label_score >= min_s for mt in matches]
    keep = list(good)
    k = 0
    while k < len(matches):
        if good[k]:
            k += 1
            continue
        end = k
        while end < len(matches) and not good[end]:
            end += 1
        if (0 < k or end < len(matches)) and any(good):
            ca, ta = where[k - 1] if k > 0 else (-1, -1)
            cb, tb = where[end] if end < len(matches) else (n, m)
            required = [t for t in range(ta + 1, tb) if not trows[t].spec.optional]
            if (0 < k and end < len(matches) and end - k == 1) \
                    or (cb - ca - 1 == end - k and required == [where[r][1] for r in range(k, end)]):
                keep[k:end] = [True] * (end - k)
        k = end
    anchored_run = [keep[k] and not good[k] for k in range(len(matches))]
    matches = [mt for k, mt in enumerate(matches) if keep[k]]
    anchored_run = [a for k, a in enumerate(anchored_run) if keep[k]]
    for k, mt in enumerate(matches):
        s = mt.label_score
        if s >= min_s and not normalize_label(mt.cand.label) \
                and sum(_label_score(matcher, t, mt.cand) >= min(s, settings.strong_label_score) - 0.05 for t in trows) >= 2:
            # no label of its own, and the label text above it names several rows (the labels of
            # rows whose label cells the grid merged): which of them it is, its position says
            mt.factors.append(factor(FactorCode.row_by_position_anchored, label=""))
            continue
        if s >= settings.strong_label_score:
            continue
        if s >= settings.fair_label_score:
            mt.factors.append(factor(FactorCode.row_label_fair, score=float(s), label=mt.cand.label))
        elif s >= min_s:
            mt.factors.append(factor(FactorCode.row_label_weak, score=float(s), label=mt.cand.label))
        else:
            anchored = anchored_run[k]
            mt.factors.append(factor(FactorCode.row_by_position_anchored if anchored else FactorCode.row_by_position,
                                     label=mt.cand.label))
    return matches


# ----------------------------------------------------------------------------- cells


def _header_unit(doc: Document, cand: Candidate, col: ColumnSpec, lookback: int = 4) -> str | None:
    """Unit of a money column as printed in the header rows just above the value row."""
    start = max(0, cand.index - lookback)
    for i in range(cand.index - 1, start - 1, -1):
        row = doc.rows[i]
        for c in row.cells:
            t = normalize_label(c.text)
            if normalize_label(col.label)[:4] in t or "单位" in t:
                if "万元" in t:
                    return "万元"
                if re.search(r"单位\)?:?元|\(元\)", t):
                    return "元"
    return None


def make_cell(table_id: str, row_id: str, col: ColumnSpec, tc: TextCell | None, page: int | None,
              factors: list[ConfidenceFactor], notes: list[CellNote], header_unit: str | None) -> Cell:
    """A canonical cell from one printed cell (or a missing one when ``tc`` is None), with the
    evidence of its confidence: the reader's score, the structure's placement and the ledger
    (``factors``: the row's placement, then the reading's, then the number's)."""
    if tc is None:
        notes = [*notes, note(NoteCode.no_printed_cell)]
        return Cell(table=table_id, row=row_id, col=col.id, kind=CellKind.missing, page=page,
                    placement_score=1.0, factors=list(factors), reasons=[n.reason for n in notes], notes=notes)
    pv = parse_cell(tc.text, signed=col.signed, count=not col.money)
    notes = [*notes, *(n for n in tc.notes if n not in notes), *pv.notes]
    unit = pv.unit or header_unit or (col.unit if col.money else None)
    cell = Cell(
        table=table_id, row=row_id, col=col.id, value=pv.value, text=tc.text, kind=pv.kind,
        read_score=tc.confidence, placement_score=tc.placement, factors=[*factors, *tc.factors, *pv.factors],
        page=page, bbox=tc.bbox, reasons=[n.reason for n in notes], notes=notes,
    )
    if col.money:
        cell.unit = unit
        cell.value_wan = to_wan(pv.value, unit)
    if tc.alternatives:
        cell.suggestions = [f"{t} ({c:.2f})" for t, c in tc.alternatives]
    return cell


@dataclass
class RowAssignment:
    match: Match
    columns: list[ColumnSpec]
    values: Sequence[TextCell | None]  # None: a grid column with no printed cell (placed by geometry)
    header_unit: dict[str, str | None]
    by_geometry: bool = False

    @property
    def exact(self) -> bool:
        """Every column has a printed cell that reads as a value, blank or dash."""
        return len(self.values) == len(self.columns) and all(
            v is not None and classify(v.text) in WELL_FORMED_CLASSES for v in self.values)


def _place_by_grid(cand: Candidate, n: int) -> list[TextCell | None] | None:
    """Values placed by their grid column when the grid has exactly the template's columns."""
    if cand.grid_width != n or cand.grid_start is None:
        return None
    slots: list[TextCell | None] = [None] * n
    for v in cand.values:
        j = (v.col or 0) - cand.grid_start
        if not 0 <= j < n or slots[j] is not None:
            return None
        slots[j] = v
    return slots


def split_spaced_values(cand: Candidate, n: int, placement: float) -> Candidate:
    """The candidate with every cell that holds several numbers apart ("1 0 0 0": the walls
    between them lost, and the structure readings took them for one cell) read as that many
    values, when that gives the row exactly the template's ``n`` columns; otherwise unchanged.
    Their place comes from their order only: their placement is at most ``placement``, so the
    consistency rules decide whether they are trusted."""
    printed = [v for v in cand.values if v.text.strip()]
    if len(printed) >= n or not any(SPACED_NUMBERS.fullmatch(v.text.strip()) for v in printed):
        return cand
    values: list[TextCell] = []
    for v in printed:
        tokens = v.text.split()
        if len(tokens) < 2 or not SPACED_NUMBERS.fullmatch(v.text.strip()):
            values.append(v)
            continue
        values.extend(_placed([(v, t) for t in tokens], note(NoteCode.numbers_in_one_cell, count=len(tokens), text=v.text),
                              placement))
    if len(values) != n:
        return cand
    return Candidate(cand.index, cand.row, cand.label, values, cand.context)  # no grid columns: placed by count


_TRAILING_NUMBERS = re.compile(r"(?:[-+]?\d+(?:\.\d+)?\s+)*[-+]?\d+(?:\.\d+)?\s*$")


def trailing_values(text: str, counts: Collection[int]) -> tuple[str, list[str]] | None:
    """The text before and the values at the end of ``text`` when it ends in as many numbers as
    one of ``counts`` after a label (with at least one Chinese character): numbers apart
    ("… 0 0 0 0 0 0 0"), or whole numbers run together with exactly one digit per value
    ("…总计20000 02" for 7 values: the only way to read 7 digits as 7 values; only for a table
    whose every row has the one count, so that the count is known). None otherwise,
    and for a single number (a label's last character misread as a digit looks the same)."""
    one_count = len(set(counts)) == 1
    counts = {n for n in counts if n >= 2}
    m = _TRAILING_NUMBERS.search(text)
    if m is None or m.start() == 0 or not has_chinese(text[:m.start()]):
        return None
    tokens = m.group(0).split()
    if len(tokens) in counts:
        return text[:m.start()].strip(), tokens
    digits = "".join(tokens)
    if digits.isdigit() and one_count and len(digits) in counts:  # only where every row has that count
        return text[:m.start()].strip(), list(digits)
    return None


def trailing_values_row(row: Row, counts: Collection[int]) -> Finding | None:
    """A table row read as one text (a row, or the review matrix, whose every wall a scan
    lost: its label or header, then its values) ending in as many numbers as one of
    ``counts`` (``trailing_values``): the text before them and those numbers, placed by their
    order only. None otherwise."""
    found = trailing_values(" ".join(c.text for c in row.cells if c.text.strip()), counts)
    if found is None:
        return None
    label, tokens = found
    cell = next(c for c in reversed(row.cells) if c.text.strip())
    return label, [(cell, t) for t in tokens], note(NoteCode.numbers_after_label, count=len(tokens))


def _speck_only(text: str) -> bool:
    """A cell that holds only specks ("•", "·": scan dust, a dot of a broken rule): no letter or
    digit, and no dash (a printed "—" is a value: none)."""
    return bool(text.strip()) and not re.search(r"\w", text) and classify(text) == ValueClass.label


def _trim_values(values: list[TextCell], n: int, placement: float = 1.0) -> tuple[list[TextCell], list[CellNote]]:
    """Drop surplus blank cells (split merged cells, trailing empties) when there are too many;
    then surplus cells of specks only (spent dev seed 4978 sheet copier 003: a lone "•" cut off
    by a stroke in the review row made sixteen cells, and the rules dropped a value instead,
    shifting the row). A speck may be what is left of a value: the row is then placed by its
    order only (placement at most ``placement``), never confirmed into certainty."""
    notes: list[CellNote] = []
    vals = list(values)
    while len(vals) > n:
        blanks = [k for k, v in enumerate(vals) if not v.text.strip()]
        if not blanks:
            break
        vals.pop(blanks[-1])
    if len(vals) != len(values):
        notes.append(note(NoteCode.blanks_dropped, dropped=len(values) - len(vals), columns=n))
    specks = [k for k, v in enumerate(vals) if _speck_only(v.text)]
    if len(vals) > n and len(vals) - n <= len(specks):
        gone = [vals[k].text.strip() for k in specks[len(specks) - (len(vals) - n):]]
        kept = [v for k, v in enumerate(vals) if k not in specks[len(specks) - (len(vals) - n):]]
        vals = _placed([(v, None) for v in kept], note(NoteCode.specks_left_out, count=len(gone),
                                                       texts=", ".join(repr(t) for t in gone)), placement)
    return vals, notes


def _alignments(k: int, n: int, max_gap: int) -> list[tuple[str, tuple[int, ...]]]:
    """Ways to place k printed values into n columns: ("gap", columns left empty) or ("drop",
    values dropped)."""
    if k < n and n - k <= max_gap:
        return [("gap", g) for g in itertools.combinations(range(n), n - k)]
    if k > n and k - n <= max_gap:
        return [("drop", d) for d in itertools.combinations(range(k), k - n)]
    return []


class TableAssembler:
    """Assembles one canonical table from its region of the document."""

    def __init__(self, doc: Document, template: Template, spec: TableSpec, settings: AssemblySettings):
        self.doc = doc
        self.template = template
        self.spec = spec
        self.settings = settings
        self.trows = [TemplateRow(item, r) for item in spec.items for r in item.rows]
        vocab = [n for t in self.trows for n in t.spec.names]
        self.matcher = LabelMatcher(vocab)
        # rows with a well-matched label needed before the table counts as found
        self.min_good_rows = 1 if spec.id == "reviews_litigation" else min(4, len(self.trows) // 4 + 1)

    def candidates(self, region: tuple[int, int]) -> tuple[list[Candidate], list[int]]:
        """The value rows of the table's region (``candidates_in`` with the template's shape of
        the table; the review matrix, one row read whole, is found by ``assemble``)."""
        if self.spec.id == "reviews_litigation":
            return candidates_in(self.doc, *region, self.settings)
        return candidates_in(self.doc, *region, self.settings, shape=TableShape.of(self.spec))

    def assemble(self, region: tuple[int, int]) -> Table:
        cands, label_only = self.candidates(region)
        if self.spec.id == "reviews_litigation":
            n = len(self.trows[0].item.columns)
            cands = [split_spaced_values(c, n, self.settings.spaced_values_placement) for c in cands]
            # the row printing the most of the n values (a table read twice, by an overlapping
            # region, gives a row of blank cells above the values too); the first of equals
            cands = sorted((c for c in cands if len(c.values) >= 12),
                           key=lambda c: -sum(1 for v in c.values if v.text.strip()))[:1]
            if not cands:
                cands = self._read_whole(label_only, n)
            if not cands:
                cands = self._unheaded_row(n)
            matches = [Match(c, self.trows[0], 1.0) for c in cands]
        else:
            matches = align_rows(cands, self.trows, self.matcher, self.settings)
        if sum(mt.label_score >= self.settings.min_label_score for mt in matches) < self.min_good_rows:
            matches = []  # too little evidence that this table is printed here
        assignments = []
        for mt in matches:
            cols = mt.trow.item.columns
            mt.cand = split_spaced_values(mt.cand, len(cols), self.settings.spaced_values_placement)
            units = {c.id: _header_unit(self.doc, mt.cand, c) for c in cols if c.money}
            slots = _place_by_grid(mt.cand, len(cols))
            if slots is not None:
                assignments.append(RowAssignment(mt, cols, slots, units, by_geometry=True))
                continue
            vals, notes = _trim_values(mt.cand.values, len(cols), self.settings.spaced_values_placement)
            mt.notes.extend(notes)
            assignments.append(RowAssignment(mt, cols, vals, units))
        cells = self._cells(assignments)
        pages = sorted({c.page for c in cells if c.page is not None})
        return Table(id=self.spec.id, found=bool(matches), pages=pages, cells=cells,
                     unit=next((u for a in assignments for u in a.header_unit.values() if u), None))

    def _read_whole(self, label_only: list[int], n: int) -> list[Candidate]:
        """The review matrix read as one text, its header then its ``n`` values (every wall
        lost): the first label-only row that ends so, its values placed by their order."""
        for i in label_only:
            found = trailing_values_row(self.doc.rows[i], {n})
            if found is not None:
                label, words, why = found
                return [Candidate(i, self.doc.rows[i], label, _placed(words, why, self.settings.spaced_values_placement))]
        return []

    def _unheaded_row(self, n: int) -> list[Candidate]:
        """The review matrix's row read where no header was read (``scan._matrix_row_unheaded``:
        a ruled region with its header too pale to find, a line of exactly ``n`` evenly spaced
        numbers, the count only this table has), wherever it stands in the report: a table
        printed as an appendix after the report's last section (a spreadsheet's 附表) lies outside
        the region its section heading gives. The first such row."""
        for i, row in enumerate(self.doc.rows):
            if row.kind == "table" and row.table_index is None and len(row.cells) == n and all(
                    any(nt.code == NoteCode.value_line_cut and nt.params.get("line") == "unheaded" for nt in c.notes)
                    for c in row.cells):
                return [Candidate(i, row, "", list(row.cells))]
        return []

    # -- cells, with count mismatches resolved by the rules

    def _cells(self, assignments: list[RowAssignment]) -> list[Cell]:
        by_row: dict[str, list[Cell]] = {}
        for a in assignments:
            if a.exact:
                by_row[a.match.trow.row_id] = self._row_cells(a, a.values)
        present_rows = {a.match.trow.row_id for a in assignments}
        # every required row of the template, plus optional rows that were printed
        keys: set[CellKey] = set()
        for t in self.trows:
            if not t.spec.optional or t.row_id in present_rows:
                keys.update((self.spec.id, t.row_id, c.id) for c in t.item.columns)
        equations = [e for e in expand_rules(self.template, keys) if e.rule.table == self.spec.id]
        for a in assignments:
            if not a.exact:
                by_row[a.match.trow.row_id] = self._resolve(a, by_row, equations)
        out: list[Cell] = []
        for t in self.trows:
            if t.spec.optional and t.row_id not in present_rows:
                continue
            cells = by_row.get(t.row_id)
            if cells is None:
                cells = [Cell(table=self.spec.id, row=t.row_id, col=c.id, kind=CellKind.missing,
                              reasons=[gone.reason], notes=[gone])
                         for c in t.item.columns for gone in [note(NoteCode.row_not_found)]]
            out.extend(cells)
        if assignments:
            self._derive_unread(out, equations)
        return out

    def _derive_unread(self, cells: list[Cell], equations: list[Equation]) -> None:
        """Fill cells that were not read (garbled, no printed cell, row not found) when a rule
        with every other operand read determines them; they are marked derived, never certain.
        Printed blanks and dashes are statements and stay as they are."""
        by_key = {c.key: c for c in cells}
        unread = {CellKind.text, CellKind.unreadable, CellKind.missing}
        values = {k: (c.value if c.kind in (CellKind.number, CellKind.zero, CellKind.derived) else None)
                  for k, c in by_key.items()}
        derived = derive_unknowns(values, equations, lambda k: k in by_key and by_key[k].kind in unread)
        for key, v in derived.items():
            cell = by_key[key]
            cell.value, cell.kind = v, CellKind.derived
            cell.factors.append(factor(FactorCode.derived))
            if cell.placement_score == 0.0:  # its row was not found: the rules place it
                cell.factors.append(factor(FactorCode.derived_unplaced))

    def _row_cells(self, a: RowAssignment, values: Sequence[TextCell | None], extra: list[CellNote] | None = None,
                   placed: ConfidenceFactor | None = None) -> list[Cell]:
        """The row's canonical cells; ``placed``: how the rules resolved its columns, if they did."""
        page = a.match.cand.row.page
        factors = [*a.match.factors, *([placed] if placed is not None else [])]
        return [
            make_cell(self.spec.id, a.match.trow.row_id, col, tc, page if tc is None else page, factors,
                      [*a.match.notes, *(extra or [])], a.header_unit.get(col.id))
            for col, tc in zip(a.columns, values)
        ]

    def _resolve(self, a: RowAssignment, by_row: dict[str, list[Cell]], equations: list[Equation]) -> list[Cell]:
        """A row with fewer or more values than columns: try every placement, keep those the
        consistency rules accept, derive a gap only when a rule determines it."""
        n, k = len(a.columns), len([v for v in a.values if v is not None])
        row_id = a.match.trow.row_id
        garbled = [v for v in a.values if v is not None and classify(v.text) not in WELL_FORMED_CLASSES]
        if a.by_geometry or k == n:
            row_note = note(NoteCode.grid_row_gaps, unprinted=max(0, n - k), cells=n, garbled=len(garbled))
            options: list[tuple[str, tuple[int, ...]]] = [("fixed", ())]
        else:
            row_note = note(NoteCode.row_count_mismatch, values=k, columns=n)
            options = _alignments(k, n, self.settings.max_count_mismatch)
        if not options:
            vals: list[TextCell | None] = list(a.values[:n]) + [None] * max(0, n - k)
            return self._row_cells(a, vals, placed=factor(FactorCode.row_unresolved, values=k, columns=n, outcome="far"))
        known: dict[CellKey, float | int | None] = {}
        for cells in by_row.values():
            for c in cells:
                known[c.key] = c.value if c.kind in (CellKind.number, CellKind.zero) else None
        touching = [e for e in equations if any(key[1] == row_id for key in e.keys)]
        scored = []
        for kind, pos in options:
            if kind == "fixed":
                vals = list(a.values)
            elif kind == "gap":
                it = iter(a.values)
                vals = [None if j in pos else next(it) for j in range(n)]
            else:
                vals = [v for j, v in enumerate(a.values) if j not in pos]
            trial = dict(known)
            for col, tc in zip(a.columns, vals):
                pv = parse_cell(tc.text, signed=col.signed, count=not col.money) if tc is not None else None
                trial[(self.spec.id, row_id, col.id)] = pv.value if pv else None
            # only a gap or a cell that did not read as a number; never a printed blank or "/"
            unread = {(self.spec.id, row_id, col.id) for col, tc in zip(a.columns, vals)
                      if tc is None or classify(tc.text) not in WELL_FORMED_CLASSES}
            derived = self._derive(trial, touching, row_id, unread)
            trial.update(derived)
            statuses = [evaluate(e, trial)[0] for e in touching]
            fit = sum(s == CheckStatus.passed for s in statuses) - 2 * sum(s == CheckStatus.failed for s in statuses)
            scored.append((fit, kind, pos, vals, derived))
        top = max(s[0] for s in scored)
        best = [s for s in scored if s[0] == top]
        outcomes = {tuple(self._outcome(s[3], s[4], row_id, a.columns)) for s in best}
        fit, kind, pos, vals, derived = best[0]
        if kind == "fixed":
            cells = self._row_cells(a, vals, [row_note])
        elif len(outcomes) == 1:
            cells = self._row_cells(a, vals, placed=factor(FactorCode.placed_by_rules, values=k, columns=n,
                                                           outcome="same" if len(best) > 1 else "chosen"))
        else:
            cells = self._row_cells(a, vals, placed=factor(FactorCode.row_unresolved, values=k, columns=n,
                                                           outcome="ambiguous", placements=len(outcomes)))
        for cell in cells:
            key = (self.spec.id, row_id, cell.col)
            if key in derived and derived[key] is not None:
                cell.value = derived[key]
                cell.kind = CellKind.derived
                cell.factors.append(factor(FactorCode.derived, printed_elsewhere=True))
        return cells

    def _outcome(self, vals, derived, row_id, columns) -> list:
        out = []
        for col, tc in zip(columns, vals):
            key = (self.spec.id, row_id, col.id)
            if tc is not None:
                out.append(parse_cell(tc.text, signed=col.signed, count=not col.money).value)
            else:
                out.append(derived.get(key))
        return out

    def _derive(self, values: dict[CellKey, float | int | None], equations: list[Equation],
                row_id: str, derivable: Collection[CellKey]) -> dict[CellKey, float | int]:
        """Fill unknown cells of ``row_id`` that an equation with one unknown determines."""
        return derive_unknowns(values, equations, derivable.__contains__)


# ----------------------------------------------------------------------------- entry point


@dataclass
class Assembly:
    template: Template
    version_evidence: str
    tables: list[Table]
    regions: dict[str, tuple[int, int]]


def assemble(doc: Document, settings: AssemblySettings, year: int | None = None) -> Assembly:
    """Canonical tables of the document, with the evidence of each cell's confidence (the
    reader's score, the placement, the ledger of factors); checks come after, and
    ``nianbao.confidence`` composes the confidence from that evidence."""
    version, evidence = detect_version(doc, year)
    template = load_template(version)
    regions = locate_regions(doc)
    tables = [TableAssembler(doc, template, spec, settings).assemble(regions[spec.id]) for spec in template.tables]
    return Assembly(template, evidence, tables, regions)

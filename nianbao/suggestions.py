"""Split and joined digits: readings a reviewer may prefer, offered as ``Cell.suggestions``
with their evidence and never applied.

OCR and text extraction sometimes cut one printed number in two ("12" read as the cells "1"
"2", so a row has one value too many) or run two cells together ("1" "2" read as "12", one
value too few). For each printed row whose value count is off by one, or whose consistency
rules fail, this module tries joining each pair of adjacent digit cells (one too many) or
splitting each multi-digit cell (one too few, or a number next to an empty cell), and keeps
an alternative only when every rule touching the row then holds and at least one of them
involves a changed cell. The printed reading stays the value.
"""

from __future__ import annotations

import re

from nianbao.assembly import Match, TableAssembler, _trim_values, align_rows, locate_regions
from nianbao.checks import numeric_values
from nianbao.models.rules import CellKey, Equation, evaluate, expand_rules
from nianbao.models import CellKind, CheckStatus, Document, FactorCode, NoteCode, Report, Template
from nianbao.numbers import normalize_text, parse_cell
from nianbao.settings import Settings

_DIGITS = re.compile(r"^\d+$")


def row_alternatives(texts: list[str], n: int) -> list[tuple[str, list[str]]]:
    """Other readings of a row's printed value texts that give ``n`` values, each with what it
    assumes: join two adjacent digit cells, or split one multi-digit cell in two."""
    t = [normalize_text(x) for x in texts]
    out: list[tuple[str, list[str]]] = []
    if len(t) == n + 1:
        for i in range(n):
            if _DIGITS.match(t[i]) and _DIGITS.match(t[i + 1]) and not (t[i] == "0"):
                out.append((f"the printed '{t[i]}' '{t[i + 1]}' may be one number {t[i] + t[i + 1]}",
                            t[:i] + [t[i] + t[i + 1]] + t[i + 2:]))
    elif len(t) == n - 1:
        for i, x in enumerate(t):
            if _DIGITS.match(x) and len(x) >= 2:
                for j in range(1, len(x)):
                    a, b = x[:j], x[j:]
                    if len(b) > 1 and b.startswith("0"):
                        continue
                    out.append((f"the printed '{x}' may be two numbers '{a}' '{b}' run together",
                                t[:i] + [a, b] + t[i + 1:]))
    elif len(t) == n:
        for i, x in enumerate(t):
            if not (_DIGITS.match(x) and len(x) >= 2):
                continue
            for k in (i - 1, i + 1):
                if 0 <= k < n and t[k] == "":
                    for j in range(1, len(x)):
                        a, b = x[:j], x[j:]
                        if len(b) > 1 and b.startswith("0"):
                            continue
                        alt = list(t)
                        alt[min(i, k)], alt[max(i, k)] = a, b
                        out.append((f"the printed '{x}' beside an empty cell may be '{a}' '{b}'", alt))
    return out


# a row whose value count was off: its count noted, its blanks beyond the columns dropped, or its
# values placed by the rules (or not resolved)
_OFF_COUNT_NOTES = {NoteCode.row_count_mismatch, NoteCode.blanks_dropped}
_OFF_COUNT_FACTORS = {FactorCode.placed_by_rules, FactorCode.row_unresolved}


def _tables_to_look_at(report: Report) -> set[str]:
    """Tables with a broken rule or a row whose value count was off (cheap test first: the
    row alignment below is the costly part)."""
    tables = {r.cells[0].split(".", 1)[0] for r in report.checks if r.status == CheckStatus.failed and r.cells}
    for c in report.cells():
        if c.kind == CellKind.derived or any(n.code in _OFF_COUNT_NOTES for n in c.notes) \
                or any(f.code in _OFF_COUNT_FACTORS for f in c.factors):
            tables.add(c.table)
    return tables


def _matches(doc: Document, template: Template, settings: Settings, tables: set[str]) -> list[tuple[str, Match]]:
    """The printed row behind each canonical row, found the way assembly finds it."""
    regions = locate_regions(doc)
    out = []
    for spec in template.tables:
        if spec.id not in tables:
            continue
        ta = TableAssembler(doc, template, spec, settings.assembly)
        cands, _ = ta.candidates(regions[spec.id])
        if spec.id == "reviews_litigation":
            matches = [Match(c, ta.trows[0], 1.0) for c in cands if len(c.values) >= 10][:1]
        else:
            matches = align_rows(cands, ta.trows, ta.matcher, settings.assembly)
        out += [(str(spec.id), m) for m in matches]
    return out


def suggest_splits(report: Report, doc: Document, template: Template, settings: Settings) -> int:
    """Add split/join alternatives that make a row's rules hold to the cells they change
    (``Cell.suggestions``); returns how many rows got one. Values are never changed."""
    tables = _tables_to_look_at(report)
    if not tables:
        return 0
    values = numeric_values(report)
    equations = expand_rules(template, set(values))
    cells = {c.key: c for c in report.cells()}
    rows_done = 0
    for table_id, mt in _matches(doc, template, settings, tables):
        row_id = mt.trow.row_id
        cols = mt.trow.item.columns
        vals, _ = _trim_values(mt.cand.values, len(cols))
        texts = [v.text for v in vals]
        keys: list[CellKey] = [(table_id, row_id, c.id) for c in cols]
        if not all(k in cells for k in keys):
            continue
        touching = [e for e in equations if any(k in e.keys for k in keys)]
        if not touching:
            continue
        failed_now = any(evaluate(e, values)[0] == CheckStatus.failed for e in touching)
        if not failed_now and len(texts) == len(cols):
            continue
        offered = False
        for desc, alt in row_alternatives(texts, len(cols)):
            trial = dict(values)
            changed: list[CellKey] = []
            for k, col, text in zip(keys, cols, alt):
                v = parse_cell(text, signed=col.signed, count=not col.money).value
                trial[k] = v
                if v != values.get(k):
                    changed.append(k)
            if not changed:
                continue
            held = _holds(touching, trial, changed)
            if held is None:
                continue
            for k in changed:
                v = trial[k]
                note = (f"{'?' if v is None else v}: {desc}; then {', '.join(held)} hold "
                        f"(row printed {len(texts)} values for {len(cols)} columns; not applied)")
                if note not in cells[k].suggestions:
                    cells[k].suggestions.append(note)
            offered = True
        rows_done += offered
    return rows_done


def _holds(equations: list[Equation], values: dict[CellKey, float | int | None], changed: list[CellKey]) -> list[str] | None:
    """Names of the rules over a changed cell that hold with ``values``, when no rule fails
    and at least one such rule holds; None otherwise."""
    held, useful = [], False
    for e in equations:
        status = evaluate(e, values)[0]
        if status == CheckStatus.failed:
            return None
        if status == CheckStatus.passed and any(k in e.keys for k in changed):
            held.append(f"{e.rule.id} ({e.subject})")
            useful = True
    return held if useful else None

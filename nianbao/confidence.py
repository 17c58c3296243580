"""Per-cell confidence, composed here and nowhere else, from the evidence the stages record.

A stage never sets a confidence: it records evidence on its plain data — the reader's own score
(``TextCell.confidence`` → ``Cell.read_score``), the structure reading's placement
(``TextCell.placement`` → ``Cell.placement_score``) and a ledger of ``ConfidenceFactor``
entries (a ``FactorCode`` and a reason in words). Each code has one rule in ``FACTOR_RULES``:
the stage it acts on, how (multiply, cap, floor, set, close the gap to 1) and the
``Settings.confidence`` field with its number. The one rule of composition:

    read       = read_score (to 4 places), then each "read" factor in the order recorded
                 (times: rounded to 4 places after each; cap: min; set: the value)
    placement  = placement_score, then each "placement" factor (cap: min; set: the value)
    base       = read × placement
    rules      = the consistency rules (SPEC §3: a parity check over the matrix), recorded by
                 ``score_cells`` as factors on base:
      breaks_rule            × failed_rule_factor   a rule touching the cell fails (the cell is suspect)
      derived_cap            min derived_confidence the value was derived from the rules, not read
      confirmed_by_rules     max confirmed_floor    every rule touching the cell (≥ 2) holds with every
                                                    operand read as a number, base ≥ two_rules_min_base
                                                    and placement ≥ min_placement_to_confirm
      confirmed_via_unread   max confirmed_floor    as confirmed_by_rules, where a rule left not assessable
                                                    by one derived cell holds with its value, that cell's
                                                    other rules holding too (``checked_via_unread``)
      confirmed_by_one_rule  max single_rule_floor  the one rule touching it (reviews groups) holds likewise,
                                                    base ≥ min_base_to_confirm
      failure_points_elsewhere max localized_failure_floor  after breaks_rule: every broken rule of the
                                                    table crosses at one other cell (``single_culprits``),
                                                    every other rule of this cell holds with every operand
                                                    read, base and placement as for confirmed_by_rules
      unconfirmed_ocr        min unconfirmed_ocr_cap an OCR'd number no rule confirms (第二十条 tables,
                                                    rows whose rules are not assessable); also
      signed_column          min signed_ocr_cap     in a column that may be negative,
      lone_stroke            min lone_stroke_cap    a lone "1" (a "/" reads so)
      scan_blank             min unconfirmed_ocr_cap a blank, dash or text on a scan (a lost number looks blank)
                             (nothing)              otherwise (text-layer readings)
    A code recorded more than once acts once (further entries only add reasons).
    confidence = base after the rules, clamped to [0, 1] and rounded to 4 places, then each
                 "text" factor: text_agrees closes text_agreement_weight of the gap to 1 (c > 0)
    missing cells get 0.

Every factor's reason goes to ``Cell.reasons`` (English; ``nianbao.wording`` says it in
Chinese), so a reviewer can read why a cell is below 1. A rule factor is recorded only where it
moves the value (a floor base already reaches, or a cap above base, is no adjustment), except the reasons a
reviewer must see whatever the number: a broken rule, a signed column, a lone stroke.

A misread digit breaks its row rule and its column rule, so a cell whose rules all hold is
confirmed whatever the OCR score said; a cell no rule confirms can only be as sure as the OCR,
whose raw scores run high on wrong reads (0.95 on a "—" read as "4"), hence the cap below 0.9:
on a scan, ≥ 0.9 means "confirmed by arithmetic" (or by the body text, see statements.py).
``nianbao bench`` prints the calibration table that the factors were set from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Literal

from nianbao.models.rules import CellKey, Equation, evaluate
from nianbao.models import Cell, CellKind, CellNote, CheckResult, CheckStatus, ConfidenceFactor, FactorCode, Report
from nianbao.numbers import normalize_text
from nianbao.settings import ConfidenceSettings
from nianbao.wording import cell_name, factor, template_of


_LONE_STROKES = {"1", "l", "I", "|", "丨"}
# the rules chose where these cells' values go: the same rules cannot then check them
_PLACED_BY_RULES = {FactorCode.placed_by_rules, FactorCode.row_unresolved, FactorCode.derived_unplaced}

Stage = Literal["read", "placement", "rules", "text"]
Op = Literal["times", "cap", "floor", "set", "toward_one"]


@dataclass(frozen=True)
class FactorRule:
    """How one ``FactorCode`` acts: on which stage's value, by which operation, with the number
    held in ``ConfidenceSettings.<field>``."""

    stage: Stage
    op: Op
    field: str


F = FactorCode
FACTOR_RULES: dict[FactorCode, FactorRule] = {
    F.empty_cell: FactorRule("read", "times", "empty_cell_factor"),
    F.slash_by_shape: FactorRule("read", "cap", "slash_shape_cap"),
    F.slash_upright: FactorRule("read", "times", "slash_upright_factor"),
    F.second_look_not_number: FactorRule("read", "times", "second_look_not_number_factor"),
    F.second_look_disagrees: FactorRule("read", "times", "second_look_disagree_factor"),
    F.second_look_disagrees_not_number: FactorRule("read", "times", "second_look_disagree_not_number_factor"),
    F.lookalike: FactorRule("read", "times", "lookalike_factor"),
    F.single_lookalike: FactorRule("read", "times", "single_lookalike_factor"),
    F.speck_dropped: FactorRule("read", "times", "speck_dropped_factor"),
    F.negative_count: FactorRule("read", "times", "negative_count_factor"),
    F.not_a_number: FactorRule("read", "times", "not_a_number_factor"),
    F.derived: FactorRule("read", "set", "derived_confidence"),
    F.row_label_fair: FactorRule("placement", "cap", "row_label_fair_placement"),
    F.row_label_weak: FactorRule("placement", "cap", "row_label_weak_placement"),
    F.row_by_position_anchored: FactorRule("placement", "cap", "row_by_position_anchored_placement"),
    F.row_by_position: FactorRule("placement", "cap", "row_by_position_placement"),
    F.cell_disputed: FactorRule("placement", "cap", "disputed_cell_placement"),
    F.placed_by_rules: FactorRule("placement", "cap", "placed_by_rules_placement"),
    F.row_unresolved: FactorRule("placement", "cap", "unresolved_row_placement"),
    F.derived_unplaced: FactorRule("placement", "set", "derived_unplaced_placement"),
    F.page_turn_unsure: FactorRule("placement", "cap", "page_turn_unsure_placement"),
    F.breaks_rule: FactorRule("rules", "times", "failed_rule_factor"),
    F.derived_cap: FactorRule("rules", "cap", "derived_confidence"),
    F.confirmed_by_rules: FactorRule("rules", "floor", "confirmed_floor"),
    F.confirmed_by_one_rule: FactorRule("rules", "floor", "single_rule_floor"),
    F.failure_points_elsewhere: FactorRule("rules", "floor", "localized_failure_floor"),
    F.confirmed_via_unread: FactorRule("rules", "floor", "confirmed_floor"),
    F.unconfirmed_ocr: FactorRule("rules", "cap", "unconfirmed_ocr_cap"),
    F.signed_column: FactorRule("rules", "cap", "signed_ocr_cap"),
    F.lone_stroke: FactorRule("rules", "cap", "lone_stroke_cap"),
    F.scan_blank: FactorRule("rules", "cap", "unconfirmed_ocr_cap"),
    F.text_agrees: FactorRule("text", "toward_one", "text_agreement_weight"),
}


def factor_value(code: FactorCode, settings: ConfidenceSettings) -> float:
    """The number a factor stands for: its ``Settings.confidence`` field."""
    return float(getattr(settings, FACTOR_RULES[code].field))


def fold(value: float, factors: Iterable[ConfidenceFactor], stage: Stage, settings: ConfidenceSettings) -> float:
    """``value`` with every factor of ``stage`` applied in the order recorded (the rule in the
    module docstring). A code recorded more than once acts once: its further entries only
    add reasons (a cell in two broken rules is halved once, and says which rules)."""
    seen: set[FactorCode] = set()
    for f in factors:
        rule = FACTOR_RULES[f.code]
        if rule.stage != stage or f.code in seen:
            continue
        seen.add(f.code)
        v = factor_value(f.code, settings)
        if rule.op == "times":
            value = round(value * v, 4)
        elif rule.op == "cap":
            value = min(value, v)
        elif rule.op == "floor":
            value = max(value, v)
        elif rule.op == "set":
            value = v
        elif value > 0:  # toward_one: a cell at 0 has nothing to be raised
            value = round(value + (1.0 - value) * v, 4)
    return value


def _record(cell: Cell, code: FactorCode, **params: str | int | float | bool) -> None:
    cell.factors.append(factor(code, **params))


def compose(cell: Cell, settings: ConfidenceSettings) -> float:
    """Set ``read_confidence`` and ``placement_confidence`` of ``cell`` from its evidence and
    its read and placement factors; return base = read × placement."""
    cell.read_confidence = fold(round(cell.read_score, 4), cell.factors, "read", settings)
    cell.placement_confidence = fold(cell.placement_score, cell.factors, "placement", settings)
    return cell.read_confidence * cell.placement_confidence


def score_cells(report: Report, equations: list[Equation], results: list[CheckResult],
                settings: ConfidenceSettings, signed: Collection[CellKey] | None = None) -> None:
    """Compose ``confidence`` on every cell of ``report`` (in place): the rule factors are
    recorded from the checks, every factor's reason is added to the cell's reasons. Running it
    again gives the same cells (the rule factors are recorded afresh)."""
    by_key: dict[CellKey, list[tuple[Equation, CheckResult]]] = defaultdict(list)
    status_of = {(r.rule, r.subject): r for r in results}
    for eq in equations:
        res = status_of.get((eq.rule.id, eq.subject))
        if res is None:
            continue
        for k in eq.keys:
            by_key[k].append((eq, res))
    kinds = {c.key: c.kind for c in report.cells()}
    scanned_pages = {p.number for p in report.pages if p.source == "scan"}
    s = settings
    culprits = single_culprits(equations, results)
    via_unread = checked_via_unread(report, equations, results)
    template = template_of(report.template_version)
    for cell in report.cells():
        cell.factors = [f for f in cell.factors if FACTOR_RULES[f.code].stage != "rules"]
        base = compose(cell, s)
        if cell.kind == CellKind.missing:
            cell.confidence = 0.0
            _add_reasons(cell)
            continue
        touching = by_key.get(cell.key, [])
        failed = [res for _, res in touching if res.status == CheckStatus.failed]
        passed = [(eq, res) for eq, res in touching if res.status == CheckStatus.passed]
        if failed:
            for res in failed:
                _record(cell, F.breaks_rule, rule=res.rule, subject=res.subject, equation=res.equation)
            culprit = culprits.get(cell.table)
            # the broken rules all cross at one other cell (the single misread SPEC §3 describes):
            # this cell's part in them is explained there, and every other rule it is in holds
            # with all its operands read: it is confirmed by those, as a cell no rule breaks is
            if (culprit is not None and culprit != cell.key and cell.kind in (CellKind.number, CellKind.zero)
                    and len(passed) + len(failed) == len(touching) and passed
                    and base >= s.min_base_to_confirm and cell.placement_confidence >= s.min_placement_to_confirm):
                name = cell_name(template, *culprit)
                _record(cell, F.failure_points_elsewhere, culprit=name.ref, culprit_zh=name.short, rules=len(passed))
        elif cell.kind == CellKind.derived:
            if base > s.derived_confidence:
                _record(cell, F.derived_cap, cap=s.derived_confidence)
        elif cell.kind in (CellKind.number, CellKind.zero):
            confirming = [eq for eq, _ in passed
                          if all(kinds.get(k) in (CellKind.number, CellKind.zero) for k in eq.keys)]
            # a rule left not assessable by one unread cell whose value its other rules give and
            # check (``checked_via_unread``) holds with that value
            through = [via_unread[(eq.rule.id, eq.subject)] for eq, res in touching
                       if res.status == CheckStatus.not_assessable and (eq.rule.id, eq.subject) in via_unread]
            # confirmed only when every rule the cell is in holds (one that cannot be assessed
            # because another operand was not read confirms nothing)
            floor: FactorCode | None = None
            if confirming and len(confirming) + len(through) == len(touching):
                floor = F.confirmed_by_rules if len(touching) >= 2 else F.confirmed_by_one_rule
                if through and floor == F.confirmed_by_rules:
                    floor = F.confirmed_via_unread
            # arithmetic confirms a value, not where it was placed: rows placed by position or
            # resolved by the rules themselves are not lifted
            # a misread breaks both rules of a cell in two, whatever its score: there the
            # reading's own doubt is no bar (two_rules_min_base); one rule checks less
            min_base = s.min_base_to_confirm if floor == F.confirmed_by_one_rule else s.two_rules_min_base
            if (floor is not None and base >= min_base
                    and cell.placement_confidence >= s.min_placement_to_confirm):
                if base < factor_value(floor, s) and floor == F.confirmed_via_unread:
                    name = cell_name(template, *through[0])
                    _record(cell, floor, rules=len(touching), unread=name.ref, unread_zh=name.short)
                elif base < factor_value(floor, s):
                    _record(cell, floor, rules=len(confirming))
            elif cell.page in scanned_pages:
                if base > s.unconfirmed_ocr_cap:
                    _record(cell, F.unconfirmed_ocr, cap=s.unconfirmed_ocr_cap)
                if signed and cell.key in signed:
                    _record(cell, F.signed_column)
                if normalize_text(cell.text) in _LONE_STROKES:
                    _record(cell, F.lone_stroke)
        elif cell.page in scanned_pages:
            # an empty cell, a dash or text on a scan: no rule can confirm it, and a faint
            # number lost by the scan looks just like a printed blank
            if base > s.unconfirmed_ocr_cap:
                _record(cell, F.scan_blank)
        conf = fold(base, cell.factors, "rules", s)
        cell.confidence = fold(round(min(1.0, max(0.0, conf)), 4), cell.factors, "text", s)
        _add_reasons(cell)


def single_culprits(equations: list[Equation], results: list[CheckResult]) -> dict[str, CellKey]:
    """Per table, the one cell that alone explains every rule of the table that fails: the
    rules that fail are exactly the assessable rules that cell is in, at least two of them (its
    row rule and a column rule), and no other cell is in exactly those. A misread number breaks
    every rule it is in and nothing else, so this is where a single misread lies, and the other
    cells of the broken rules are broken by it (SPEC §3: "a single misread breaks one row rule
    and one column rule and so points at the cell where they cross"). A garbled row that still
    adds up breaks only column rules, a shifted column only row rules, errors in two cells
    more rules than one cell's: none of these has such a cell."""
    status = {(r.rule, r.subject): r.status for r in results}
    failed: dict[str, set[tuple[str, str]]] = defaultdict(set)
    assessable: dict[CellKey, set[tuple[str, str]]] = defaultdict(set)
    for eq in equations:
        st = status.get((eq.rule.id, eq.subject))
        if st is None or st == CheckStatus.not_assessable:
            continue
        for k in eq.keys:
            assessable[k].add((eq.rule.id, eq.subject))
            if st == CheckStatus.failed:
                failed[k[0]].add((eq.rule.id, eq.subject))
    out: dict[str, CellKey] = {}
    for table, broken in failed.items():
        if len(broken) < 2:
            continue
        found = [k for k, eqs in assessable.items() if k[0] == table and eqs == broken]
        if len(found) == 1:
            out[table] = found[0]
    return out


def checked_via_unread(report: Report, equations: list[Equation],
                       results: list[CheckResult]) -> dict[tuple[str, str], CellKey]:
    """The rules left not assessable by one unread cell that the rules themselves check: a
    cell whose value assembly derived (``CellKind.derived``), the only operand not read in
    every rule it is in, at least two of them, all of which hold with the derived value. One of
    its rules gave the value; each other one, holding with it, is a check no reading entered
    twice (a row and a column rule cross in that cell only), so every rule of the cell counts
    as holding for the read cells in it. Rule id and subject -> the unread cell. A row lost
    whole is no such cell (its row rule has more than one unread operand), and there the
    column rules leave no check beyond the other rows' own: none is counted. Nor is a cell
    of a row whose values the rules placed (or of a row not found)."""
    status = {(r.rule, r.subject): r.status for r in results}
    cells = {c.key: c for c in report.cells()}
    read = {k for k, c in cells.items() if c.kind in (CellKind.number, CellKind.zero)}
    in_eqs: dict[CellKey, list[Equation]] = defaultdict(list)
    for eq in equations:
        for k in eq.keys:
            in_eqs[k].append(eq)
    values: dict[CellKey, float | int | None] = {k: cells[k].value for k in read}
    out: dict[tuple[str, str], CellKey] = {}
    for key, eqs in in_eqs.items():
        cell = cells.get(key)
        if cell is None or cell.kind != CellKind.derived or cell.value is None or len(eqs) < 2:
            continue
        # a value derived while the rules chose where a row's values go is no check: the choice
        # already used them
        if any(f.code in _PLACED_BY_RULES for f in cell.factors):
            continue
        if not all(status.get((eq.rule.id, eq.subject)) == CheckStatus.not_assessable
                   and all(k in read for k in eq.keys if k != key) for eq in eqs):
            continue
        filled = {**values, key: cell.value}
        if all(evaluate(eq, filled)[0] == CheckStatus.passed for eq in eqs):
            for eq in eqs:
                out[(eq.rule.id, eq.subject)] = key
    return out


def _add_reasons(cell: Cell) -> None:
    """Every factor's reason in the cell's reasons (once), for the reviewer."""
    for f in cell.factors:
        if f.reason not in cell.reasons:
            cell.reasons.append(f.reason)


def add_note(cell: Cell, note: CellNote) -> None:
    """A note on the cell: in its notes, and its English in its reasons."""
    cell.reasons = [*cell.reasons, note.reason]
    cell.notes = [*cell.notes, note]


def mark_reviewed(cell: Cell, note: CellNote) -> None:
    """A person accepted or corrected the cell (``note``): their word is certain (confidence 1), and says so."""
    add_note(cell, note)
    cell.confidence = 1.0

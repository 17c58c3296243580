"""Per-cell confidence: how sure the reading is × how sure the placement is, then adjusted
by the consistency rules.

    base       = read_confidence × placement_confidence
    confidence = base × failed_rule_factor                 if a rule touching the cell fails
               = max(base, confirmed_floor)                if ≥ 2 rules touching the cell hold,
                                                            every operand of them was read (not
                                                            derived) and base ≥ 0.5 (SPEC §3:
                                                            a row and a column rule that hold
                                                            confirm the cell by arithmetic)
               = min(base, derived_confidence)             if the value was derived by the rules
               = base                                      otherwise
    blank/dash cells keep base (they are statements, not numbers); missing cells get 0.

The factors live in ``Settings.confidence``; calibration figures come from ``nianbao bench``.
"""

from __future__ import annotations

from collections import defaultdict

from nianbao.checks import CellKey, Equation
from nianbao.models import CellKind, CheckResult, CheckStatus, Report
from nianbao.settings import ConfidenceSettings


def score_cells(report: Report, equations: list[Equation], results: list[CheckResult],
                settings: ConfidenceSettings) -> None:
    """Set ``confidence`` and add rule reasons on every cell of ``report`` (in place)."""
    by_key: dict[CellKey, list[tuple[Equation, CheckResult]]] = defaultdict(list)
    status_of = {(r.rule, r.subject): r for r in results}
    for eq in equations:
        res = status_of.get((eq.rule.id, eq.subject))
        if res is None:
            continue
        for k in eq.keys:
            by_key[k].append((eq, res))
    kinds = {c.key: c.kind for c in report.cells()}
    for cell in report.cells():
        if cell.kind == CellKind.missing:
            cell.confidence = 0.0
            continue
        base = cell.read_confidence * cell.placement_confidence
        touching = by_key.get(cell.key, [])
        failed = [res for _, res in touching if res.status == CheckStatus.failed]
        passed = [(eq, res) for eq, res in touching if res.status == CheckStatus.passed]
        if failed:
            conf = base * settings.failed_rule_factor
            for res in failed:
                msg = f"breaks rule {res.rule} ({res.subject}): {res.equation}"
                if msg not in cell.reasons:
                    cell.reasons.append(msg)
        elif cell.kind == CellKind.derived:
            conf = min(base, settings.derived_confidence)
        elif (
            cell.kind in (CellKind.number, CellKind.zero)
            and len(passed) >= 2
            and base >= 0.5
            and all(kinds.get(k) in (CellKind.number, CellKind.zero) for eq, _ in passed for k in eq.keys)
        ):
            conf = max(base, settings.confirmed_floor)
            if base < settings.confirmed_floor:
                cell.reasons.append(f"confirmed by {len(passed)} consistency rules")
        else:
            conf = base
        cell.confidence = round(min(1.0, max(0.0, conf)), 4)

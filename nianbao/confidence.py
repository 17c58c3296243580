"""Per-cell confidence: how sure the reading is × how sure the placement is, then adjusted
by the consistency rules (SPEC §3: the rules are a parity check over the matrix).

    base = read_confidence × placement_confidence
    confidence =
      base × failed_rule_factor           a rule touching the cell fails (the cell is suspect)
      min(base, derived_confidence)       the value was derived from the rules, not read
      max(base, confirmed_floor)          every rule touching the cell (≥ 2) holds with every operand read
                                          as a number, base ≥ min_base_to_confirm and the row's
                                          placement was sure (≥ 0.9)
      max(base, single_rule_floor)        the one rule touching it (reviews groups) holds likewise
      min(base, unconfirmed_ocr_cap)      an OCR'd number no rule confirms (第二十条 tables, rows
                                          whose rules are not assessable);
                                          lone_stroke_cap if it is a lone "1" (a "/" reads so),
                                          signed_ocr_cap in a column that may be negative
      min(base, unconfirmed_ocr_cap)      a blank, dash or text on a scan (a lost number looks blank)
      base                                otherwise (text-layer readings)
    missing cells get 0.

A misread digit breaks its row rule and its column rule, so a cell whose rules all hold is
confirmed whatever the OCR score said; a cell no rule confirms can only be as sure as the OCR,
whose raw scores run high on wrong reads (0.95 on a "—" read as "4"), hence the cap below 0.9:
on a scan, ≥ 0.9 means "confirmed by arithmetic" (or by the body text, see statements.py). The factors live in
``Settings.confidence``; ``nianbao bench`` prints the calibration table that they were set from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from nianbao.models.rules import CellKey, Equation
from nianbao.models import CellKind, CheckResult, CheckStatus, Report
from nianbao.numbers import normalize_text
from nianbao.settings import ConfidenceSettings


_LONE_STROKES = {"1", "l", "I", "|", "丨"}


def score_cells(report: Report, equations: list[Equation], results: list[CheckResult],
                settings: ConfidenceSettings, signed: Collection[CellKey] | None = None) -> None:
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
    scanned_pages = {p.number for p in report.pages if p.source == "scan"}
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
        elif cell.kind in (CellKind.number, CellKind.zero):
            confirming = [eq for eq, _ in passed
                          if all(kinds.get(k) in (CellKind.number, CellKind.zero) for k in eq.keys)]
            # confirmed only when every rule the cell is in holds (one that cannot be assessed
            # because another operand was not read confirms nothing)
            floor = None
            if confirming and len(confirming) == len(touching):
                floor = settings.confirmed_floor if len(confirming) >= 2 else settings.single_rule_floor
            # arithmetic confirms a value, not where it was placed: rows placed by position or
            # resolved by the rules themselves are not lifted
            if floor is not None and base >= settings.min_base_to_confirm and cell.placement_confidence >= 0.9:
                conf = max(base, floor)
                if base < floor:
                    cell.reasons.append(f"confirmed by {len(confirming)} consistency rule(s)")
            elif cell.page in scanned_pages:
                conf = min(base, settings.unconfirmed_ocr_cap)
                if signed and cell.key in signed:
                    conf = min(conf, settings.signed_ocr_cap)
                    cell.reasons.append("a column that may be negative: a faint minus sign is easily lost")
                if normalize_text(cell.text) in _LONE_STROKES:
                    conf = min(conf, settings.lone_stroke_cap)
                    cell.reasons.append("a lone stroke read as 1 may be a printed '/'")
            else:
                conf = base
        elif cell.page in scanned_pages:
            # an empty cell, a dash or text on a scan: no rule can confirm it, and a faint
            # number lost by the scan looks just like a printed blank
            conf = min(base, settings.unconfirmed_ocr_cap)
            if base > conf:
                cell.reasons.append("a blank or dash on a scan may be a number the scan lost")
        else:
            conf = base
        cell.confidence = round(min(1.0, max(0.0, conf)), 4)

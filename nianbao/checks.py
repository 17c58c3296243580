"""The consistency rules (勾稽关系) of SPEC §3 checked on a report: every equation of the
template's rules (:mod:`nianbao.models.rules`) evaluated on its cells, without ever changing a value."""

from __future__ import annotations

from nianbao.models import CellKind, CheckResult, CheckStatus, Report, Template
from nianbao.models.rules import CellKey, Equation, evaluate, expand_rules

NUMERIC_KINDS = {CellKind.number, CellKind.zero}  # a derived value cannot confirm the rule it came from


def numeric_values(report: Report) -> dict[CellKey, float | int | None]:
    """Cell values usable in arithmetic: a blank, dash, text or unreadable cell is not a number."""
    return {c.key: (c.value if c.kind in NUMERIC_KINDS else None) for c in report.cells()}


def unprinted_alternatives(report: Report, template: Template) -> set[CellKey]:
    """Cells of rows the report does not print because it prints their other-version
    equivalent instead (2019's （六）其他处理 for 2021's three sub-rows, or the reverse): those
    rows are not part of its sums. A row counts as printed when any of its cells was found."""
    printed: set[tuple[str, str]] = {(c.table, c.row) for c in report.cells() if c.kind != CellKind.missing}
    keys = {c.key for c in report.cells()}
    out: set[CellKey] = set()
    for spec in template.tables:
        for item in spec.items:
            for row in item.rows:
                if not row.stands_for:
                    continue
                whole = (spec.id, item.row_id(row))
                parts = [(spec.id, item.row_id_by_id(r)) for r in row.stands_for]
                if whole in printed and not any(p in printed for p in parts):
                    drop = set(parts)
                elif whole not in printed and any(p in printed for p in parts):
                    drop = {whole}
                else:
                    continue
                out |= {k for k in keys if (k[0], k[1]) in drop}
    return out


def run_checks(report: Report, template: Template) -> list[CheckResult]:
    """Check every rule of the template on the report's cells."""
    return check_report(report, template)[1]


def check_report(report: Report, template: Template) -> tuple[list[Equation], list[CheckResult]]:
    """The equations of the report's cells and the result of each."""
    values = numeric_values(report)
    results: list[CheckResult] = []
    equations = expand_rules(template, set(values) - unprinted_alternatives(report, template))
    for eq in equations:
        status, ls, rs, text = evaluate(eq, values)
        description = f"{eq.rule.text} ({eq.subject})"
        if status == CheckStatus.not_assessable:
            bad = [".".join(k) for k in eq.keys if values.get(k) is None]
            description += "; not assessable: no number in " + ", ".join(bad)
        results.append(
            CheckResult(rule=eq.rule.id, subject=eq.subject, status=status, description=description,
                        equation=text, lhs=ls, rhs=rs, cells=[".".join(k) for k in eq.keys])
        )
    return equations, results

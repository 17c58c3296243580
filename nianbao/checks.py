"""The consistency rules (勾稽关系) of SPEC §3, expanded from the template's declarative rules
into equations over canonical cells and evaluated without ever changing a value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nianbao.models import CellKind, CheckResult, CheckStatus, Report, RuleSpec, Template

CellKey = tuple[str, str, str]  # (table, row, col)
NUMERIC_KINDS = {CellKind.number, CellKind.zero}  # a derived value cannot confirm the rule it came from


@dataclass(frozen=True)
class Equation:
    """sum(lhs) == sum(rhs) for one subject (a column for per-column rules, a row otherwise)."""

    rule: RuleSpec
    subject: str
    lhs: tuple[CellKey, ...]
    rhs: tuple[CellKey, ...]

    @property
    def keys(self) -> tuple[CellKey, ...]:
        return self.lhs + self.rhs


def expand_rules(template: Template, present: set[CellKey]) -> list[Equation]:
    """Equations of every rule over the cells this report has (template cells plus printed
    optional rows). Operands absent from ``present`` are not part of this report's template."""
    equations: list[Equation] = []
    for rule in template.rules:
        spec = template.table(rule.table)
        for item in spec.items:
            if rule.over == "columns":
                subjects = [c.id for c in item.columns]
                make = lambda ids, s: tuple((rule.table, item.row_id_by_id(i), s) for i in ids)  # noqa: E731
            else:
                subjects = [item.row_id(r) for r in item.rows]
                make = lambda ids, s: tuple((rule.table, s, i) for i in ids)  # noqa: E731
            for subject in subjects:
                lhs = tuple(k for k in make(rule.lhs, subject) if k in present)
                rhs = tuple(k for k in make(rule.rhs, subject) if k in present)
                if lhs and rhs:
                    equations.append(Equation(rule, subject, lhs, rhs))
    return equations


def format_number(v: float | int | None) -> str:
    """A value as written in an equation: 3, 2.5, or ? when there is no number."""
    if v is None:
        return "?"
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v)


def evaluate(eq: Equation, values: dict[CellKey, float | int | None]) -> tuple[CheckStatus, float | None, float | None, str]:
    """Status, both sides and the equation written with its numbers."""
    lv = [values.get(k) for k in eq.lhs]
    rv = [values.get(k) for k in eq.rhs]
    text = " + ".join(format_number(v) for v in lv) + " = " + " + ".join(format_number(v) for v in rv)
    if any(v is None for v in lv + rv):
        return CheckStatus.not_assessable, None, None, text
    ls, rs = float(sum(lv)), float(sum(rv))  # type: ignore[arg-type]
    if abs(ls - rs) <= 1e-6 * max(1.0, abs(ls), abs(rs)):
        return CheckStatus.passed, ls, rs, text.replace(" = ", " = ")
    return CheckStatus.failed, ls, rs, text.replace(" = ", " ≠ ")


def derive_unknowns(values: dict[CellKey, float | int | None], equations: list[Equation],
                    derivable: Callable[[CellKey], bool]) -> dict[CellKey, float | int]:
    """Values the equations determine: repeatedly, an equation with exactly one unknown operand
    that ``derivable`` allows gives it (never a negative count). ``values`` is not changed."""
    vals = dict(values)
    derived: dict[CellKey, float | int] = {}
    changed = True
    while changed:
        changed = False
        for e in equations:
            unknown = [k for k in e.keys if vals.get(k) is None]
            if len(unknown) != 1 or not derivable(unknown[0]):
                continue
            u = unknown[0]
            ls = sum(vals[k] for k in e.lhs if k != u)  # type: ignore[misc]
            rs = sum(vals[k] for k in e.rhs if k != u)  # type: ignore[misc]
            v = rs - ls if u in e.lhs else ls - rs
            if v < 0:
                continue
            v = int(v) if float(v).is_integer() else round(v, 6)
            vals[u] = derived[u] = v
            changed = True
    return derived


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

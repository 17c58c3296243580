"""The template's consistency rules as equations over canonical cells (SPEC §3), and their
arithmetic: expand a rule into one equation per subject, evaluate it, derive the one unknown.

Pure functions of the template and of cell values, below every stage that uses them: assembly
places rows with them, checks reports them, suggestions and confidence read them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nianbao.models.schema import CheckStatus
from nianbao.models.template import RuleSpec, Template

CellKey = tuple[str, str, str]  # (table, row, col)


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

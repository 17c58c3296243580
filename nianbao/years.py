"""Checks across years over a set of reports (:class:`ReportView`, made from Reports or from the
rows of a dataset export; :mod:`nianbao.check` loads them from a folder or a file): one
agency's reports grouped by its normalised name (乡镇/街道/县区/市/部门 kept apart), then for
consecutive years N and N+1

* ``applications.carried_forward`` of N == ``applications.carried_over`` of N+1, per column;
* 2021 tables: ``in_force`` of N+1 == ``in_force`` of N + ``issued_this_year`` − ``repealed_this_year``
  of N+1, for 规章 and 行政规范性文件.

A broken equation is a :class:`Finding` with the cells of both reports as evidence; an operand
that is not a number (blank, "/", missing) makes the equation not assessable, never 0.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from nianbao.models.rules import format_number
from nianbao.fileio import atomic_write_stream, atomic_write_text
from nianbao.metadata import agency_key, tail_owner
from nianbao.models import CellKind, Evidence, Finding, Report
from nianbao.output import SafeDictWriter

NUMERIC = {"number", "zero", "derived"}
APPLICATION_COLUMNS = ("natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
                       "legal_service_org", "other_org", "total")
IN_FORCE_ROWS = ("regulations", "normative_documents")


@dataclass
class CellView:
    value: float | int | None
    kind: str
    text: str = ""
    page: int | None = None

    @property
    def number(self) -> float | int | None:
        return self.value if self.kind in NUMERIC else None


@dataclass
class ReportView:
    """What the cross-year checks need of one report (from a Report or from export rows)."""

    ref: str  # file name or source path
    sha256: str
    agency: str | None
    year: int | None
    template_version: str | None
    cells: dict[str, CellView] = field(default_factory=dict)  # "table.row.col" -> cell
    findings: list[Finding] = field(default_factory=list)  # the report's own (text vs table)

    @classmethod
    def from_report(cls, report: Report, ref: str | None = None) -> ReportView:
        cells = {".".join(c.key): CellView(c.value, c.kind.value if isinstance(c.kind, CellKind) else str(c.kind),
                                           c.text, c.page) for c in report.cells()}
        return cls(ref or report.source.path, report.source.sha256, report.agency, report.year,
                   report.template_version, cells, list(report.findings))


def views_from_export_rows(rows: Iterable[dict[str, Any]]) -> list[ReportView]:
    """Report views from the long rows of a dataset export (``nianbao export``)."""
    views: dict[tuple[str, str], ReportView] = {}
    for r in rows:
        k = (r.get("file") or "", r.get("sha256") or "")
        v = views.get(k)
        if v is None:
            v = views[k] = ReportView(k[0], k[1], r.get("agency"), r.get("year"), r.get("template_version"))
        v.cells[f"{r['table']}.{r['row']}.{r['col']}"] = CellView(r.get("value"), r.get("kind") or "missing",
                                                                  r.get("text") or "", r.get("page"))
    return list(views.values())


# --------------------------------------------------------------------------- grouping


def group_by_agency(views: list[ReportView]) -> dict[tuple[str, str | None], list[ReportView]]:
    """Reports by (normalised agency name, level). A name that is the tail of exactly one longer
    name of the same level ("金贵镇" of "贺兰县金贵镇", :func:`nianbao.metadata.tail_owner`) joins that agency; reports of one content
    (same sha256) count once."""
    keys = {id(v): agency_key(v.agency) for v in views if v.agency}
    names = {k for k in keys.values() if k[0]}
    alias: dict[tuple[str, str | None], tuple[str, str | None]] = {}
    for name, level in names:
        owner = tail_owner(name, (n for n, lv in names if lv == level))
        if owner is not None:
            alias[(name, level)] = (owner, level)
    groups: dict[tuple[str, str | None], list[ReportView]] = defaultdict(list)
    seen: set[str] = set()
    for v in views:
        if not v.agency or v.year is None:
            continue
        if v.sha256 and v.sha256 in seen:
            continue
        seen.add(v.sha256)
        k = keys[id(v)]
        groups[alias.get(k, k)].append(v)
    return {k: sorted(g, key=lambda v: (v.year, v.ref)) for k, g in groups.items()}


# --------------------------------------------------------------------------- checks


def _ev(view: ReportView, key: str) -> Evidence:
    c = view.cells.get(key)
    return Evidence(source="cell", cell=key, value=c.value if c else None, text=c.text if c else "",
                    page=c.page if c else None, report=view.ref, year=view.year)


def continuity(prev: ReportView, cur: ReportView, agency: str) -> tuple[list[Finding], int, list[str]]:
    """Findings of one pair of consecutive years, the number of equations that held, and the
    equations that could not be assessed (with the cell that has no number)."""
    findings: list[Finding] = []
    held = 0
    not_assessable: list[str] = []

    def compare(subject: str, kind: str, lhs: list[tuple[ReportView, str, int]], rhs: list[tuple[ReportView, str, int]],
                what: str) -> None:
        nonlocal held
        ops = lhs + rhs
        if not all(v.cells.get(k) is not None for v, k, _ in ops):
            return  # a cell this template does not have: nothing to compare
        bad = [f"{v.year} {k} ({v.cells[k].text or v.cells[k].kind})" for v, k, _ in ops if v.cells[k].number is None]
        if bad:
            not_assessable.append(f"{agency} {subject}: no number in " + ", ".join(bad))
            return
        terms = [s * (v.cells[k].number or 0) for v, k, s in ops]  # every number is there (checked above)
        ls, rs = sum(terms[: len(lhs)]), sum(terms[len(lhs):])
        if abs(ls - rs) < 1e-6:
            held += 1
            return
        findings.append(Finding(kind=kind, agency=agency, year=cur.year, subject=subject,
                                message=f"{what}: {format_number(ls)} ≠ {format_number(rs)}",
                                sources=[_ev(v, k) for v, k, _ in ops]))

    for col in APPLICATION_COLUMNS:
        a, b = f"applications.carried_forward.{col}", f"applications.carried_over.{col}"
        compare(f"applications.{col}", "carried_forward", [(prev, a, 1)], [(cur, b, 1)],
                f"{agency}: 结转下年度 ({col}) of {prev.year} ({prev.ref}) vs 上年结转 of {cur.year} ({cur.ref})")
    if prev.template_version == "2021" and cur.template_version == "2021":
        for row in IN_FORCE_ROWS:
            base = f"active_disclosure.art20_1.{row}."
            compare(f"active_disclosure.art20_1.{row}", "in_force",
                    [(cur, base + "in_force", 1)],
                    [(prev, base + "in_force", 1), (cur, base + "issued_this_year", 1), (cur, base + "repealed_this_year", -1)],
                    f"{agency}: 现行有效 ({row}) of {cur.year} vs {prev.year} 现行有效 + {cur.year} 制发 − 废止")
    return findings, held, not_assessable


@dataclass
class YearsResult:
    findings: list[Finding]
    pairs: int  # consecutive-year pairs compared
    held: int  # equations that held
    not_assessable: list[str]
    groups: int


def check_views(views: list[ReportView]) -> YearsResult:
    """Every consecutive-year pair of every agency."""
    findings: list[Finding] = []
    pairs = held = 0
    na: list[str] = []
    groups = group_by_agency(views)
    for (name, level), reports in groups.items():
        by_year: dict[int, list[ReportView]] = defaultdict(list)
        for v in reports:
            by_year[v.year].append(v)  # type: ignore[index]
        for year in sorted(by_year):
            for prev in by_year.get(year - 1, []):
                for cur in by_year[year]:
                    f, h, n = continuity(prev, cur, name)
                    findings += f
                    held += h
                    na += n
                    pairs += 1
    return YearsResult(findings, pairs, held, na, len(groups))


# --------------------------------------------------------------------------- tables


FINDINGS_SCHEMA: list[tuple[str, type, bool]] = [
    ("kind", str, False), ("agency", str, True), ("year", int, True), ("subject", str, False),
    ("message", str, False), ("text", str, True), ("text_page", int, True), ("cells", str, True),
    ("reports", str, True),
]


def finding_row(f: Finding) -> dict[str, Any]:
    """One flat row of a finding (for CSV / a spreadsheet sheet)."""
    texts = [e for e in f.sources if e.source == "text"]
    cells = [e for e in f.sources if e.source == "cell"]
    return {
        "kind": f.kind, "agency": f.agency, "year": f.year, "subject": f.subject, "message": f.message,
        "text": " | ".join(e.text for e in texts) or None,
        "text_page": texts[0].page if texts else None,
        "cells": "; ".join(f"{e.year or ''} {e.cell}={format_number(e.value)}" + (f" (p.{e.page})" if e.page else "")
                           for e in cells).strip() or None,
        "reports": "; ".join(dict.fromkeys(e.report for e in f.sources if e.report)) or None,
    }


def all_findings(views: list[ReportView]) -> tuple[list[Finding], YearsResult]:
    """The reports' own findings (text vs table) followed by the cross-year findings."""
    res = check_views(views)
    own = [f for v in views for f in v.findings]
    return own + res.findings, res


def findings_table(reports: Iterable[Report | ReportView]) -> list[dict[str, Any]]:
    """Flat rows (FINDINGS_SCHEMA) of every finding of ``reports``: each report's own findings
    and those across years. For the findings sheet of an export."""
    views = [r if isinstance(r, ReportView) else ReportView.from_report(r) for r in reports]
    return [finding_row(f) for f in all_findings(views)[0]]


def write_findings_json(findings: list[Finding], path: str | Path) -> None:
    atomic_write_text(path, json.dumps([f.model_dump(mode="json") for f in findings], ensure_ascii=False, indent=1) + "\n")


def write_findings_csv(findings: list[Finding], path: str | Path) -> None:
    """The findings as CSV (UTF-8 with BOM for Excel); agency names and quoted sentences are
    neutralised against formula injection (:class:`nianbao.output.SafeDictWriter`)."""

    def write(fh) -> None:
        w = SafeDictWriter(fh, fieldnames=[n for n, _, _ in FINDINGS_SCHEMA])
        w.writeheader()
        for f in findings:
            w.writerow({k: ("" if v is None else v) for k, v in finding_row(f).items()})

    atomic_write_stream(path, write, encoding="utf-8-sig", newline="")

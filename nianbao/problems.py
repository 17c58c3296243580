"""The problems of a report in plain words, and the list an office sends out (XLSX).

A problem is what an agency would be asked about: a consistency rule its printed table breaks
(表三 （七）总计 行 · 自然人 列：印刷 95，（一）至（六）各项之和为 96), a table that was not found,
a figure its body text states differently from its table. Cells the parser is merely unsure of
are the office's own work (the review queue), not the agency's problem; they are counted apart
(:func:`cells_to_review`).

Each problem carries its status after review: a rule broken in the machine's reading that holds
once a reviewer corrected a misread cell was the parser's mistake, not the agency's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nianbao.checks import run_checks
from nianbao.corrections import Correction, apply_corrections, effective_values
from nianbao.fileio import atomic_write
from nianbao.models import CheckResult, CheckStatus, Report
from nianbao.models.rules import format_number
from nianbao.output import drop_control_chars, keep_as_text
from nianbao.wording import (
    cell_name,
    finding_zh,
    rule_location,
    rule_finding,
    split_cell_ref,
    table_short,
    template_of,
)

# statuses, in words (the key stays in exports and tests)
PROBLEM_STATUS_ZH = {
    "open": "待处理",
    "reviewed": "已复核，仍不成立",
    "resolved": "复核后已成立（识别错误，已更正）",
    "failed": "解析失败",
}
KIND_ZH = {"rule": "勾稽关系不成立", "table_missing": "表格未找到", "text_vs_table": "正文与表格不一致",
           "finding": "前后年度不一致", "parse_failed": "文件无法解析"}


@dataclass
class Problem:
    """One thing to ask the agency about, located on its table."""

    kind: str  # rule, table_missing, text_vs_table, finding, parse_failed
    message: str  # the whole problem in Chinese
    table: str = ""  # 表三
    row: str = ""  # printed row label
    col: str = ""  # printed column label (with its group header)
    printed: str = ""  # the value printed in the named cell ("95"), or the equation
    rule: str = ""  # what the rule says, as the template prints it
    confidence: float | None = None  # lowest machine confidence among the cells concerned
    status: str = "open"  # open / reviewed / resolved / failed
    ref: str = ""  # canonical id: rule id (subject), table id, finding subject
    cells: list[str] = field(default_factory=list)  # "table.row.col" of the cells concerned, the named one first
    page: int | None = None

    @property
    def status_zh(self) -> str:
        return PROBLEM_STATUS_ZH.get(self.status, self.status)

    @property
    def kind_zh(self) -> str:
        return KIND_ZH.get(self.kind, self.kind)


def _fmt(v: Any) -> str:
    """A printed value as the problem list shows it: format_number's form, empty when no number."""
    return "" if v is None else format_number(v)


def report_problems(machine: Report, events: list[Correction] | None = None,
                    checks_now: list[CheckResult] | None = None) -> list[Problem]:
    """The problems of one report, read by the machine, with ``events`` (the review log) applied.

    ``checks_now``: the rules re-run on the corrected view when the caller has them already."""
    events = events or []
    template = template_of(machine.template_version)
    fixed, _ = apply_corrections(machine, events) if events else (machine, set())
    if checks_now is None:
        checks_now = run_checks(fixed, template) if events else list(machine.checks)
    in_force = effective_values(events)
    cells = {f"{c.table}.{c.row}.{c.col}": c for c in machine.cells()}
    out: list[Problem] = []

    for t in machine.tables:
        if not t.found:
            out.append(Problem(kind="table_missing", table=table_short(template, t.id), ref=t.id,
                               message=f"{table_short(template, t.id)}（{_title(template, t.id)}）没有在文件中找到",
                               confidence=0.0, cells=[f"{c.table}.{c.row}.{c.col}" for c in t.cells[:1]]))

    before = {(c.rule, c.subject): c for c in machine.checks}
    now = {(c.rule, c.subject): c for c in checks_now}
    broken = [k for k, c in before.items() if c.status == CheckStatus.failed]
    broken += [k for k, c in now.items() if c.status == CheckStatus.failed and k not in broken]
    for key in broken:
        chk = now.get(key) or before[key]
        was = before.get(key)
        named = _named_cell(template, chk)
        concerned = [named, *[r for r in chk.cells if r != named]] if named else list(chk.cells)
        touched = any(split_cell_ref(r) in in_force for r in chk.cells)
        status = ("resolved" if chk.status != CheckStatus.failed else "reviewed" if touched else "open")
        shown = chk if chk.status == CheckStatus.failed else (was or chk)  # a resolved one: what was printed
        name = cell_name(template, *split_cell_ref(named)) if named else None
        confs = [cells[r].confidence for r in chk.cells if r in cells]
        out.append(Problem(
            kind="rule", message=rule_finding(template, shown), table=table_short(template, chk.rule.split(".")[0]),
            row=name.row if name else _location_part(rule_location(template, chk), "行"),
            col=name.col if name else _location_part(rule_location(template, chk), "列"),
            printed=_fmt(shown.lhs) if name else shown.equation, rule=_rule_text(template, chk),
            confidence=min(confs) if confs else None, status=status, ref=f"{chk.rule} ({chk.subject})",
            cells=concerned, page=cells[concerned[0]].page if concerned and concerned[0] in cells else None))

    for f in machine.findings:
        refs = [e.cell for e in f.sources if e.source == "cell" and e.cell]
        first = cell_name(template, *split_cell_ref(refs[0])) if refs else None
        confs = [cells[r].confidence for r in refs if r in cells]
        text = next((e for e in f.sources if e.source == "text"), None)
        out.append(Problem(
            kind="text_vs_table" if f.kind == "text_vs_table" else "finding", message=finding_zh(template, f),
            table=first.table_short if first else "", row=first.row if first else "", col=first.col if first else "",
            printed=_fmt(cells[refs[0]].value) if refs and refs[0] in cells else "",
            rule="正文所述数字应与表中对应数字一致" if f.kind == "text_vs_table" else f.message,
            confidence=min(confs) if confs else None,
            status="reviewed" if any(split_cell_ref(r) in in_force for r in refs) else "open",
            ref=f.subject, cells=refs, page=(text.page if text else None)))
    return out


def _title(template, table_id: str) -> str:
    try:
        return template.table(table_id).title
    except KeyError:
        return table_id


def _rule_text(template, chk: CheckResult) -> str:
    spec = next((r for r in template.rules if r.id == chk.rule), None)
    return spec.text if spec else chk.description


def _named_cell(template, chk: CheckResult) -> str | None:
    """The one printed cell a rule compares with a sum (its single left-hand operand), if any."""
    spec = next((r for r in template.rules if r.id == chk.rule), None)
    if spec is None or len(spec.lhs) != 1:
        return None
    table = chk.rule.split(".")[0]
    row, col = (spec.lhs[0], chk.subject) if spec.over == "columns" else (chk.subject, spec.lhs[0])
    ref = f"{table}.{row}.{col}"
    return ref if ref in chk.cells else None


def _location_part(location: str, word: str) -> str:
    """"表三 自然人 列" → "自然人" for word "列"."""
    for part in location.split(" · "):
        part = part.strip()
        if part.endswith(f" {word}"):
            return part.rsplit(" ", 1)[0].split(" ", 1)[-1]
    return ""


def cells_to_review(machine: Report, threshold: float, events: list[Correction] | None = None) -> list[tuple[str, str, str]]:
    """Cells a person still has to look at, lowest confidence first: below ``threshold``, in a
    broken rule or in a table not found, and not yet accepted or corrected (the review queue's
    open items of this report)."""
    in_force = effective_values(events or [])
    broken = {r for c in machine.checks if c.status == CheckStatus.failed for r in c.cells}
    out = []
    for t in machine.tables:
        for c in t.cells:
            if c.key in in_force:
                continue
            if not t.found or c.confidence < threshold or f"{c.table}.{c.row}.{c.col}" in broken:
                out.append(c)
    return [c.key for c in sorted(out, key=lambda c: c.confidence)]


# ---------------------------------------------------------------- the list an office sends out

PROBLEM_COLUMNS: list[tuple[str, str]] = [
    ("agency", "机关"), ("year", "年度"), ("file", "文件"), ("kind", "问题类别"), ("table", "表"), ("row", "行"),
    ("col", "列"), ("printed", "印刷数值"), ("message", "问题"), ("rule", "规则"), ("confidence", "置信度"),
    ("status", "状态"), ("ref", "规则或单元格编号"),
]


@dataclass
class ReportProblems:
    """A report (or a file that could not be parsed) with its problems, for the exported list."""

    file: str
    agency: str | None
    year: int | None
    problems: list[Problem]


def problem_rows(reports: Iterable[ReportProblems]) -> list[dict[str, Any]]:
    """One dict per problem with the columns of :data:`PROBLEM_COLUMNS` (Chinese words as values)."""
    rows = []
    for rp in reports:
        for p in rp.problems:
            rows.append({"agency": rp.agency or "", "year": rp.year, "file": rp.file, "kind": p.kind_zh,
                         "table": p.table, "row": p.row, "col": p.col, "printed": p.printed, "message": p.message,
                         "rule": p.rule, "confidence": None if p.confidence is None else round(p.confidence, 2),
                         "status": p.status_zh, "ref": p.ref})
    return rows


def write_problems_xlsx(reports: Iterable[ReportProblems], path: str | Path) -> int:
    """The problem list as an XLSX sheet 问题清单 (Chinese headers, one row per problem); text is
    always written as text (a name starting with "=" stays a name, never a formula:
    :func:`nianbao.output.keep_as_text`). Returns the number of problem rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    rows = problem_rows(reports)
    wb = Workbook()
    ws = wb.active
    ws.title = "问题清单"
    ws.append([zh for _, zh in PROBLEM_COLUMNS])
    for c in ws[1]:
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
    for r in rows:
        ws.append([drop_control_chars(v) if isinstance(v, str) else v for v in (r[k] for k, _ in PROBLEM_COLUMNS)])
        for cell in ws[ws.max_row]:
            keep_as_text(cell)
    widths = {"agency": 24, "file": 18, "kind": 14, "row": 28, "col": 22, "message": 60, "rule": 40, "status": 18,
              "ref": 30}
    for i, (k, _) in enumerate(PROBLEM_COLUMNS):
        ws.column_dimensions[chr(ord("A") + i)].width = widths.get(k, 10)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    atomic_write(path, wb.save)
    return len(rows)

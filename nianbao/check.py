"""``nianbao check``: findings beyond one table over a results folder, one Report JSON or a
dataset export — each report's own findings (body text vs tables) and those across years
(:mod:`nianbao.years`). A result that does not load is skipped and named, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nianbao.dataset import read_export
from nianbao.models import Report
from nianbao.results import BadResultError, load_results, read_report, result_entries, warn_bad
from nianbao.years import (
    ReportView,
    all_findings,
    finding_row,
    views_from_export_rows,
    write_findings_csv,
    write_findings_json,
)


def load_views(path: str | Path, on_bad: Callable[[BadResultError], None] = warn_bad) -> list[ReportView]:
    """Reports of a results folder (corrections applied; a bad result handed to ``on_bad`` and
    left out), a Report JSON file (or a JSON list of Reports), or an export file."""
    p = Path(path)
    if p.is_dir():
        loaded = load_results(result_entries(p), on_bad)
        return [ReportView.from_report(item.report, item.entry.file) for item in loaded]
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(p.read_bytes())
        except (OSError, ValueError):
            data = None
        if isinstance(data, list):  # several Reports in one file (nianbao parse of several files)
            try:
                return [ReportView.from_report(Report.model_validate(d)) for d in data]
            except ValueError as exc:
                raise BadResultError(p, f"not a list of nianbao results ({str(exc).splitlines()[0]})") from None
        return [ReportView.from_report(read_report(p))]
    return views_from_export_rows(read_export(p))


def run_check(path: str | Path, json_out: str | Path | None = None, csv_out: str | Path | None = None,
              console: Any = None) -> int:
    """Load the results, print every finding as a table, write JSON/CSV. Returns the number of findings."""
    from rich.console import Console
    from rich.table import Table as RichTable

    console = console or Console()
    skipped: list[BadResultError] = []

    def on_bad(bad: BadResultError) -> None:
        skipped.append(bad)
        console.print(f"[yellow]skipped[/yellow] {bad}", highlight=False)

    views = load_views(path, on_bad)
    findings, res = all_findings(views)
    table = RichTable(title=f"{len(findings)} finding(s) in {len(views)} report(s)", show_lines=True)
    for col in ("kind", "agency", "year", "finding", "evidence"):
        table.add_column(col, overflow="fold")
    for f in findings:
        row = finding_row(f)
        evidence = "\n".join(x for x in (row["text"] and f"text (p.{row['text_page'] or '?'}): {row['text']}",
                                         row["cells"]) if x)
        table.add_row(f.kind, f.agency or "?", str(f.year or "?"), f.message, evidence)
    if findings:
        console.print(table)
    unnamed = sum(1 for v in views if not v.agency or v.year is None)
    console.print(f"{len(views)} report(s), {res.groups} agency group(s), {res.pairs} consecutive-year pair(s): "
                  f"{res.held} cross-year equation(s) hold, {len(res.findings)} broken, "
                  f"{len(res.not_assessable)} not assessable; "
                  f"{sum(1 for f in findings if f.kind == 'text_vs_table')} text-vs-table finding(s)"
                  + (f"; {unnamed} report(s) without agency or year left out of the cross-year checks"
                     if unnamed else "")
                  + (f"; {len(skipped)} result file(s) skipped (do not load)" if skipped else ""))
    for line in res.not_assessable:
        console.print(f"  not assessable: {line}", highlight=False)
    if json_out:
        write_findings_json(findings, json_out)
    if csv_out:
        write_findings_csv(findings, csv_out)
    return len(findings)

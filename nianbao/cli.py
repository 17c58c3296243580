"""Command line: ``nianbao parse``, ``schema``, ``debug`` and the commands of the other modules.

Exit codes (documented in the README):
  0  every file parsed
  1  usage error or an unexpected internal error
  2  a file could not be read (missing, empty, corrupt, encrypted, too large, unknown format)
  3  a file was read but is not such a report (none of the standard tables found)
  4  an optional engine was asked for but cannot run here
With several files the worst code wins, and every other file is still parsed.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from nianbao.errors import NianbaoError

app = typer.Typer(
    name="nianbao",
    help="Read the standard tables of 政府信息公开工作年度报告 (scans, PDFs, HTML, Word, text) into verified data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class OutputFormat(str, Enum):
    json = "json"
    csv = "csv"


@app.command()
def parse(
    files: Annotated[list[Path], typer.Argument(help="Report files: PDF (scanned or text), PNG/JPEG/TIFF, HTML, .docx, text extracts.")],
    format: Annotated[OutputFormat, typer.Option("--format", "-f", help="json: full Report(s); csv: SPEC §5 long CSV.")] = OutputFormat.json,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write here instead of stdout (a folder: one file per input).")] = None,
) -> None:
    """Parse report files into the canonical tables with a confidence per cell."""
    from nianbao.output import write_long_csv
    from nianbao.pipeline import parse_file
    from nianbao.settings import Settings

    settings = Settings()
    reports = []
    worst = 0
    for f in files:
        try:
            report = parse_file(f, settings)
        except NianbaoError as exc:
            err.print(f"[red]error[/red]: {exc}")
            worst = max(worst, exc.exit_code)
            continue
        except Exception as exc:  # never a traceback for one bad file; the others go on
            err.print(f"[red]error[/red]: {f}: internal error while parsing ({type(exc).__name__}: {exc})")
            worst = max(worst, 1)
            continue
        reports.append((f, report))
        failed = [c for c in report.checks if c.status.value == "failed"]
        low = sum(1 for c in report.cells() if c.confidence < settings.confidence.silent_threshold)
        err.print(f"{f}: {report.agency or '?'} {report.year or '?'} template {report.template_version}, "
                  f"{len(report.cells())} cells, {low} below {settings.confidence.silent_threshold}, "
                  f"{len(failed)} broken rule(s)")
    if out is not None and out.is_dir():
        for f, report in reports:
            target = out / (f.name + (".csv" if format == OutputFormat.csv else ".json"))
            _write(target, [report], format)
    elif out is not None:
        _write(out, [r for _, r in reports], format)
    elif reports:
        _emit(sys.stdout, [r for _, r in reports], format)
    raise typer.Exit(worst)


def _emit(fh, reports, format: OutputFormat) -> None:
    from nianbao.output import write_long_csv

    if format == OutputFormat.csv:
        write_long_csv(reports, fh)
    elif len(reports) == 1:
        fh.write(reports[0].model_dump_json(indent=1) + "\n")
    else:
        fh.write("[\n" + ",\n".join(r.model_dump_json(indent=1) for r in reports) + "\n]\n")


def _write(path: Path, reports, format: OutputFormat) -> None:
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        _emit(fh, reports, format)
    tmp.replace(path)


@app.command()
def schema() -> None:
    """Print the JSON Schema of a parsed Report."""
    from nianbao.models import Report

    typer.echo(json.dumps(Report.model_json_schema(), ensure_ascii=False, indent=1))


@app.command()
def template(version: Annotated[str, typer.Argument(help="2019 or 2021")] = "2021") -> None:
    """Print the declarative description of a template version (rows, columns, rules)."""
    from nianbao.models import load_template

    typer.echo(load_template(version).model_dump_json(indent=1))


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    main()

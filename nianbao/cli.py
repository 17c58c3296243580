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
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """Report a NianbaoError as one line naming the file and the reason, exit with its code."""
    try:
        yield
    except NianbaoError as exc:
        err.print(f"[red]error[/red]: {exc}")
        raise typer.Exit(exc.exit_code) from None


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
    from nianbao.fileio import atomic_write_stream

    atomic_write_stream(path, lambda fh: _emit(fh, reports, format), newline="")


@app.command()
def debug(
    file: Annotated[Path, typer.Argument(help="A report file (scanned or text PDF, image).")],
    page: Annotated[int, typer.Option("--page", "-p", help="1-based page number.")] = 1,
    out: Annotated[Path, typer.Option("--out", "-o", help="PNG to write.")] = Path("debug.png"),
) -> None:
    """Draw the detected grid, text lines and every cell's canonical id, value and confidence on a page."""
    from nianbao.debug import debug_page

    with _one_line_errors():
        written = debug_page(file, page, out)
    err.print(f"wrote {written}")


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


class Executor(str, Enum):
    local = "local"
    ray = "ray"


class ExportFormat(str, Enum):
    csv = "csv"
    parquet = "parquet"
    xlsx = "xlsx"


@app.command()
def batch(
    inputs: Annotated[list[str], typer.Argument(help="Files, folders (recursive) or globs ('reports/**/*.pdf').")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Result folder: one JSON per report, index.jsonl, errors.jsonl, summary.json.")],
    workers: Annotated[Optional[int], typer.Option("--workers", "-w", help="Parallel workers (default: cores / ocr.threads).")] = None,
    executor: Annotated[Executor, typer.Option("--executor", help="local: process pool; ray: Ray tasks (extra 'ray').")] = Executor.local,
    ray_address: Annotated[Optional[str], typer.Option("--ray-address", help="Join this Ray cluster instead of starting Ray locally.")] = None,
    no_retry_failed: Annotated[bool, typer.Option("--no-retry-failed", help="Skip files that failed in an earlier run (same content).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    parser: Annotated[str, typer.Option("--parser", hidden=True)] = "nianbao.pipeline:parse_file",
) -> None:
    """Parse many reports into a folder; re-running skips finished files (by sha256). Exit 0 when all parsed, 2 when some failed."""
    from nianbao.batch import print_summary, run_batch

    with _one_line_errors():  # e.g. Ray asked for but not installed / not reachable
        summary = run_batch(inputs, out, workers=workers, executor=executor.value, ray_address=ray_address,
                            parser=parser, retry_failed=not no_retry_failed, progress=not quiet, console=err)
    print_summary(summary, err)
    raise typer.Exit(130 if summary.interrupted else (2 if summary.failed else 0))


@app.command()
def export(
    result_dir: Annotated[Path, typer.Argument(help="A folder written by 'nianbao batch' (or of result JSONs).")],
    format: Annotated[ExportFormat, typer.Option("--format", "-f", help="csv, parquet or xlsx (xlsx: long + wide + printed matrices).")] = ExportFormat.csv,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file.")] = Path("nianbao-export.csv"),
    wide: Annotated[bool, typer.Option("--wide", help="One row per report, a column per cell table.row.col (default: long form).")] = False,
) -> None:
    """Export a result folder as one data set, reviewer corrections applied (column 'corrected')."""
    from nianbao.dataset import export as do_export

    try:
        n = do_export(result_dir, format.value, out, wide=wide)
    except FileNotFoundError as exc:
        err.print(f"[red]error[/red]: {exc}")
        raise typer.Exit(2) from None
    except ImportError as exc:
        err.print(f"[red]error[/red]: {format.value} export needs the export extra (pip install 'nianbao[export]'): {exc}")
        raise typer.Exit(4) from None
    err.print(f"wrote {n} {'report' if wide else 'cell'} rows to {out}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind; anything but localhost needs a token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Queue database, uploads and results live here.")] = Path("nianbao-data"),
    workers: Annotated[int, typer.Option("--workers", "-w", help="Parse worker processes.")] = 1,
    token_file: Annotated[Optional[Path], typer.Option("--token-file", help="File whose first line is the bearer token (else env NIANBAO_TOKEN).")] = None,
    parser: Annotated[str, typer.Option("--parser", hidden=True)] = "nianbao.pipeline:parse_file",
) -> None:
    """Run the HTTP API (POST /v1/jobs, GET /v1/jobs/{id}, results as JSON/CSV/XLSX; docs at /docs)."""
    from nianbao.server import serve as run_server
    from nianbao.server.auth import AuthConfigError

    try:
        run_server(host, port, data_dir, workers, token_file, parser)
    except (AuthConfigError, RuntimeError) as exc:
        err.print(f"[red]error[/red]: {exc}")
        raise typer.Exit(1) from None


@app.command()
def review(
    path: Annotated[Path, typer.Argument(help="A result JSON, a batch output folder, or an input file (parsed first, JSON kept in --work-dir).")],
    threshold: Annotated[Optional[float], typer.Option(help="Queue cells below this confidence (and cells of broken rules); default: settings confidence.silent_threshold (0.9).")] = None,
    port: Annotated[int, typer.Option(help="Port.")] = 8765,
    host: Annotated[str, typer.Option(help="Address to bind (local only by default).")] = "127.0.0.1",
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser.")] = False,
    work_dir: Annotated[Optional[Path], typer.Option("--work-dir", help="Where a parsed input's JSON is stored (default: nianbao-review/ beside it).")] = None,
) -> None:
    """Review low-confidence cells in the browser; corrections go to NAME.corrections.jsonl beside each result."""
    from nianbao.review import serve as serve_review

    with _one_line_errors():
        serve_review(path, threshold=threshold, host=host, port=port, open_browser=not no_browser, work_dir=work_dir)


@app.command()
def check(
    path: Annotated[Path, typer.Argument(help="A batch output folder, a Report JSON, or a dataset export (CSV/Parquet/XLSX).")],
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Write the findings as JSON here.")] = None,
    csv_out: Annotated[Optional[Path], typer.Option("--csv", help="Write the findings as CSV here.")] = None,
) -> None:
    """Findings beyond one table: body text vs tables, and continuity across consecutive years."""
    from nianbao.check import run_check

    try:
        run_check(path, json_out, csv_out)
    except (OSError, ValueError) as exc:
        err.print(f"[red]error[/red]: {path}: {exc}")
        raise typer.Exit(2) from None


@app.command()
def bench(
    folder: Annotated[Path, typer.Argument(help="Fixtures folder: NNN.pdf + NNN.truth.csv (+ manifest.json), e.g. fixtures/samples.")],
    csv_out: Annotated[Optional[Path], typer.Option("--csv", help="Write per-cell results to this CSV.")] = None,
    peer: Annotated[bool, typer.Option("--peer", help="Also run the img2table peer on the same files (extra 'peer').")] = False,
    limit: Annotated[Optional[int], typer.Option("--limit", help="Only the first N reports.")] = None,
) -> None:
    """Score the parser on fixtures with exact truth: accuracy, silent errors, speed, memory."""
    from nianbao.bench import bench as run_bench

    raise typer.Exit(run_bench(folder, csv_out=str(csv_out) if csv_out else None, peer=peer, limit=limit))


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    main()

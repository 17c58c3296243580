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
from typing import TYPE_CHECKING, Annotated, Literal, Optional, cast

import typer
from rich.console import Console
from rich.text import Text

from nianbao import __version__
from nianbao.errors import NianbaoError, UsageError

if TYPE_CHECKING:
    from nianbao.models import Report

app = typer.Typer(
    name="nianbao",
    help="Read the standard tables of 政府信息公开工作年度报告 (scans, PDFs, HTML, Word, text) into verified data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _error(message: str) -> None:
    """One error line on stderr; the message is plain text (a file named ``[red]x.pdf`` is
    printed as it is, never read as console markup)."""
    err.print(Text.assemble(("error", "red"), ": ", message))


def _print_version(value: bool) -> None:
    if value:
        from nianbao.models import TEMPLATE_VERSIONS

        typer.echo(f"nianbao {__version__} (templates {', '.join(TEMPLATE_VERSIONS)})")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the nianbao version and the template versions it reads, then exit.")] = False,
) -> None:
    """Read the standard tables of 政府信息公开工作年度报告 (scans, PDFs, HTML, Word, text) into verified data."""


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """Report a NianbaoError as one line naming the file and the reason, exit with its code."""
    try:
        yield
    except NianbaoError as exc:
        _error(f"{exc}")
        raise typer.Exit(exc.exit_code) from None


class OutputFormat(str, Enum):
    json = "json"
    csv = "csv"


# what a file name's ending says about its format
FORMAT_BY_SUFFIX = {".json": "json", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "xlsx"}


def resolve_format(given: str | None, out: Path | None, choices: list[str], default: str) -> str:
    """The output format: ``--format`` when given, else what ``--out``'s ending says, else
    ``default``. A ``--format`` that contradicts the ending (Parquet into ``x.csv``) and an
    ending this command cannot write are refused, so no file holds what its name denies."""
    implied = None
    if out is not None and not out.is_dir():
        implied = FORMAT_BY_SUFFIX.get(out.suffix.lower())
        if given is not None and implied is not None and implied != given:
            raise UsageError(f"--out {out} is named {out.suffix} but --format is {given}: "
                             f"name the file {out.with_suffix('.' + given).name} or leave out --format")
    if given is None:
        if implied is not None and implied not in choices:
            raise UsageError(f"--out {out}: this command writes {', '.join(choices)}, not {implied}")
        return implied or default
    return given


@app.command()
def parse(
    files: Annotated[list[Path], typer.Argument(help="Report files: PDF (scanned or text), PNG/JPEG/TIFF, HTML, .docx, text extracts.")],
    format_opt: Annotated[Optional[OutputFormat], typer.Option("--format", "-f", help="json: full Report(s); csv: SPEC §5 long CSV (with several files, a last column 'source' names each row's file). Default: from --out's ending, else json.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write here instead of stdout (a folder: one file per input).")] = None,
) -> None:
    """Parse report files into the canonical tables with a confidence per cell."""
    from nianbao.pipeline import parse_file
    from nianbao.settings import Settings

    with _one_line_errors():
        format = OutputFormat(resolve_format(format_opt.value if format_opt else None, out, [f.value for f in OutputFormat], "json"))
    settings = Settings()
    reports = []
    worst = 0
    for f in files:
        try:
            report = parse_file(f, settings)
        except NianbaoError as exc:
            _error(f"{exc}")
            worst = max(worst, exc.exit_code)
            continue
        except Exception as exc:  # never a traceback for one bad file; the others go on
            _error(f"{f}: internal error while parsing ({type(exc).__name__}: {exc})")
            worst = max(worst, 1)
            continue
        reports.append((f, report))
        failed = [c for c in report.checks if c.status.value == "failed"]
        low = sum(1 for c in report.cells() if c.confidence < settings.confidence.silent_threshold)
        err.print(f"{f}: {report.agency or '?'} {report.year or '?'} template {report.template_version}, "
                  f"{len(report.cells())} cells, {low} below {settings.confidence.silent_threshold}, "
                  f"{len(failed)} broken rule(s)", markup=False)
    if out is not None and out.is_dir():
        for f, report in reports:
            target = out / (f.name + (".csv" if format == OutputFormat.csv else ".json"))
            _write(target, [(f, report)], format)
    elif out is not None:
        _write(out, reports, format)
    elif reports:
        _emit(sys.stdout, reports, format)
    raise typer.Exit(worst)


def _emit(fh, reports: list[tuple[Path, Report]], format: OutputFormat) -> None:
    """Write parsed reports; a CSV of several files names each row's file (column ``source``)."""
    from nianbao.output import write_long_csv

    if format == OutputFormat.csv:
        sources = [str(f) for f, _ in reports] if len(reports) > 1 else None
        write_long_csv([r for _, r in reports], fh, sources=sources)
    elif len(reports) == 1:
        fh.write(reports[0][1].model_dump_json(indent=1) + "\n")
    else:
        fh.write("[\n" + ",\n".join(r.model_dump_json(indent=1) for _, r in reports) + "\n]\n")


def _write(path: Path, reports: list[tuple[Path, Report]], format: OutputFormat) -> None:
    from nianbao.fileio import atomic_write_stream

    atomic_write_stream(path, lambda fh: _emit(fh, reports, format), newline="")


@app.command()
def debug(
    file: Annotated[Path, typer.Argument(help="A report file with pages: a scanned or text PDF, or an image (not HTML, Word or text).")],
    page: Annotated[int, typer.Option("--page", "-p", help="1-based page number.")] = 1,
    out: Annotated[Path, typer.Option("--out", "-o", help="PNG to write.")] = Path("debug.png"),
    stage: Annotated[str, typer.Option("--stage", "-s", help="What to draw: cells (grids, text lines, every cell's id, value and confidence) or another stage of nianbao.debug.STAGES (page: how a scan or photo was found, flattened and straightened).")] = "cells",
) -> None:
    """Draw a page as a stage of the reading saw it (default: the cells with their canonical ids, values and confidence)."""
    from nianbao.debug import debug_page

    with _one_line_errors():
        written = debug_page(file, page, out, stage=stage)
    err.print(f"wrote {written}", markup=False)


@app.command()
def schema() -> None:
    """Print the JSON Schema of a parsed Report."""
    from nianbao.models import Report

    typer.echo(json.dumps(Report.model_json_schema(), ensure_ascii=False, indent=1))


@app.command()
def template(version: Annotated[str, typer.Argument(help="A template version: 2019 or 2021.")] = "2021") -> None:
    """Print the declarative description of a template version (rows, columns, rules)."""
    from nianbao.models import TEMPLATE_VERSIONS, load_template

    if version not in TEMPLATE_VERSIONS:
        _error(f"unknown template version {version!r}; known versions: {', '.join(TEMPLATE_VERSIONS)}")
        raise typer.Exit(1)
    typer.echo(load_template(version).model_dump_json(indent=1))


class Executor(str, Enum):
    local = "local"
    ray = "ray"


class ExportFormat(str, Enum):
    csv = "csv"
    parquet = "parquet"
    xlsx = "xlsx"
    dta = "dta"  # Stata 118, the wide data set with Chinese variable labels + a codebook CSV beside it


@app.command()
def batch(
    inputs: Annotated[list[str], typer.Argument(help="Files, folders (recursive) or globs ('reports/**/*.pdf').")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Result folder: one JSON per report, index.jsonl, errors.jsonl, summary.json.")],
    workers: Annotated[Optional[int], typer.Option("--workers", "-w", help="Parallel workers (default: cores / ocr.threads).")] = None,
    executor: Annotated[Executor, typer.Option("--executor", help="local: process pool; ray: Ray tasks (extra 'ray').")] = Executor.local,
    ray_address: Annotated[Optional[str], typer.Option("--ray-address", help="Join this Ray cluster instead of starting Ray locally.")] = None,
    ray_token_file: Annotated[Optional[Path], typer.Option("--ray-token-file", help="The cluster's token (a copy of the head's ~/.ray/auth_token); same as RAY_AUTH_MODE=token RAY_AUTH_TOKEN_PATH=FILE. Default: a token where Ray looks for one.")] = None,
    no_retry_failed: Annotated[bool, typer.Option("--no-retry-failed", help="Skip files that failed in an earlier run (same content).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    parser: Annotated[str, typer.Option("--parser", hidden=True)] = "nianbao.pipeline:parse_file",
) -> None:
    """Parse many reports into a folder; re-running skips finished files (by sha256). Exit 0 when all parsed, 2 when some failed."""
    from nianbao.batch import print_summary, run_batch

    with _one_line_errors():  # e.g. Ray asked for but not installed / not reachable / no token
        summary = run_batch(inputs, out, workers=workers, executor=executor.value, ray_address=ray_address,
                            ray_token_file=ray_token_file, parser=parser, retry_failed=not no_retry_failed,
                            progress=not quiet, console=err)
    print_summary(summary, err)
    raise typer.Exit(130 if summary.interrupted else (2 if summary.failed else 0))


@app.command()
def export(
    result_dir: Annotated[Path, typer.Argument(help="A folder written by 'nianbao batch' (or of result JSONs).")],
    format_opt: Annotated[Optional[ExportFormat], typer.Option("--format", "-f", help="csv, parquet, xlsx (long + wide + printed matrices) or dta (Stata, wide, Chinese labels). Default: from --out's ending, else csv.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Output file (default: nianbao-export.FORMAT); its ending must agree with --format.")] = None,
    wide: Annotated[bool, typer.Option("--wide", help="One row per report, a column per cell table.row.col (default: long form).")] = False,
) -> None:
    """Export a result folder as one data set, reviewer corrections applied (column 'corrected')."""
    from nianbao.results import result_entries
    from nianbao.dataset import export as do_export

    with _one_line_errors():
        fmt = resolve_format(format_opt.value if format_opt else None, out, [f.value for f in ExportFormat], "csv")
    out = out if out is not None else Path(f"nianbao-export.{fmt}")
    try:
        entries = result_entries(result_dir)
        if not entries:
            _error(f"{result_dir}: no parsed reports to export (no finished entry in index.jsonl "
                      f"and no result JSON); nothing written. Run 'nianbao batch FILES --out {result_dir}' first.")
            raise typer.Exit(2)
        if fmt == "dta":
            from nianbao.stata import export_dta

            n = export_dta(None, out, entries=entries)
        else:
            n = do_export(None, cast(Literal["csv", "parquet", "xlsx"], fmt), out, wide=wide, entries=entries)
    except FileNotFoundError as exc:
        _error(f"{exc}")
        raise typer.Exit(2) from None
    except ImportError as exc:
        _error(f"{fmt} export needs the export extra (pip install 'nianbao[export]'): {exc}")
        raise typer.Exit(4) from None
    err.print(f"wrote {n} {'report' if wide else 'cell'} rows to {out}", markup=False)


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
        _error(f"{exc}")
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
        _error(f"{path}: {exc}")
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

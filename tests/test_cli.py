"""The command line answers every mistake with one clear line and a documented exit code, and
writes nothing a file's name denies: unknown template versions, pages past the end, files
debug cannot draw, several files in one CSV, empty export folders, formats against names."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

import nianbao
from nianbao import debug as debug_module
from nianbao.cli import app
from nianbao.errors import UsageError
from nianbao.output import LONG_CSV_COLUMNS
from nianbao.pipeline import parse_file

DATA = Path(__file__).parent / "data"
HTML = DATA / "report_2022_city_bureau.html"
PDF = DATA / "report_2022_city_bureau.pdf"  # a text-layer PDF of the same report


def run(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def result_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of one result JSON, as export reads it without an index."""
    folder = tmp_path_factory.mktemp("results")
    (folder / "city.json").write_text(parse_file(HTML).model_dump_json(), encoding="utf-8")
    return folder


def test_version_option_prints_the_version():
    res = run("--version")
    assert res.exit_code == 0
    assert res.stdout.startswith(f"nianbao {nianbao.__version__}")
    assert "2019" in res.stdout and "2021" in res.stdout


def test_template_of_an_unknown_version_is_one_line_naming_the_known_ones():
    res = run("template", "2020")
    assert res.exit_code == 1
    assert "Traceback" not in res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "2020" in lines[0] and "2019, 2021" in lines[0]
    assert run("template", "2019").exit_code == 0


def test_debug_page_past_the_end_is_refused_before_parsing(tmp_path, monkeypatch):
    def no_parse(*_args, **_kwargs):
        raise AssertionError("parsed a whole report before checking the page number")

    monkeypatch.setattr(debug_module, "parse_file", no_parse)
    with pytest.raises(UsageError, match=r"no page 99: the file has 3 pages"):
        debug_module.debug_page(PDF, 99, tmp_path / "p.png")
    res = run("debug", PDF, "--page", "99", "--out", tmp_path / "p.png")
    assert res.exit_code == 1
    assert "no page 99" in res.stderr and str(PDF) in res.stderr
    assert not (tmp_path / "p.png").exists()


def test_debug_of_an_html_file_says_debug_draws_pages_of_scanned_or_pdf_input(tmp_path):
    res = run("debug", HTML, "--out", tmp_path / "p.png")
    assert res.exit_code == 1
    message = " ".join(res.stderr.split())
    assert str(HTML) in message and "an HTML page has no pages to draw" in message
    assert "debug draws the pages of scanned or PDF input" in message


def test_debug_still_draws_a_page_of_a_pdf(tmp_path):
    res = run("debug", PDF, "--page", "1", "--out", tmp_path / "p.png")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "p.png").read_bytes().startswith(b"\x89PNG")


def test_csv_of_several_files_names_each_rows_source(tmp_path):
    res = run("parse", HTML, PDF, "--format", "csv")
    assert res.exit_code == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    header = res.stdout.splitlines()[0].split(",")
    assert header == LONG_CSV_COLUMNS + ["source"]  # SPEC §5's columns first, unchanged
    per_source = {s: [r for r in rows if r["source"] == s] for s in (str(HTML), str(PDF))}
    assert len(per_source[str(HTML)]) == len(per_source[str(PDF)]) == len(rows) // 2 > 0
    # the same report as HTML and as PDF: the same values, told apart by source
    key = lambda r: (r["table"], r["row"], r["col"], r["value"])  # noqa: E731
    assert sorted(map(key, per_source[str(HTML)])) == sorted(map(key, per_source[str(PDF)]))
    # one file keeps SPEC §5's exact header
    single = run("parse", HTML, "--format", "csv")
    assert single.stdout.splitlines()[0].split(",") == LONG_CSV_COLUMNS


def test_parse_format_contradicting_the_out_name_is_refused(tmp_path):
    res = run("parse", HTML, "--format", "json", "--out", tmp_path / "x.csv")
    assert res.exit_code == 1
    assert "--format is json" in res.stderr and "x.json" in res.stderr
    assert not (tmp_path / "x.csv").exists()
    res = run("parse", HTML, "--out", tmp_path / "x.csv")  # the format is inferred from the name
    assert res.exit_code == 0
    assert (tmp_path / "x.csv").read_text("utf-8").splitlines()[0].split(",") == LONG_CSV_COLUMNS


def test_export_of_an_empty_folder_says_so_and_fails(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    res = run("export", tmp_path / "empty")
    assert res.exit_code == 2
    assert "no parsed reports to export" in " ".join(res.stderr.split())
    assert not list(tmp_path.glob("nianbao-export*"))


def test_export_parquet_into_a_csv_name_is_refused(result_dir, tmp_path):
    res = run("export", result_dir, "--format", "parquet", "--out", tmp_path / "x.csv")
    assert res.exit_code == 1
    message = " ".join(res.stderr.split())
    assert "--format is parquet" in message and "x.parquet" in message
    assert not (tmp_path / "x.csv").exists()


def test_export_format_follows_the_out_name(result_dir, tmp_path, monkeypatch):
    pq = pytest.importorskip("pyarrow.parquet", reason="the export extra is not installed")
    res = run("export", result_dir, "--out", tmp_path / "x.parquet")
    assert res.exit_code == 0, res.stderr
    assert pq.read_table(tmp_path / "x.parquet").num_rows > 0
    monkeypatch.chdir(tmp_path)  # no --out: the default name takes the format's ending
    assert run("export", result_dir, "--format", "parquet").exit_code == 0
    assert (tmp_path / "nianbao-export.parquet").read_bytes()[:4] == b"PAR1"


# ---- Ray token authentication (nianbao.batch.ray_token_source: test_batch.py; a real cluster: test_ray_cluster.py, slow)


def test_ray_missing_token_file_is_refused_in_one_line(tmp_path):
    """The token itself is handled by nianbao.batch (tests in test_batch.py); the command says
    what is wrong with the file in one line."""
    res = run("batch", tmp_path, "--out", tmp_path / "out", "--executor", "ray", "--ray-address", "127.0.0.1:1",
              "--ray-token-file", tmp_path / "missing")
    assert res.exit_code == 1
    assert "--ray-token-file" in res.stderr and "cannot read it" in res.stderr


def test_error_lines_print_file_names_as_they_are_not_as_console_markup(tmp_path):
    odd = tmp_path / "[red]x[bold].pdf"
    res = run("parse", odd)
    assert res.exit_code == 2
    assert "[red]x[bold].pdf: file not found" in res.stderr

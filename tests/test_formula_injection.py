"""Formula injection (issue 15.1): a file named ``=1+2+cmd.txt`` — or an agency name, or a cell
text of a hostile document — must never become a live formula in an export. XLSX stores such a
text as a string, CSV gets OWASP's leading quote; numbers stay numbers, and nianbao reads its
own files back to the same text."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from nianbao.batch import load_index, run_batch
from nianbao.dataset import export, read_export
from nianbao.models import Report
from nianbao.output import csv_safe, from_csv_safe, starts_like_formula, write_long_csv
from nianbao.years import write_findings_csv

openpyxl = pytest.importorskip("openpyxl", reason="the export extra is not installed: pip install 'nianbao[export]'")
pytest.importorskip("pyarrow", reason="the export extra is not installed: pip install 'nianbao[export]'")

EVIL_NAME = "=1+2+cmd.txt"
EVIL_AGENCY = "@SUM(1+1)*cmd|' /C calc'!A0"
SEED = "003_7c65fe511f0a5482"


@pytest.fixture(scope="module")
def evil_batch(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Path:
    """A batch run from the input folder, so the file name is the path as given: ``=1+2+cmd.txt``;
    its agency is then set to a formula (what a hostile title line would give)."""
    src = tmp_path_factory.mktemp("in")
    shutil.copy(seeds_dir / f"{SEED}.txt", src / EVIL_NAME)
    out = tmp_path_factory.mktemp("out")
    mp = pytest.MonkeyPatch()
    mp.chdir(src)
    try:
        assert run_batch([EVIL_NAME], out, workers=1, progress=False).done == 1
    finally:
        mp.undo()
    entry = load_index(out)[EVIL_NAME]
    result = out / entry["result"]
    data = json.loads(result.read_text("utf-8"))
    data["agency"] = EVIL_AGENCY
    result.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return out


def test_formula_like_text_is_recognised_and_numbers_are_not():
    for text in (EVIL_NAME, EVIL_AGENCY, "+cmd", "-1+2", "\tx", "\r=x"):
        assert starts_like_formula(text), text
    for text in ("-3", "+1,234.5", "-0.5", "-", "—", "--", "a=b", "", "西坡镇"):
        assert not starts_like_formula(text), text
    for text in (EVIL_NAME, "'=x", "''=x", "'a", "-3", "plain"):
        assert from_csv_safe(csv_safe(text)) == text


def test_formula_file_name_is_text_in_every_xlsx_sheet(evil_batch: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    export(evil_batch, "xlsx", out)
    wb = openpyxl.load_workbook(out)
    seen: dict[str, set[str]] = {EVIL_NAME: set(), EVIL_AGENCY: set()}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if cell.value in seen:
                    assert cell.data_type == "s" and cell.quotePrefix, f"{ws.title}!{cell.coordinate}"
                    seen[cell.value].add(ws.title)
    assert {"long", "wide", "applications"} <= seen[EVIL_NAME]
    assert {"long", "wide", "applications"} <= seen[EVIL_AGENCY]
    # typed rows read back as the text that was written
    rows = read_export(out)
    assert {r["file"] for r in rows} == {EVIL_NAME} and {r["agency"] for r in rows} == {EVIL_AGENCY}


def test_formula_file_name_is_neutralised_in_csv_and_reads_back(evil_batch: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    export(evil_batch, "csv", out)
    with open(out, encoding="utf-8-sig", newline="") as fh:
        raw = list(csv.DictReader(fh))
    assert {r["file"] for r in raw} == {"'" + EVIL_NAME}
    assert {r["agency"] for r in raw} == {"'" + EVIL_AGENCY}
    assert not any(v[:1] in "=+@\t\r" for r in raw for v in r.values() if v), "a live formula is left"
    values = [r["value"] for r in raw if r["value"]]
    assert values and all(float(v) == float(v) for v in values)  # numbers stay plain numbers
    # nianbao reads its CSV back to the same rows as the Parquet export
    pq = tmp_path / "x.parquet"
    export(evil_batch, "parquet", pq)
    assert read_export(out) == read_export(pq)
    assert {r["file"] for r in read_export(out)} == {EVIL_NAME}


def test_formula_cell_text_is_neutralised_in_the_long_csv_and_findings_csv(evil_batch: Path, tmp_path: Path) -> None:
    result = next(evil_batch.glob("*-*.json"))
    report = Report.model_validate_json(result.read_text("utf-8"))
    cell = report.cells()[0]
    cell.text = "=HYPERLINK(\"http://evil.example\",\"1\")"
    signed = report.cells()[1]
    signed.text = "-3"
    buf = io.StringIO()
    write_long_csv([report], buf)
    rows = {(r["table"], r["row"], r["col"]): r for r in csv.DictReader(io.StringIO(buf.getvalue()))}
    assert rows[cell.key]["text"] == "'" + cell.text
    assert rows[signed.key]["text"] == "-3"  # a signed number is not touched
    from nianbao.models import Finding

    f = Finding(kind="text_vs_table", message="+cmd|' /C calc'!A0", agency=EVIL_AGENCY, year=2022)
    path = tmp_path / "findings.csv"
    write_findings_csv([f], path)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["agency"] == "'" + EVIL_AGENCY and row["message"] == "'+cmd|' /C calc'!A0" and row["year"] == "2022"


def test_formula_cell_text_is_neutralised_in_the_review_page_csv(evil_batch: Path, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from nianbao.review import create_app

    report = Report.model_validate_json(next(evil_batch.glob("*-*.json")).read_text("utf-8"))
    cell = report.cells()[0]
    cell.text = "=cmd|' /C calc'!A0"
    result = tmp_path / "r.json"
    result.write_text(report.model_dump_json(), encoding="utf-8")
    client = TestClient(create_app([result], user=lambda req: "tester"))
    body = client.get("/review/export/r.csv").text
    rows = {(r["table"], r["row"], r["col"]): r for r in csv.DictReader(io.StringIO(body))}
    assert rows[cell.key]["text"] == "'" + cell.text

"""nianbao export: long and wide data sets from a batch folder, in CSV, Parquet and XLSX,
reading back equal; reviewer corrections applied and flagged; printed matrices in XLSX."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nianbao.batch import load_index, run_batch
from nianbao.corrections import Correction, append_correction
from nianbao.dataset import LOW_FILL, CORRECTED_FILL, canonical_columns, export, read_export

pytest.importorskip("pyarrow", reason="the export extra is not installed: pip install 'nianbao[export]'")
pytest.importorskip("openpyxl", reason="the export extra is not installed: pip install 'nianbao[export]'")

SEEDS = ["000_16485cd5df1f3c2d", "002_235ea5f4c50e8f7e", "003_7c65fe511f0a5482"]


@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Path:
    src = tmp_path_factory.mktemp("in")
    for s in SEEDS:
        shutil.copy(seeds_dir / f"{s}.txt", src / f"{s}.txt")
    out = tmp_path_factory.mktemp("out")
    summary = run_batch([src], out, workers=1, progress=False)
    assert summary.done == 3
    # a reviewer corrects one cell of seed 003 and accepts another
    entry = next(e for p, e in load_index(out).items() if p.endswith("003_7c65fe511f0a5482.txt"))
    result = out / entry["result"]
    append_correction(result, Correction(who="alice", action="correct", table="applications", row="new_received",
                                         col="natural_person", old_value=1, new_value=7, machine_value=1,
                                         machine_confidence=1.0))
    append_correction(result, Correction(who="alice", action="accept", table="applications", row="new_received",
                                         col="total", old_value=1, new_value=1, machine_value=1, machine_confidence=1.0))
    return out


def _by_key(rows: list[dict]) -> dict[tuple, dict]:
    return {(Path(r["file"]).name, r["table"], r["row"], r["col"]): r for r in rows}


@pytest.mark.parametrize("wide", [False, True], ids=["long", "wide"])
def test_the_three_formats_read_back_equal(batch_dir: Path, tmp_path: Path, wide: bool) -> None:
    got = {}
    for fmt in ("csv", "parquet", "xlsx"):
        out = tmp_path / f"export.{fmt}"
        n = export(batch_dir, fmt, out, wide=wide)
        got[fmt] = read_export(out, wide=wide)
        assert n == (3 if wide else sum(1 for _ in got[fmt])), fmt
    assert got["csv"] == got["parquet"] == got["xlsx"]
    assert len(got["csv"]) == (3 if wide else 3 * 198)


def test_long_form_holds_real_values_metadata_and_corrections(batch_dir: Path, tmp_path: Path) -> None:
    export(batch_dir, "csv", tmp_path / "long.csv")
    rows = _by_key(read_export(tmp_path / "long.csv"))
    r = rows[("000_16485cd5df1f3c2d.txt", "applications", "new_received", "total")]
    assert (r["agency"], r["year"], r["template_version"], r["checks_passed"]) == ("西坡镇", 2020, "2019", True)
    assert r["value"] == 0 and r["corrected"] is False and r["review"] == "" and len(r["sha256"]) == 64

    fixed = rows[("003_7c65fe511f0a5482.txt", "applications", "new_received", "natural_person")]
    assert (fixed["value"], fixed["corrected"], fixed["review"], fixed["machine_value"], fixed["confidence"]) == \
           (7, True, "corrected", 1, 1.0)
    accepted = rows[("003_7c65fe511f0a5482.txt", "applications", "new_received", "total")]
    assert (accepted["value"], accepted["corrected"], accepted["review"]) == (1, False, "accepted")
    assert sum(r["corrected"] for r in rows.values()) == 1


def test_wide_form_one_row_per_report_a_column_per_cell(batch_dir: Path, tmp_path: Path) -> None:
    export(batch_dir, "parquet", tmp_path / "wide.parquet", wide=True)
    rows = {Path(r["file"]).name: r for r in read_export(tmp_path / "wide.parquet", wide=True)}
    assert set(rows) == {f"{s}.txt" for s in SEEDS}
    r003 = rows["003_7c65fe511f0a5482.txt"]
    assert r003["applications.new_received.total"] == 1
    assert r003["applications.new_received.natural_person"] == 7  # corrected
    assert r003["corrected_cells"] == 1
    assert set(canonical_columns()) <= set(r003)
    # a 2021-only column is empty for these 2019-template reports
    assert r003["active_disclosure.art20_1.regulations.issued_this_year"] is None


def test_xlsx_has_printed_matrices_with_low_confidence_highlighted(batch_dir: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "book.xlsx"
    export(batch_dir, "xlsx", out)
    wb = load_workbook(out)
    assert wb.sheetnames == ["long", "wide", "applications", "reviews_litigation", "active_disclosure", "findings"]
    ws = wb["applications"]
    cells = [c for row in ws.iter_rows() for c in row]
    labels = [c.value for c in cells]
    assert labels.count("一、本年新收政府信息公开申请数量") == 3  # one block per report
    assert labels.count("自然人") == 3
    fills = {c.fill.start_color.rgb[-6:] for c in cells if c.fill is not None and c.fill.fill_type == "solid"}
    assert CORRECTED_FILL in fills
    # seed 002 has cells the parser was unsure of (rows it had to resolve): they are filled
    long = read_export(out)
    low = [r for r in long if r["confidence"] < 0.9 and r["kind"] != "missing" and r["table"] == "applications"]
    assert low and LOW_FILL in fills


def test_control_characters_from_a_text_layer_do_not_break_xlsx(batch_dir: Path, tmp_path: Path) -> None:
    from nianbao.models import Report

    d = tmp_path / "results"
    d.mkdir()
    for p in sorted(batch_dir.glob("0*-*.json"))[:1]:
        r = Report.model_validate_json(p.read_text("utf-8"))
        r.agency = "西坡镇\x0c"
        r.tables[0].cells[0].text = "1\x0b2"
        (d / p.name).write_text(r.model_dump_json(), encoding="utf-8")
    got = {}
    for fmt in ("csv", "parquet", "xlsx"):
        export(d, fmt, tmp_path / f"x.{fmt}")
        got[fmt] = read_export(tmp_path / f"x.{fmt}")
    assert got["csv"] == got["parquet"] == got["xlsx"]
    assert got["csv"][0]["agency"] == "西坡镇" and got["csv"][0]["text"] == "12"

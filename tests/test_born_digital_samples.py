"""Born-digital reports of the committed fixture set parse exactly through the text layer."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from nianbao.pipeline import parse_file

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"


def _born_digital() -> list[dict]:
    manifest = json.loads((SAMPLES / "manifest.json").read_text("utf-8"))
    return [r for r in manifest["reports"] if r["kind"] == "born_digital"]


def _truth(name: str) -> dict[tuple[str, str, str], str]:
    with (SAMPLES / name).open(encoding="utf-8") as fh:
        return {(r["table"], r["row"], r["col"]): r["value"] for r in csv.DictReader(fh)}


@pytest.mark.parametrize("entry", _born_digital(), ids=lambda e: e["file"])
def test_born_digital_sample_parses_exactly(entry):
    report = parse_file(SAMPLES / entry["file"])
    assert report.source.format.startswith("pdf")
    assert report.template_version == entry["version"]
    assert report.agency == entry["agency"]
    truth = _truth(entry["truth"])
    got = {c.key: c for c in report.cells()}
    assert set(got) == set(truth)
    for key, want in truth.items():
        cell = got[key]
        if want == "":
            assert cell.value in (None, 0), key
        else:
            assert cell.value == pytest.approx(float(want)), (key, cell.text, cell.reasons)


def test_pdf_row_cut_from_its_table_grid_is_still_read():
    """A table row alone at the top of a page (no ruling found around it) comes out of the
    text layer as one line of words; its values must still be read (sample 000, page 3)."""
    report = parse_file(SAMPLES / "000.pdf")
    row = [c for c in report.table("applications").cells if c.row == "withheld_query_matter"]
    assert [c.value for c in row] == [0] * 7
    assert all(c.page == 3 for c in row)

"""The five real reports in ../shared/seeds parse exactly: every canonical cell has the value
the report states (non-zero values written out by hand here, every other cell 0)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest

from nianbao.models import CellKind, CheckStatus
from nianbao.pipeline import parse_file

AD = "active_disclosure"
APP = "applications"

# (table, row, col) -> value, for every non-zero cell; all other cells are 0
EXPECTED_NONZERO = {
    "000": {  # 西坡镇, Word cell-per-line export
        (AD, "art20_9.procurement", "count"): 9,
        (AD, "art20_9.procurement", "amount"): 718133,
    },
    "001": {},  # 石门乡, MinerU markdown with OCR garble: all zeros
    "002": {},  # 坑仔口镇, rows of 6 values for 7 columns: all zeros
    "003": {  # 金贵镇
        (AD, "art20_9.procurement", "count"): 4,
        (AD, "art20_9.procurement", "amount"): 328.65,
        (APP, "new_received", "natural_person"): 1,
        (APP, "new_received", "total"): 1,
        (APP, "disclosed", "natural_person"): 1,
        (APP, "disclosed", "total"): 1,
        (APP, "result_total", "natural_person"): 1,
        (APP, "result_total", "total"): 1,
    },
    "004": {  # 湖沟镇
        (AD, "art20_5.licensing", "previous_year"): 1,
        (AD, "art20_5.other_services", "previous_year"): 473,
        (AD, "art20_5.other_services", "decisions"): 499,
        (AD, "art20_6.penalty", "previous_year"): 4,
        (AD, "art20_6.coercion", "previous_year"): 6,
        (AD, "art20_9.procurement", "count"): 39,
        (AD, "art20_9.procurement", "amount"): 2192.63,
    },
}
AGENCY = {"000": "西坡镇", "001": "南召县石门乡人民政府", "002": "坑仔口镇人民政府", "003": "贺兰县金贵镇", "004": "固镇县湖沟镇"}
UNIT = {"000": None, "001": "万元", "002": None, "003": "万元", "004": "万元"}


def _seed(seeds_dir, prefix):
    return next(seeds_dir.glob(f"{prefix}_*.txt"))


@pytest.mark.parametrize("prefix", sorted(EXPECTED_NONZERO))
def test_seed_every_cell_has_the_stated_value(seeds_dir, prefix):
    report = parse_file(_seed(seeds_dir, prefix))
    assert report.template_version == "2019"
    assert report.year == 2020
    assert report.agency == AGENCY[prefix]
    cells = report.cells()
    assert len(cells) == 23 * 7 + 15 + 22  # 2019 template: applications + reviews + 第二十条
    expected = EXPECTED_NONZERO[prefix]
    for cell in cells:
        want = expected.get(cell.key, 0)
        assert cell.value == pytest.approx(want), f"{cell.key}: got {cell.value!r} from {cell.text!r}"
    assert not [c for c in report.checks if c.status == CheckStatus.failed]


@pytest.mark.parametrize("prefix", sorted(UNIT))
def test_seed_procurement_amount_unit_as_printed(seeds_dir, prefix):
    report = parse_file(_seed(seeds_dir, prefix))
    cell = report.table(AD).cell("art20_9.procurement", "amount")
    assert cell.unit == UNIT[prefix]
    if cell.unit == "万元":
        assert cell.value_wan == cell.value


def test_seed_002_short_rows_are_resolved_and_marked(seeds_dir):
    """Seed 002 prints rows of 6 values for 7 columns: values resolved by the rules, marked, never certain."""
    report = parse_file(_seed(seeds_dir, "002"))
    row = [c for c in report.cells() if c.row == "new_received"]
    assert all(c.value == 0 for c in row)
    assert all(any("6 values for 7 columns" in r for r in c.reasons) for c in row)
    assert all(c.confidence < 0.9 for c in row)
    assert any(c.kind == CellKind.derived for c in row)


def test_seed_003_litigation_row_of_16_values_is_resolved_and_marked(seeds_dir):
    report = parse_file(_seed(seeds_dir, "003"))
    cells = report.table("reviews_litigation").cells
    assert len(cells) == 15 and all(c.value == 0 for c in cells)
    assert all(any("16 values for 15 columns" in r for r in c.reasons) for c in cells)
    # only the body text ("申请行政复议0件") may confirm a cell of the ambiguous row
    assert all(c.confidence < 0.9 for c in cells if not any("body text" in r for r in c.reasons))


def test_seed_001_ocr_garbled_labels_still_place_rows(seeds_dir):
    report = parse_file(_seed(seeds_dir, "001"))
    app = report.table(APP)
    assert app.found
    assert all(c.kind != CellKind.missing for c in app.cells)


def test_cli_parse_csv_is_the_spec_long_format(seeds_dir):
    out = subprocess.run([sys.executable, "-m", "nianbao.cli", "parse", str(_seed(seeds_dir, "004")), "--format", "csv"],
                         capture_output=True, text=True, check=True).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert out.splitlines()[0] == "table,row,col,value,text,confidence,page,x0,y0,x1,y1"
    assert len(rows) == 198
    got = {(r["table"], r["row"], r["col"]): r for r in rows}
    assert got[(AD, "art20_9.procurement", "amount")]["value"] == "2192.63"
    assert got[(AD, "art20_9.procurement", "amount")]["text"] == "2192.63 万元"
    assert got[(AD, "art20_5.other_services", "decisions")]["value"] == "499"

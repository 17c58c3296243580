"""Application matrices of Word reports scanned at low resolution (about 100 dpi) and sent by
fax (1-bit): the ruling-line grid must not take digit strokes for walls. Real page images
(crops of seed-2033 reports) in, the grid and the values read out."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from nianbao.settings import Settings

DATA = Path(__file__).parents[1] / "data" / "scan"


def _table_rows(res) -> list[list[str]]:
    return [[c.text for c in r.cells] for r in res.rows if r.kind == "table"]


def _row_starting(rows: list[list[str]], label: str) -> list[str]:
    hits = [r for r in rows if r and r[0].endswith(label)]
    assert hits, f"no row labelled {label!r} in {rows}"
    return hits[0]


@pytest.mark.slow
def test_digit_strokes_lined_up_down_a_value_column_are_no_wall() -> None:
    """Seed-2033 Word low-resolution report 007, page 3 (101 dpi): the "1"s and "0"s down the
    商业企业, 法律服务机构, 其他 and 总计 columns line up into vertical strokes that pass from row
    to row; taken for walls they cut the table into 11 value columns, the values were read one
    column off (34 cells wrong, 16 missing). A ruling wall meets the row lines at its crossings;
    the digit strokes keep off them, and are no wall."""
    from nianbao.scan import read_page

    page = cv2.imread(str(DATA / "word_lowres_digit_strokes_in_line.jpg"))
    res = read_page(page, 3, 101.0, Settings())
    apps = [lay for lay in res.layouts if len(lay.rows) > 20]
    assert apps, "the application matrix was not found"
    lay = apps[0]
    assert lay.source == "lines" and not lay.faults
    # 自然人 .. 总计: seven value columns of about 58 px, no boundary inside any of them
    value_walls = [x for x in lay.cols if x > lay.cols[-1] - 7.5 * 58.0]
    assert len(value_walls) == 8, value_walls
    rows = _table_rows(res)
    first = _row_starting(rows, "申请数量")
    assert len(first) == 8 and first[1:3] == ["922", "158"] and first[-1] == "1143", first
    assert _row_starting(rows, "保护第三方合法权益")[1:] == ["13", "1", "0", "0", "0", "1", "15"]

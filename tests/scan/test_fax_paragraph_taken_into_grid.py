"""A 1-bit fax of a Word table with no inner vertical rules: the application matrix was lost
(spent mix2045 word fax report 021, page 4: 62 of 207 cells right). Two things broke it:

- the fax's toner spread joined the tops of the characters of the paragraph over the table
  into short "rules", and the line grid took the paragraph in as its first row; the word
  reading of that region found its column boundaries through the paragraph's lines;
- a column of "0" digits, joined by the toner into a piece of "wall" in three rows, gave
  the line grid a boundary that it keeps in those rows only; the word reading took it for a
  wall over the whole table, dropped the column's digits as wall dashes and kept a "rule"
  of the digits' strokes on it.

Image: tests/data/scan/fax_paragraph_taken_into_grid.png, that page as faxed (200 dpi,
1 bit), cropped to the paragraph and the table.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from nianbao.layout.grid import Grid, GridCell
from nianbao.layout.structure import drop_wall_dashes, grid_walls
from nianbao.settings import Settings

DATA = Path(__file__).parents[1] / "data" / "scan"
FIRST_ROW = ["18", "2", "0", "0", "1", "0", "21"]  # 一、本年新收政府信息公开申请数量
LAST_ROW = ["18", "2", "0", "0", "1", "0", "21"]  # （七）总计


@pytest.fixture(scope="module")
def page():
    from nianbao.scan import read_page

    settings = Settings()
    settings.structure.prose_rows_out = True  # off by default (a held-out fax lost a row to it)
    return read_page(cv2.imread(str(DATA / "fax_paragraph_taken_into_grid.png")), 1, 200.0, settings)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def test_fax_paragraph_over_table_is_no_row_of_the_grid(page) -> None:
    st = next(st for st in page.structures if st.n_value_columns == 7)
    # the region starts at the table's top rule, under the paragraph's last line (y ~ 490)
    assert st.region[1] > 480 and st.grid.bbox[1] > 480
    assert st.chosen == "words" and not st.word_faults
    assert st.line_grid is not None and st.line_grid.bbox[1] > 480  # the paragraph's row left out


def test_fax_matrix_values_read_in_their_seven_columns(page) -> None:
    rows = [r for r in page.rows if r.kind == "table"]
    first = next(r for r in rows if r.cells and "本年新收" in r.cells[0].text)
    last = next(r for r in rows if any("总计" in c.text for c in r.cells[:3]) and len(r.cells) >= 8)
    for row, truth in ((first, FIRST_ROW), (last, LAST_ROW)):
        values = [_digits(c.text) for c in row.cells[-7:]]
        assert values == truth
        # nothing wrong is sure
        assert all(_digits(c.text) == t for c, t in zip(row.cells[-7:], truth) if c.confidence >= 0.9)


def test_grid_walls_are_where_the_grid_has_them() -> None:
    # three rows; the boundary at x=50 parts the cells of the middle row only
    rows, cols = [0.0, 30.0, 60.0, 90.0], [0.0, 50.0, 100.0]
    cells = [GridCell(row=0, col=0, colspan=2, bbox=(0, 0, 100, 30)),
             GridCell(row=1, col=0, bbox=(0, 30, 50, 60)), GridCell(row=1, col=1, bbox=(50, 30, 100, 60)),
             GridCell(row=2, col=0, colspan=2, bbox=(0, 60, 100, 90))]
    g = Grid(bbox=(0, 0, 100, 90), rows=rows, cols=cols, cells=cells)
    assert grid_walls(g) == [(0.0, 0.0, 90.0), (50.0, 30.0, 60.0), (100.0, 0.0, 90.0)]
    # a narrow "0" centred on x=50 in the first and last rows is a digit, not a dash of a wall
    zero_top, zero_bottom, dash = (46, 5, 54, 25), (46, 65, 54, 85), (48, 35, 52, 40)
    kept = drop_wall_dashes([zero_top, zero_bottom, dash], g, [], 20.0, 0.0)
    assert kept == [zero_top, zero_bottom]

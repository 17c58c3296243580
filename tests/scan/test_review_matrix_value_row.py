"""The review/litigation matrix lost whole in Word-family (LibreOffice-laid-out) scans.

The template is the model: the matrix prints one row of fifteen values under a header of three
levels (行政复议 / 行政诉讼: 未经复议直接起诉, 复议后起诉; 结果维持 … 总计 in each group). Two pages
where the grid reading gave no row of fifteen values and the table came out empty:

- ``lowres_review_matrix_joined_numbers.png`` (world2032 report 007, page 3, a 106 dpi scan):
  glyph strokes of the header made a line grid of 32 columns, the detector boxed "1 2 1 0" as
  one word, so the word grid had 3 columns; the values row read "12104" and "10 0 0110001";
- ``phone_review_values_in_header_cells.jpg`` (world2032 report 029, page 4, a phone photo,
  flattened): the rule under the header was lost in part, and half the values were read into
  the header cells above them ("结果纠歪2"), leaving blanks in the value row.

The lowres page now has its last line cut into numbers by the gaps in its ink and placed in x
order, with a placement that says so: 0.85 (no rule confirms them into certainty), 0.9 when the
numbers are evenly spaced (one to each column of even width), which the consistency rules
may then confirm. The phone page's grid row gives the fifteen values itself since merged value
cells are cut at a lost wall that ink touches from one side only (a number set against it); the
re-read then has nothing to do, and the matrix is still assembled whole.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from nianbao.assembly import assemble
from nianbao.models import Document
from nianbao.scan import read_page
from nianbao.settings import Settings

DATA = Path(__file__).parents[1] / "data" / "scan"
PAGES = {
    "lowres_review_matrix_joined_numbers.png": (106.0, [1, 2, 1, 0, 4, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1]),
    "phone_review_values_in_header_cells.jpg": (200.0, [6, 2, 4, 3, 15, 1, 0, 0, 0, 1, 1, 3, 1, 2, 7]),
}


def _read(name: str, settings: Settings):
    dpi, _ = PAGES[name]
    return read_page(cv2.imread(str(DATA / name)), 1, dpi, settings)


REREAD = ["lowres_review_matrix_joined_numbers.png"]  # the pages whose grid row lacks values


@pytest.fixture(scope="module", params=sorted(PAGES))
def page(request):
    settings = Settings()
    return request.param, settings, _read(request.param, settings)


@pytest.mark.parametrize("name", REREAD)
def test_review_matrix_values_row_cut_by_ink_gaps_in_x_order(name: str) -> None:
    settings = Settings()
    res = _read(name, settings)
    truth = PAGES[name][1]
    values = [r for r in res.rows if r.kind == "table"][-1]
    assert [int(c.text.replace("O", "0")) for c in values.cells] == truth
    # one number to each of the even columns: the placement the consistency rules may confirm
    assert all(c.placement == settings.structure.matrix_row_even_placement for c in values.cells)
    assert all(any("x order, evenly spaced" in n.reason for n in c.notes) for c in values.cells)


def test_review_matrix_assembled_from_the_reread_row(page) -> None:
    name, settings, res = page
    doc = Document(path=name, format="image", rows=res.rows, pages=[res.info], tables=res.layouts)
    table = next(t for t in assemble(doc, settings.assembly).tables if t.id == "reviews_litigation")
    assert table.found
    assert [c.value for c in table.cells] == PAGES[name][1]
    assert all(c.placement_score <= settings.structure.matrix_row_even_placement for c in table.cells)


@pytest.mark.parametrize("name", REREAD)
def test_review_matrix_lost_without_the_reread(name: str) -> None:
    """The old reading (the step switched off) gives the assembly no row of fifteen values."""
    settings = Settings()
    settings.structure.matrix_row_reread = False
    res = _read(name, settings)
    doc = Document(path=name, format="image", rows=res.rows, pages=[res.info], tables=res.layouts)
    table = next(t for t in assemble(doc, settings.assembly).tables if t.id == "reviews_litigation")
    assert [c.value for c in table.cells] != PAGES[name][1]


def test_review_matrix_known_by_its_own_column_labels_when_a_fax_lost_its_anchors() -> None:
    """world2032 report 009 (fax): the OCR of the header lost 行政复议 and 行政诉讼, but 结果维持
    and 尚未审结 are the matrix's own column labels (no other template table prints them); a
    region holding another table's anchor is not the matrix."""
    from nianbao.scan import _matrix_columns

    assert _matrix_columns("政诉木经复议直找起诉复议超诉结果维持舞其尚末审结总计结果維持東企正其造也巢尚未审结总计") == 15
    assert _matrix_columns("行政复议 结果维持 总计") == 15
    assert _matrix_columns("结果维持 总计") is None  # one label is no proof
    assert _matrix_columns("申请人情况 自然人 行政复议 结果维持 尚未审结") is None


def test_review_value_line_with_a_dash_of_a_dashed_wall_drops_the_piece_off_the_pitch() -> None:
    """Spent mix2039 Word copier report 057, page 3: the review matrix's value line, cut by the
    gaps in its ink, gave 16 pieces for 15 columns: fifteen "0" a column apart (about 123 px)
    and a dash of a dashed inner wall, read "1", halfway between two of them. The row was lost.
    The one choice that leaves fifteen pieces evenly spaced drops the dash; a value dropped
    instead would leave a gap twice as wide, so no other choice fits."""
    from nianbao.scan import _evenly_spaced_subset

    boxes = [(375, 397), (498, 520), (621, 643), (725, 766), (867, 888), (990, 1017), (1113, 1134), (1236, 1257),
             (1358, 1380), (1482, 1503), (1551, 1555), (1604, 1626), (1727, 1749), (1850, 1872), (1973, 1995),
             (2096, 2118)]
    centres = [(a + b) / 2 for a, b in boxes]
    tolerance = Settings().structure.matrix_row_pitch_tolerance
    assert _evenly_spaced_subset(centres, 15, 1, tolerance) == [i for i in range(16) if i != 10]
    # a real value missing leaves no even choice: nothing is dropped
    assert _evenly_spaced_subset(centres[:5] + centres[6:], 14, 1, tolerance) is None
    assert _evenly_spaced_subset(centres, 15, 0, tolerance) is None


def test_review_matrix_with_no_grid_under_its_title_is_read_from_its_line_of_numbers() -> None:
    """Spent mix2039 sheet hairline report 022, page 7 (top): hairline rules and a header too
    pale to find, so no grid at all, and the review matrix was lost whole; its fifteen numbers
    came as stray text lines ("6000" for four of them). The title names the matrix: the first
    line under it that cuts into exactly fifteen numbers is its row, in x order, never certain
    (no wall placed it; the group rules hold for a shifted row as well)."""
    settings = Settings()
    res = read_page(cv2.imread(str(DATA / "hairline_review_matrix_no_grid.jpg")), 1, 200.0, settings)
    assert not res.grids
    truth = [3, 0, 0, 0, 3, 4, 2, 0, 0, 6, 0, 0, 0, 1, 1]
    doc = Document(path="022", format="image", rows=res.rows, pages=[res.info], tables=res.layouts)
    table = next(t for t in assemble(doc, settings.assembly).tables if t.id == "reviews_litigation")
    assert table.found
    assert [c.value for c in table.cells] == truth
    assert all(c.confidence < 0.9 for c in table.cells)
    settings.structure.matrix_title_reach = 0  # the step off: the matrix is lost
    settings.structure.matrix_unheaded_lines = 0  # (a ruled region's line of fifteen even numbers would find it too)
    res = read_page(cv2.imread(str(DATA / "hairline_review_matrix_no_grid.jpg")), 1, 200.0, settings)
    doc = Document(path="022", format="image", rows=res.rows, pages=[res.info], tables=res.layouts)
    table = next(t for t in assemble(doc, settings.assembly).tables if t.id == "reviews_litigation")
    assert [c.value for c in table.cells] != truth


def test_review_matrix_values_under_a_grid_closed_over_its_header_are_its_row() -> None:
    """Spent mix2040 Word hairline report 021, page 4: the hairline rules under the
    header were lost, so the grid closed over the header (and the paragraph above it), and the
    row of fifteen values was left outside the grid as a text line ("000100"): the review
    matrix was lost whole (15 cells missing). The grid printed the matrix's header and gave no
    row of its values, not even its last line; the template says the values follow the header:
    the first line under the grid that cuts into exactly fifteen numbers is its row, in x order,
    never certain (no wall placed it), in the grid's table."""
    settings = Settings()
    image = cv2.imread(str(DATA / "hairline_review_values_under_grid.jpg"))
    truth = [0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]

    def matrix(s: Settings):
        res = read_page(image, 1, 240.0, s)
        doc = Document(path="021", format="image", rows=res.rows, pages=[res.info], tables=res.layouts)
        return res, next(t for t in assemble(doc, s.assembly).tables if t.id == "reviews_litigation")

    res, table = matrix(settings)
    assert res.grids  # the grid is there: its own reading gave no row of values
    assert table.found
    assert [c.value for c in table.cells] == truth
    assert all(c.confidence < 0.9 for c in table.cells)
    assert not any(r.kind == "text" and r.cells[0].text.strip().isdigit() for r in res.rows)  # the line is read once
    settings.structure.matrix_under_grid_lines = 0  # the step off: the matrix is lost
    _, table = matrix(settings)
    assert [c.value for c in table.cells] != truth

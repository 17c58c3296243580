"""Review matrices lost whole on hairline scans of spent seed 2045, found again by the template.

The template is the model: the review matrix prints one row of fifteen values, and no other
table of any version has fifteen value columns. Two hairline scans (rules kept at a fifth of
their darkness) lost the row whole, 15 cells each:

- ``hairline_review_region_over_prose.jpg`` (mix2045 typeset hairline 028, page 4): the faint
  rules smeared with the prose above and below the table gave a region, and a word grid, that
  takes in the paragraphs around the matrix; the grid's last line is prose, not the values, and
  its last row holds the next section's heading ("五、存在的主要问题…"), which ended the table's
  region before the values. Now the grid's other lines are tried top to bottom
  (``matrix_inside_lines``), and the row read inside it sorts before the prose of its grid row;
- ``hairline_review_unheaded_appendix.png`` (mix2045 sheet hairline 027, page 9): a spreadsheet
  printed as an appendix (附表3) after the report's last section, its header grey and too pale to
  be found, its rules almost gone: a ruled region the word reading refused, no grid, no header
  read, and a region (from the section heading) that ends before the appendix. Now a refused
  ruled region's line of exactly fifteen evenly spaced numbers is the matrix's row
  (``scan._matrix_row_unheaded``), found by assembly wherever it stands (``_unheaded_row``).

Placed by x order alone: never certain.
"""

from __future__ import annotations

from pathlib import Path

import cv2

from nianbao.assembly import assemble
from nianbao.models import Document, PageInfo, Row, TextCell
from nianbao.scan import read_page
from nianbao.settings import Settings

DATA = Path(__file__).parents[1] / "data" / "scan"


def _settings() -> Settings:
    settings = Settings()
    settings.layout.detect_orientation = False  # a crop of a page known upright
    return settings


def _reviews(rows: list[Row], info: PageInfo, tables, settings: Settings):
    doc = Document(path="crop", format="image", rows=rows, pages=[info], tables=tables)
    return next(t for t in assemble(doc, settings.assembly).tables if t.id == "reviews_litigation")


def test_hairline_review_row_inside_a_region_grown_over_prose() -> None:
    settings = _settings()
    res = read_page(cv2.imread(str(DATA / "hairline_review_region_over_prose.jpg")), 1, 240.0, settings)
    table = _reviews(res.rows, res.info, res.layouts, settings)
    assert table.found
    assert [c.value for c in table.cells] == [2, 0, 1, 0, 3, 2, 0, 1, 1, 4, 0, 0, 0, 1, 1]
    assert all(c.placement_score <= settings.structure.matrix_row_even_placement for c in table.cells)
    # without the lines inside the grid tried, the matrix is lost (what broke)
    settings.structure.matrix_inside_lines = 0
    res = read_page(cv2.imread(str(DATA / "hairline_review_region_over_prose.jpg")), 1, 240.0, settings)
    assert not _reviews(res.rows, res.info, res.layouts, settings).found


def test_hairline_review_row_with_a_pale_header_in_an_appendix() -> None:
    settings = _settings()
    res = read_page(cv2.imread(str(DATA / "hairline_review_unheaded_appendix.png")), 1, 240.0, settings)
    values = [r for r in res.rows if r.kind == "table"]
    assert len(values) == 1 and values[0].table_index is None
    assert [c.text for c in values[0].cells] == ["5", "1", "3", "1", "10", "3", "1", "0", "0", "4", "4", "1", "0", "0", "5"]
    # the report's sections come before its appendix: the matrix's section ends before the row
    info = res.info
    sections = [Row(kind="text", page=1, cells=[TextCell(text=t, bbox=(0, 0, 1, 1), confidence=1.0)])
                for t in ("四、政府信息公开行政复议、行政诉讼情况", "见附表3。", "五、存在的主要问题及改进情况")]
    table = _reviews(sections + res.rows, info, res.layouts, settings)
    assert table.found
    assert [c.value for c in table.cells] == [5, 1, 3, 1, 10, 3, 1, 0, 0, 4, 4, 1, 0, 0, 5]
    assert all(c.placement_score <= settings.structure.matrix_row_placement for c in table.cells)
    # without the reading of a refused region, no row (what broke)
    settings.structure.matrix_unheaded_lines = 0
    res = read_page(cv2.imread(str(DATA / "hairline_review_unheaded_appendix.png")), 1, 240.0, settings)
    assert not [r for r in res.rows if r.kind == "table"]

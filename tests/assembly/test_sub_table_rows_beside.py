"""第二十条 sub-tables whose rules a hairline scan lost whole (world2033 report 023, page 2, a
Word table with hairline rules at 200 dpi): no table region is found, each row comes out as two
text lines side by side, its label (行政处罚) and its number (146). The assembly read no value
row and the four cells of items (五) (六) (八) were missing. A short label line with exactly one
number beside it, level with it, is now a one-value row (``assembly.values_beside``), placed
below certainty (``AssemblySettings.beside_placement``): no rule joins the two."""

from __future__ import annotations

from pathlib import Path

import cv2

from nianbao.assembly import assemble
from nianbao.models import Document
from nianbao.scan import read_page
from nianbao.settings import Settings

DATA = Path(__file__).parents[1] / "data" / "scan"
TRUTH = {"art20_6.penalty": 146.0, "art20_6.coercion": 25.0, "art20_8.fees": 11.43}


def _read(settings: Settings):
    settings.layout.detect_orientation = False  # a crop of a page known upright
    res = read_page(cv2.imread(str(DATA / "hairline_sub_tables_without_rules.jpg")), 1, 200.0, settings)
    return Document(path="hairline_sub_tables_without_rules.jpg", format="image", rows=res.rows, pages=[res.info],
                    tables=res.layouts)


def test_sub_table_rows_read_as_label_and_value_beside_it() -> None:
    settings = Settings()
    doc = _read(settings)
    table = next(t for t in assemble(doc, settings.assembly).tables if t.id == "active_disclosure")
    got = {c.row: c.value for c in table.cells if c.row in TRUTH}
    assert got == TRUTH
    placed = [c for c in table.cells if c.row in TRUTH]
    assert all(c.placement_score <= settings.assembly.beside_placement for c in placed)


def test_sub_table_rows_missing_without_the_value_beside() -> None:
    """The reading itself gives text lines only: without pairing them nothing is placed."""
    settings = Settings()
    doc = _read(settings)
    assert not any(r.kind == "table" for r in doc.rows)
    settings.assembly.beside_overlap = 2.0  # no two lines share twice their height: pairing off
    table = next(t for t in assemble(doc, settings.assembly).tables if t.id == "active_disclosure")
    assert all(c.value is None for c in table.cells if c.row in TRUTH)


def test_sub_table_row_read_as_label_and_number_in_one_cell() -> None:
    """world2033 report 009, page 2 (a 240 dpi fax of a Word table printed without inner walls):
    the one-value rows of items (五) (六) (八) were read as one cell each ("行政许可139"); a text
    ending in a number after a one-value row's whole template label is that row's value
    (``assembly.labelled_value``), placed below certainty."""
    settings = Settings()
    settings.layout.detect_orientation = False
    res = read_page(cv2.imread(str(DATA / "fax_sub_tables_label_and_value_one_cell.png")), 1, 240.0, settings)
    doc = Document(path="fax_sub_tables_label_and_value_one_cell.png", format="image", rows=res.rows,
                   pages=[res.info], tables=res.layouts)
    table = next(t for t in assemble(doc, settings.assembly).tables if t.id == "active_disclosure")
    # (the page opens with item (五)'s row 行政许可139, continued from the page before: on this
    # page alone it stands above the first 第二十条 heading, outside the table's region)
    truth = {"art20_6.penalty": 8.0, "art20_6.coercion": 0.0, "art20_8.fees": 2.03}
    assert {c.row: c.value for c in table.cells if c.row in truth} == truth
    merged = [c for c in table.cells if c.row in ("art20_6.penalty", "art20_8.fees")]
    assert all(c.placement_score <= settings.assembly.spaced_values_placement for c in merged)


def test_sub_tables_whose_first_item_heading_was_lost_are_the_tables_rows() -> None:
    """sheet2034 report 005, page 3 (a hairline scan of a spreadsheet): the reading lost the
    heading 第二十条第（一）项 over the first sub-table, and the table's region began at the first
    第二十条 heading found, (八): items (一) (五) (六) were outside it, six cells missing. A table
    row between the section's heading (主动公开政府信息情况) and that first item heading is now
    the table's (``assembly.locate_regions``)."""
    settings = Settings()
    settings.layout.detect_orientation = False
    name = "hairline_sheet_sub_tables_item_heading_lost.jpg"
    res = read_page(cv2.imread(str(DATA / name)), 1, 200.0, settings)
    doc = Document(path=name, format="image", rows=res.rows, pages=[res.info], tables=res.layouts)
    table = next(t for t in assemble(doc, settings.assembly).tables if t.id == "active_disclosure")
    truth = {("art20_1.normative_documents", "in_force"): 12.0, ("art20_5.licensing", "decisions"): 1095.0,
             ("art20_6.coercion", "decisions"): 21.0, ("art20_8.fees", "amount"): 0.29}
    assert {(c.row, c.col): c.value for c in table.cells if (c.row, c.col) in truth} == truth


def test_sub_table_rows_of_several_values_read_as_text_lines_beside_their_labels() -> None:
    """sheet2034 report 017, page 2 (a hairline scan of a spreadsheet): no rule, no table region;
    every label and every number its own text line ("行政规范性文件", "1", "4", "8"). The
    numbers level with a label, right of it, as many as a row of the table has values, are its
    row in x order (``assembly.values_beside``); seven cells were missing."""
    settings = Settings()
    settings.layout.detect_orientation = False
    name = "hairline_sheet_sub_tables_text_lines_only.jpg"
    res = read_page(cv2.imread(str(DATA / name)), 1, 200.0, settings)
    doc = Document(path=name, format="image", rows=res.rows, pages=[res.info], tables=res.layouts)
    table = next(t for t in assemble(doc, settings.assembly, year=2022).tables if t.id == "active_disclosure")
    truth = {("art20_1.normative_documents", "issued_this_year"): 1.0,
             ("art20_1.normative_documents", "repealed_this_year"): 4.0,
             ("art20_1.normative_documents", "in_force"): 8.0, ("art20_5.licensing", "decisions"): 0.0,
             ("art20_6.penalty", "decisions"): 2178.0, ("art20_6.coercion", "decisions"): 0.0,
             ("art20_8.fees", "amount"): 0.13}
    assert {(c.row, c.col): c.value for c in table.cells if (c.row, c.col) in truth} == truth
    assert all(c.placement_score <= settings.assembly.beside_placement for c in table.cells if (c.row, c.col) in truth)

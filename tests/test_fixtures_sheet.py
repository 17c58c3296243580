"""The spreadsheet family of the fixtures generator (fixtures/fx_sheet.py): the tables written into
.xlsx workbooks from the same data as the truth, in the layout the manifest records, printed by
LibreOffice Calc and merged with the prose Writer lays out.

Fast tests read the openpyxl workbooks back (no renderer); the end-to-end tests run LibreOffice
headless and check the merged PDF's text layer against the truth (marked slow).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
sys.path.insert(0, str(FIXTURES))

import fx_data  # noqa: E402
import fx_sheet  # noqa: E402
from fixture_checks import (  # noqa: E402
    assert_fax_without_text_layer, assert_header_pages_as_recorded, assert_landscape_as_recorded,
    assert_manifest_matches_pdf, assert_tables_after_prose, assert_text_layer_holds_truth_numbers,
    generate_family_twice)

HAS_LO = fx_sheet.calc_available()


def build(seed: int, force: dict | None = None, data: dict | None = None):
    rd = fx_data.make_report(seed, random.Random(f"st:{seed}"), data or {})
    lay = fx_sheet.SheetLayout(random.Random(f"sl:{seed}"), force)
    rep = fx_sheet.build_report(rd, lay, random.Random(f"sb:{seed}"), np.random.default_rng(seed))
    return rd, lay, rep


def sheets(rep) -> list[tuple[str, object]]:
    return [(p[2], p[1].active) for p in rep.parts if p[0] == "xlsx"]


def shown(cell) -> str:
    """The text Calc prints for a cell: its value under its number format."""
    v, fmt = cell.value, cell.number_format
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if fmt == "#,##0":
        return f"{v:,}"
    if fmt.startswith("0."):
        return f"{v:.{len(fmt) - 2}f}"
    assert fmt == "0", fmt
    return str(v)


# --------------------------------------------------------------------------- the workbooks (no renderer)


@pytest.mark.parametrize("seed,data,force", [
    (1, {"version": "2019"}, {"numbers_as": "number", "placement": "inline"}),
    (2, {"version": "2021", "thousands": True}, {"numbers_as": "number", "placement": "appendix", "title_row": True}),
    (5, {"version": "2021", "mixed_other_handling": True, "other_documents": True}, {"numbers_as": "text"}),
])
def test_sheet_workbooks_print_every_truth_cell_once_with_its_text(seed, data, force):
    """Every printed truth cell is in exactly one grid, and the workbook cell at that grid
    position shows the truth text (typed as a number with the format that prints it so, or as
    text); an unprinted canonical row is in no grid."""
    rd, lay, rep = build(seed, force, data)
    keyed = [c for g in rep.facts["grids"] for c in g.cells if c.key]
    keys = [c.key for c in keyed]
    assert len(keys) == len(set(keys))
    assert set(keys) == {k for k in fx_data.truth_keys(rd) if k[1] not in rd.unprinted_rows}
    by_table = dict(sheets(rep))
    assert set(by_table) == {"active_disclosure", "applications", "reviews_litigation"}
    numeric = 0
    titled = {s["table"]: bool(s["title_row"]) for s in rep.facts["sheets"]}
    for table, ws in by_table.items():
        row0 = 2 if titled[table] else 1
        for g in (g for g in rep.facts["grids"] if g.name == table):
            for c in g.cells:
                cell = ws.cell(row0 + c.row, c.col + 1)
                if c.key:
                    assert shown(cell) == rd.texts[c.key], (table, c.key, cell.value, cell.number_format)
                    numeric += not isinstance(cell.value, str) and cell.value is not None
                if c.rowspan > 1 or c.colspan > 1:
                    want = f"{cell.coordinate}:{ws.cell(row0 + c.row + c.rowspan - 1, c.col + c.colspan).coordinate}"
                    assert want in {str(r) for r in ws.merged_cells.ranges}, (table, c)
            row0 += g.n_rows + 1
    assert (numeric > 0) == (lay.numbers_as == "number")


@pytest.mark.parametrize("force", [
    {"vertical_mode": "direction", "inner_style": "hair", "inner_vertical": False, "outer_style": "double",
     "repeat_header": True, "header_fill": "D9D9D9", "num_align": "right", "page_numbers": True, "numbers_as": "number",
     "landscape": {"applications": True, "reviews_litigation": False, "active_disclosure": False}},
    {"vertical_mode": "narrow", "inner_style": "gridlines", "inner_vertical": True, "outer_style": "thick",
     "repeat_header": False, "header_fill": None, "num_align": "center", "page_numbers": False, "numbers_as": "text",
     "landscape": {"applications": False, "reviews_litigation": True, "active_disclosure": False}},
])
def test_sheet_layout_record_matches_workbook(force):
    rd, lay, rep = build(7, force, {"version": "2019"})
    inner = None if lay.inner_style == "gridlines" else lay.inner_style
    for table, ws in sheets(rep):
        grids = [g for g in rep.facts["grids"] if g.name == table]
        ncols = len(grids[0].widths_cm)
        assert ws.page_setup.orientation == ("landscape" if lay.landscape[table] else "portrait")
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert bool(ws.print_options.gridLines) == (lay.inner_style == "gridlines")
        assert bool(ws.print_title_rows) == (lay.repeat_header and grids[0].header_rows > 0)
        assert ("&P" in (ws.oddFooter.center.text or "")) == lay.page_numbers
        # a row in the middle of the first grid: outer style at the table's edges, inner style inside
        info = next(s for s in rep.facts["sheets"] if s["table"] == table)
        first = 2 if info["title_row"] else 1
        mid = first + grids[0].n_rows - 2
        assert ws.cell(mid, 1).border.left.style == lay.outer_style
        assert ws.cell(mid, ncols).border.right.style == lay.outer_style
        assert ws.cell(mid, 2).border.left.style == (inner if lay.inner_vertical else None)
        assert ws.cell(mid, 2).border.top.style in (inner, "medium")
        fills = {ws.cell(first + c.row, c.col + 1).fill.fgColor.rgb for c in grids[0].cells if c.row == 0}
        if grids[0].header_rows:
            assert fills == ({f"00{lay.header_fill}"} if lay.header_fill else {"00000000"})
        fonts = {ws.cell(first + c.row, c.col + 1).font.name for c in grids[0].cells}
        assert fonts == {lay.table_font}
    apps = dict(sheets(rep))["applications"]
    rotated = [c for row in apps.iter_rows() for c in row if c.alignment.textRotation == 255]
    assert bool(rotated) == (lay.vertical_mode == "direction")
    first = 2 if next(s for s in rep.facts["sheets"] if s["table"] == "applications")["title_row"] else 1
    grid = next(g for g in rep.facts["grids"] if g.name == "applications")
    values = [apps.cell(first + c.row, c.col + 1) for c in grid.cells if c.key]
    assert {c.alignment.horizontal for c in values} == {lay.num_align}
    assert any(isinstance(c.value, str) and c.value[0].isdigit() for c in values) == (lay.numbers_as == "text")


def test_sheet_column_widths_follow_content():
    """Value columns are as wide as their widest number; a narrow vertical group column holds one
    character; a label column stops at ``label_chars`` characters (longer labels wrap)."""
    rd, lay, rep = build(3, {"vertical_mode": "narrow", "label_chars": 10, "value_chars": 3, "table_pt": 10},
                         {"version": "2021"})
    apps = next(g for g in rep.facts["grids"] if g.name == "applications")
    widths = fx_sheet.column_widths_pt(apps, lay)
    assert widths[0] < 2 * lay.table_pt and widths[1] < 2 * lay.table_pt
    assert widths[2] <= 10 * lay.table_pt + 8.0
    for k in range(3, len(widths)):
        nums = [fx_sheet.text_pt(c.text, lay.table_pt) for c in apps.cells if c.col == k and c.key]
        assert widths[k] >= max(nums) + 8.0
    heights = fx_sheet.row_heights_pt(apps, widths, lay)
    for c in apps.cells:  # a vertical group fits the rows it spans: one character per line
        if c.vertical:
            assert sum(heights[c.row: c.row + c.rowspan]) >= len(c.text) * lay.table_pt * 1.3


@pytest.mark.parametrize("placement", ["inline", "appendix"])
def test_sheet_placement_orders_prose_and_tables(placement):
    rd, lay, rep = build(11, {"placement": placement, "title_row": False})
    kinds = [p[0] for p in rep.parts]
    tables = [p[2] for p in rep.parts if p[0] == "xlsx"]
    assert tables == ["active_disclosure", "applications", "reviews_litigation"]
    prose = "".join(par.text for p in rep.parts if p[0] == "docx" for par in p[1].paragraphs)
    if placement == "inline":
        assert kinds == ["docx", "xlsx", "docx", "xlsx", "docx", "xlsx", "docx"]
        assert "附表" not in prose
    else:
        assert kinds == ["docx", "xlsx", "xlsx", "xlsx"]
        assert all(f"附表{n}" in prose for n in (1, 2, 3))
        assert [s["title_row"] for s in rep.facts["sheets"]] == ["附表1", "附表2", "附表3"]
    assert rd.agency.full_name in prose and rep.facts["sign_date"] in prose


def test_sheet_layout_deterministic_from_seed():
    a, b, c = (build(s)[1].as_dict() for s in (4, 4, 9))
    assert a == b and a != c
    wa, wb = (sheets(build(4)[2]) for _ in range(2))
    for (ta, sa), (tb, sb) in zip(wa, wb):
        assert ta == tb
        assert [[x.value for x in r] for r in sa.iter_rows()] == [[x.value for x in r] for r in sb.iter_rows()]


# --------------------------------------------------------------------------- end to end (LibreOffice)


@pytest.fixture(scope="module")
def sheet_set(tmp_path_factory):
    if not HAS_LO:
        pytest.skip("needs LibreOffice (apt-get install libreoffice-calc-nogui libreoffice-writer-nogui)")
    import generate

    out = tmp_path_factory.mktemp("sheet")
    land = {"applications": True, "reviews_litigation": True, "active_disclosure": False}
    presets = [
        {"data": {"version": "2019"}, "scanned": False,
         "layout": {"vertical_mode": "direction", "repeat_header": True, "row_min_pt": 26, "landscape": land,
                    "placement": "inline", "numbers_as": "number", "seal": True}},
        {"data": {"version": "2021"}, "scanned": False,
         "layout": {"vertical_mode": "narrow", "repeat_header": False, "row_min_pt": 26, "landscape": land,
                    "placement": "appendix", "inner_style": "gridlines", "numbers_as": "text", "seal": False}},
        {"data": {"version": "2021", "level": "city_government"}, "scanned": True,
         "layout": {"vertical_mode": "horizontal", "inner_style": "hair"}},
    ]
    entries = generate.generate_batch([0, 1, 2], 4102, str(out), 1.0, presets, "sheet", "fax")
    return out, entries


@pytest.mark.slow
def test_sheet_pdf_prints_every_number_of_the_truth(sheet_set):
    """The text layer of each table's pages holds the numbers of that table's truth, as many of
    each as the truth has (Calc printed every value cell, none lost to '###' or clipping)."""
    out, entries = sheet_set
    assert_text_layer_holds_truth_numbers(out, entries[:2], "sheet", tables=("applications", "reviews_litigation"))


@pytest.mark.slow
def test_sheet_manifest_matches_pdf(sheet_set):
    """Pages, title, the seal; the matrix split over landscape pages (26 pt rows), its header
    repeated exactly when recorded; an appendix after the prose; the captured report has no text
    layer; the rules hold or break as recorded."""
    out, entries = sheet_set

    def split_landscape(pdf, e, text):
        assert e["tables"]["applications"]["split"], "26 pt rows in landscape: the matrix takes two pages"
        assert_header_pages_as_recorded(e, text)
        assert_landscape_as_recorded(pdf, e)
        if e["layout"]["placement"] == "appendix":
            assert_tables_after_prose(e, text)

    assert_manifest_matches_pdf(out, entries, assert_fax_without_text_layer, split_landscape)


@pytest.mark.slow
def test_sheet_generation_from_the_command_line(tmp_path):
    """``--family sheet`` with a capture list: every report in the manifest as family sheet, and
    the same seed gives the same truth and manifest."""
    if not HAS_LO:
        pytest.skip("needs LibreOffice")
    generate_family_twice(tmp_path, 4103, "sheet", ["born_digital", "lowres"])

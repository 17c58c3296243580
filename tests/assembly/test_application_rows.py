"""Rows of the application matrix that a scan's reading lost, found again by assembly from the
template's knowledge of the table (how many values a row has, what its header says).

The stored Documents are the application-matrix rows (and the heading above them) of three
Word-family scans as the scan stage read them (boxes rounded to whole pixels): two of the spent
held-out set ``fixtures/generated/world2032`` at main 1a4f0bd, one of the committed
``fixtures/samples-world``:

- ``world2032-027`` (flatbed): the table's continuation on page 3 lost every inner wall, so the line grid
  is one column wide and each row one cell, "3.补正后申请内容仍不 0 0 0 0 0 0 0",
  "(六)其他处理0000000"; nine rows (63 cells) were lost;
- ``world2032-033`` (fax): a sliver of a grid row with no ink (no label, seven blank cells) took the place
  of the 部分公开 row, whose label OCR garbled ("二一形公开计其分形只");
- ``samples-world-004`` (fax): the labels of the first two rows stood in one grid row with one
  blank cell and no values, which took the place of 本年新收; the five value rows below it had no
  readable label, and 35 cells were lost.
"""

from __future__ import annotations

from pathlib import Path

from nianbao.models import Document, SourceInfo
from nianbao.pipeline import parse_document
from nianbao.settings import Settings

INTERMEDIATES = Path(__file__).resolve().parents[1] / "data" / "intermediates"
COLUMNS = ("natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
           "legal_service_org", "other_org", "total")


def applications(name: str) -> dict[str, list]:
    """The application matrix assembled from a stored Document: row id → its cells in column order."""
    path = INTERMEDIATES / f"{name}-applications.document.json"
    doc = Document.model_validate_json(path.read_text(encoding="utf-8"))
    source = SourceInfo(path=str(path), sha256="0" * 64, size=0, format=doc.format, pages=len(doc.pages))
    report = parse_document(doc, Settings(), source)
    table = next(t for t in report.tables if t.id == "applications")
    rows: dict[str, list] = {}
    for cell in table.cells:
        rows.setdefault(cell.row, []).append(cell)
    return {r: sorted(cells, key=lambda c: COLUMNS.index(c.col)) for r, cells in rows.items()}


def test_rows_read_as_one_text_of_label_and_numbers_keep_their_values():
    rows = applications("world2032-027")
    lost = ["unable_unclear", "rejected_petition", "rejected_duplicate", "rejected_publication", "rejected_mass_repeat",
            "rejected_confirm_reissue", "other_handling", "result_total", "carried_forward"]
    for row in lost:
        expected = [2, 0, 0, 0, 0, 0, 2] if row == "result_total" else [0] * 7
        assert [c.value for c in rows[row]] == expected, row
        # placed by their order in one text, not by a grid: never certain on their own
        assert all(c.confidence < 0.9 for c in rows[row]), row
        assert any("numbers read at the end of one cell" in r for r in rows[row][0].reasons)
    # "(七)总计20000 02": seven digits for seven values, one digit each
    assert [c.text for c in rows["result_total"]] == ["2", "0", "0", "0", "0", "0", "2"]


def test_empty_sliver_row_does_not_take_the_place_of_a_row_with_a_garbled_label():
    rows = applications("world2032-033")
    cells = rows["partially_disclosed"]
    assert [c.value for c in cells] == [0] * 7
    assert all(c.confidence < 0.9 for c in cells)  # placed by position between matched rows
    assert [c.value for c in rows["disclosed"]] == [0] * 7
    assert [c.value for c in rows["withheld_state_secret"]] == [0] * 7


def test_label_row_over_unlabelled_value_rows_is_no_value_row():
    rows = applications("samples-world-004")
    expected = {"new_received": [10, 0, 0, 0, 0, 0, 10], "carried_over": [0] * 7, "disclosed": [6, 0, 0, 0, 0, 0, 6],
                "partially_disclosed": [0] * 7, "withheld_state_secret": [0] * 7}
    assert {r: [c.value for c in rows[r]] for r in expected} == expected
    # none of the five rows has a label of its own: 本年新收 takes the first of the two labels of the
    # merged label row above it by position (the rules cannot tell it from 上年结转: their sum is
    # what they check), the four below it are placed between matched rows; never certain
    for r in expected:
        assert all(c.confidence < 0.9 for c in rows[r]), r


def test_unlabelled_rows_at_the_top_of_the_table_are_pinned_by_the_first_matched_row():
    """The first two rows of world2032-033 with their labels taken out (as a scan that lost the
    label column's top gives them): every value row above the first matched row (予以公开), as
    many as the template has required rows above it, is placed by position, never certain."""
    path = INTERMEDIATES / "world2032-033-applications.document.json"
    doc = Document.model_validate_json(path.read_text(encoding="utf-8"))
    for row in doc.rows:
        for c in row.cells:
            if "本年新收" in c.text or "上年结转" in c.text:
                c.text = ""
    source = SourceInfo(path=str(path), sha256="0" * 64, size=0, format=doc.format, pages=len(doc.pages))
    table = next(t for t in parse_document(doc, Settings(), source).tables if t.id == "applications")
    for row in ("new_received", "carried_over"):
        cells = [c for c in table.cells if c.row == row]
        assert [c.value for c in cells] == [0] * 7, row
        assert all(c.confidence < 0.9 for c in cells), row
        assert any("placed by position between matched rows" in r for r in cells[0].reasons), row


def test_first_row_read_as_a_text_line_above_the_grid_keeps_its_values():
    """world2031-047 (Word, hairline rules; read with the code of this branch): the grid began
    one row late, and its first row came as the text line "、本年新收政府信息公开申请数量2100003",
    seven digits run together for seven values."""
    rows = applications("world2031-047")
    cells = rows["new_received"]
    assert [c.value for c in cells] == [2, 1, 0, 0, 0, 0, 3]
    assert all(c.confidence < 0.9 for c in cells)


def test_digits_run_together_are_split_only_where_every_row_has_one_count():
    """world2031-021 (Word fax): the 第二十条 row "行政许可467" is one value, 467, in a table whose
    items have one or three values: no count is known, so the digits stay one number (they were
    read as 4, 6, 7 of a three-value row). In the application matrix (seven values in every row)
    seven digits are seven values."""
    from nianbao.assembly import trailing_values

    assert trailing_values("行政许可467", {1, 3}) is None
    assert trailing_values("(七)总计20000 02", {7}) == ("(七)总计", ["2", "0", "0", "0", "0", "0", "2"])
    assert trailing_values("5要新求行政或 0 0 0 0 0 0 0", {7}) == ("5要新求行政或", ["0"] * 7)
    assert trailing_values("行政处罚 12 3", {1, 2, 3}) == ("行政处罚", ["12", "3"])

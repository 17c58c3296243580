"""Split and joined digits (issue #8 part 4): alternatives offered as Cell.suggestions with
their evidence, never applied."""

from __future__ import annotations

from report_text import parse_text, report_text

from nianbao.suggestions import row_alternatives

A = "applications"


def test_row_alternatives():
    alts = row_alternatives(["1", "2", "0", "3"], 3)
    assert alts[0] == ("the printed '1' '2' may be one number 12", ["12", "0", "3"])
    assert [alt for _, alt in alts] == [["12", "0", "3"], ["1", "20", "3"]]  # "0" never leads a joined number
    assert [alt for _, alt in row_alternatives(["12", "3"], 3)] == [["1", "2", "3"]]
    assert [alt for _, alt in row_alternatives(["105", "3"], 3)] == [["10", "5", "3"]]  # never "1" "05"
    assert [alt for _, alt in row_alternatives(["12", "", "3"], 3)] == [["1", "2", "3"]]
    assert row_alternatives(["1", "2", "3"], 3) == []


def _base(value: str) -> dict:
    return {(A, r, c): value for r in ("new_received", "disclosed", "result_total") for c in ("natural_person", "total")}


def test_a_number_read_as_two_cells_gets_the_joined_reading_as_a_suggestion():
    rows = {(A, "new_received"): ["1", "2", "0", "0", "0", "0", "0", "12"]}  # "12" printed, read as "1" "2"
    report = parse_text(report_text(cells=_base("12"), rows=rows))
    cell = report.table(A).cell("new_received", "natural_person")
    assert cell.value != 12  # the reading stays as read
    assert len(cell.suggestions) == 1
    s = cell.suggestions[0]
    assert s.startswith("12: the printed '1' '2' may be one number 12")
    assert "applications.row_total (new_received)" in s and "applications.balance (natural_person)" in s
    assert "not applied" in s
    others = [c for c in report.cells() if c.suggestions and c.key != cell.key]
    assert others == []


def test_two_numbers_read_as_one_get_the_split_reading_as_a_suggestion():
    cells = {}
    for r in ("new_received", "disclosed", "result_total"):
        cells.update({(A, r, "natural_person"): "1", (A, r, "commercial_enterprise"): "2", (A, r, "total"): "3"})
    rows = {(A, "new_received"): ["12", "0", "0", "0", "0", "3"]}  # "1" "2" run together
    report = parse_text(report_text(cells=cells, rows=rows))
    suggested = {c.col: c.suggestions for c in report.cells() if c.suggestions}
    # the cells the split changes (which ones depends on where assembly put the gap)
    assert "commercial_enterprise" in suggested and set(suggested) <= {"natural_person", "commercial_enterprise"}
    assert suggested["commercial_enterprise"][0].startswith("2: the printed '12' may be two numbers '1' '2'")
    assert all("'12' may be two numbers '1' '2'" in x for v in suggested.values() for x in v)
    assert report.table(A).cell("new_received", "commercial_enterprise").value == 12


def test_a_consistent_report_gets_no_suggestions():
    report = parse_text(report_text(cells=_base("12")))
    assert [c.key for c in report.cells() if c.suggestions] == []

"""A template row whose rules were lost: one routine (``assembly.find_row_values``) looks for
its values beside its label, under the column headers or in its own text, checks what every
finding must meet against the template once (a count of values a row of the table has; a text
line no longer than a row label) and places them below certainty in one place
(``assembly._placed``), with the reason the review page says in Chinese."""

from __future__ import annotations

from nianbao.assembly import TableShape, find_row_values
from nianbao.models import Document, Row, TextCell, load_template
from nianbao.settings import AssemblySettings
from nianbao.wording import reason_zh

SETTINGS = AssemblySettings()
ACTIVE = TableShape.of(load_template("2021").table("active_disclosure"))  # rows of 3 values or 1


def _text(text: str, box: tuple[float, float, float, float] | None = None) -> Row:
    return Row(kind="text", page=1, cells=[TextCell(text=text, bbox=box, confidence=0.97)])


def _found(rows: list[Row], i: int = 0):
    doc = Document(path="x", format="image", rows=rows)
    return find_row_values(doc, i, 0, len(rows), rows[i].text, ACTIVE, SETTINGS)


def test_values_in_the_rows_own_text_are_placed_by_order_below_certainty():
    label, values = _found([_text("行政许可139")])
    assert label == "行政许可139" and [v.text for v in values] == ["139"]  # the row keeps its label text
    label, values = _found([_text("规章 1 0 5")])
    assert label == "规章" and [v.text for v in values] == ["1", "0", "5"]
    for v in values:
        assert v.placement == SETTINGS.spaced_values_placement and v.confidence == 0.97
        assert "按顺序" in reason_zh(v.notes[-1])


def test_values_beside_the_label_are_placed_by_level_below_certainty():
    rows = [_text("行政许可", (100, 500, 300, 540)), _text("12", (800, 502, 850, 538))]
    label, values = _found(rows)
    assert label == "行政许可" and [v.text for v in values] == ["12"]
    assert values[0].placement == SETTINGS.beside_placement
    assert "同一高度" in reason_zh(values[0].notes[-1])


def test_values_under_the_column_headers_are_the_rows_values():
    row = Row(kind="table", page=1, table_index=0, exact_cells=True, cells=[
        TextCell(text="规章", col=0), TextCell(text="本年制发件数2", col=1), TextCell(text="本年废止件数0", col=2),
        TextCell(text="现行有效件数7", col=3)])
    label, values = _found([row])
    assert label == "规章" and [v.text for v in values] == ["2", "0", "7"]
    assert all(v.placement == SETTINGS.spaced_values_placement for v in values)


def test_a_finding_the_template_does_not_allow_is_no_row():
    assert _found([_text("规章 1 2")]) is None  # two values: no row of the table has two
    prose = "本机关全年按规定及时主动公开各类政府信息其中行政许可139"  # a sentence: longer than any row label
    assert _found([_text(prose)]) is None

"""Counts read with copier specks beside them, lost as unreadable (spent mix2045 typeset copier
033 and sheet copier 032: seven cells of the 第二十条 tables read ".50", "•0.:", "O·", ".0",
".1·.", "0元..").

The template is the model: a count column (件, 条, 项: not money) holds a whole number, so a "."
before its digits is no decimal point but a speck, as are specks mixed with full stops on
either side; the number is read with them left out, less sure (``speck_dropped``). In a money
column a leading "." stays (".67" may be 0.67 with its 0 lost).
"""

from __future__ import annotations

from pathlib import Path

import cv2

from nianbao.assembly import assemble
from nianbao.models import Document, FactorCode
from nianbao.numbers import parse_cell
from nianbao.scan import read_page
from nianbao.settings import Settings

DATA = Path(__file__).parents[1] / "data" / "scan"


def test_count_read_with_specks_and_a_leading_point_is_the_count() -> None:
    # the texts the held-out pages were read as, and the printed counts
    for text, value in [(".50", 50), ("•0.:", 0), ("O·", 0), (".0", 0), (".1·.", 1), ("0.:", 0)]:
        pv = parse_cell(text, count=True)
        assert pv.value == value, text
        assert FactorCode.speck_dropped in [f.code for f in pv.factors], text
    assert parse_cell("0元..").value == 0 and parse_cell("0元..").unit == "元"
    # money keeps a leading point unread; specks inside a number stay unread
    assert parse_cell(".67").value is None and parse_cell(".50", count=False).value is None
    assert parse_cell("5•01", count=True).value is None and parse_cell(".", count=True).value is None


def test_copier_active_disclosure_count_beside_specks_is_read() -> None:
    """A crop of the page (mix2045 typeset copier 033, page 4, 200 dpi): the first count of the
    table reads "0.:" (a speck, a full stop, a speck) and was unreadable."""
    settings = Settings()
    settings.layout.detect_orientation = False
    res = read_page(cv2.imread(str(DATA / "copier_active_specks_beside_counts.jpg")), 1, 200.0, settings)
    doc = Document(path="crop", format="image", rows=res.rows, pages=[res.info], tables=res.layouts)
    table = next(t for t in assemble(doc, settings.assembly).tables if t.id == "active_disclosure")
    cells = {(c.row, c.col): c for c in table.cells}
    first = cells[("art20_1.regulations", "made_this_year")]
    assert first.value == 0 and FactorCode.speck_dropped in [f.code for f in first.factors]
    assert cells[("art20_5.other_services", "decisions")].value == 237

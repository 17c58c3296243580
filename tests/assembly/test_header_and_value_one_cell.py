"""第二十条 sub-tables whose rule under the header row a flatbed scan lost (world2033 report 015,
page 2, a Word table at 240 dpi; the stored Document is that page's reading): each header cell
and the value under it were read as one cell ("本年新制作数量0", "上一年项目数量0"), the row's
label with the header's (规章信息内容), and items (一) 规章 and (五) 行政许可 were missing. A grid
row whose value cells each read a template column's name whole, then a number, as many as a row
of the table has values, is that row (``assembly.values_under_headers``), placed below certainty."""

from __future__ import annotations

from pathlib import Path

from nianbao.assembly import assemble
from nianbao.models import Document
from nianbao.settings import Settings

DOC = Path(__file__).parents[1] / "data" / "assembly" / "header_and_values_one_cell.document.json"


def test_header_and_value_read_as_one_cell_give_the_row_its_values() -> None:
    settings = Settings()
    doc = Document.model_validate_json(DOC.read_text(encoding="utf-8"))
    table = next(t for t in assemble(doc, settings.assembly, year=2020).tables if t.id == "active_disclosure")
    got = {(c.row, c.col): c for c in table.cells}
    for row in ("art20_1.regulations", "art20_5.licensing"):
        cells = [c for (r, _), c in got.items() if r == row]
        assert [c.value for c in cells] == [0, 0, 0]
        assert all(c.placement_score <= settings.assembly.spaced_values_placement for c in cells)
    assert got[("art20_1.normative_documents", "published_total")].value == 2

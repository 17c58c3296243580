"""Build two small Word PDFs (python-docx, then LibreOffice Writer), one table font, nothing
else on the page, so each stays a few tens of KB:

- ``word_no_inner_verticals.pdf``: the 申请 table with NO inner vertical rules and 0.25 pt inner
  horizontal rules (wrapped labels, values told apart only by gaps);
- ``word_rows_touching_rules.pdf``: the 主动公开 tables in 9 pt 微软雅黑 (WenQuanYi Micro Hei) with dotted rules and no cell
  padding, rows barely taller than their text (the next row's glyphs touch each rule).

    python tests/data/make_word_no_inner_verticals.py     # needs LibreOffice + fonts-noto-cjk

The printed values go to ``NAME.truth.json`` (canonical row -> column -> value).
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
FIXTURES = HERE.parent.parent / "fixtures"
sys.path.insert(0, str(FIXTURES))

from docx import Document  # noqa: E402
from docx.shared import Cm, Pt  # noqa: E402
from fx_data import make_report  # noqa: E402
from fx_word import (WordLayout, _para, _set_fonts, active_grids, add_grid, applications_grid,  # noqa: E402
                     convert_to_pdf)

SEED, INDEX = 4242, 0  # any seed outside the held-out ones
FONTS = {"table_font": "宋体", "body_font": "宋体", "title_font": "宋体", "heading_font": "宋体",
         "header_shading": None, "cover_letter": False, "seal": False}
FILES = {
    "word_no_inner_verticals": ("applications", dict(FONTS, inner_vertical=False, inner_pt=0.25, inner_style="single",
                                                     table_pt=10.5, vertical_mode="direction")),
    "word_rows_touching_rules": ("active_disclosure", dict(FONTS, table_font="微软雅黑", inner_vertical=True, inner_pt=0.75, inner_style="dotted",
                                                           table_pt=9, cell_margin_cm=0.1, row_min_cm=0,
                                                           active_one_table=False)),
}


def main() -> None:
    for name, (table, layout) in FILES.items():
        build(name, table, layout)


def build(name: str, table: str, layout: dict) -> None:
    rng = random.Random(f"{SEED}:{INDEX}")
    rd = make_report(INDEX, rng, {"version": "2021", "broken": False})
    lay = WordLayout(random.Random(SEED), layout)
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    sec.top_margin = sec.bottom_margin = Cm(2.0)
    sec.left_margin = sec.right_margin = Cm(2.5)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(lay.table_pt)
    _set_fonts(normal.element.get_or_add_rPr(), lay.table_font)
    usable = 21.0 - 5.0 - 0.1
    if table == "applications":
        _para(doc, "三、收到和处理政府信息公开申请情况", lay, pt=lay.table_pt)
        grids = [applications_grid(rd, lay, rng, usable)]
    else:
        _para(doc, "二、主动公开政府信息情况", lay, pt=lay.table_pt)
        grids = active_grids(rd, lay, rng, usable)
    for grid in grids:
        add_grid(doc, grid, lay)
        _para(doc, "", lay, pt=lay.table_pt, exact=False)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        docx_path = work / f"{name}.docx"
        doc.save(docx_path)
        convert_to_pdf([docx_path], HERE, work)
    truth: dict[str, dict[str, float | int | None]] = {}
    for (t, row, col), value in rd.values.items():
        if t == table:
            truth.setdefault(row, {})[col] = value
    (HERE / f"{name}.truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1),
                                                            encoding="utf-8")


if __name__ == "__main__":
    main()

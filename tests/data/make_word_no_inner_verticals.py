"""Build ``word_no_inner_verticals.pdf``: the 申请 table of a generated report as Word lays it out
(python-docx, then LibreOffice Writer) with NO inner vertical rules and 0.25 pt inner horizontal
rules, one table font, nothing else on the page, so the file stays a few tens of KB.

    python tests/data/make_word_no_inner_verticals.py     # needs LibreOffice + fonts-noto-cjk

The printed values go to ``word_no_inner_verticals.truth.json`` (canonical row -> column -> value).
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
from fx_word import WordLayout, _para, _set_fonts, add_grid, applications_grid, convert_to_pdf  # noqa: E402

SEED, INDEX = 4242, 0  # any seed outside the held-out ones
LAYOUT = {"inner_vertical": False, "inner_pt": 0.25, "inner_style": "single", "table_font": "宋体",
          "table_pt": 10.5, "header_shading": None, "vertical_mode": "direction", "body_font": "宋体",
          "title_font": "宋体", "heading_font": "宋体", "cover_letter": False, "seal": False}


def main() -> None:
    rng = random.Random(f"{SEED}:{INDEX}")
    rd = make_report(INDEX, rng, {"version": "2021", "broken": False})
    lay = WordLayout(random.Random(SEED), LAYOUT)
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    sec.top_margin = sec.bottom_margin = Cm(2.0)
    sec.left_margin = sec.right_margin = Cm(2.5)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(lay.table_pt)
    _set_fonts(normal.element.get_or_add_rPr(), lay.table_font)
    _para(doc, "三、收到和处理政府信息公开申请情况", lay, pt=lay.table_pt)
    add_grid(doc, applications_grid(rd, lay, rng, 21.0 - 5.0 - 0.1), lay)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        docx_path = work / "word_no_inner_verticals.docx"
        doc.save(docx_path)
        convert_to_pdf([docx_path], HERE, work)
    truth: dict[str, dict[str, float | int | None]] = {}
    for (table, row, col), value in rd.values.items():
        if table == "applications":
            truth.setdefault(row, {})[col] = value
    (HERE / "word_no_inner_verticals.truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1),
                                                            encoding="utf-8")


if __name__ == "__main__":
    main()

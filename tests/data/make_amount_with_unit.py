"""Build ``amount_with_unit.pdf``: the 第二十条 sub-tables (八) and (九) as a ReportLab table with
a frame and row rules only (no inner vertical rules), amounts printed with their unit
("0.54万元"), in AR PL SungtiL GB (fonts-arphic-gbsn00lp), nothing else on the page; ReportLab
embeds only the glyphs used, so the file stays small.

    python tests/data/make_amount_with_unit.py     # needs reportlab + fonts-arphic-gbsn00lp
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.lib.styles import ParagraphStyle

HERE = Path(__file__).parent
FONT = "/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf"


def main() -> None:
    pdfmetrics.registerFont(TTFont("Song", FONT))
    body = ParagraphStyle("body", fontName="Song", fontSize=12, leading=20)
    style = TableStyle([("FONT", (0, 0), (-1, -1), "Song", 11), ("BOX", (0, 0), (-1, -1), 1, "black"),
                        ("LINEBELOW", (0, 0), (-1, -2), 0.5, "black"), ("SPAN", (0, 0), (-1, 0)),
                        ("ALIGN", (1, 2), (-1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")])
    eight = Table([["第二十条第（八）项", "", ""], ["信息内容", "上一年项目数量", "本年增/减"],
                   ["行政事业性收费", "0", "0"]], colWidths=[60 * mm, 50 * mm, 50 * mm], style=style)
    nine = Table([["第二十条第（九）项", "", ""], ["信息内容", "采购项目数量", "采购总金额"],
                  ["政府集中采购", "53", "0.54万元"]], colWidths=[60 * mm, 50 * mm, 50 * mm], style=style)
    doc = SimpleDocTemplate(str(HERE / "amount_with_unit.pdf"), pagesize=A4, invariant=1)
    doc.build([Paragraph("二、主动公开政府信息情况", body), Spacer(1, 6 * mm), eight, Spacer(1, 6 * mm), nine])


if __name__ == "__main__":
    main()

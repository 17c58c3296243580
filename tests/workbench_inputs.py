"""Inputs for the workbench tests: a zip of a few agencies' reports (text extracts, parsed in
well under a second each; one with a misprinted total, one with a misprinted row sum), a born-
digital sample PDF (page pictures for crops), a file that is no report, and a roster."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from report_text import report_text

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
BORN_DIGITAL = SAMPLES / "000.pdf"  # 石门区东林街道 2020, born digital (manifest.json)

REPORTS = [
    ("贺兰县金贵镇", 2022, {}),
    ("贺兰县交通运输局", 2023, {("applications", "new_received", "natural_person"): "5",
                          ("applications", "new_received", "total"): "4"}),
    ("银川市西夏区文昌路街道", 2023, {}),
    ("贺兰县立岗镇", 2022, {("applications", "result_total", "natural_person"): "3"}),
    ("贺兰县金贵镇", 2023, {}),
]
ROSTER_CSV = ("机关,地区,层级\n"
              "金贵镇,贺兰县,乡镇\n"
              "贺兰县交通运输局,贺兰县,部门\n"
              "立岗镇人民政府,贺兰县,乡镇\n"
              "习岗镇,贺兰县,乡镇\n")


def reports_zip(with_pdf: bool = True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for agency, year, cells in REPORTS:
            z.writestr(f"{agency}{year}年报.txt", report_text(agency=agency, year=year,
                                                            version="2021" if year >= 2021 else "2019", cells=cells))
        if with_pdf and BORN_DIGITAL.exists():
            z.write(BORN_DIGITAL, "石门区东林街道2020.pdf")
        z.writestr("会议纪要.txt", "这是一份会议纪要，不是政府信息公开工作年度报告。\n" * 20)
    return buf.getvalue()

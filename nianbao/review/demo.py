"""A small scanned-looking report with a known misreading, for the review page's tests, its
screenshots and trying the page out (``python -m nianbao.review.demo OUT_DIR``).

It draws the 2021 application matrix (三、收到和处理政府信息公开申请情况) on one A4 page at
150 dpi and writes the Report a parser would give for it, cell boxes included, with one
misread cell (12 printed, 17 read) that breaks a column rule and a row rule.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from nianbao.checks import run_checks
from nianbao.confidence import add_note
from nianbao.models import Cell, CellKind, CellNote, NoteCode, PageInfo, Report, SourceInfo, Table, load_template
from nianbao.wording import note

FONT = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
DPI, W, H = 150, 1240, 1754
LEFT, TOP, LABEL_W, COL_W, ROW_H, HEAD_H = 70, 260, 430, 96, 44, 150

# printed values (natural_person, commercial_enterprise; other organisations 0; total = sum)
PRINTED = {
    "new_received": (12, 3), "carried_over": (1, 0), "disclosed": (8, 2), "partially_disclosed": (2, 0),
    "unable_not_held": (1, 0), "rejected_duplicate": (0, 1), "result_total": (11, 3), "carried_forward": (2, 0),
}
# (row, col) -> (text read, value read, read confidence, notes, suggestions)
MISREADS = {
    ("new_received", "natural_person"): ("17", 17, 0.46, [note(NoteCode.read_score, score=0.46)], ["12"]),
    ("partially_disclosed", "natural_person"): ("Z", 2, 0.62, [note(NoteCode.lookalike_read, change="Z→2")], []),
    ("carried_forward", "other_org"): ("0", 0, 0.7, [note(NoteCode.faint_print)], []),
}


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, size)


def _centered(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], text: str, font, vertical: bool = False) -> None:
    x0, y0, x1, y1 = box
    if vertical:
        step = font.size + 2
        y = (y0 + y1) // 2 - step * len(text) // 2
        for ch in text:
            w = draw.textlength(ch, font=font)
            draw.text(((x0 + x1 - w) / 2, y), ch, font=font, fill=0)
            y += step
        return
    w = draw.textlength(text, font=font)
    draw.text(((x0 + x1 - w) / 2, (y0 + y1) / 2 - font.size * 0.62), text, font=font, fill=0)


def make_demo(out_dir: str | Path, name: str = "demo") -> Path:
    """Write ``NAME.png`` (the scanned page) and ``NAME.json`` (the Report) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    template = load_template("2021")
    spec = template.table("applications")
    item = spec.items[0]
    rows = [r for r in item.rows if not r.optional]
    cols = [c.id for c in item.columns]

    img = Image.new("L", (W, H), 255)
    d = ImageDraw.Draw(img)
    d.text((LEFT, 120), "某某县人民政府2021年政府信息公开工作年度报告", font=_font(34), fill=0)
    d.text((LEFT, 200), "三、收到和处理政府信息公开申请情况", font=_font(26), fill=0)
    right = LEFT + LABEL_W + COL_W * len(cols)
    bottom = TOP + HEAD_H + ROW_H * len(rows)
    small, body = _font(17), _font(19)
    # header: 申请人情况 / 自然人 · 法人或其他组织 (5 sub-columns) · 总计
    d.rectangle((LEFT, TOP, right, bottom), outline=0, width=2)
    xs = [LEFT + LABEL_W + COL_W * i for i in range(len(cols) + 1)]
    d.line((xs[0], TOP + 45, right, TOP + 45), fill=0, width=1)
    d.line((xs[1], TOP + 90, xs[6], TOP + 90), fill=0, width=1)
    _centered(d, (xs[0], TOP, right, TOP + 45), "申请人情况", body)
    _centered(d, (LEFT, TOP, xs[0], TOP + HEAD_H), "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", _font(11))
    _centered(d, (xs[0], TOP + 45, xs[1], TOP + HEAD_H), "自然人", small, vertical=True)
    _centered(d, (xs[1], TOP + 45, xs[6], TOP + 90), "法人或其他组织", body)
    _centered(d, (xs[6], TOP + 45, xs[7], TOP + HEAD_H), "总计", small, vertical=True)
    for i, lab in enumerate(["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]):
        _centered(d, (xs[1 + i], TOP + 90, xs[2 + i], TOP + HEAD_H), lab, _font(14))
    for i, x in enumerate(xs):
        d.line((x, TOP + (0 if i in (0, len(cols)) else 90 if 2 <= i <= 5 else 45), x, bottom), fill=0, width=1)
    d.line((xs[0], TOP, xs[0], bottom), fill=0, width=2)

    cells: list[Cell] = []
    for r_i, row in enumerate(rows):
        y0 = TOP + HEAD_H + ROW_H * r_i
        d.line((LEFT, y0, right, y0), fill=0, width=1)
        label = row.label if len(row.label) < 24 else row.label[:23] + "…"
        d.text((LEFT + 10, y0 + 10), label, font=_font(16), fill=0)
        a, b = PRINTED.get(row.id, (0, 0))
        printed = [a, b, 0, 0, 0, 0, a + b]
        for c_i, col in enumerate(cols):
            box = (xs[c_i], y0, xs[c_i + 1], y0 + ROW_H)
            _centered(d, box, str(printed[c_i]), body)
            notes: list[CellNote] = []
            sugg: list[str] = []
            text, value, read_conf = str(printed[c_i]), printed[c_i], 0.97
            if (row.id, col) in MISREADS:
                text, value, read_conf, notes, sugg = MISREADS[(row.id, col)]
            cells.append(Cell(table="applications", row=row.id, col=col, value=value, text=text,
                              kind=CellKind.zero if value == 0 else CellKind.number, confidence=read_conf,
                              read_confidence=read_conf, placement_confidence=0.96, page=1,
                              bbox=(box[0] + 3.0, box[1] + 3.0, box[2] - 3.0, box[3] - 3.0),
                              reasons=[n.reason for n in notes], notes=list(notes), suggestions=list(sugg)))
    # scan look: blur, grain, a hair of rotation
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    rng = np.random.default_rng(7)
    arr = np.asarray(img, dtype=np.int16) + rng.normal(0, 5, (H, W)).astype(np.int16)
    page = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).convert("RGB")
    png = out / f"{name}.png"
    page.save(png)

    data = png.read_bytes()
    report = Report(
        source=SourceInfo(path=str(png.resolve()), sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                          format="image", pages=1),
        agency="某某县人民政府", year=2021, template_version="2021", version_evidence="demo",
        pages=[PageInfo(number=1, width=W, height=H, dpi=DPI, source="scan")],
        tables=[Table(id="applications", found=True, pages=[1], cells=cells)],
    )
    report.checks = run_checks(report, template)
    ref_failed = {ref for c in report.checks if c.status.value == "failed" for ref in c.cells}
    for c in report.tables[0].cells:
        if ".".join(c.key) in ref_failed:
            c.confidence = round(c.confidence * 0.5, 3) if c.confidence < 0.9 else 0.8
            add_note(c, note(NoteCode.in_broken_rule))
    path = out / f"{name}.json"
    path.write_text(report.model_dump_json(indent=1), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(make_demo(sys.argv[1] if len(sys.argv) > 1 else "."))

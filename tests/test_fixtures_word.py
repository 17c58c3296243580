"""The Word family of the fixtures generator (fixtures/fx_word.py): documents written from the
same data as the truth, in the Word layout the manifest records, laid out by LibreOffice.

Fast tests read the python-docx document back (no renderer); the end-to-end tests run
LibreOffice headless and check the PDF's text layer against the truth (marked slow).
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pdfplumber
import pypdfium2 as pdfium
import pytest
from docx.oxml.ns import qn


ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
sys.path.insert(0, str(FIXTURES))

import fx_data  # noqa: E402
import fx_word  # noqa: E402
from fixture_checks import (  # noqa: E402
    assert_fax_without_text_layer, assert_header_pages_as_recorded, assert_manifest_matches_pdf, generate_family_twice,
    read_truth)

HAS_LO = any(shutil.which(b) for b in fx_word.LO_BINARIES)
VALUE_WORD = re.compile(r"^(-?[\d,]+(\.\d+)?|—|/|无)$")


def build(seed: int, force: dict | None = None, data: dict | None = None):
    rng = random.Random(f"wt:{seed}")
    rd = fx_data.make_report(seed, rng, data or {})
    lay = fx_word.WordLayout(random.Random(f"wl:{seed}"), force)
    doc, facts = fx_word.build_docx(rd, lay, random.Random(f"wb:{seed}"), np.random.default_rng(seed))
    return rd, lay, doc, facts


def body_xml(doc) -> str:
    return doc.element.xml


# --------------------------------------------------------------------------- the document (no renderer)


def test_word_document_deterministic_from_seed():
    a, b, c = build(3)[2], build(3)[2], build(4)[2]
    strip = lambda x: re.sub(r'r:embed="[^"]+"', "", x)  # noqa: E731
    assert strip(body_xml(a)) == strip(body_xml(b))
    assert strip(body_xml(a)) != strip(body_xml(c))


@pytest.mark.parametrize("seed,version", [(1, "2019"), (2, "2021"), (5, "2021")])
def test_word_tables_print_every_truth_cell_once_with_its_text(seed, version):
    """The grids written into the document hold each printed truth cell exactly once, with the
    text the truth records; an unprinted canonical row is in no grid."""
    rd, lay, doc, facts = build(seed, data={"version": version, "mixed_other_handling": seed == 5, "other_documents": seed == 5})
    keyed = [c for g in facts["grids"] for c in g.cells if c.key]
    keys = [c.key for c in keyed]
    assert len(keys) == len(set(keys))
    printed = {k for k in fx_data.truth_keys(rd) if k[1] not in rd.unprinted_rows}
    assert set(keys) == printed
    for c in keyed:
        assert c.text == rd.texts[c.key]
    # and the docx tables show those texts in those grid cells
    for grid, table in zip(facts["grids"], doc.tables):
        for c in grid.cells:
            if c.key:
                assert table.cell(c.row, c.col).text == c.text, (grid.name, c)
    assert [g.name for g in facts["grids"]].count("applications") == 1


@pytest.mark.parametrize("force", [
    {"vertical_mode": "direction", "inner_vertical": False, "inner_pt": 0.25, "repeat_header": True,
     "header_shading": "D9D9D9", "outer_border": "double", "inner_style": "dotted", "seal": True},
    {"vertical_mode": "narrow", "inner_vertical": True, "inner_pt": 0.5, "repeat_header": False,
     "header_shading": None, "outer_border": "thick", "inner_style": "single", "seal": False},
])
def test_word_layout_record_matches_document(force):
    rd, lay, doc, facts = build(7, force, {"version": "2019"})
    xml = body_xml(doc)
    tbls = doc.element.body.findall(qn("w:tbl"))
    assert len(tbls) == len(facts["grids"])
    for tbl in tbls:
        b = tbl.tblPr.find(qn("w:tblBorders"))
        inside_h, inside_v, top = b.find(qn("w:insideH")), b.find(qn("w:insideV")), b.find(qn("w:top"))
        assert inside_h.get(qn("w:sz")) == str(int(lay.inner_pt * 8)) and inside_h.get(qn("w:val")) == lay.inner_style
        assert (inside_v.get(qn("w:val")) == "nil") == (not lay.inner_vertical)
        assert top.get(qn("w:val")) == ("double" if lay.outer_border == "double" else "single")
        assert int(top.get(qn("w:sz"))) >= int(inside_h.get(qn("w:sz")))
    apps = next(t for t, g in zip(doc.tables, facts["grids"]) if g.name == "applications")
    direction = apps._tbl.xml.count('w:textDirection w:val="tbRlV"')
    assert (direction > 0) == (lay.vertical_mode == "direction")
    assert (apps._tbl.xml.count("<w:tblHeader/>") == 3) == lay.repeat_header
    assert (f'w:fill="{lay.header_shading}"' in xml) == bool(lay.header_shading)
    if lay.vertical_mode == "narrow":  # a one-character-wide group column: two characters do not fit
        width_cm = facts["grids"][[g.name for g in facts["grids"]].index("applications")].widths_cm[0]
        char_cm = lay.table_pt / 72 * 2.54
        assert char_cm + 2 * lay.cell_margin_cm <= width_cm < 2 * char_cm + 2 * lay.cell_margin_cm
    assert ("<wp:anchor" in xml) == lay.seal and ("<wp:anchor" in xml) == bool(facts["seals"])
    assert f'w:eastAsia="{lay.table_font}"' in xml and f'w:eastAsia="{lay.body_font}"' in xml


def test_word_font_names_resolve_to_installed_fonts(tmp_path):
    if not shutil.which("fc-match"):
        pytest.skip("needs fontconfig's fc-match")
    for name in {*fx_word.BODY_FONTS, *fx_word.TITLE_FONTS, *fx_word.HEADING_FONTS, *fx_word.TABLE_FONTS}:
        want = fx_word.WORD_FONTS[name]
        if subprocess.run(["fc-list", want], capture_output=True, text=True).stdout.strip() == "":
            pytest.skip(f"{want} not installed (apt-get install fonts-arphic-ukai fonts-arphic-uming fonts-wqy-zenhei ...)")
        assert fx_word.resolved_font(name, tmp_path) == want, name


# --------------------------------------------------------------------------- end to end (LibreOffice)


def value_lines(pdf_path: Path, pages: list[int]) -> list[list[str]]:
    """The number words of the applications matrix, line by line (page order, top to bottom):
    from the 申请人情况 header to the 结转下年度 row, on the pages the manifest gives."""
    out = []
    with pdfplumber.open(str(pdf_path)) as pdf:
        for n in pages:
            words = pdf.pages[n - 1].extract_words(keep_blank_chars=False)
            top = next((w["top"] for w in words if "申请人情况" in w["text"]), None) if n == pages[0] else 0.0
            end = next((w["bottom"] for w in words if "结转下年度" in w["text"]), None)
            lo, hi = (top if top is not None else 0.0), (end + 3 if end is not None else 1e9)
            vals = [w for w in words if VALUE_WORD.match(w["text"]) and lo < w["top"] < hi]
            digits = [w["x0"] for w in vals if w["text"][-1].isdigit()]
            left = min(digits) - 20 if digits else 0.0  # a vertical 无 of （四）无法提供 is left of the values
            vals = sorted((w for w in vals if w["x0"] >= left), key=lambda w: ((w["top"] + w["bottom"]) / 2, w["x0"]))
            line: list[dict] = []
            for w in vals:
                mid = (w["top"] + w["bottom"]) / 2
                if line and abs(mid - (line[-1]["top"] + line[-1]["bottom"]) / 2) > 3:
                    out.append([x["text"] for x in sorted(line, key=lambda x: x["x0"])])
                    line = []
                line.append(w)
            if line:
                out.append([x["text"] for x in sorted(line, key=lambda x: x["x0"])])
    return out


@pytest.fixture(scope="module")
def word_set(tmp_path_factory):
    if not HAS_LO:
        pytest.skip("needs LibreOffice (apt-get install libreoffice-writer-nogui)")
    import generate

    out = tmp_path_factory.mktemp("word")
    presets = [
        {"data": {"version": "2019"}, "layout": {"vertical_mode": "direction", "repeat_header": True, "seal": True},
         "scanned": False},
        {"data": {"version": "2021"}, "layout": {"vertical_mode": "narrow", "repeat_header": False, "inner_vertical": False},
         "scanned": False},
        {"data": {"version": "2021", "level": "city_government"}, "layout": {"vertical_mode": "horizontal", "seal": False},
         "scanned": True},
    ]
    entries = generate.generate_batch([0, 1, 2], 41, str(out), 1.0, presets, "word", "fax")
    return out, entries


@pytest.mark.slow
def test_word_pdf_numbers_are_the_truth_row_by_row(word_set):
    out, entries = word_set
    for e in entries[:2]:
        assert e["family"] == "word" and e["capture"] == "born_digital"
        truth = read_truth(out / e["truth"])
        rows = list(dict.fromkeys(k[1] for k in truth if k[0] == "applications"))  # printed order (template order)
        cols = fx_data.table_cols(e["version"], "applications")
        expected = [[truth[("applications", r, c)]["text"] for c in cols] for r in rows if r not in e["unprinted_rows"]]
        expected = [x for x in ([t for t in row if t] for row in expected) if x]
        got = value_lines(out / e["file"], e["tables"]["applications"]["pages"])
        assert got == expected, e["file"]


@pytest.mark.slow
def test_word_manifest_matches_pdf(word_set):
    """Pages, title, the header repeated by Writer exactly when recorded, the seal; the captured
    report has no text layer; the rules hold or break as recorded."""
    out, entries = word_set
    assert_manifest_matches_pdf(out, entries, assert_fax_without_text_layer,
                                lambda pdf, e, text: assert_header_pages_as_recorded(e, text))


@pytest.mark.slow
def test_word_pdf_uses_the_mapped_fonts(word_set):
    out, entries = word_set
    e = entries[0]
    raw = (out / e["file"]).read_bytes()
    fonts = set(re.findall(rb"/BaseFont\s*/[A-Z]{6}\+([A-Za-z0-9_-]+)", raw))
    want = {e["layout"]["fonts_resolved"]["table"], e["layout"]["fonts_resolved"]["body"]}
    squashed = {f.decode().lower() for f in fonts}
    for family in want:
        key = family.replace("AR PL ", "").replace(" ", "").lower()  # "AR PL UMing CN" -> "umingcn"
        key = {"notoserifcjksc": "notoserifcjk", "notosanscjksc": "notosanscjk"}.get(key, key)
        assert any(key in f for f in squashed), (family, squashed)


@pytest.mark.slow
def test_word_generation_deterministic(tmp_path):
    if not HAS_LO:
        pytest.skip("needs LibreOffice")
    outs, _ = generate_family_twice(tmp_path, 12, "word", ["born_digital", "phone"])
    pa, pb = (pdfium.PdfDocument(str(o / "001.pdf")) for o in outs)
    try:
        for i in range(len(pa)):
            assert (pa[i].render(scale=0.3).to_numpy() == pb[i].render(scale=0.3).to_numpy()).all()
    finally:
        pa.close(), pb.close()

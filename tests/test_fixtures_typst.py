"""The typst family of the fixtures generator (fixtures/fx_typst.py): reports laid out by the Typst
compiler from the same data as the truth, in the layout the manifest records.

Typst compiles in-process (about half a second a report), so the rendered-PDF checks are in the
fast suite; only the command-line run twice (with the two new captures) is marked slow.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
sys.path.insert(0, str(FIXTURES))

import fx_capture  # noqa: E402
import fx_data  # noqa: E402
import fx_typst  # noqa: E402
from fixture_checks import (  # noqa: E402
    assert_manifest_matches_pdf, assert_no_text_layer, assert_page_traits_as_recorded, assert_same_pdf_bytes_from_seed,
    assert_text_layer_holds_truth_numbers, generate_family_twice)
from nianbao.models import load_template  # noqa: E402

pytestmark = pytest.mark.skipif(not fx_typst.typst_available(), reason="needs the Python package typst and fonts-noto-cjk")


def build(seed: int, force: dict | None = None, data: dict | None = None):
    rd = fx_data.make_report(seed, random.Random(f"yt:{seed}"), data or {})
    lay = fx_typst.TypstLayout(random.Random(f"yl:{seed}"), force)
    rep = fx_typst.build_report(rd, lay, random.Random(f"yb:{seed}"), np.random.default_rng(seed))
    return rd, lay, rep


def test_typst_layout_deterministic_from_seed():
    a, b, c = (fx_typst.TypstLayout(random.Random(f"yl:{s}")).as_dict() for s in (4, 4, 9))
    assert a == b and a != c


@pytest.mark.parametrize("seed,data", [(1, {"version": "2019"}), (2, {"version": "2021"}),
                                       (5, {"version": "2021", "mixed_other_handling": True, "other_documents": True})])
def test_typst_source_prints_every_truth_cell_once_with_its_text(seed, data):
    """Every printed truth cell is one value cell of the Typst source with the truth's text (a
    Typst string literal); the truth's keys are the template's canonical cells."""
    rd, lay, rep = build(seed, {"num_face": None, "num_align": "right"}, data)
    printed = [k for k in fx_data.truth_keys(rd) if k[1] not in rd.unprinted_rows]
    ids = {(t.id, it.row_id(r), c.id) for t in load_template(rd.version).tables for it in t.items for r in it.rows
           for c in it.columns}
    assert set(fx_data.truth_keys(rd)) <= ids
    assert rep.source.count("align: right + horizon") == len(printed)  # one value cell per printed truth cell
    for k in printed:
        assert fx_typst.s(rd.texts[k]) in rep.source


PRESETS = [
    {"data": {"version": "2019"}, "scanned": False,
     "layout": {"vertical_mode": "narrow", "repeat_header": True, "placement": "inline", "seal": True,
                "landscape": {"applications": True, "reviews_litigation": False, "active_disclosure": False},
                "rule_style": "three_line", "header_fill": "#D9D9D9", "page_numbers": "of", "num_align": "right",
                "num_face": "Liberation Serif", "captions": True, "head_breaks": True, "table_pt": 10.5}},
    {"data": {"version": "2021"}, "scanned": False,
     "layout": {"vertical_mode": "direction", "repeat_header": False, "placement": "appendix", "seal": False,
                "landscape": {"applications": False, "reviews_litigation": True, "active_disclosure": False},
                "rule_style": "grid", "reviews_vertical": True, "table_pt": 11, "page_numbers": "dash",
                "running_head": True, "num_align": "left", "filler_paras": [4, 4, 4, 4, 4, 4]}},
    {"data": {"version": "2021", "level": "city_government", "broken": True, "broken_rule": "applications.balance"},
     "scanned": True, "layout": {"vertical_mode": "horizontal", "rule_style": "rows"}},
]


@pytest.fixture(scope="module")
def typst_set(tmp_path_factory):
    import generate

    out = tmp_path_factory.mktemp("typst")
    return out, generate.generate_batch([0, 1, 2], 4513, str(out), 1.0, PRESETS, "typst", "bookscan")


def test_typst_pdf_prints_every_number_of_the_truth(typst_set):
    """The text layer of each table's pages holds that table's numbers, as many of each as the
    truth has (none lost off a page, none clipped)."""
    out, entries = typst_set
    assert_text_layer_holds_truth_numbers(out, entries[:2], "typst")


def test_typst_manifest_matches_pdf(typst_set):
    """Pages, landscape pages, repeated headers, the seal, page numbers and the 附表 placement are as
    recorded; the captured report is image-only; the rules hold or break as recorded; and the
    body's statements of figures are printed."""
    out, entries = typst_set

    def printed_statements(pdf, e, text):
        assert_page_traits_as_recorded(pdf, e, text)
        for st in e["statements"]:
            assert "".join(st["text"].split()) in "".join(text), st["text"]

    assert_manifest_matches_pdf(out, entries, lambda pdf, e: assert_no_text_layer(pdf, e, "bookscan"), printed_statements)


def test_typst_three_line_table_has_no_vertical_rules(typst_set):
    """A 三线表 (report 000): its table pages carry long horizontal rules but no vertical one."""
    out, entries = typst_set
    e = entries[0]
    assert e["layout"]["rule_style"] == "three_line"
    pdf = pdfium.PdfDocument(str(out / e["file"]))
    try:
        for n in e["tables"]["applications"]["pages"]:
            gray = cv2.cvtColor(fx_capture.render_rgb(pdf[n - 1], 100), cv2.COLOR_RGB2GRAY)
            ink = (gray < 160).astype(np.uint8)
            vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 60)))
            horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (200, 1)))
            assert vertical.sum() == 0 and horizontal.sum() > 0, n
    finally:
        pdf.close()


def test_typst_pdf_is_the_same_bytes_from_the_same_seed(tmp_path):
    assert_same_pdf_bytes_from_seed(tmp_path, 4514, "typst")


@pytest.mark.slow
def test_typst_generation_from_the_command_line(tmp_path):
    """``--family typst`` with the two new captures: the manifest records family and capture, and
    the same seed gives the same truth and manifest."""
    generate_family_twice(tmp_path, 4515, "typst", ["sealscan", "bookscan"])

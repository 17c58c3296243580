"""The typeset family of the fixtures generator (fixtures/fx_typeset.py): reports typeset by
ReportLab's Platypus from the same data as the truth, in the layout the manifest records.

ReportLab runs in-process (well under a second a report), so the rendered-PDF checks are in the
fast suite; only the command-line run twice (with a copier capture) is marked slow.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np
import pdfplumber
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
sys.path.insert(0, str(FIXTURES))

import fx_data  # noqa: E402
import fx_html  # noqa: E402
import fx_typeset  # noqa: E402
from fixture_checks import (  # noqa: E402
    assert_fax_without_text_layer, assert_manifest_matches_pdf, assert_page_traits_as_recorded,
    assert_same_pdf_bytes_from_seed, assert_text_layer_holds_truth_numbers, generate_family_twice)
from nianbao.models import load_template  # noqa: E402

pytestmark = pytest.mark.skipif(not fx_typeset.faces_available(),
                                reason="needs reportlab and fonts-arphic-gbsn00lp fonts-arphic-gkai00mp fonts-lxgw-wenkai "
                                       "fonts-arphic-uming fonts-wqy-zenhei fonts-wqy-microhei")


def build(seed: int, force: dict | None = None, data: dict | None = None):
    rd = fx_data.make_report(seed, random.Random(f"tt:{seed}"), data or {})
    lay = fx_typeset.TypesetLayout(random.Random(f"tl:{seed}"), force)
    rep = fx_typeset.build_report(rd, lay, random.Random(f"tb:{seed}"), np.random.default_rng(seed))
    return rd, lay, rep


# --------------------------------------------------------------------------- the story (no PDF)


def test_typeset_layout_deterministic_from_seed():
    a, b, c = (fx_typeset.TypesetLayout(random.Random(f"tl:{s}")).as_dict() for s in (4, 4, 9))
    assert a == b and a != c
    assert set(a["font_files"]) == {"body", "title", "heading", "table"}


@pytest.mark.parametrize("seed,data", [(1, {"version": "2019"}), (2, {"version": "2021"}),
                                       (5, {"version": "2021", "mixed_other_handling": True, "other_documents": True})])
def test_typeset_grids_print_every_truth_cell_once_with_its_text(seed, data):
    """Every printed truth cell is in exactly one grid with the truth's text; an unprinted
    canonical row is in no grid (the grids are the Word family's, filled from the same data)."""
    rd, lay, rep = build(seed, data=data)
    keys = [c.key for g in rep.facts["grids"] for c in g.cells if c.key]
    assert len(keys) == len(set(keys))
    assert set(keys) == {k for k in fx_data.truth_keys(rd) if k[1] not in rd.unprinted_rows}
    assert all(c.text == rd.texts[c.key] for g in rep.facts["grids"] for c in g.cells if c.key)


def test_typeset_faces_have_a_glyph_for_every_character_a_report_prints():
    """ReportLab draws a missing glyph as nothing (the text layer still says it): every face the
    family draws from covers the templates' labels, the prose and the names."""
    text = "".join(fx_html.SECTIONS) + "".join(fx_html._FILLER) + "".join(fx_html._PROBLEMS)
    text += "".join(fx_data._PLACES + fx_data._CITIES + fx_data._DEPTS) + "附表第页共—/无万元0123456789,.-"
    for version in ("2019", "2021"):
        for table in load_template(version).tables:
            for item in table.items:
                text += item.label or ""
                text += "".join(r.label + "".join(r.names) + "".join(r.aliases) for r in item.rows)
                text += "".join(c.label + "".join(c.names) for c in item.columns)
    for face in fx_typeset.FACES:
        assert fx_typeset.face_covers(face, text) == set(), face


def test_typeset_applications_columns_follow_the_vertical_mode():
    for mode in ("narrow", "direction", "horizontal"):
        rd, lay, rep = build(3, {"vertical_mode": mode, "table_width_frac": 1.0, "label_frac": 0.3})
        grid = next(g for g in rep.facts["grids"] if g.name == "applications")
        widths = fx_typeset.column_widths_pt(grid, lay, 450.0)
        assert abs(sum(widths) - 450.0) < 0.5 and widths[2] == pytest.approx(135.0)
        assert (widths[0] < 2 * lay.table_pt + 2 * lay.cell_pad_pt + 3) == (mode != "horizontal")


# --------------------------------------------------------------------------- typeset PDFs (ReportLab, in-process)

PRESETS = [
    {"data": {"version": "2019"}, "scanned": False,
     "layout": {"vertical_mode": "narrow", "repeat_header": True, "placement": "inline", "seal": True,
                "landscape": {"applications": True, "reviews_litigation": False, "active_disclosure": False},
                "rule_style": "box_inner", "inner_pt": 0.25, "outer_pt": 1.5, "header_fill": "#D9D9D9",
                "page_numbers": "of", "num_align": "RIGHT", "captions": True}},
    {"data": {"version": "2021"}, "scanned": False,
     "layout": {"vertical_mode": "direction", "repeat_header": False, "placement": "appendix", "seal": False,
                "landscape": {"applications": False, "reviews_litigation": True, "active_disclosure": False},
                "rule_style": "grid", "reviews_vertical": True, "table_pt": 11, "cell_pad_pt": 4,
                "page_numbers": "dash", "running_head": True, "num_align": "LEFT"}},
    {"data": {"version": "2021", "level": "city_government", "broken": True, "broken_rule": "applications.balance"},
     "scanned": True, "layout": {"vertical_mode": "horizontal", "rule_style": "frame_rows"}},
]


@pytest.fixture(scope="module")
def typeset_set(tmp_path_factory):
    import generate

    out = tmp_path_factory.mktemp("typeset")
    return out, generate.generate_batch([0, 1, 2], 4510, str(out), 1.0, PRESETS, "typeset", "fax")


def test_typeset_pdf_prints_every_number_of_the_truth(typeset_set):
    """The text layer of each table's pages holds that table's numbers, as many of each as the
    truth has (none lost off a page, none clipped)."""
    out, entries = typeset_set
    assert_text_layer_holds_truth_numbers(out, entries[:2], "typeset")


def test_typeset_manifest_matches_pdf(typeset_set):
    """Pages, landscape pages, repeated headers, the seal and the 附表 placement are as recorded;
    the captured report has no text layer; the rules hold or break as recorded; the tables are
    placed in their order, the first fitted to its landscape page at 80 % of its size at least."""
    out, entries = typeset_set

    def placed_in_order(pdf, e, text):
        assert_page_traits_as_recorded(pdf, e, text)
        assert [p["table"] for p in e["tables_placed"]] == ["active_disclosure", "applications", "reviews_litigation"]

    assert_manifest_matches_pdf(out, entries, assert_fax_without_text_layer, placed_in_order)
    placed = {p["table"]: p for p in entries[0]["tables_placed"]}
    if not entries[0]["tables"]["applications"]["split"]:  # fitted to its landscape page, at 80 % at least
        assert placed["applications"]["table_pt"][0] >= 0.8 * entries[0]["layout"]["table_pt"]


def test_typeset_no_line_starts_with_chinese_closing_punctuation(typeset_set):
    """Chinese typesetting hangs ，；：》” at a line's end (避头点); ReportLab's own list lacks them."""
    out, entries = typeset_set
    for e in entries[:2]:
        with pdfplumber.open(str(out / e["file"])) as pdf:
            starts = [line[:12] for page in pdf.pages for line in (page.extract_text() or "").splitlines()
                      if line[:1] in fx_typeset.CANNOT_START_ZH]
        assert not starts, (e["file"], starts)


def test_typeset_pdf_is_the_same_bytes_from_the_same_seed(tmp_path):
    assert_same_pdf_bytes_from_seed(tmp_path, 4511, "typeset")


@pytest.mark.slow
def test_typeset_generation_from_the_command_line(tmp_path):
    """``--family typeset`` with the two new captures: the manifest records family and capture, and
    the same seed gives the same truth and manifest."""
    generate_family_twice(tmp_path, 4512, "typeset", ["born_digital", "copier"])

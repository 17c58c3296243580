"""The committed set of the other families and capture conditions (fixtures/samples-world):
Word documents laid out by LibreOffice, phone photos, low-resolution scans, faxes and scans
whose table rules nearly vanished. Fast checks read the files and the manifest; the slow one
parses every report and holds the line the project never crosses: no wrong value at
confidence >= 0.9.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest

from nianbao import bench
from nianbao.fileio import PDFIUM_LOCK
from test_fixtures_generator import canonical, failing_checks, read_truth, truth_values

WORLD = Path(__file__).resolve().parents[1] / "fixtures" / "samples-world"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((WORLD / "manifest.json").read_text("utf-8"))


def test_world_samples_cover_each_family_and_condition(manifest):
    reps = manifest["reports"]
    combos = Counter((r["family"], r["capture"]) for r in reps)
    assert {c for f, c in combos if f == "word"} >= {"born_digital", "flatbed", "phone", "hairline", "fax"}
    assert {c for _, c in combos} >= {"phone", "lowres", "fax", "hairline"}
    assert {f for f, _ in combos} == {"chromium", "word"}
    size = sum((WORLD / r[k]).stat().st_size for r in reps for k in ("file", "truth"))
    assert size < 8 * 1024 * 1024 and sum(r["pages"] for r in reps if r["kind"] == "scanned") <= 36


def test_world_samples_truth_and_rules(manifest):
    for r in manifest["reports"]:
        header, rows = read_truth(WORLD / r["truth"])
        assert header == ["table", "row", "col", "value", "text"]
        assert [(x["table"], x["row"], x["col"]) for x in rows] == canonical(r["version"], r.get("extra_rows", []))
        failed = failing_checks(r["version"], truth_values(rows))
        want = [(c["rule"], c["subject"]) for c in (r["broken_rule"] or {}).get("failing_checks", [])]
        assert sorted(failed) == sorted(want), r["file"]


def _page_image(pdf: pdfium.PdfDocument, i: int) -> tuple[np.ndarray, float]:
    """The page's one image (grey) and its dpi from the page size."""
    page = pdf[i]
    objs = list(page.get_objects())
    assert len(objs) == 1 and objs[0].type == pdfium.raw.FPDF_PAGEOBJ_IMAGE
    arr = objs[0].get_bitmap(render=False).to_numpy()
    w_px = arr.shape[1]
    return (arr if arr.ndim == 2 else arr[..., 0]), w_px / (page.get_width() / 72.0)


def test_world_samples_pages_are_what_the_manifest_says(manifest):
    with PDFIUM_LOCK:  # server threads of earlier tests may still be drawing crops in this process
        _check_pages(manifest)


def _check_pages(manifest) -> None:
    for r in manifest["reports"]:
        pdf = pdfium.PdfDocument(str(WORLD / r["file"]))
        try:
            assert len(pdf) == r["pages"]
            text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
            if r["capture"] == "born_digital":
                assert r["title"] in "".join(text.split())
                continue
            assert text.strip() == "", r["file"]
            deg = r["degradations"]
            assert deg["condition"] == r["capture"]
            for i, p in enumerate(deg["pages"]):
                img, dpi = _page_image(pdf, i)
                assert [img.shape[1], img.shape[0]] == p["size_px"], (r["file"], i)
                if r["capture"] == "phone":
                    assert 1600 <= max(p["size_px"]) <= 3000
                elif r["capture"] == "lowres":
                    assert 100 <= p["dpi"] <= 120 and abs(dpi - p["dpi"]) < 1
                elif r["capture"] == "fax":
                    assert p["bits"] == 1 and set(np.unique(img).tolist()) <= {0, 255}
                elif r["capture"] == "hairline":
                    assert p["darkness_kept"] <= 0.3
        finally:
            pdf.close()


@pytest.mark.slow
def test_world_samples_parse_without_silent_errors(manifest):
    """Every report of every family and condition parses or is refused with the clear "not a
    report" message (today's parser loses every table of some hairline and Word scans); whatever
    it misses, no wrong value is given at confidence >= 0.9. (Accuracy per condition is measured
    by ``nianbao bench``; the parser issue raises it.)"""
    items, _ = bench.find_items(WORLD)
    scores = bench.run(items)
    for s in scores:
        assert s.error is None or s.error.startswith("NotAReportError"), (s.name, s.error)
        assert s.silent == 0, (s.name, [c for c in s.results if c.silent][:5])
    rows = bench.by_condition(scores, {it.name: it.manifest for it in items})
    assert {(r["family"], r["capture"]) for r in rows} == {(r["family"], r["capture"]) for r in manifest["reports"]}
    born = next(s for s, it in zip(scores, items) if it.manifest["capture"] == "born_digital")
    assert born.accuracy == 1.0, [c for c in born.results if c.status != "correct"][:5]

"""Checks every layout family's generator tests share (``test_fixtures_word``,
``test_fixtures_sheet``, ``test_fixtures_typeset``, ``test_fixtures_typst``): the truth CSV read
back, a generated report's rules holding or breaking exactly as its manifest records, a captured
(fax) report carrying no text layer, the command line giving the same set twice from one seed,
what a born-digital report's pages say, and the manifest read against the PDF (the checks every
family's reports answer in one loop, the page traits the typeset and typst families draw alike,
a family's own checks passed in)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import fx_data
import pdfplumber
import pypdfium2 as pdfium

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TABLES = ("applications", "reviews_litigation", "active_disclosure")


def read_truth(path: Path) -> dict:
    with open(path, newline="", encoding="utf-8") as fh:
        return {(r["table"], r["row"], r["col"]): r for r in csv.DictReader(fh)}


def assert_rules_as_recorded(out: Path, entry: dict) -> None:
    """The report's consistency rules hold, or break exactly as its manifest entry records."""
    vals = {k: (float(r["value"]) if r["value"] else None) for k, r in read_truth(out / entry["truth"]).items()}
    failed = [(c["rule"], c["subject"]) for c in fx_data.evaluate_rules(entry["version"], vals) if c["status"] == "failed"]
    assert sorted(failed) == sorted((c["rule"], c["subject"]) for c in (entry["broken_rule"] or {}).get("failing_checks", []))


def assert_fax_without_text_layer(pdf, entry: dict) -> None:
    """A fax capture: 1-bit pages and no text layer left (``pdf``: an open pypdfium2 document)."""
    assert entry["capture"] == "fax" and all(p["bits"] == 1 for p in entry["degradations"]["pages"])
    assert "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf))).strip() == ""


def generate_twice(tmp_path: Path, seed: int, *options: str, count: int = 2) -> tuple[list[Path], list[dict]]:
    """Two runs of ``generate.py`` (``count`` reports, one worker, ``options`` such as
    ``--family word --capture fax``) from one seed: their output folders and manifests, after
    checking that the manifests (but for timings) and truth files are the same."""
    outs = []
    for k in range(2):
        out = tmp_path / f"g{k}"
        subprocess.run([sys.executable, str(FIXTURES / "generate.py"), "--out", str(out), "--count", str(count),
                        "--seed", str(seed), *options, "--workers", "1"],
                       check=True, capture_output=True, timeout=600)
        outs.append(out)
    m = [json.loads((o / "manifest.json").read_text("utf-8")) for o in outs]
    for ra, rb in zip(m[0]["reports"], m[1]["reports"]):
        ra.pop("seconds"), rb.pop("seconds")
        assert ra == rb
        assert (outs[0] / ra["truth"]).read_bytes() == (outs[1] / rb["truth"]).read_bytes()
    return outs, m


def generate_family_twice(tmp_path: Path, seed: int, family: str, captures: Sequence[str]
                          ) -> tuple[list[Path], list[dict]]:
    """``generate_twice`` of one report a capture (``--family family --capture a,b``): the two
    output folders and the first run's manifest entries, after checking that each records its family and its capture (as the
    capture model's condition too)."""
    outs, m = generate_twice(tmp_path, seed, "--family", family, "--capture", ",".join(captures), count=len(captures))
    reports = m[0]["reports"]
    assert [(r["family"], r["capture"]) for r in reports] == [(family, c) for c in captures]
    assert [r["degradations"]["condition"] for r in reports if r["capture"] != "born_digital"] == \
        [c for c in captures if c != "born_digital"]
    return outs, reports


def assert_same_pdf_bytes_from_seed(tmp_path: Path, seed: int, family: str) -> None:
    """A born-digital report of ``family`` generated twice from one seed is the same PDF, byte
    for byte (the generator's own calls, in-process)."""
    import generate

    paths = []
    for k in range(2):
        out = tmp_path / f"r{k}"
        out.mkdir()
        generate.generate_batch([0], seed, str(out), 0.0, [None], family, "born_digital")
        paths.append(out / "000.pdf")
    assert paths[0].read_bytes() == paths[1].read_bytes()


def assert_text_layer_holds_truth_numbers(out: Path, entries: list[dict], family: str,
                                          tables: Sequence[str] = TABLES) -> None:
    """The text layer of each born-digital report's table pages (``tables``) holds that table's
    numbers, as many of each as the truth has (none lost off a page, none clipped)."""
    for e in entries:
        assert e["family"] == family and e["capture"] == "born_digital"
        truth = read_truth(out / e["truth"])
        with pdfplumber.open(str(out / e["file"])) as pdf:
            for table in tables:
                want = Counter(r["text"] for k, r in truth.items() if k[0] == table and r["text"] and r["text"][0].isdigit())
                words = Counter(w["text"] for n in e["tables"][table]["pages"]
                                for w in pdf.pages[n - 1].extract_words() if w["text"][0].isdigit())
                assert not want - words, (e["file"], table, want - words)


def page_texts(pdf) -> list[str]:
    """Each page's text layer, whitespace removed (``pdf``: an open pypdfium2 document)."""
    return ["".join(pdf[i].get_textpage().get_text_range().split()) for i in range(len(pdf))]


def header_pages(texts: list[str]) -> list[int]:
    """The pages (from 1) that print the application matrix's header 申请人情况."""
    return [n for n, t in enumerate(texts, 1) if "申请人情况" in t]


def has_images(pdf) -> bool:
    """Does any page hold an image object (the red seal, in a born-digital report)?"""
    return any(o.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE for i in range(len(pdf)) for o in pdf[i].get_objects())


def assert_no_text_layer(pdf, entry: dict, capture: str) -> None:
    """A captured report (``capture``, as its manifest entry records) has no text layer left."""
    assert entry["capture"] == capture and "".join(page_texts(pdf)) == ""


def assert_manifest_matches_pdf(out: Path, entries: list[dict], captured: Callable[[object, dict], None],
                                born_digital: Callable[[object, dict, list[str]], None]) -> None:
    """Each report's PDF against its manifest entry: the page count, the rules holding or breaking
    as recorded; a captured report by ``captured(pdf, entry)``; a born-digital one prints its
    title and holds an image (the seal) exactly when its layout and its seals say so, then
    ``born_digital(pdf, entry, page texts)`` (the family's own checks)."""
    for e in entries:
        pdf = pdfium.PdfDocument(str(out / e["file"]))
        try:
            assert len(pdf) == e["pages"]
            assert_rules_as_recorded(out, e)
            if e["kind"] != "born_digital":
                captured(pdf, e)
                continue
            text = page_texts(pdf)
            assert e["title"] in "".join(text)
            assert has_images(pdf) == e["layout"]["seal"] == bool(e["seals_in_document"])
            born_digital(pdf, e, text)
        finally:
            pdf.close()


def assert_landscape_as_recorded(pdf, entry: dict) -> None:
    """Each table's pages are landscape exactly when its layout records the table landscape."""
    for table, land in entry["layout"]["landscape"].items():
        for n in entry["tables"][table]["pages"]:
            w, h = pdf[n - 1].get_size()
            assert (w > h) == land, (entry["file"], table, n)


def assert_header_pages_as_recorded(entry: dict, text: list[str]) -> None:
    """The application matrix's header prints on its first page, and on every page of a split
    matrix exactly when the layout repeats it (on no other page)."""
    apps = entry["tables"]["applications"]["pages"]
    on = header_pages(text)
    assert on[0] == apps[0]
    if entry["tables"]["applications"]["split"]:
        assert (on == apps) == entry["layout"]["repeat_header"]
    else:
        assert on == apps


def assert_tables_after_prose(entry: dict, text: list[str]) -> None:
    """An appendix placement: the tables begin after the last page of prose (六、其他需要报告的事项)."""
    last_prose = max(i for i, t in enumerate(text, 1) if "六、其他需要报告的事项" in t)
    assert min(entry["tables"]["active_disclosure"]["pages"]) > last_prose


def assert_page_traits_as_recorded(pdf, entry: dict, text: list[str]) -> None:
    """What ``fx_data.draw_page_traits`` and the landscape draws of the typeset and typst families
    decided, on the born-digital pages: each table's pages landscape exactly as recorded, the
    header where recorded, "第1页共N页" page numbers, an appendix after the prose with 附表1-3."""
    lay = entry["layout"]
    assert_landscape_as_recorded(pdf, entry)
    assert_header_pages_as_recorded(entry, text)
    if lay["page_numbers"] == "of":
        assert f"第1页共{len(pdf)}页" in text[0]
    if lay["placement"] == "appendix":
        assert_tables_after_prose(entry, text)
        assert all(f"附表{n}" in "".join(text) for n in (1, 2, 3))

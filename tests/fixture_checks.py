"""Checks every layout family's generator tests share (``test_fixtures_word``,
``test_fixtures_sheet``): the truth CSV read back, a generated report's rules holding or breaking
exactly as its manifest records, a captured (fax) report carrying no text layer, and the
command line giving the same set twice from one seed, and what a born-digital report's pages say."""

from __future__ import annotations

import csv
import json
from collections import Counter
import subprocess
import sys
from pathlib import Path

import fx_data
import pdfplumber
import pypdfium2 as pdfium

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


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


def assert_text_layer_holds_truth_numbers(out: Path, entries: list[dict], family: str) -> None:
    """The text layer of each born-digital report's table pages holds that table's numbers, as
    many of each as the truth has (none lost off a page, none clipped)."""
    for e in entries:
        assert e["family"] == family and e["capture"] == "born_digital"
        truth = read_truth(out / e["truth"])
        with pdfplumber.open(str(out / e["file"])) as pdf:
            for table in ("applications", "reviews_litigation", "active_disclosure"):
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

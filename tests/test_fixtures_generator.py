"""The fixtures generator (fixtures/generate.py) and the committed set fixtures/samples.

Fast checks read the committed samples and run the (renderer-free) number generator; the
end-to-end generation with chromium is marked slow.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import sys
from collections import Counter
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from nianbao.models import load_template

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SAMPLES = FIXTURES / "samples"
sys.path.insert(0, str(FIXTURES))

import fx_data  # noqa: E402
import fx_html  # noqa: E402
from fixture_checks import generate_twice  # noqa: E402


def canonical(version: str, extra_rows: list[str] = ()) -> list[tuple[str, str, str]]:
    """canonical_keys() of every table; with ``extra_rows``, optional rows the report prints
    (include_optional order, filtered)."""
    tpl = load_template(version)
    keys = []
    for t in tpl.tables:
        base = set(t.canonical_keys())
        keys += [(t.id, r, c) for r, c in t.canonical_keys(include_optional=True) if (r, c) in base or r in extra_rows]
    return keys


def read_truth(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, newline="", encoding="utf-8") as fh:
        rd = csv.DictReader(fh)
        return list(rd.fieldnames or []), list(rd)


def failing_checks(version: str, values: dict) -> list[tuple[str, str]]:
    """SPEC §3, written out independently of the generator: every rule, every subject."""
    tpl = load_template(version)
    failed = []
    for rule in tpl.rules:
        keys = [k for k in values if k[0] == rule.table]  # the rows and columns printed
        rows = list(dict.fromkeys(k[1] for k in keys))
        cols = list(dict.fromkeys(k[2] for k in keys))
        for subj in (cols if rule.over == "columns" else rows):
            def val(op):
                key = (rule.table, op, subj) if rule.over == "columns" else (rule.table, subj, op)
                return values.get(key, "absent")
            lhs = [val(op) for op in rule.lhs if val(op) != "absent"]
            rhs = [val(op) for op in rule.rhs if val(op) != "absent"]
            if not lhs or not rhs or any(v is None for v in lhs + rhs):
                continue
            if abs(sum(lhs) - sum(rhs)) > 1e-9:
                failed.append((rule.id, subj))
    return failed


def truth_values(rows: list[dict]) -> dict:
    return {(r["table"], r["row"], r["col"]): (float(r["value"]) if r["value"] != "" else None) for r in rows}


@pytest.fixture(scope="module")
def manifest() -> dict:
    with open(SAMPLES / "manifest.json", encoding="utf-8") as fh:
        return json.load(fh)


# --------------------------------------------------------------------------- committed samples


def test_samples_files_and_size(manifest):
    reports = manifest["reports"]
    assert 10 <= len(reports) <= 16
    total = 0
    for r in reports:
        assert (SAMPLES / r["file"]).is_file()
        assert (SAMPLES / r["truth"]).is_file()
        total += (SAMPLES / r["file"]).stat().st_size + (SAMPLES / r["truth"]).stat().st_size
    assert total < 20 * 1024 * 1024


def test_samples_truth_complete_for_both_versions(manifest):
    versions = Counter()
    for r in manifest["reports"]:
        header, rows = read_truth(SAMPLES / r["truth"])
        assert header == ["table", "row", "col", "value", "text"]
        keys = [(x["table"], x["row"], x["col"]) for x in rows]
        assert keys == canonical(r["version"], r.get("extra_rows", [])), r["file"]
        assert set(canonical(r["version"])) <= set(keys)
        assert r["cells"] == len(keys)
        versions[r["version"]] += 1
        for x in rows:  # a value is a number or empty; an empty value is a blank or a dash
            if x["value"] == "":
                assert x["text"] in ("", "—", "/", "无"), x
            else:
                float(x["value"])
    assert versions["2019"] >= 3 and versions["2021"] >= 3


def test_samples_rules_hold_or_break_exactly_as_recorded(manifest):
    n_broken = 0
    for r in manifest["reports"]:
        _, rows = read_truth(SAMPLES / r["truth"])
        failed = failing_checks(r["version"], truth_values(rows))
        br = r["broken_rule"]
        if br is None:
            assert failed == [], (r["file"], failed)
        else:
            n_broken += 1
            assert {f[0] for f in failed} == {br["rule"]}, (r["file"], failed)
            assert sorted(failed) == sorted((c["rule"], c["subject"]) for c in br["failing_checks"])
            assert (br["rule"], br["subject"]) in failed
    assert n_broken >= 1


def test_samples_variety(manifest):
    reps = manifest["reports"]
    kinds = Counter(r["kind"] for r in reps)
    assert kinds["born_digital"] >= 1 and kinds["scanned"] >= 8
    assert any(rot for r in reps for rot in r["page_rotations"])
    assert any(abs(s) >= 1.0 for r in reps for s in r["page_skew_deg"])
    assert any(r["split_tables"] for r in reps)
    seals = [s for r in reps if r["degradations"] for p in r["degradations"]["pages"] for s in p["seals"]]
    assert any(s["where"] == "table" for s in seals) and any(s["where"] == "signature" for s in seals)
    assert {r["money"]["style"] for r in reps if r["version"] == "2019"} >= {"cell", "header", "none"}
    assert any(r["layout"]["vertical_headers"] for r in reps)
    assert any(x["text"] in ("—", "/") for r in reps for x in read_truth(SAMPLES / r["truth"])[1])
    assert any(x["value"].startswith("-") for r in reps for x in read_truth(SAMPLES / r["truth"])[1])


def test_samples_pdfs_scanned_are_image_only(manifest):
    for r in manifest["reports"]:
        pdf = pdfium.PdfDocument(str(SAMPLES / r["file"]))
        try:
            assert len(pdf) == r["pages"]
            text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
            if r["kind"] == "scanned":
                assert text.strip() == "", r["file"]
                for i, p in enumerate(r["degradations"]["pages"]):
                    w, h = pdf[i].get_size()
                    assert (w > h) == (p["rotation"] in (90, 270)), (r["file"], i)
            else:
                assert r["title"].replace(" ", "") in "".join(text.split())
        finally:
            pdf.close()


def test_samples_statements_match_truth(manifest):
    for r in manifest["reports"]:
        _, rows = read_truth(SAMPLES / r["truth"])
        vals = {".".join((x["table"], x["row"], x["col"])): x["value"] for x in rows}
        for st in r["statements"]:
            assert st["text"]
            for c in st["claims"]:
                truth = vals[c["cell"]]
                consistent = truth != "" and float(truth) == c["stated"]
                assert consistent == c["consistent"], (r["file"], c)


# --------------------------------------------------------------------------- number generator (no renderer)


def test_numbers_deterministic_from_seed():
    a = fx_data.make_report(7, random.Random("s:7"))
    b = fx_data.make_report(7, random.Random("s:7"))
    c = fx_data.make_report(7, random.Random("s:8"))
    assert a.values == b.values and a.texts == b.texts and a.statements == b.statements
    assert a.values != c.values or a.agency != c.agency
    la, lb = fx_html.Layout(random.Random(1)), fx_html.Layout(random.Random(1))
    ha = fx_html.build_html(a, la, random.Random(2))
    hb = fx_html.build_html(b, lb, random.Random(2))
    assert ha == hb


def test_numbers_rules_and_mix_over_many_reports():
    versions, broken = Counter(), 0
    n = 400
    for i in range(n):
        rd = fx_data.make_report(i, random.Random(f"t:{i}"))
        versions[rd.version] += 1
        assert [k for k in fx_data.truth_keys(rd) if k not in rd.values and k[1] not in rd.unprinted_rows] == []
        failed = failing_checks(rd.version, rd.values)
        if rd.broken_rule is None:
            assert failed == []
        else:
            broken += 1
            assert len({f[0] for f in failed}) == 1 and failed[0][0] == rd.broken_rule["rule"]
        for key, v in rd.values.items():  # negative numbers only where the template allows them
            if v is not None and v < 0:
                tbl = load_template(rd.version).table(key[0])
                item, _ = tbl.find_row(key[1])
                assert next(c for c in item.columns if c.id == key[2]).signed
    assert 0.5 < versions["2019"] / n < 0.7
    assert 0.08 < broken / n < 0.22


def test_html_has_template_structure():
    rd = fx_data.make_report(1, random.Random("h:1"), {"version": "2021"})
    body, css, info = fx_html.build_html(rd, fx_html.Layout(random.Random(3)), random.Random(4))
    assert 'colspan="5">法人或其他组织' in body and "申请人情况" in body and "勾稽关系" in body
    assert 'colspan="3">本年处理决定数量' in body  # 2021 single value column merged over three
    assert "第二十条第（九）项" not in body
    for sec in fx_html.SECTIONS:
        assert sec in body
    assert info["title"] in body and "@page" in css


# --------------------------------------------------------------------------- end to end (chromium)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_generate_end_to_end_deterministic(tmp_path):
    outs, m = generate_twice(tmp_path, 11, "--scanned-fraction", "0.67", count=3)
    for ra in m[0]["reports"]:
        if ra["kind"] == "scanned":  # same page images (the PDF's trailer /ID differs)
            pa, pb = (pdfium.PdfDocument(str(o / ra["file"])) for o in outs)
            try:
                for i in range(len(pa)):
                    assert (pa[i].render(scale=0.5).to_numpy() == pb[i].render(scale=0.5).to_numpy()).all()
            finally:
                pa.close(), pb.close()
        _, rows = read_truth(outs[0] / ra["truth"])
        assert [(x["table"], x["row"], x["col"]) for x in rows] == canonical(ra["version"], ra["extra_rows"])


def test_variants_mixed_other_handling_and_provincial_row():
    """A 2021 report that keeps the 2019 single （六）其他处理 row: the truth has other_handling and
    the three 2021 sub-rows empty (SPEC §2.1); a Hubei-style third （一） row is kept as its own row."""
    rd = fx_data.make_report(5, random.Random("v:5"), {"version": "2021", "mixed_other_handling": True,
                                                      "other_documents": True, "level": "city_bureau"})
    assert rd.extra_rows == ["other_handling", "art20_1.other_documents"]
    assert rd.unprinted_rows == ["other_no_correction", "other_no_fee", "other_other"]
    keys = fx_data.truth_keys(rd)
    assert keys == canonical("2021", rd.extra_rows) and len(keys) == 200 + 7 + 3
    assert all(k not in rd.values for k in keys if k[1] in rd.unprinted_rows)
    assert failing_checks("2021", rd.values) == [] or rd.broken_rule
    body, _, _ = fx_html.build_html(rd, fx_html.Layout(random.Random(1)), random.Random(2))
    assert "（六）其他处理" in body and "逾期不补正" not in body and "其他主动公开文件" in body

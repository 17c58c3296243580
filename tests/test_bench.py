"""nianbao.bench: scoring exactly as shared score.py, on synthetic predictions (no parser run)."""

from __future__ import annotations

import csv
import importlib.util
import re
import shutil
from pathlib import Path

import pytest

from nianbao import bench

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "fixtures" / "samples"
SUMMARY_RE = re.compile(r"^accuracy=\d\.\d{4} silent_errors=\d+ missing=\d+ wrong=\d+ cells=\d+ reports=\d+ "
                        r"s_per_page=\d+\.\d\d peak_rss_mb=\d+$")


@pytest.mark.parametrize("truth,text,pred,conf,expect", [
    ("5", "5", "5", 0.99, ("correct", False)),
    ("5", "5", "5.0", None, ("correct", False)),
    ("1234", "1,234", "1,234", 0.5, ("correct", False)),
    ("", "", "", 0.0, ("correct", False)),
    ("", "—", "0", 0.95, ("correct", False)),  # a printed dash may be read as 0
    ("", "/", "", 0.0, ("correct", False)),
    ("", "无", "0", 0.9, ("correct", False)),
    ("", "", "0", 0.95, ("wrong", True)),  # a blank is not a 0
    ("", "—", "3", 0.5, ("wrong", False)),
    ("7", "7", "", 0.0, ("missing", False)),
    ("7", "7", None, None, ("missing", False)),
    ("7", "7", "1", 0.9, ("wrong", True)),
    ("7", "7", "1", 0.89, ("wrong", False)),
    ("328.65", "328.65 万元", "328.65", 0.97, ("correct", False)),
    ("-8", "-8", "8", 0.95, ("wrong", True)),
])
def test_classify(truth, text, pred, conf, expect):
    assert bench.classify(truth, text, pred, conf) == expect


def _truth():
    return {("applications", "new_received", "total"): ("3", "3"),
            ("applications", "carried_over", "total"): ("0", "0"),
            ("active_disclosure", "art20_1.regulations", "made_this_year"): ("", "/"),
            ("active_disclosure", "art20_9.procurement", "amount"): ("12.5", "12.5万元"),
            ("reviews_litigation", "count", "review_total"): ("2", "2")}


def test_score_rows_counts_and_duplicates():
    rows = [
        {"table": "applications", "row": "new_received", "col": "total", "value": "3", "confidence": "0.99"},
        {"table": "applications", "row": "new_received", "col": "total", "value": "4", "confidence": "0.99"},  # dup
        {"table": "applications", "row": "carried_over", "col": "total", "value": "1", "confidence": "0.95"},
        {"table": "active_disclosure", "row": "art20_1.regulations", "col": "made_this_year", "value": "0", "confidence": "1"},
        {"table": "reviews_litigation", "row": "count", "col": "review_total", "value": "", "confidence": "0"},
        {"table": "applications", "row": "bogus", "col": "total", "value": "1", "confidence": "1"},
    ]
    sc = bench.score_rows("x", _truth(), rows)
    assert (sc.cells, sc.correct, sc.wrong, sc.missing, sc.silent, sc.dup, sc.extra) == (5, 2, 1, 2, 1, 1, 1)
    failed = bench.score_rows("x", _truth(), None)
    assert failed.missing == 4 and failed.correct == 1  # the dash cell is empty in truth and in output


def test_agrees_with_shared_score_py(tmp_path):
    """Same numbers as /work/shared/score.py (the project's scorer) on a messy prediction."""
    cands = [ROOT.parent / "shared" / "score.py", ROOT / "shared" / "score.py", Path("/work/shared/score.py")]
    path = next((p for p in cands if p.exists()), None)
    if path is None:
        pytest.skip("shared/score.py not beside the checkout")
    spec = importlib.util.spec_from_file_location("shared_score", path)
    score = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score)
    truth = SAMPLES / "004.truth.csv"
    with open(truth, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    pred = []
    for i, r in enumerate(rows):  # every 7th wrong, every 5th dropped, dashes read as 0, random confidence
        v = r["value"]
        if i % 7 == 0:
            v = str(int(float(v or 0)) + 1)
        elif i % 5 == 0:
            v = ""
        elif v == "" and r["text"] in ("—", "/"):
            v = "0"
        pred.append({"table": r["table"], "row": r["row"], "col": r["col"], "value": v, "text": r["text"],
                     "confidence": f"{(i * 37 % 100) / 100:.2f}"})
    pred_path = tmp_path / "004.csv"
    with open(pred_path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["table", "row", "col", "value", "text", "confidence"])
        w.writeheader()
        w.writerows(pred)
    ref = score.score_pair(str(truth), str(pred_path))
    mine = bench.score_rows("004", bench.read_truth(truth), pred)
    for k in ("cells", "correct", "wrong", "missing", "silent", "extra", "dup"):
        assert getattr(mine, k) == ref[k], k


def _truth_predictor(wrong_every: int = 0, conf: float = 0.97, failed_checks=None):
    """A fake parser that reads the truth file beside the PDF (optionally spoiling cells)."""
    def parse(pdf: Path):
        with open(pdf.with_name(pdf.stem + ".truth.csv"), encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        out = []
        for i, r in enumerate(rows):
            v = r["value"]
            if wrong_every and i % wrong_every == 0 and v != "":
                v = str(float(v) + 1)
            out.append(dict(r, value=v, confidence=str(conf), page="1"))
        return out, list(bench.TABLE_IDS), list(failed_checks or []), 4
    return parse


def test_run_with_fake_predictor_and_rules():
    items, _ = bench.find_items(SAMPLES)
    assert len(items) >= 10
    scores = bench.run(items, _truth_predictor())
    t = bench.totals(scores)
    assert t["accuracy"] == 1.0 and t["wrong"] == t["missing"] == t["silent_errors"] == 0
    assert t["tables_found"] == t["tables_expected"]
    rules = bench.rule_summary(scores)
    assert rules["reports_with_broken_rule"] >= 1 and rules["all_found"] == 0 and rules["false_alarms"] == 0

    def with_checks(pdf: Path):
        rows, found, _, pages = _truth_predictor()(pdf)
        m = next(it.manifest for it in items if it.pdf == pdf)
        return rows, found, list(bench.expected_failed(m)), pages

    rules = bench.rule_summary(bench.run(items, with_checks))
    assert rules["all_found"] == rules["reports_with_broken_rule"] and rules["false_alarm_reports"] == 0


def test_run_spoiled_predictions_silent_and_calibration():
    items, _ = bench.find_items(SAMPLES, limit=3)
    scores = bench.run(items, _truth_predictor(wrong_every=10, conf=0.95))
    t = bench.totals(scores)
    assert t["wrong"] > 0 and t["silent_errors"] == t["wrong"] and t["missing"] == 0
    cal = bench.calibration(scores)
    top = next(b for b in cal if b["bucket"].startswith("[0.95"))
    assert top["cells"] == t["cells"] and top["wrong"] == t["wrong"]
    assert abs(top["accuracy"] - t["accuracy"]) < 1e-12


def test_parse_that_raises_counts_missing_and_is_listed():
    items, _ = bench.find_items(SAMPLES, limit=2)

    def boom(pdf):
        raise RuntimeError("cannot read")

    scores = bench.run(items, boom)
    t = bench.totals(scores)
    assert len(t["errors"]) == 2 and "RuntimeError: cannot read" in t["errors"][0][1]
    assert t["wrong"] == 0 and t["missing"] + t["correct"] == t["cells"]


def test_bench_output_and_csv(tmp_path, capsys):
    folder = tmp_path / "set"
    folder.mkdir()
    for name in ("000", "001"):
        for suffix in (".pdf", ".truth.csv"):
            shutil.copy(SAMPLES / (name + suffix), folder / (name + suffix))
    out_csv = tmp_path / "cells.csv"
    rc = bench.bench(folder, csv_out=str(out_csv), parse=_truth_predictor(wrong_every=50))
    assert rc == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert SUMMARY_RE.match(lines[-1]), lines[-1]
    assert "reports=2" in lines[-1]
    with open(out_csv, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and set(bench.CELL_CSV_COLUMNS) == set(rows[0])
    assert {r["status"] for r in rows} <= {"correct", "wrong", "missing"}


def test_percentile():
    assert bench.percentile([1, 2, 3, 4, 5], 0.5) == 3
    assert bench.percentile([1.0], 0.95) == 1.0
    assert bench.percentile([], 0.95) == 0.0


def test_peer_not_available_is_reported(tmp_path, capsys, monkeypatch):
    from nianbao import peer

    monkeypatch.setattr(peer, "available", lambda: (False, "img2table is not installed (test)"))
    folder = tmp_path / "set"
    folder.mkdir()
    for suffix in (".pdf", ".truth.csv"):
        shutil.copy(SAMPLES / ("000" + suffix), folder / ("000" + suffix))
    assert bench.bench(folder, peer=True, parse=_truth_predictor()) == 0
    out = capsys.readouterr().out
    assert "peer (img2table) not run: img2table is not installed (test)" in out
    assert SUMMARY_RE.match(out.strip().splitlines()[-1])


def test_peer_tables_to_document_merges_spans():
    """img2table repeats a merged cell at every grid position it covers: one cell with a colspan,
    a rowspan printed in its first row only."""
    from types import SimpleNamespace as NS

    from nianbao import peer

    def cell(v, x1, y1, x2, y2):
        return NS(value=v, bbox=NS(x1=x1, y1=y1, x2=x2, y2=y2))

    note = cell("勾稽关系", 0, 0, 30, 20)
    head = cell("申请人情况", 30, 0, 90, 10)
    grp = cell("三、本年度办理结果", 0, 20, 10, 60)
    table = NS(content={
        0: [note, note, head, head, head],
        1: [note, note, cell("自然人", 30, 10, 50, 20), cell("商业企业", 50, 10, 70, 20), cell("总计", 70, 10, 90, 20)],
        2: [grp, cell("（一）予以公开", 10, 20, 30, 40), cell("3", 30, 20, 50, 40), cell("", 50, 20, 70, 40), cell("3", 70, 20, 90, 40)],
        3: [grp, cell("（二）部分公开", 10, 40, 30, 60), cell("1", 30, 40, 50, 60), cell("0", 50, 40, 70, 60), cell("1", 70, 40, 90, 60)],
    })
    doc = peer.tables_to_document("x.pdf", {0: [table]}, {0: (100, 200)})
    rows = doc.rows
    assert [(c.text, c.col, c.colspan) for c in rows[0].cells] == [("勾稽关系", 0, 2), ("申请人情况", 2, 3)]
    assert [c.text for c in rows[1].cells] == ["", "自然人", "商业企业", "总计"]
    assert [c.text for c in rows[2].cells] == ["三、本年度办理结果", "（一）予以公开", "3", "", "3"]
    assert [c.text for c in rows[3].cells][:2] == ["", "（二）部分公开"]
    assert all(r.page == 1 and r.kind == "table" and r.table_index == 0 for r in rows)
    assert doc.pages[0].width == 100 and doc.pages[0].dpi == peer.RENDER_DPI


def _mixed_set(tmp_path: Path) -> Path:
    """Four sample reports relabelled as two families x two capture conditions in their manifest."""
    import json

    folder = tmp_path / "mixed"
    folder.mkdir()
    manifest = json.loads((SAMPLES / "manifest.json").read_text("utf-8"))
    picked = []
    for k, (family, capture) in enumerate([("chromium", "flatbed"), ("word", "phone"), ("word", "phone"), ("word", "fax")]):
        entry = dict(manifest["reports"][2 + k], family=family, capture=capture)
        for key in ("file", "truth"):
            shutil.copy(SAMPLES / entry[key], folder / entry[key])
        picked.append(entry)
    (folder / "manifest.json").write_text(json.dumps(dict(manifest, reports=picked), ensure_ascii=False), "utf-8")
    return folder


def test_condition_of_old_and_new_manifests():
    assert bench.condition_of({"kind": "scanned"}) == ("chromium", "flatbed")
    assert bench.condition_of({"kind": "born_digital"}) == ("chromium", "born_digital")
    assert bench.condition_of({"kind": "scanned", "family": "word", "capture": "hairline"}) == ("word", "hairline")
    assert bench.condition_of(None) == ("unknown", "unknown")


def test_bench_prints_family_by_condition_rows(tmp_path, capsys):
    folder = _mixed_set(tmp_path)

    def parse(pdf: Path):  # the word/phone reports: every 4th numeric cell wrong at 0.5, the rest right at 0.95
        rows, found, failed, pages = _truth_predictor(conf=0.95)(pdf)
        if pdf.stem in ("003", "004"):
            for i, r in enumerate(rows):
                if i % 4 == 0 and r["value"] != "":
                    rows[i] = dict(r, value=str(float(r["value"]) + 1), confidence="0.5")
            found = found[:2]
        return rows, found, failed, pages

    assert bench.bench(folder, parse=parse) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert SUMMARY_RE.match(lines[-1]) and "reports=4" in lines[-1]
    cond = {tuple(re.search(r"family=(\S+) capture=(\S+)", ln).groups()): ln for ln in lines if ln.startswith("condition ")}
    assert set(cond) == {("chromium", "flatbed"), ("word", "phone"), ("word", "fax")}
    assert "reports=1 accuracy=1.0000 silent_errors=0 review_load=0.0000 tables=3/3" in cond[("chromium", "flatbed")]
    assert "reports=1 accuracy=1.0000" in cond[("word", "fax")]
    phone = cond[("word", "phone")]
    items, _ = bench.find_items(folder)
    scores = bench.run([it for it in items if it.name in ("003", "004")], parse)
    wrong = sum(s.wrong for s in scores)
    cells = sum(s.cells for s in scores)
    assert wrong > 0 and "reports=2 " in phone and "silent_errors=0" in phone and "tables=4/6" in phone
    assert f"accuracy={(cells - wrong) / cells:.4f}" in phone
    assert f"review_load={wrong / cells:.4f}" in phone  # exactly the cells at 0.5 are below 0.9


def test_silent_threshold_is_the_settings_field(tmp_path, capsys, monkeypatch):
    """bench counts silent errors and review load at Settings.confidence.silent_threshold (no copy
    of it): a wrong cell at 0.95 is silent at the default 0.9 and not at a threshold of 0.96."""
    from nianbao.settings import Settings

    assert bench.DEFAULT_THRESHOLD == Settings().confidence.silent_threshold
    folder = tmp_path / "set"
    folder.mkdir()
    for suffix in (".pdf", ".truth.csv"):
        shutil.copy(SAMPLES / ("000" + suffix), folder / ("000" + suffix))
    spoiled = _truth_predictor(wrong_every=10, conf=0.95)
    assert bench.bench(folder, parse=spoiled) == 0
    assert "silent_errors=0 " not in capsys.readouterr().out.strip().splitlines()[-1]
    monkeypatch.setenv("NIANBAO_CONFIDENCE__SILENT_THRESHOLD", "0.96")
    assert bench.bench(folder, parse=spoiled) == 0
    out = capsys.readouterr().out
    assert "silent_errors=0 " in out.strip().splitlines()[-1]
    assert "review load (share of cells below confidence 0.96)" in out


def test_bench_prints_time_per_stage_per_condition(tmp_path, capsys):
    """A parser that says where its time went: one ``stages`` line per family x capture
    condition with each stage's seconds per page and share; a parser that does not say
    (the peer, a 4-tuple) gets no stage table."""
    folder = _mixed_set(tmp_path)

    def parse(pdf: Path):
        rows, found, failed, pages = _truth_predictor()(pdf)
        return rows, found, failed, pages, {"ocr": 3.0 * pages, "grids": 1.0 * pages}

    assert bench.bench(folder, parse=parse) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    stages = {tuple(re.search(r"family=(\S+) capture=(\S+)", ln).groups()): ln for ln in lines if ln.startswith("stages ")}
    assert set(stages) == {("chromium", "flatbed"), ("word", "phone"), ("word", "fax")}
    line = stages[("word", "phone")]
    assert "ocr=3.000/75%" in line and "grids=1.000/25%" in line and "render=0.000/0%" in line
    assert SUMMARY_RE.match(lines[-1])
    assert bench.bench(folder, parse=_truth_predictor()) == 0
    assert not [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("stages ")]


def test_bench_cell_csv_does_not_carry_a_read_formula_into_a_spreadsheet(tmp_path):
    """An OCR text such as ``=HYPERLINK(...)`` in the per-cell CSV would run when a researcher
    opens it in Excel; it is written quote-prefixed, as every other CSV writer does."""
    score = bench.ReportScore(name="000")
    score.results = [bench.CellResult(("applications", "new_received", "natural_person"), "3", "3", "",
                                      '=HYPERLINK("http://x","3")', 0.4, "2", "wrong", False)]
    out = tmp_path / "cells.csv"
    bench.write_cell_csv(out, [[score]])
    row = next(csv.DictReader(out.open(encoding="utf-8")))
    assert row["text"] == "'=HYPERLINK(\"http://x\",\"3\")" and row["truth_value"] == "3"

"""Benchmark: parse every report of a fixtures folder and score it against its truth.

    python -m nianbao.bench DIR [--csv OUT.csv] [--peer] [--limit N]
    nianbao bench DIR ...

DIR holds NNN.pdf + NNN.truth.csv (+ manifest.json), as written by ``fixtures/generate.py``
(the committed set is ``fixtures/samples``). Cells are scored with exactly the definitions of
the shared ``score.py`` (SPEC §6): correct when equal or both empty (a printed "—", "/" or
"无" may also be read as 0), wrong when a different non-empty value is given, missing when the
truth has a number and the output none, silent = wrong with confidence >= the silent threshold
(``Settings.confidence.silent_threshold``, 0.9; the same threshold sends a cell to review).

Per report and in total it prints cells, accuracy, wrong, missing, silent errors, tables
found, broken rules found vs the manifest, seconds per page (median, p95), peak RSS and a
calibration table (confidence buckets); then one row per family x capture condition read from
the manifest (chromium/word x born_digital/flatbed/phone/lowres/fax/hairline: reports,
accuracy, silent errors, review load = share of cells below the threshold, tables found), each
also printed plain as ``condition family=… capture=… reports=… accuracy=… silent_errors=…
review_load=… tables=…/…``; then where the time goes per family x capture condition (seconds
per page and share of each stage of reading scanned pages, of assembly and the rest; plain as
``stages family=… capture=… pages=… s_per_page=… render=s/share orient=… …``); and it ends with
one line over all:

    accuracy=… silent_errors=… missing=… wrong=… cells=… reports=… s_per_page=… peak_rss_mb=…

A parse that raises counts all its cells as missing and is listed. ``--peer`` runs the
img2table peer (nianbao.peer) on the same files and reports its accuracy and speed as ratios.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import statistics
import sys
import time
import traceback
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Iterable

from nianbao.settings import ConfidenceSettings, Settings

# a wrong cell at or above this confidence is a silent error; a cell below it goes to a person
# (review load): the field's default, for callers that pass none (``bench`` passes the settings')
DEFAULT_THRESHOLD: float = ConfidenceSettings.model_fields["silent_threshold"].default
DASHES = {"—", "/", "-", "－", "--", "——", "无", "／"}
TOL = 1e-6
TABLE_IDS = ("applications", "reviews_litigation", "active_disclosure")
CAL_BUCKETS = [(0.0, 0.5), (0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 0.95), (0.95, 0.99), (0.99, 1.0001)]
# where a parse's time goes: the stages of reading scanned pages (``nianbao.scan``, summed over
# pages), then assembly, checks and scoring; "other" is the rest (text layers, file checks)
STAGES = ("render", "orient", "grids", "page_words", "structure", "crops", "ocr", "second_look", "assemble")
CELL_CSV_COLUMNS = ["report", "engine", "table", "row", "col", "truth_value", "truth_text", "value", "text",
                    "confidence", "page", "status", "silent"]


# --------------------------------------------------------------------------- scoring (score.py)


def norm_value(s):
    """'' / None -> None; numbers -> float; anything else -> stripped text (as score.py)."""
    if s is None:
        return None
    s = str(s).strip()
    if s == "":
        return None
    t = s.replace(",", "").replace("，", "").replace(" ", "")
    try:
        return float(t)
    except ValueError:
        return s


def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= TOL * max(1.0, abs(a), abs(b))
    return str(a) == str(b)


def _conf(v) -> float | None:
    try:
        return float(v) if v not in (None, "") else None
    except (TypeError, ValueError):
        return None


def classify(truth_value, truth_text: str, pred_value, pred_conf,
             threshold: float = DEFAULT_THRESHOLD) -> tuple[str, bool]:
    """('correct' | 'wrong' | 'missing', silent) for one cell, as score.py decides it."""
    t = norm_value(truth_value)
    p = norm_value(pred_value)
    dash_zero = t is None and (truth_text or "").strip() in DASHES and p == 0.0
    if same(t, p) or dash_zero:
        return "correct", False
    if p is None:
        return "missing", False
    conf = _conf(pred_conf)
    return "wrong", conf is not None and conf >= threshold


def read_truth(path: str | Path) -> dict[tuple[str, str, str], tuple[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return {(r["table"].strip(), r["row"].strip(), r["col"].strip()): (r.get("value") or "", r.get("text") or "")
                for r in csv.DictReader(fh)}


@dataclass
class CellResult:
    key: tuple[str, str, str]
    truth_value: str
    truth_text: str
    value: str
    text: str
    confidence: float | None
    page: str
    status: str
    silent: bool


@dataclass
class ReportScore:
    name: str
    engine: str = "nianbao"
    cells: int = 0
    correct: int = 0
    wrong: int = 0
    missing: int = 0
    silent: int = 0
    extra: int = 0
    dup: int = 0
    pages: int = 0
    seconds: float = 0.0
    error: str | None = None
    tables_found: list[str] = field(default_factory=list)
    failed_checks: list[tuple[str, str]] = field(default_factory=list)
    expected_failed: list[tuple[str, str]] | None = None  # from the manifest (None: not known)
    results: list[CellResult] = field(default_factory=list)
    stages: dict[str, float] = field(default_factory=dict)  # seconds per STAGES entry (empty: not known)

    @property
    def accuracy(self) -> float:
        return self.correct / self.cells if self.cells else 1.0

    @property
    def s_per_page(self) -> float:
        return self.seconds / self.pages if self.pages else self.seconds


def score_rows(name: str, truth: dict, rows: Iterable[dict] | None, engine: str = "nianbao",
               threshold: float = DEFAULT_THRESHOLD) -> ReportScore:
    """Score predicted long rows (dicts with table,row,col,value[,text,confidence,page]) against truth.
    ``rows=None`` (the parse failed): every truth cell with a number is missing."""
    pred: dict[tuple[str, str, str], dict] = {}
    dup = 0
    for r in rows or []:
        key = (str(r.get("table", "")).strip(), str(r.get("row", "")).strip(), str(r.get("col", "")).strip())
        if key in pred:
            dup += 1
            if norm_value(pred[key].get("value")) is not None:
                continue  # keep the first non-empty reading (score.py)
        pred[key] = r
    sc = ReportScore(name=name, engine=engine, dup=dup)
    for key, (tval, ttext) in truth.items():
        p = pred.get(key, {})
        status, silent = classify(tval, ttext, p.get("value"), p.get("confidence"), threshold)
        sc.cells += 1
        setattr(sc, status, getattr(sc, status) + 1)
        sc.silent += int(silent)
        sc.results.append(CellResult(key, tval, ttext, str(p.get("value", "") or ""), str(p.get("text", "") or ""),
                                     _conf(p.get("confidence")), str(p.get("page", "") or ""), status, silent))
    sc.extra = sum(1 for k in pred if k not in truth)
    return sc


# --------------------------------------------------------------------------- aggregation


def percentile(xs: list[float], q: float) -> float:
    if not xs:
        return 0.0
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def calibration(scores: list[ReportScore]) -> list[dict]:
    """Cells and accuracy per confidence bucket (cells with no confidence count as 0)."""
    out = []
    for lo, hi in CAL_BUCKETS:
        cells = [c for s in scores for c in s.results if lo <= (c.confidence or 0.0) < hi]
        n = len(cells)
        ok = sum(c.status == "correct" for c in cells)
        out.append({"bucket": f"[{lo:.2f},{min(hi, 1.0):.2f}{']' if hi > 1 else ')'}", "cells": n, "correct": ok,
                    "wrong": sum(c.status == "wrong" for c in cells), "missing": sum(c.status == "missing" for c in cells),
                    "accuracy": ok / n if n else None})
    return out


def rule_summary(scores: list[ReportScore]) -> dict:
    """Broken rules found vs the manifest: reports whose expected failing checks were all
    reported, reports with one at least, and failed checks the truth does not break."""
    known = [s for s in scores if s.expected_failed is not None and s.error is None]
    expected = [s for s in known if s.expected_failed]
    out = {"reports_with_broken_rule": len(expected), "all_found": 0, "some_found": 0, "false_alarms": 0,
           "false_alarm_reports": 0}
    for s in known:
        exp = set(s.expected_failed or [])
        got = set(s.failed_checks)
        if exp:
            out["all_found"] += int(exp <= got)
            out["some_found"] += int(bool(exp & got))
        fa = got - exp
        out["false_alarms"] += len(fa)
        out["false_alarm_reports"] += int(bool(fa))
    return out


def totals(scores: list[ReportScore], threshold: float = DEFAULT_THRESHOLD) -> dict:
    cells = sum(s.cells for s in scores)
    correct = sum(s.correct for s in scores)
    sp = [s.s_per_page for s in scores if s.error is None and s.pages]
    return {
        "reports": len(scores),
        "cells": cells,
        "correct": correct,
        "accuracy": correct / cells if cells else 1.0,
        "wrong": sum(s.wrong for s in scores),
        "missing": sum(s.missing for s in scores),
        "silent_errors": sum(s.silent for s in scores),
        "errors": [(s.name, s.error) for s in scores if s.error],
        "review_load": review_load(scores, threshold),
        "threshold": threshold,
        "tables_found": sum(len(s.tables_found) for s in scores),
        "tables_expected": len(scores) * len(TABLE_IDS),
        "pages": sum(s.pages for s in scores),
        "seconds": sum(s.seconds for s in scores),
        "s_per_page_median": statistics.median(sp) if sp else 0.0,
        "s_per_page_p95": percentile(sp, 0.95),
    }


def condition_of(manifest: dict | None) -> tuple[str, str]:
    """(family, capture condition) of a report from its manifest entry; entries written before
    the families existed are Chromium flatbed scans or born-digital."""
    m = manifest or {}
    family = m.get("family") or ("chromium" if m else "unknown")
    capture = m.get("capture") or {"scanned": "flatbed", "born_digital": "born_digital"}.get(m.get("kind", ""), "unknown")
    return family, capture


def review_load(scores: list[ReportScore], threshold: float = DEFAULT_THRESHOLD) -> float:
    """Share of cells a person must look at: confidence below ``threshold`` (no confidence counts as 0)."""
    cells = [c for s in scores for c in s.results]
    return sum((c.confidence or 0.0) < threshold for c in cells) / len(cells) if cells else 0.0


def by_condition(scores: list[ReportScore], manifest_by_name: dict[str, dict],
                 threshold: float = DEFAULT_THRESHOLD) -> list[dict]:
    """One row per family x capture condition (sorted), with the totals of its reports."""
    groups: dict[tuple[str, str], list[ReportScore]] = {}
    for s in scores:
        groups.setdefault(condition_of(manifest_by_name.get(s.name)), []).append(s)
    rows = []
    for (family, capture), group in sorted(groups.items()):
        t = totals(group, threshold)
        rows.append({"family": family, "capture": capture, "reports": t["reports"], "pages": t["pages"],
                     "cells": t["cells"], "accuracy": t["accuracy"], "wrong": t["wrong"], "missing": t["missing"],
                     "silent_errors": t["silent_errors"], "review_load": t["review_load"],
                     "tables_found": t["tables_found"], "tables_expected": t["tables_expected"],
                     "s_per_page_median": t["s_per_page_median"], "errors": len(t["errors"])})
    return rows


def stage_rows(scores: list[ReportScore], manifest_by_name: dict[str, dict]) -> list[dict]:
    """Per family x capture condition: pages, median s/page, and per stage its seconds per
    page and its share of all the parse time (reports that raised or carry no stage times are
    left out; "other" is what no stage accounts for)."""
    groups: dict[tuple[str, str], list[ReportScore]] = {}
    for s in scores:
        if s.error is None and s.pages and s.stages:
            groups.setdefault(condition_of(manifest_by_name.get(s.name)), []).append(s)
    rows = []
    for (family, capture), group in sorted(groups.items()):
        pages = sum(s.pages for s in group)
        seconds = sum(s.seconds for s in group)
        per_stage = {k: sum(s.stages.get(k, 0.0) for s in group) for k in STAGES}
        per_stage["other"] = max(0.0, seconds - sum(per_stage.values()))
        seconds = max(seconds, sum(per_stage.values()))  # a parse takes at least its stages' time
        rows.append({"family": family, "capture": capture, "reports": len(group), "pages": pages,
                     "s_per_page_median": statistics.median(s.s_per_page for s in group),
                     "stages": {k: (v / pages, v / seconds if seconds else 0.0) for k, v in per_stage.items()}})
    return rows


def stage_line(r: dict) -> str:
    return (f"stages family={r['family']} capture={r['capture']} pages={r['pages']} "
            f"s_per_page={r['s_per_page_median']:.2f} "
            + " ".join(f"{k}={per_page:.3f}/{share:.0%}" for k, (per_page, share) in r["stages"].items()))


def condition_line(r: dict) -> str:
    return (f"condition family={r['family']} capture={r['capture']} reports={r['reports']} accuracy={r['accuracy']:.4f} "
            f"silent_errors={r['silent_errors']} review_load={r['review_load']:.4f} "
            f"tables={r['tables_found']}/{r['tables_expected']}")


def summary_line(t: dict, peak_rss_mb: float) -> str:
    return (f"accuracy={t['accuracy']:.4f} silent_errors={t['silent_errors']} missing={t['missing']} "
            f"wrong={t['wrong']} cells={t['cells']} reports={t['reports']} "
            f"s_per_page={t['s_per_page_median']:.2f} peak_rss_mb={peak_rss_mb:.0f}")


def peak_rss_mb() -> float:
    """Peak resident set size of this process (and finished children), in MB."""
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(self_kb, child_kb) / 1024.0  # Linux reports kilobytes


# --------------------------------------------------------------------------- running


@dataclass
class Item:
    name: str
    pdf: Path
    truth: Path
    manifest: dict | None


def find_items(folder: str | Path, limit: int | None = None) -> tuple[list[Item], list[str]]:
    folder = Path(folder)
    manifest = {}
    mpath = folder / "manifest.json"
    if mpath.exists():
        with open(mpath, encoding="utf-8") as fh:
            manifest = {r["file"]: r for r in json.load(fh).get("reports", [])}
    items, notes = [], []
    for pdf in sorted(folder.glob("*.pdf")):
        truth = pdf.with_name(pdf.stem + ".truth.csv")
        if not truth.exists():
            notes.append(f"{pdf.name}: no truth file, skipped")
            continue
        items.append(Item(pdf.stem, pdf, truth, manifest.get(pdf.name)))
    if limit is not None:
        items = items[:limit]
    return items, notes


def expected_failed(manifest: dict | None) -> list[tuple[str, str]] | None:
    if manifest is None:
        return None
    br = manifest.get("broken_rule")
    if not br:
        return []
    return [(c["rule"], c["subject"]) for c in br.get("failing_checks", [])] or [(br["rule"], br["subject"])]


def parse_with_nianbao(path: Path, settings: Settings | None = None):
    """Default parser: the real pipeline. Returns (long rows, tables found, failed checks, pages)."""
    from nianbao.output import long_rows
    from nianbao.pipeline import parse_file

    report = parse_file(path, settings)
    found = [t.id for t in report.tables if t.found]
    failed = [(c.rule, c.subject) for c in report.checks if getattr(c.status, "value", c.status) == "failed"]
    stages = {k: report.timings.get(f"scan_{k}_s", 0.0) for k in STAGES}
    stages["assemble"] = report.timings.get("assemble_s", 0.0)
    return long_rows(report), found, failed, len(report.pages), stages


# (long rows, tables found, failed checks, pages[, seconds per STAGES entry])
Parser = Callable[[Path], tuple]


def run(items: list[Item], parse: Parser = parse_with_nianbao, engine: str = "nianbao",
        progress: Callable[[ReportScore], None] | None = None, debug: bool = False,
        threshold: float = DEFAULT_THRESHOLD) -> list[ReportScore]:
    scores = []
    for it in items:
        truth = read_truth(it.truth)
        t0 = time.perf_counter()
        stages: dict[str, float] = {}
        try:
            rows, found, failed, pages, *more = parse(it.pdf)
            stages = dict(more[0]) if more else {}
            err = None
        except Exception as e:  # a parse that raises: all its cells missing, listed
            rows, found, failed, pages = None, [], [], 0
            err = f"{type(e).__name__}: {e}".splitlines()[0][:300]
            if debug:
                traceback.print_exc()
        secs = time.perf_counter() - t0
        sc = score_rows(it.name, truth, rows, engine, threshold)
        sc.seconds = secs
        sc.pages = pages or (it.manifest or {}).get("pages", 0)
        sc.error = err
        sc.tables_found = found
        sc.failed_checks = failed
        sc.stages = stages
        sc.expected_failed = expected_failed(it.manifest)
        scores.append(sc)
        if progress:
            progress(sc)
    return scores


def write_cell_csv(path: str | Path, groups: list[list[ReportScore]]) -> None:
    """One row per scored cell. Texts are what OCR or a file gave, so each field passes the
    formula guard every spreadsheet-bound writer uses (:func:`nianbao.output.csv_field`)."""
    from nianbao.output import csv_field

    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(CELL_CSV_COLUMNS)
        for scores in groups:
            for s in scores:
                for c in s.results:
                    row = [s.name, s.engine, *c.key, c.truth_value, c.truth_text, c.value, c.text,
                           "" if c.confidence is None else f"{c.confidence:.4f}", c.page, c.status, int(c.silent)]
                    w.writerow([csv_field(v) for v in row])


# --------------------------------------------------------------------------- printing


def _console():
    from rich.console import Console

    return Console(width=160, highlight=False)


def print_reports(console, scores: list[ReportScore], manifest_by_name: dict[str, dict], title: str) -> None:
    from rich.table import Table

    tab = Table(title=title, show_lines=False)
    for col in ("report", "kind", "ver", "pages", "cells", "accuracy", "wrong", "missing", "silent", "tables",
                "rules exp/found", "s/page"):
        tab.add_column(col, justify="right" if col not in ("report", "kind") else "left")
    tab.add_column("note", no_wrap=True, overflow="ellipsis", max_width=48)
    for s in scores:
        m = manifest_by_name.get(s.name) or {}
        exp = set(s.expected_failed or [])
        got = set(s.failed_checks)
        rules = f"{len(exp)}/{len(exp & got)}" + (f" +{len(got - exp)}" if got - exp else "")
        note = s.error or ""
        tab.add_row(s.name, m.get("kind", "?"), m.get("version", "?"), str(s.pages), str(s.cells), f"{s.accuracy:.4f}",
                    str(s.wrong), str(s.missing), str(s.silent), f"{len(s.tables_found)}/{len(TABLE_IDS)}", rules,
                    f"{s.s_per_page:.2f}", note[:60])
    console.print(tab)


def print_totals(console, t: dict, rules: dict, cal: list[dict], rss: float, title: str) -> None:
    from rich.table import Table

    tab = Table(title=title, show_header=False)
    tab.add_column("what")
    tab.add_column("value", justify="right")
    rows = [
        ("reports", t["reports"]), ("pages", t["pages"]), ("cells", t["cells"]), ("accuracy", f"{t['accuracy']:.4f}"),
        ("wrong", t["wrong"]), ("missing", t["missing"]), (f"silent errors (wrong, conf >= {t['threshold']:g})", t["silent_errors"]),
        (f"review load (share of cells below confidence {t['threshold']:g})", f"{t['review_load']:.4f}"),
        ("tables found", f"{t['tables_found']}/{t['tables_expected']}"),
        ("reports with a broken rule (manifest)", rules["reports_with_broken_rule"]),
        ("  all its failing checks reported", rules["all_found"]),
        ("  at least one reported", rules["some_found"]),
        ("failed checks the truth does not break", f"{rules['false_alarms']} in {rules['false_alarm_reports']} reports"),
        ("seconds per page, median", f"{t['s_per_page_median']:.2f}"),
        ("seconds per page, p95", f"{t['s_per_page_p95']:.2f}"),
        ("seconds in all", f"{t['seconds']:.1f}"),
        ("peak RSS (MB)", f"{rss:.0f}"),
        ("parses that raised", len(t["errors"])),
    ]
    for k, v in rows:
        tab.add_row(k, str(v))
    console.print(tab)
    for name, err in t["errors"]:
        console.print(f"  parse failed: {name}: {err}")
    ct = Table(title="calibration (confidence buckets)")
    for col in ("confidence", "cells", "correct", "wrong", "missing", "accuracy"):
        ct.add_column(col, justify="right")
    for b in cal:
        ct.add_row(b["bucket"], str(b["cells"]), str(b["correct"]), str(b["wrong"]), str(b["missing"]),
                   "-" if b["accuracy"] is None else f"{b['accuracy']:.4f}")
    console.print(ct)


def print_conditions(console, rows: list[dict], title: str, threshold: float = DEFAULT_THRESHOLD) -> None:
    """The family x capture table, then each row as one plain line (for tools)."""
    from rich.table import Table

    tab = Table(title=title)
    for col in ("family", "capture", "reports", "pages", "cells", "accuracy", "wrong", "missing", "silent",
                f"review load (<{threshold:g})", "tables found", "s/page median"):
        tab.add_column(col, justify="left" if col in ("family", "capture") else "right")
    for r in rows:
        tab.add_row(r["family"], r["capture"], str(r["reports"]), str(r["pages"]), str(r["cells"]), f"{r['accuracy']:.4f}",
                    str(r["wrong"]), str(r["missing"]), str(r["silent_errors"]), f"{r['review_load']:.4f}",
                    f"{r['tables_found']}/{r['tables_expected']}", f"{r['s_per_page_median']:.2f}")
    console.print(tab)
    for r in rows:
        console.print(condition_line(r), markup=False)


def print_stages(console, rows: list[dict], title: str) -> None:
    """Where the time goes per family x capture condition: seconds per page of each stage and
    its share of the parse time, then each row as one plain ``stages …`` line."""
    from rich.table import Table

    if not rows:
        return
    tab = Table(title=title)
    names = list(rows[0]["stages"])
    for col in ("family", "capture", "pages", "s/page median", *names):
        tab.add_column(col, justify="left" if col in ("family", "capture") else "right")
    for r in rows:
        tab.add_row(r["family"], r["capture"], str(r["pages"]), f"{r['s_per_page_median']:.2f}",
                    *(f"{per_page:.2f} {share:.0%}" for per_page, share in r["stages"].values()))
    console.print(tab)
    for r in rows:
        console.print(stage_line(r), markup=False, soft_wrap=True)  # one line, however long


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nianbao.bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", help="folder with NNN.pdf, NNN.truth.csv and manifest.json")
    ap.add_argument("--csv", help="write per-cell results to this CSV")
    ap.add_argument("--peer", action="store_true", help="also run the img2table peer on the same files")
    ap.add_argument("--limit", type=int, default=None, help="only the first N reports")
    ap.add_argument("--debug", action="store_true", help="print tracebacks of failed parses")
    a = ap.parse_args(argv)
    return bench(a.dir, csv_out=a.csv, peer=a.peer, limit=a.limit, debug=a.debug)


def bench(folder: str | Path, csv_out: str | None = None, peer: bool = False, limit: int | None = None,
          parse: Parser | None = None, debug: bool = False, settings: Settings | None = None) -> int:
    """Score nianbao (``parse``, default the pipeline with ``settings``, resolved once here) and
    with ``peer`` img2table on the reports of ``folder``; print the tables, write the per-cell CSV."""
    settings = settings if settings is not None else Settings()
    parse = parse if parse is not None else partial(parse_with_nianbao, settings=settings)
    console = _console()
    items, notes = find_items(folder, limit)
    for n in notes:
        console.print(n)
    if not items:
        console.print(f"{folder}: no NNN.pdf with NNN.truth.csv")
        return 2
    manifest_by_name = {it.name: it.manifest for it in items if it.manifest}

    def progress(s: ReportScore):
        console.print(f"{s.engine} {s.name}: accuracy={s.accuracy:.4f} wrong={s.wrong} missing={s.missing} "
                      f"silent={s.silent} pages={s.pages} {s.seconds:.1f}s" + (f" FAILED {s.error}" if s.error else ""))

    threshold = settings.confidence.silent_threshold
    scores = run(items, parse, "nianbao", progress, debug, threshold)
    rss = peak_rss_mb()  # before the peer runs
    t = totals(scores, threshold)
    print_reports(console, scores, manifest_by_name, f"nianbao on {folder}")
    print_totals(console, t, rule_summary(scores), calibration(scores), rss, "nianbao, all reports")
    print_conditions(console, by_condition(scores, manifest_by_name, threshold),
                     "nianbao per family x capture condition", threshold)
    print_stages(console, stage_rows(scores, manifest_by_name), "nianbao time per stage (s/page, share of parse time)")
    groups = [scores]
    if peer:
        from nianbao import peer as peer_mod

        ok, why = peer_mod.available()
        if not ok:
            console.print(f"peer (img2table) not run: {why}")
        else:
            pscores = run(items, partial(peer_mod.parse_with_peer, settings=settings), "img2table", progress, debug,
                          threshold)
            pt = totals(pscores, threshold)
            print_reports(console, pscores, manifest_by_name, f"peer: {peer_mod.DESCRIPTION}")
            print_totals(console, pt, rule_summary(pscores), calibration(pscores), peak_rss_mb(), "peer, all reports")
            acc_ratio = t["accuracy"] / pt["accuracy"] if pt["accuracy"] else float("inf")
            speed_ratio = pt["s_per_page_median"] / t["s_per_page_median"] if t["s_per_page_median"] else float("inf")
            console.print(
                f"peer side by side: nianbao accuracy {t['accuracy']:.4f} vs peer {pt['accuracy']:.4f} "
                f"(ratio {acc_ratio:.2f}); s/page median nianbao {t['s_per_page_median']:.2f} vs peer "
                f"{pt['s_per_page_median']:.2f} (nianbao is {speed_ratio:.2f}x the peer's speed); silent errors "
                f"{t['silent_errors']} vs {pt['silent_errors']}")
            console.print("peer_" + summary_line(pt, peak_rss_mb()))
            groups.append(pscores)
    if csv_out:
        write_cell_csv(csv_out, groups)
        console.print(f"per-cell results: {csv_out}")
    # the one summary line, last, plain
    print(summary_line(t, rss), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

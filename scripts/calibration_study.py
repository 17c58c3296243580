"""Calibration study: which confidence factors send right cells to review, and which sit on wrong ones.

    python scripts/calibration_study.py parse DIR --cache CACHE [--limit N]
    python scripts/calibration_study.py study DIR[:CACHE] ... [--by family|capture|table] [--top N]

``parse`` reads every report of a fixtures folder (NNN.pdf + NNN.truth.csv + manifest.json, as
``fixtures/generate.py`` writes it) once with the pipeline and keeps the Report JSON in CACHE
(one ``NNN.json`` each; a report already there is not read again). ``study`` loads those
reports, composes every cell's confidence again with the code and settings of this checkout
(``nianbao.confidence.score_cells`` over ``nianbao.checks.check_report``: the same call the
pipeline makes, so a change to the confidence rules alone is measured without reading a page
again), scores each cell against the truth exactly as ``nianbao bench`` does
(``bench.score_rows``), and prints:

- the bench's calibration table and, per family x capture, silent errors and review load;
- per factor code: the cells that carry it, how many are right and wrong, how many of them are
  below the review threshold, and the wrong ones at or above it (silent);
- the factor combinations (the set of codes on a cell) that put the most right cells in review.

A CACHE defaults to DIR/.study. ``--dump CSV`` writes one row per cell with its codes.
``compare`` prints, per family x capture, review load and silent errors before this round's
arithmetic lifts and with them, the calibration buckets of both, and the cells lifted.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from nianbao.bench import calibration, condition_of, find_items, read_truth, score_rows, ReportScore
from nianbao.checks import check_report
from nianbao.confidence import score_cells
from nianbao.models import Report
from nianbao.models.template import load_template
from nianbao.output import long_rows
from nianbao.settings import Settings


def parse(folder: str, cache: Path, limit: int | None) -> None:
    from nianbao.pipeline import parse_file

    settings = Settings()
    cache.mkdir(parents=True, exist_ok=True)
    items, _ = find_items(folder, limit)
    for it in items:
        out = cache / f"{it.name}.json"
        if out.exists():
            continue
        try:
            report = parse_file(it.pdf, settings)
            text = report.model_dump_json()
        except Exception as e:  # noqa: BLE001 - a parse that raises is recorded, as bench does
            text = json.dumps({"error": f"{type(e).__name__}: {e}"[:300]})
        tmp = out.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.rename(out)
        print(f"{folder} {it.name}", flush=True)


def rescore(report: Report, settings: Settings) -> dict[tuple[str, str, str], str]:
    """Compose the cells' confidence again, as ``pipeline.parse_document`` does; return per cell
    the state of the rules it is in (``rules:none``; ``rules:failed`` or ``rules:failed+held``
    when one fails, without or with another that holds; ``rules:all_held``; ``rules:unassessed`` or
    ``rules:held+unassessed`` when some cannot be assessed), a context no factor records."""
    template = load_template(report.template_version)
    equations, results = check_report(report, template)
    signed = {(t.id, item.row_id(r), c.id) for t in template.tables for item in t.items
              for r in item.rows for c in item.columns if c.signed}
    score_cells(report, equations, results, settings.confidence, signed)
    status = {(r.rule, r.subject): r.status.value for r in results}
    per_key: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for eq in equations:
        st = status.get((eq.rule.id, eq.subject))
        if st is not None:
            for k in eq.keys:
                per_key[k].append(st)
    ctx = {}
    for k, sts in per_key.items():
        held = "passed" in sts
        if "failed" in sts:
            ctx[k] = "rules:failed+held" if held else "rules:failed"
        elif all(s == "passed" for s in sts):
            ctx[k] = "rules:all_held"
        else:
            ctx[k] = "rules:held+unassessed" if held else "rules:unassessed"
    return ctx


@dataclass
class CellRow:
    report: str
    family: str
    capture: str
    table: str
    key: tuple[str, str, str]
    status: str
    silent: bool
    confidence: float
    codes: tuple[str, ...]
    kind: str
    text: str
    truth: str


def load(folder: str, cache: Path, settings: Settings) -> tuple[list[ReportScore], list[CellRow], dict]:
    items, _ = find_items(folder)
    manifest = {it.name: it.manifest for it in items if it.manifest}
    threshold = settings.confidence.silent_threshold
    scores, cells = [], []
    for it in items:
        path = cache / f"{it.name}.json"
        if not path.exists():
            continue
        truth = read_truth(it.truth)
        data = json.loads(path.read_text(encoding="utf-8"))
        fam, cap = condition_of(it.manifest)
        name = f"{Path(folder).name}/{it.name}"
        if "error" in data and "tables" not in data:
            sc = score_rows(name, truth, None, threshold=threshold)
            sc.error = data["error"]
            scores.append(sc)
            manifest[name] = it.manifest
            continue
        report = Report.model_validate(data)
        ctx = rescore(report, settings)
        sc = score_rows(name, truth, long_rows(report), threshold=threshold)
        sc.tables_found = [t.id for t in report.tables if t.found]
        scores.append(sc)
        manifest[name] = it.manifest
        by_key = {c.key: c for c in report.cells()}
        for r in sc.results:
            c = by_key.get(r.key)
            codes = tuple(sorted({f.code.value for f in c.factors})) if c else ()
            if c is not None and c.kind.value != "missing":
                codes = codes + (ctx.get(r.key, "rules:none"),)
                if c.read_confidence * c.placement_confidence < threshold:
                    codes = codes + ("base<threshold",)
            cells.append(CellRow(name, fam, cap, r.key[0], r.key, r.status, r.silent, r.confidence or 0.0, codes,
                                 c.kind.value if c else "missing", r.text, r.truth_value))
    return scores, cells, manifest


def _line(label: str, cs: list[CellRow], threshold: float) -> str:
    n = len(cs)
    right = sum(c.status == "correct" for c in cs)
    wrong = sum(c.status == "wrong" for c in cs)
    low = [c for c in cs if c.confidence < threshold]
    low_right = sum(c.status == "correct" for c in low)
    silent = sum(c.silent for c in cs)
    acc = right / n if n else 0.0
    return (f"{label:<58} cells={n:>6} right={right:>6} wrong={wrong:>4} acc={acc:.4f} "
            f"review={len(low):>6} review_right={low_right:>6} silent={silent}")


def study(specs: list[str], by: str | None, top: int, dump: str | None) -> int:
    settings = Settings()
    threshold = settings.confidence.silent_threshold
    all_scores: list[ReportScore] = []
    all_cells: list[CellRow] = []
    manifest: dict = {}
    for spec in specs:
        folder, _, cache = spec.partition(":")
        scores, cells, man = load(folder, Path(cache) if cache else Path(folder) / ".study", settings)
        all_scores += scores
        all_cells += cells
        manifest.update(man)
    print(f"reports={len(all_scores)} cells={len(all_cells)} threshold={threshold}")
    print("\ncalibration (confidence buckets)")
    for b in calibration(all_scores):
        acc = "-" if b["accuracy"] is None else f"{b['accuracy']:.4f}"
        print(f"  {b['bucket']:<12} cells={b['cells']:>6} correct={b['correct']:>6} wrong={b['wrong']:>4} "
              f"missing={b['missing']:>4} accuracy={acc}")
    print("\nper family x capture")
    groups: dict[tuple[str, str], list[CellRow]] = defaultdict(list)
    for c in all_cells:
        groups[(c.family, c.capture)].append(c)
    for fam_cap in sorted(groups):
        print("  " + _line(f"{fam_cap[0]} {fam_cap[1]}", groups[fam_cap], threshold))
    print("  " + _line("ALL", all_cells, threshold))
    print("\nper factor code (cells carrying it)")
    per_code: dict[str, list[CellRow]] = defaultdict(list)
    for c in all_cells:
        for code in c.codes:
            per_code[code].append(c)
    for code, cs in sorted(per_code.items(), key=lambda kv: -sum(c.confidence < threshold for c in kv[1])):
        print("  " + _line(code, cs, threshold))
        if by:
            sub: dict[str, list[CellRow]] = defaultdict(list)
            for c in cs:
                sub[getattr(c, by)].append(c)
            for k in sorted(sub):
                print("      " + _line(k, sub[k], threshold))
    print(f"\nfactor combinations with the most right cells in review (top {top})")
    combos: dict[tuple[str, ...], list[CellRow]] = defaultdict(list)
    for c in all_cells:
        combos[c.codes].append(c)
    ranked = sorted(combos.items(), key=lambda kv: -sum(c.confidence < threshold and c.status == "correct"
                                                        for c in kv[1]))
    for codes, cs in ranked[:top]:
        print("  " + _line("+".join(codes) or "(none)", cs, threshold))
    wrong_hi = Counter(c.codes for c in all_cells if c.status == "wrong" and c.confidence >= 0.8)
    if wrong_hi:
        print("\nwrong cells at confidence >= 0.8 by combination")
        for codes, n in wrong_hi.most_common(top):
            print(f"  {n:>4}  {'+'.join(codes) or '(none)'}")
    if dump:
        with open(dump, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["report", "family", "capture", "table", "row", "col", "kind", "truth", "text", "status",
                        "confidence", "silent", "codes"])
            for c in all_cells:
                w.writerow([c.report, c.family, c.capture, *c.key, c.kind, c.truth, c.text, c.status,
                            f"{c.confidence:.4f}", int(c.silent), "+".join(c.codes)])
    return 0


def compare_before(specs: list[str]) -> int:
    """Per family x capture, the calibration buckets and the cells lifted: the composition
    before the arithmetic lifts of this round (two rules need base >= min_base_to_confirm, no
    check through an unread cell, no failure found elsewhere) against this checkout's."""
    import nianbao.confidence as conf
    from nianbao.bench import CAL_BUCKETS
    from nianbao.settings import ConfidenceSettings

    def run(settings: Settings, legacy: bool) -> list[CellRow]:
        saved = conf.checked_via_unread
        if legacy:
            conf.checked_via_unread = lambda *a, **k: {}  # type: ignore[assignment]
        try:
            out: list[CellRow] = []
            for spec in specs:
                folder, _, cache = spec.partition(":")
                out += load(folder, Path(cache) if cache else Path(folder) / ".study", settings)[1]
            return out
        finally:
            conf.checked_via_unread = saved

    now = Settings()
    old = Settings(confidence=ConfidenceSettings(two_rules_min_base=now.confidence.min_base_to_confirm,
                                                 localized_failure_floor=0.0))
    b, a = run(old, True), run(now, False)
    t = now.confidence.silent_threshold
    groups: dict[tuple[str, str], list[tuple[CellRow, CellRow]]] = defaultdict(list)
    for x, y in zip(b, a):
        groups[(x.family, x.capture)].append((x, y))
        groups[("ALL", "")].append((x, y))
    print("| family | capture | cells | right | review before | review after | right in review | silent before / after |")
    print("|---|---|---|---|---|---|---|---|")
    for k in sorted(groups, key=lambda k: (k[0] == "ALL", k)):
        g = groups[k]
        n = len(g)
        rb = sum(x.confidence < t for x, _ in g)
        ra = sum(y.confidence < t for _, y in g)
        okb = sum(x.confidence < t and x.status == "correct" for x, _ in g)
        oka = sum(y.confidence < t and y.status == "correct" for _, y in g)
        print(f"| {k[0]} | {k[1]} | {n} | {sum(y.status == 'correct' for _, y in g)} | {rb / n:.3f} | **{ra / n:.3f}** | "
              f"{okb} → {oka} | {sum(x.silent for x, _ in g)} / {sum(y.silent for _, y in g)} |")
    print("\n| confidence | cells before | right | wrong | cells after | right | wrong |")
    print("|---|---|---|---|---|---|---|")
    for lo, hi in CAL_BUCKETS:
        pb = [c for c in b if lo <= c.confidence < hi]
        pa = [c for c in a if lo <= c.confidence < hi]
        print(f"| [{lo:.2f}, {min(hi, 1.0):.2f}{']' if hi > 1 else ')'} | {len(pb)} | "
              f"{sum(c.status == 'correct' for c in pb)} | {sum(c.status == 'wrong' for c in pb)} | {len(pa)} | "
              f"{sum(c.status == 'correct' for c in pa)} | {sum(c.status == 'wrong' for c in pa)} |")
    lifted = [y for x, y in zip(b, a) if x.confidence < t <= y.confidence]
    rose = [y for x, y in zip(b, a) if y.confidence > x.confidence and y.status != "correct"]
    print(f"\nlifted to >= {t:g}: {len(lifted)} cells, right {sum(c.status == 'correct' for c in lifted)}; "
          f"wrong or missing cells whose confidence rose: {len(rose)}")
    by = Counter((c.family, next((x for x in c.codes if x in ("confirmed_by_rules", "confirmed_via_unread",
                                                              "failure_points_elsewhere")), "(floor reached)"))
                 for c in lifted)
    for (fam, code), n in sorted(by.items()):
        print(f"  {fam:<9} {code:<26} {n}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("parse")
    p.add_argument("dir")
    p.add_argument("--cache")
    p.add_argument("--limit", type=int)
    s = sub.add_parser("study")
    s.add_argument("specs", nargs="+", help="DIR or DIR:CACHE")
    s.add_argument("--by", choices=["family", "capture", "table"])
    s.add_argument("--top", type=int, default=15)
    s.add_argument("--dump")
    c = sub.add_parser("compare", help="before/after this round's arithmetic lifts, per family x capture")
    c.add_argument("specs", nargs="+", help="DIR or DIR:CACHE")
    a = ap.parse_args(argv)
    if a.cmd == "parse":
        parse(a.dir, Path(a.cache) if a.cache else Path(a.dir) / ".study", a.limit)
        return 0
    if a.cmd == "compare":
        return compare_before(a.specs)
    return study(a.specs, a.by, a.top, a.dump)


if __name__ == "__main__":
    sys.exit(main())

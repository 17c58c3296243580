"""The consistency rules (SPEC §3) on stored cell values: no reading, no OCR.

A report is built from a sample's truth CSV, so the rules can be changed and tested without
parsing anything.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from nianbao.checks import check_report, numeric_values
from nianbao.models.rules import derive_unknowns, evaluate, expand_rules
from nianbao.models import Cell, CheckStatus, Report, SourceInfo, Table
from nianbao.models.template import load_template
from nianbao.numbers import parse_cell

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"
MANIFEST = json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))


def _report_from_truth(entry: dict) -> Report:
    """A Report whose cells are the truth of one sample, as a perfect reader would give it."""
    tables: dict[str, Table] = {}
    with open(SAMPLES / entry["truth"], encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            pv = parse_cell(r["text"], signed=r["col"] == "change")
            t = tables.setdefault(r["table"], Table(id=r["table"], found=True))
            t.cells.append(Cell(table=r["table"], row=r["row"], col=r["col"], value=pv.value, kind=pv.kind,
                                text=r["text"], confidence=1.0))
    return Report(source=SourceInfo(path=entry["file"], sha256="0" * 64, size=0, format="text-tsv"),
                  template_version=entry["version"], tables=list(tables.values()))


def _entries(broken: bool) -> list[dict]:
    return [e for e in MANIFEST["reports"] if bool(e.get("broken_rule")) == broken]


@pytest.mark.parametrize("entry", _entries(broken=False), ids=lambda e: e["file"])
def test_truth_of_a_sound_report_passes_every_assessable_rule(entry):
    report = _report_from_truth(entry)
    _, results = check_report(report, load_template(entry["version"]))
    assert results
    assert not [r.equation for r in results if r.status == CheckStatus.failed]


@pytest.mark.parametrize("entry", _entries(broken=True), ids=lambda e: e["file"])
def test_the_rule_the_generator_broke_is_the_one_that_fails(entry):
    report = _report_from_truth(entry)
    _, results = check_report(report, load_template(entry["version"]))
    failed = {(r.rule, r.subject) for r in results if r.status == CheckStatus.failed}
    expected = {(c["rule"], c["subject"]) for c in entry["broken_rule"]["failing_checks"]}
    assert failed == expected


def test_one_changed_cell_fails_exactly_the_rules_it_is_in():
    entry = _entries(broken=False)[0]
    report = _report_from_truth(entry)
    template = load_template(entry["version"])
    equations, _ = check_report(report, template)
    cell = report.table("applications").cell("new_received", "total")
    cell.value = (cell.value or 0) + 1
    _, results = check_report(report, template)
    failed = {(r.rule, r.subject) for r in results if r.status == CheckStatus.failed}
    touching = {(e.rule.id, e.subject) for e in equations if cell.key in e.keys}
    assert failed == touching and failed


def test_a_dash_makes_its_rules_not_assessable_never_computed_as_zero():
    entry = _entries(broken=False)[0]
    report = _report_from_truth(entry)
    template = load_template(entry["version"])
    cell = report.table("applications").cell("new_received", "natural_person")
    cell.value, cell.kind, cell.text = None, parse_cell("—").kind, "—"
    _, results = check_report(report, template)
    mine = [r for r in results if "applications.new_received.natural_person" in r.cells]
    assert mine and all(r.status == CheckStatus.not_assessable for r in mine)
    assert all("?" in r.equation and "not assessable" in r.description for r in mine)


def test_equation_is_written_with_its_numbers():
    entry = _entries(broken=False)[0]
    report = _report_from_truth(entry)
    values = numeric_values(report)
    eq = expand_rules(load_template(entry["version"]), set(values))[0]
    status, lhs, rhs, text = evaluate(eq, values)
    assert status == CheckStatus.passed and lhs == rhs
    assert " = " in text and "≠" not in text


def test_one_unknown_operand_is_derived_and_never_negative():
    entry = _entries(broken=False)[0]
    report = _report_from_truth(entry)
    template = load_template(entry["version"])
    values = numeric_values(report)
    key = ("applications", "new_received", "total")
    truth = values[key]
    values[key] = None
    equations = expand_rules(template, set(values))
    derived = derive_unknowns(values, equations, derivable=lambda k: k == key)
    assert derived.get(key) == truth
    assert all(v >= 0 for v in derived.values())

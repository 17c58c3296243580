"""Assembly fed stored Documents (``tests/data/intermediates``): no OCR, no PDF reading, so
assembly can be changed and checked in seconds. The stored files come from
``tests/data/intermediates/make_intermediates.py`` (its docstring says when to run it again)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from nianbao.assembly import assemble, split_row
from nianbao.models import Document
from nianbao.numbers import ValueClass, classify
from nianbao.settings import Settings

INTERMEDIATES = Path(__file__).resolve().parents[1] / "data" / "intermediates"
SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"
NAMES = ("000", "003")  # text-layer PDF, scanned PDF
REFRESH = "python tests/data/intermediates/make_intermediates.py"


def stored_document(name: str) -> Document:
    return Document.model_validate_json((INTERMEDIATES / f"{name}.document.json").read_text(encoding="utf-8"))


def stored_cells(name: str) -> dict:
    return json.loads((INTERMEDIATES / f"{name}.cells.json").read_text(encoding="utf-8"))


def assembled(name: str) -> dict[tuple[str, str, str], dict]:
    doc = stored_document(name)
    asm = assemble(doc, Settings().assembly, stored_cells(name)["year"])
    return {(c.table, c.row, c.col): {"value": c.value, "kind": c.kind.value, "text": c.text}
            for t in asm.tables for c in t.cells}


def truth_values(name: str) -> dict[tuple[str, str, str], float | None]:
    with open(SAMPLES / f"{name}.truth.csv", encoding="utf-8") as f:
        return {(r["table"], r["row"], r["col"]): (float(r["value"]) if r["value"] else None) for r in csv.DictReader(f)}


@pytest.mark.parametrize("name", NAMES)
def test_assembly_of_a_stored_document_gives_the_stored_cells(name):
    """Every canonical cell as it was when the intermediates were made: a change here is a
    behaviour change of assembly (or of what it calls) to explain, then to store with REFRESH."""
    expected = {(c["table"], c["row"], c["col"]): {k: c[k] for k in ("value", "kind", "text")}
                for c in stored_cells(name)["cells"]}
    got = assembled(name)
    changed = {k: (expected.get(k), got.get(k)) for k in expected.keys() | got.keys() if expected.get(k) != got.get(k)}
    assert not changed, (f"{len(changed)} cell(s) of sample {name} changed (stored, now): "
                         f"{dict(list(changed.items())[:5])}; if meant, run {REFRESH}")


@pytest.mark.parametrize("name, wrong_at_most", [("000", 0), ("003", 6)])
def test_assembled_values_match_the_truth(name, wrong_at_most):
    """The stored Documents against the samples' truth: the text-layer PDF is read whole; the
    scanned one keeps its OCR garble (six cells of its 不予公开 rows), and no more goes wrong."""
    truth = truth_values(name)
    got = assembled(name)
    wrong = [k for k, v in truth.items() if (got[k]["value"] is None) != (v is None)
             or (v is not None and float(got[k]["value"]) != v)]
    assert len(wrong) <= wrong_at_most, wrong


def test_a_scanned_grid_row_splits_at_its_stated_value_column():
    """Grid rows of the scanned sample: every row of a grid whose label columns the scan stated
    (``Document.tables``) splits there, so a garbled value cell ("0T", "W0") stays a value
    cell, never label text."""
    doc = stored_document("003")
    layouts = {t.index: t for t in doc.tables if any(labels is not None for _, labels in t.value_runs)}
    assert layouts, "no grid of the scanned sample has stated value columns"
    garbled_kept = 0
    seen: dict[int, int] = {}
    for row in doc.rows:
        if row.table_index is not None:
            seen[row.table_index] = seen.get(row.table_index, 0) + 1
        layout = layouts.get(row.table_index) if row.table_index is not None else None
        if layout is None or not row.exact_cells:
            continue
        start = layout.label_columns(seen[row.table_index] - 1)
        if start is None:
            continue
        label, values = split_row(row, start)
        if any(classify(c.text) in (ValueClass.value, ValueClass.zero) for c in values):
            assert all(c.col >= start for c in values)
            assert label == " ".join(c.text for c in row.cells if c.col < start and c.text.strip())
            garbled_kept += sum(classify(c.text) == ValueClass.garbled for c in values)
    assert garbled_kept >= 1  # the sample's OCR garble is there to be kept

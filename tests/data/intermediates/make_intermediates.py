"""Stored intermediates for the stage tests: what the readers/scan stage gave for a few
committed sample reports, and what assembly made of it.

For each sample named in ``SAMPLES`` this writes, beside this script:

- ``<name>.document.json``: the ``nianbao.models.Document`` the reading stage gives for
  ``fixtures/samples/<name>.pdf`` (text-layer PDF: pdfplumber; scanned: layout + OCR), the
  input of assembly;
- ``<name>.cells.json``: the template year the title gives, and per canonical cell what
  ``nianbao.assembly.assemble`` made of that Document (value, kind, text), the expected output
  that ``tests/assembly/test_stored_documents.py`` compares with.

Stage tests read these instead of OCR-ing, so a change to assembly is seen in a second, and a
change to the reading stages does not move the assembly tests. Run it again (from the
repository root, about a minute: the scanned sample is OCR-ed) when the Document format
changes, or when an assembly change is meant to change cells (then look at the diff of the
``.cells.json`` files: every changed cell is a behaviour change to explain)::

    python tests/data/intermediates/make_intermediates.py

Default settings; the files are small (the bounding boxes are rounded to whole pixels).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from nianbao.assembly import assemble
from nianbao.ingest import sniff_format
from nianbao.metadata import title_metadata
from nianbao.models import Document
from nianbao.pipeline import read_document
from nianbao.settings import Settings

HERE = Path(__file__).resolve().parent
SAMPLES_DIR = HERE.parents[2] / "fixtures" / "samples"
# a text-layer PDF and a scanned one (with OCR garble the assembly has to work around)
SAMPLES = ("000", "003")


def read_sample(name: str, settings: Settings) -> Document:
    """The reading stage's Document of one committed sample, boxes rounded to whole pixels."""
    path = str(SAMPLES_DIR / f"{name}.pdf")
    doc = read_document(path, sniff_format(path), settings)
    doc.path = f"fixtures/samples/{name}.pdf"  # not this machine's absolute path
    for row in doc.rows:
        for cell in row.cells:
            if cell.bbox is not None:
                cell.bbox = tuple(float(round(v)) for v in cell.bbox)  # type: ignore[assignment]
    return doc


def assembled_cells(doc: Document, settings: Settings) -> dict:
    """What assembly makes of ``doc``: the year it was given and every canonical cell."""
    _, year = title_metadata(doc)
    asm = assemble(doc, settings.assembly, year)
    cells = [{"table": c.table, "row": c.row, "col": c.col, "value": c.value, "kind": c.kind.value, "text": c.text}
             for t in asm.tables for c in t.cells]
    return {"year": year, "template_version": asm.template.version, "cells": cells}


def main(names: list[str]) -> None:
    settings = Settings()
    for name in names or list(SAMPLES):
        doc = read_sample(name, settings)
        (HERE / f"{name}.document.json").write_text(doc.model_dump_json(exclude_none=True), encoding="utf-8")
        # what the tests read back: the stored Document, not the in-memory one
        stored = Document.model_validate_json((HERE / f"{name}.document.json").read_text(encoding="utf-8"))
        out = assembled_cells(stored, settings)
        (HERE / f"{name}.cells.json").write_text(json.dumps(out, ensure_ascii=False, indent=0), encoding="utf-8")
        print(f"{name}: {len(doc.rows)} rows, {len(out['cells'])} cells")


if __name__ == "__main__":
    main(sys.argv[1:])

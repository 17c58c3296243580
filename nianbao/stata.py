"""The researchers' data set as Stata ``.dta`` (format 118, UTF-8): the wide data set of
:mod:`nianbao.dataset` (one row per report, one variable per canonical cell), each variable
labelled in Chinese with its table, row and column as printed, and a codebook beside it
(variable → canonical id, table, row, column, Chinese label, unit).

Stata names are at most 32 ASCII characters, so ``applications.withheld_prohibited_by_law.
commercial_enterprise`` becomes ``app_withheld_prohibited_by__3f2a`` (a short table prefix,
the ids joined by "_", cut with a hash of the full id when too long); the codebook and the
variable's label say which cell it is. Written with pandas' ``DataFrame.to_stata``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nianbao.dataset import Entry, Loaded, wide_records
from nianbao.results import load_results, result_entries, warn_bad
from nianbao.models.template import TEMPLATE_VERSIONS
from nianbao.models import load_template
from nianbao.output import csv_field
from nianbao.settings import Settings
from nianbao.wording import cell_name, split_cell_ref, template_of

STATA_NAME_MAX = 32
STATA_LABEL_MAX = 80  # characters of a variable label in format 118
TABLE_PREFIX = {"applications": "app", "reviews_litigation": "rev", "active_disclosure": "act"}
META_LABELS = {
    "file": ("文件名", ""), "sha256": ("文件 SHA-256", ""), "agency": ("机关", ""), "year": ("报告年度", "年"),
    "template_version": ("模板版本（2019 或 2021）", ""), "checks_passed": ("勾稽关系全部成立（1 是 0 否）", ""),
    "pages": ("页数", "页"), "cells": ("读出数值的单元格数", "个"), "low_confidence": ("低置信度单元格数", "个"),
    "broken_rules": ("不成立的勾稽关系数", "条"), "corrected_cells": ("经人工更正的单元格数", "个"),
}
CODEBOOK_COLUMNS = ["variable", "canonical", "table", "row", "column", "label", "unit", "templates"]


def stata_name(canonical: str) -> str:
    """A valid, stable Stata variable name for a canonical cell id or a metadata column."""
    parts = canonical.split(".")
    if parts[0] in TABLE_PREFIX and len(parts) >= 3:
        parts = [TABLE_PREFIX[parts[0]], *parts[1:]]
    name = re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts))
    if not re.match(r"[A-Za-z_]", name):
        name = f"v_{name}"
    if len(name) > STATA_NAME_MAX:
        digest = hashlib.sha1(canonical.encode()).hexdigest()[:4]
        name = f"{name[:STATA_NAME_MAX - 5]}_{digest}"
    return name


@dataclass(frozen=True)
class Variable:
    name: str
    canonical: str
    table: str  # 三、收到和处理政府信息公开申请情况 (empty for report metadata)
    row: str
    column: str
    label: str  # the Stata variable label (≤ 80 characters)
    unit: str
    templates: str  # "2019 2021": the template versions that have this cell


def _cell_unit(canonical: str) -> str:
    table, row, col = split_cell_ref(canonical)
    for v in reversed(TEMPLATE_VERSIONS):
        try:
            spec = load_template(v).table(table)
        except KeyError:
            continue
        found = spec.find_row(row)
        if not found:
            continue
        column = next((c for c in found[0].columns if c.id == col), None)
        if column is not None:
            if column.unit:
                return column.unit
            return "元或万元（按报告所印）" if column.money else "件"
    return ""


def _templates_with(canonical: str) -> str:
    table, row, col = split_cell_ref(canonical)
    out = []
    for v in TEMPLATE_VERSIONS:
        try:
            found = load_template(v).table(table).find_row(row)
        except KeyError:
            continue
        if found and any(c.id == col for c in found[0].columns):
            out.append(v)
    return " ".join(out)


def codebook(columns: Iterable[str]) -> list[Variable]:
    """A :class:`Variable` per column of the wide data set (metadata first, then cells)."""
    out: list[Variable] = []
    used: set[str] = set()
    for col in columns:
        name = stata_name(col)
        if name in used:  # only a hash collision of two long ids: lengthen the digest
            name = f"{name[:STATA_NAME_MAX - 9]}_{hashlib.sha1(col.encode()).hexdigest()[:8]}"
        used.add(name)
        if col in META_LABELS:
            label, unit = META_LABELS[col]
            out.append(Variable(name, col, "", "", "", label, unit, ""))
            continue
        templates = _templates_with(col)
        tpl = template_of(templates.split()[-1] if templates else None)
        n = cell_name(tpl, *split_cell_ref(col))
        label = n.short
        if len(label) > STATA_LABEL_MAX:
            label = label[:STATA_LABEL_MAX - 1] + "…"
        row = f"{n.item} {n.row}".strip() if n.item else n.row
        out.append(Variable(name, col, n.table, row, n.col, label, _cell_unit(col), templates))
    return out


def write_dta(items: list[Loaded], path: str | Path, threshold: float) -> tuple[int, list[Variable]]:
    """Write the wide data set of ``items`` to ``path`` (.dta 118) and its codebook to
    ``<path>.codebook.csv``; returns the row count and the codebook."""
    import pandas as pd

    rows, schema = wide_records(items, threshold)
    cols = [name for name, _, _ in schema]
    book = codebook(cols)
    data: dict[str, Any] = {}
    for (col, typ, _), var in zip(schema, book):
        values = [r.get(col) for r in rows]
        if typ is bool:
            data[var.name] = pd.array([None if v is None else int(v) for v in values], dtype="Int8")
        elif typ is int:
            data[var.name] = pd.array(values, dtype="Int32")
        elif typ is float:
            data[var.name] = pd.array([None if v is None else float(v) for v in values], dtype="Float64")
        else:
            data[var.name] = ["" if v is None else str(v) for v in values]
    frame = pd.DataFrame(data, columns=[v.name for v in book])
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        frame.to_stata(tmp, write_index=False, version=118, variable_labels={v.name: v.label for v in book},
                       data_label="政府信息公开工作年度报告 表格数据（nianbao）")
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    write_codebook(book, codebook_path(out))
    return len(rows), book


def codebook_path(dta: str | Path) -> Path:
    p = Path(dta)
    return p.with_name(f"{p.stem}.codebook.csv")


def codebook_csv(book: list[Variable]) -> str:
    """The codebook as CSV text (header :data:`CODEBOOK_COLUMNS`)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CODEBOOK_COLUMNS)
    for v in book:  # labels are the template's printed words: neutralised all the same (csv_field)
        w.writerow([csv_field(x) for x in (v.name, v.canonical, v.table, v.row, v.column, v.label, v.unit,
                                           v.templates)])
    return buf.getvalue()


def write_codebook(book: list[Variable], path: str | Path) -> None:
    """The codebook as UTF-8 CSV with a BOM (so Excel shows the Chinese)."""
    Path(path).write_text("\ufeff" + codebook_csv(book), encoding="utf-8")


def full_codebook() -> list[Variable]:
    """The codebook of every variable the wide data set can have (both templates)."""
    from nianbao.dataset import WIDE_META, canonical_columns

    return codebook([n for n, _, _ in WIDE_META] + canonical_columns())


def export_dta(result_dir: str | Path | None, out: str | Path, *, entries: list[Entry] | None = None,
               settings: Settings | None = None) -> int:
    """``nianbao export --format dta``: the wide data set of a result folder (or ``entries``);
    a result that does not load is left out with one warning line naming it, as in every export."""
    settings = settings or Settings()
    if entries is None:
        entries = result_entries(result_dir)  # type: ignore[arg-type]
    n, _ = write_dta(list(load_results(entries, warn_bad)), out, settings.confidence.silent_threshold)
    return n

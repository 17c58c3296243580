"""Export a folder of result JSONs as one data set: long form (one row per report × cell),
wide form (one row per report, a column per canonical cell ``table.row.col``), to CSV,
Parquet (pyarrow) or XLSX (openpyxl; adds the printed matrices, low-confidence cells filled).

Reviewer corrections (``NAME.corrections.jsonl`` beside ``NAME.json``) are applied and the
``corrected`` column says which values came from a person. Every format reads back to the
same typed rows (:func:`read_export`), so a table is the same data whichever file it is in.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from nianbao.fileio import atomic_write
from nianbao.models import Report, load_template
from nianbao.models.template import TEMPLATE_VERSIONS
from nianbao.output import csv_safe, drop_control_chars, from_csv_safe, keep_as_text, long_rows, starts_like_formula
from nianbao.results import (BadResultError, LoadedResult, ResultEntry, load_result, load_results, result_entries,
                             warn_bad)
from nianbao.settings import Settings
from nianbao.years import FINDINGS_SCHEMA, findings_table

Format = Literal["csv", "parquet", "xlsx"]

# (name, type, nullable); types: str, int, float, bool
META_COLUMNS: list[tuple[str, type, bool]] = [
    ("file", str, False), ("sha256", str, False), ("agency", str, True), ("year", int, True),
    ("template_version", str, True), ("checks_passed", bool, False),
]
CELL_COLUMNS: list[tuple[str, type, bool]] = [
    ("table", str, False), ("row", str, False), ("col", str, False), ("value", float, True),
    ("text", str, False), ("unit", str, True), ("kind", str, False), ("confidence", float, False),
    ("page", int, True), ("x0", float, True), ("y0", float, True), ("x1", float, True), ("y1", float, True),
    ("corrected", bool, False), ("review", str, False), ("machine_value", float, True),
]
LONG_SCHEMA = META_COLUMNS + CELL_COLUMNS
WIDE_META = META_COLUMNS + [
    ("pages", int, False), ("cells", int, False), ("low_confidence", int, False),
    ("broken_rules", int, False), ("corrected_cells", int, False),
]
XLSX_ROW_LIMIT = 1_048_576  # rows per Excel sheet; the long sheet continues on long_2, long_3 …
LOW_FILL = "FFC7CE"  # low-confidence cell (confidence < settings.confidence.silent_threshold)
CORRECTED_FILL = "C6EFCE"  # value set or accepted by a reviewer
MISSING_FILL = "EDEDED"  # template cell not found in the document


Entry = ResultEntry  # one report of the data set: the name to show and where its result JSON is
Loaded = LoadedResult  # a result with its corrections applied


def load_entries(entries: Iterable[Entry]) -> Iterator[Loaded]:
    """Read each result and replay its corrections log on top, one per entry and in order;
    a result that does not load raises :class:`nianbao.results.BadResultError` (one line
    naming the file). :func:`export` skips such a file instead (:func:`nianbao.results.load_results`)."""
    for e in entries:
        yield load_result(e)


# ---------------------------------------------------------------- rows


def _to_float(s: Any) -> float | None:
    if s is None or s == "":
        return None
    return float(s)


def _to_int(s: Any) -> int | None:
    if s is None or s == "":
        return None
    return int(float(s))


def _meta(item: Loaded) -> dict[str, Any]:
    r = item.report
    return {
        "file": drop_control_chars(item.entry.file), "sha256": r.source.sha256, "agency": drop_control_chars(r.agency) or None, "year": r.year,
        "template_version": r.template_version or None, "checks_passed": bool(r.checks_passed),
    }


def long_records(items: Iterable[Loaded]) -> Iterator[dict[str, Any]]:
    """One typed dict per report × cell: SPEC §5 columns plus report metadata, unit, kind and the
    review columns (``corrected``: the value is a reviewer's; ``review``: corrected / accepted / "";
    ``machine_value``: what the parser read, where a reviewer touched the cell)."""
    for item in items:
        meta = _meta(item)
        cells = {c.key: c for c in item.report.cells()}
        for row in long_rows(item.report):
            key = (row["table"], row["row"], row["col"])
            cell = cells.get(key)
            ev = item.reviewed.get(key)
            yield {
                **meta,
                "table": row["table"], "row": row["row"], "col": row["col"],
                "value": _to_float(row["value"]), "text": drop_control_chars(row["text"]) or "",
                "unit": (cell.unit if cell else None) or None,
                "kind": getattr(cell.kind, "value", str(cell.kind)) if cell else "missing",
                "confidence": float(row["confidence"] or 0.0),
                "page": _to_int(row["page"]),
                **{k: _to_float(row[k]) for k in ("x0", "y0", "x1", "y1")},
                "corrected": key in item.corrected,
                "review": "" if ev is None else ("corrected" if ev.action == "correct" else "accepted"),
                "machine_value": None if ev is None or ev.machine_value is None else float(ev.machine_value),
            }


def canonical_columns() -> list[str]:
    """``table.row.col`` of every cell of both templates (2019 first), optional rows included."""
    cols: list[str] = []
    seen: set[str] = set()
    for v in TEMPLATE_VERSIONS:
        for t in load_template(v).tables:
            for row, col in t.canonical_keys(include_optional=True):
                k = f"{t.id}.{row}.{col}"
                if k not in seen:
                    seen.add(k)
                    cols.append(k)
    return cols


def wide_records(items: Iterable[Loaded], threshold: float) -> tuple[list[dict[str, Any]], list[tuple[str, type, bool]]]:
    """One row per report with a value column per canonical cell; also the schema of the rows.
    ``threshold``: the silent threshold (``settings.confidence.silent_threshold``) below which a
    cell counts as unsure."""
    rows: list[dict[str, Any]] = []
    cols = canonical_columns()
    known = set(cols)
    for item in items:
        r = item.report
        cells = r.cells()
        row = {
            **_meta(item), "pages": int(r.source.pages or len(r.pages) or 0),
            "cells": sum(1 for c in cells if c.value is not None),
            "low_confidence": sum(1 for c in cells if c.confidence < threshold),
            "broken_rules": sum(1 for c in r.checks if getattr(c.status, "value", c.status) == "failed"),
            "corrected_cells": len(item.corrected),
        }
        for c in cells:
            k = f"{c.table}.{c.row}.{c.col}"
            if k not in known:  # a provincial row beyond the template
                known.add(k)
                cols.append(k)
            row[k] = None if c.value is None else float(c.value)
        rows.append(row)
    schema = WIDE_META + [(k, float, True) for k in cols]
    for row in rows:
        for k in cols:
            row.setdefault(k, None)
    return rows, schema


# ---------------------------------------------------------------- writers


def _csv_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return str(v)


def write_csv(rows: Iterable[dict], schema: list[tuple[str, type, bool]], path: Path) -> None:
    """UTF-8 with a BOM so that Excel shows the Chinese text; empty field = no value; a text
    that reads as a formula is neutralised (:func:`nianbao.output.csv_safe`)."""
    names = [n for n, _, _ in schema]
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(names)
        for r in rows:
            w.writerow([csv_safe(v) if isinstance(v, str) else _csv_text(v) for v in (r.get(n) for n in names)])


def _arrow_schema(schema: list[tuple[str, type, bool]]):
    import pyarrow as pa

    types = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_()}
    return pa.schema([pa.field(n, types[t], nullable=True) for n, t, _ in schema])


def write_parquet(rows: list[dict], schema: list[tuple[str, type, bool]], path: Path, meta: dict | None = None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sch = _arrow_schema(schema)
    if meta:
        sch = sch.with_metadata({b"nianbao": json.dumps(meta, ensure_ascii=False).encode()})
    table = pa.Table.from_pylist(rows, schema=sch)
    pq.write_table(table, path)


def xlsx_cell(ws, value: Any, fill: Any = None, font: Any = None) -> Any:
    """What to append to a write-only sheet for ``value``: the value itself, or a cell when it
    needs a style or is a text a spreadsheet would run as a formula — that one is stored as a
    string (never a formula) and marked quote-prefixed, so that editing it keeps it text."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str):
        value = drop_control_chars(value)
    risky = isinstance(value, str) and starts_like_formula(value)
    if not (risky or fill or font):
        return value
    c = keep_as_text(WriteOnlyCell(ws, value=value))
    if fill:
        c.fill = fill
    if font:
        c.font = font
    return c


def _write_sheet(wb, title: str, rows: list[dict], schema: list[tuple[str, type, bool]]) -> None:
    names = [n for n, _, _ in schema]
    chunk = XLSX_ROW_LIMIT - 1
    parts = [rows[i:i + chunk] for i in range(0, len(rows), chunk)] or [[]]
    for i, part in enumerate(parts):
        ws = wb.create_sheet(title if i == 0 else f"{title}_{i + 1}")
        ws.freeze_panes = "A2"
        ws.append(names)
        for r in part:
            ws.append([xlsx_cell(ws, r.get(n)) for n in names])


def _matrix_sheets(wb, items: list[Loaded], threshold: float) -> None:
    """One sheet per table: each report's matrix as printed (rows × columns of its template),
    low-confidence cells filled, corrected cells filled in another colour."""
    from openpyxl.styles import Font, PatternFill

    fills = {k: PatternFill("solid", start_color=c, end_color=c)
             for k, c in (("low", LOW_FILL), ("corrected", CORRECTED_FILL), ("missing", MISSING_FILL))}
    bold = Font(bold=True)
    for table_id in ("applications", "reviews_litigation", "active_disclosure"):
        ws = wb.create_sheet(table_id)

        def styled(value: Any, fill: str | None = None, font: Any = None):
            return xlsx_cell(ws, value, fills[fill] if fill else None, font)

        ws.append([styled(f"{table_id}: one block per report, rows and columns as printed in its template"), None,
                   styled("confidence < %.2f" % threshold, "low"), styled("corrected / accepted", "corrected"),
                   styled("not found", "missing")])
        ws.append([])
        for item in items:
            r = item.report
            table = r.table(table_id)
            cells = {(c.row, c.col): c for c in (table.cells if table else [])}
            ws.append([styled(item.entry.file, font=bold), styled(r.agency), r.year,
                       f"template {r.template_version or '?'}", "checks passed" if r.checks_passed else "checks failed"])
            for label, col_specs, row_specs in _printed_layout(r, table_id, cells):
                for heads in group_header_rows(table_id, [c.id for c in col_specs]):
                    ws.append([None, *[styled(h, font=bold) if h else None for h in heads]])
                ws.append([styled(label or "", font=bold), *[styled(c.label, font=bold) for c in col_specs]])
                for row_id, row_label in row_specs:
                    line = [styled(row_label)]
                    for col in col_specs:
                        cell = cells.get((row_id, col.id))
                        if cell is None:
                            line.append(None)
                            continue
                        kind = getattr(cell.kind, "value", cell.kind)
                        fill = ("corrected" if (table_id, row_id, col.id) in item.corrected
                                else "missing" if kind == "missing"
                                else "low" if cell.confidence < threshold else None)
                        shown = cell.value if cell.value is not None else (cell.text or None)
                        line.append(styled(shown, fill))
                    ws.append(line)
            ws.append([])


def group_header_rows(table_id: str, col_ids: list[str]) -> list[list[str | None]]:
    """The printed group header rows above a matrix's column labels (法人或其他组织; 行政复议 /
    行政诉讼 · 未经复议直接起诉 / 复议后起诉), one list per header row: each group's name over
    the first column it spans, None under the rest of its span and where no group is printed."""
    from nianbao.wording import column_groups

    groups = [column_groups(table_id, c) for c in col_ids]
    depth = max((len(g) for g in groups), default=0)
    rows: list[list[str | None]] = []
    for level in range(depth):
        row: list[str | None] = []
        for i, g in enumerate(groups):
            name = g[level] if level < len(g) else None
            starts = name and (i == 0 or len(groups[i - 1]) <= level or groups[i - 1][: level + 1] != g[: level + 1])
            row.append(name if starts else None)
        rows.append(row)
    return rows


def _printed_layout(report: Report, table_id: str, cells: dict):
    """(item label, column specs, [(row id, row label)]) per printed sub-table of the report."""
    from nianbao.models import ColumnSpec

    version = report.template_version if report.template_version in TEMPLATE_VERSIONS else None
    present_rows = list(dict.fromkeys(r for r, _ in cells))
    if version is None:  # unknown template: the rows and columns as found
        cols = list(dict.fromkeys(c for _, c in cells))
        if cols:
            yield "", [ColumnSpec(id=c, label=c) for c in cols], [(r, r) for r in present_rows]
        return
    spec = load_template(version).table(table_id)
    placed: set[str] = set()
    for item in spec.items:
        rows = []
        for row in item.rows:
            rid = item.row_id(row)
            if row.optional and rid not in present_rows:
                continue
            rows.append((rid, row.label))
            placed.add(rid)
        extra = [r for r in present_rows if r not in placed and (r.split(".")[0] == item.id if item.id else "." not in r)]
        rows += [(r, r.split(".")[-1]) for r in extra]
        placed.update(extra)
        yield item.label, item.columns, rows


def write_xlsx(items: list[Loaded], path: Path, wide_first: bool, threshold: float) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    long = list(long_records(items))
    wide, wide_schema = wide_records(items, threshold)
    sheets = [("wide", wide, wide_schema), ("long", long, LONG_SCHEMA)]
    for title, rows, schema in (sheets if wide_first else sheets[::-1]):
        _write_sheet(wb, title, rows, schema)
    _matrix_sheets(wb, items, threshold)
    _write_sheet(wb, "findings", findings_table([i.report for i in items]), FINDINGS_SCHEMA)
    wb.save(path)


def export(result_dir: str | Path | None, fmt: Format, out: str | Path, *, wide: bool = False,
           entries: list[Entry] | None = None, settings: Settings | None = None,
           on_bad: Callable[[BadResultError], None] = warn_bad) -> int:
    """Write the data set of ``result_dir`` (or of ``entries``) to ``out``; returns the row count.

    CSV and Parquet hold the long form, or the wide form with ``wide``; XLSX holds both
    (``long``, ``wide`` sheets) and a sheet per table with the printed matrices. A result that
    does not load is left out and handed to ``on_bad`` (default: one warning line naming it).
    The file is written whole or not at all.
    """
    settings = settings or Settings()
    threshold = settings.confidence.silent_threshold
    if entries is None:
        entries = result_entries(result_dir)  # type: ignore[arg-type]
    items = list(load_results(entries, on_bad))
    if fmt not in ("csv", "parquet", "xlsx"):
        raise ValueError(f"unknown format {fmt!r}; use csv, parquet or xlsx")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0

    def write(tmp: Path) -> None:
        nonlocal n
        if fmt == "xlsx":
            write_xlsx(items, tmp, wide, threshold)
            n = len(items) if wide else sum(len(i.report.cells()) for i in items)
            return
        if wide:
            rows, schema = wide_records(items, threshold)
        else:
            rows, schema = list(long_records(items)), LONG_SCHEMA
        if fmt == "csv":
            write_csv(rows, schema, tmp)
        else:
            write_parquet(rows, schema, tmp, {"form": "wide" if wide else "long"})
        n = len(rows)

    atomic_write(out, write)
    return n


# ---------------------------------------------------------------- reading back


def _cast(v: Any, typ: type, nullable: bool) -> Any:
    if v is None or v == "":
        if typ is str and not nullable:
            return ""
        return None
    if typ is bool:
        return v if isinstance(v, bool) else str(v).lower() in ("true", "1")
    if typ is int:
        return int(float(v))
    if typ is float:
        return float(v)
    return str(v)


def read_export(path: str | Path, wide: bool = False) -> list[dict[str, Any]]:
    """Typed rows of an export (CSV, Parquet or the ``long``/``wide`` sheet of an XLSX)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        raw = pq.read_table(path).to_pylist()
    elif suffix == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        title = "wide" if wide else "long"
        raw = []
        for name in wb.sheetnames:
            if name == title or name.startswith(title + "_"):
                it = wb[name].iter_rows(values_only=True)
                header = next(it)
                n = len(header)
                # read-only sheets give rows only as long as their last stored cell
                raw += [dict(zip(header, (*r, *([None] * (n - len(r)))))) for r in it]
        wb.close()
    else:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            raw = [{k: from_csv_safe(v) if isinstance(v, str) else v for k, v in r.items()} for r in csv.DictReader(fh)]
    if not raw:
        return []
    schema = {n: (t, nb) for n, t, nb in (WIDE_META if wide else LONG_SCHEMA)}
    out = []
    for r in raw:
        out.append({k: _cast(v, *schema.get(k, (float, True))) for k, v in r.items()})
    return out

"""Output formats: the long CSV of SPEC §5 (the contract every downstream tool reads) and JSON."""

from __future__ import annotations

import csv
from typing import IO

from nianbao.models import Report

LONG_CSV_COLUMNS = ["table", "row", "col", "value", "text", "confidence", "page", "x0", "y0", "x1", "y1"]


def _num(v: float | int | None) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v) if isinstance(v, float) else str(v)


def long_rows(report: Report) -> list[dict[str, str]]:
    """One dict per canonical cell of the report's template (missing cells included)."""
    rows = []
    for cell in report.cells():
        box = cell.bbox or ("", "", "", "")
        rows.append({
            "table": cell.table, "row": cell.row, "col": cell.col, "value": _num(cell.value),
            "text": cell.text, "confidence": f"{cell.confidence:.4f}",
            "page": "" if cell.page is None else str(cell.page),
            "x0": _num(round(box[0], 1)) if box[0] != "" else "", "y0": _num(round(box[1], 1)) if box[1] != "" else "",
            "x1": _num(round(box[2], 1)) if box[2] != "" else "", "y1": _num(round(box[3], 1)) if box[3] != "" else "",
        })
    return rows


def write_long_csv(reports: list[Report], fh: IO[str], sources: list[str] | None = None) -> None:
    """Write the SPEC §5 long CSV (exact header) for one or more reports.

    With ``sources`` (one name per report, e.g. the input paths), a last column ``source``
    says which file each row is from; SPEC §5's columns stay first and unchanged, so readers
    of the contract (``shared/score.py`` reads columns by name) still read it."""
    if sources is not None and len(sources) != len(reports):
        raise ValueError(f"{len(sources)} sources for {len(reports)} reports")
    columns = LONG_CSV_COLUMNS + (["source"] if sources is not None else [])
    w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for i, r in enumerate(reports):
        rows = long_rows(r)
        if sources is not None:
            for row in rows:
                row["source"] = sources[i]
        w.writerows(rows)

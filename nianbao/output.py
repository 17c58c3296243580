"""Output formats: the long CSV of SPEC §5 (the contract every downstream tool reads) and JSON;
and the guard every writer of a spreadsheet-bound file uses against formula injection.

Formula injection (OWASP "CSV Injection"): a text that starts with ``= + - @`` (or a tab or
carriage return) is run as a formula by Excel or LibreOffice when the file is opened — an
uploaded file named ``=1+2+cmd.txt`` would become a live formula on the reviewer's machine. The
uploader and the opener are different people, so every text field is neutralised on the way
out: CSV gets a leading ``'`` (:func:`csv_safe`, undone by :func:`from_csv_safe` when nianbao
reads its own file back); XLSX cells are written as strings, quote-prefixed
(:func:`keep_as_text`). :func:`starts_like_formula` is the one rule every CSV and XLSX writer
of nianbao applies. Numbers stay numbers: "-3" or "+1,234.5" is not touched.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from typing import IO, Any

from nianbao.models import Report

LONG_CSV_COLUMNS = ["table", "row", "col", "value", "text", "confidence", "page", "x0", "y0", "x1", "y1"]


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d[\d,]*(\.\d*)?|\.\d+)%?")
_ONLY_DASHES = re.compile(r"[-—–\s]*")  # "-", "—", "--": a printed dash cell, nothing to run


def starts_like_formula(text: str) -> bool:
    """``text`` would be taken for a formula by a spreadsheet (a plain number or a dash is not)."""
    return (text[:1] in FORMULA_TRIGGERS and not _PLAIN_NUMBER.fullmatch(text.strip())
            and not _ONLY_DASHES.fullmatch(text))


def keep_as_text(cell: Any) -> Any:
    """An openpyxl cell (normal or write-only) whose text :func:`starts_like_formula`: stored as a
    string, never a formula (openpyxl takes a text starting with "=" for one), and marked
    quote-prefixed, so that editing it in the spreadsheet keeps it text. Returns the cell."""
    if isinstance(cell.value, str) and starts_like_formula(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XLSX; noise from extraction


def drop_control_chars(s: str | None) -> str | None:
    """``s`` without control characters (a PDF text layer may carry them; XLSX refuses them),
    so that every format holds the same text."""
    return _CONTROL.sub("", s) if s else s


def csv_safe(text: str) -> str:
    """A text field for CSV that no spreadsheet runs: a leading ``'`` before a formula-like text.
    A text that already starts with quotes before such a text gets one more, so that
    :func:`from_csv_safe` gives back exactly what was written."""
    return "'" + text if starts_like_formula(text.lstrip("'")) else text


def from_csv_safe(text: str) -> str:
    """The text :func:`csv_safe` was given."""
    return text[1:] if text[:1] == "'" and starts_like_formula(text.lstrip("'")) else text


def csv_field(v: Any) -> Any:
    """A value for a CSV writer: text neutralised (:func:`csv_safe`), anything else as is."""
    return csv_safe(v) if isinstance(v, str) else v


class SafeDictWriter(csv.DictWriter):
    """:class:`csv.DictWriter` whose text fields are neutralised against formula injection."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({k: csv_field(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for r in rowdicts:
            self.writerow(r)


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
        box = [_num(round(v, 1)) for v in cell.bbox] if cell.bbox else ["", "", "", ""]
        rows.append({
            "table": cell.table, "row": cell.row, "col": cell.col, "value": _num(cell.value),
            "text": cell.text, "confidence": f"{cell.confidence:.4f}",
            "page": "" if cell.page is None else str(cell.page),
            "x0": box[0], "y0": box[1], "x1": box[2], "y1": box[3],
        })
    return rows


def write_long_csv(reports: list[Report], fh: IO[str], sources: list[str] | None = None) -> None:
    """Write the SPEC §5 long CSV (exact header) for one or more reports; a cell text (or
    source name) that reads as a formula is neutralised (:func:`csv_safe`).

    With ``sources`` (one name per report, e.g. the input paths), a last column ``source``
    says which file each row is from; SPEC §5's columns stay first and unchanged, so readers
    of the contract (``shared/score.py`` reads columns by name) still read it."""
    if sources is not None and len(sources) != len(reports):
        raise ValueError(f"{len(sources)} sources for {len(reports)} reports")
    columns = LONG_CSV_COLUMNS + (["source"] if sources is not None else [])
    w = SafeDictWriter(fh, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for i, r in enumerate(reports):
        rows = long_rows(r)
        if sources is not None:
            for row in rows:
                row["source"] = sources[i]
        w.writerows(rows)

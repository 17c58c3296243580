"""Who has not reported: an office's roster of agencies matched against the reports it holds.

A roster is a CSV or XLSX with one agency per line: its name, region and level, and optionally
the year it is due (a roster without a year column is standing: every year). Names are matched
with the normalisation the cross-year checks group an agency's reports by
(:func:`nianbao.metadata.agency_key`: NFKC, no spaces, no 人民政府/办事处 ending), with the region
put before a short roster name ("金贵镇" of 贺兰县 is 贺兰县金贵镇), and a name that is the tail of
exactly one other name joining it, as :func:`nianbao.years.group_by_agency` does. Reports no
roster line matches are listed, never dropped.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nianbao.metadata import LEVELS, agency_key, is_tail_of
from nianbao.output import csv_field, from_csv_safe

# header words a roster's columns may be named by (Chinese or English), compared lower-cased
HEADERS = {
    "agency": ("agency", "name", "机关", "单位", "名称", "机关名称", "单位名称", "部门", "报送单位", "机构"),
    "region": ("region", "地区", "区域", "所属地区", "行政区划", "区县", "市县", "地市"),
    "level": ("level", "层级", "级别", "机关层级", "类型"),
    "year": ("year", "年度", "年份", "报告年度"),
}
MAX_ROSTER_ROWS = 20_000


class RosterError(ValueError):
    """The roster file cannot be read (the message names the file and the reason, in Chinese)."""


@dataclass(frozen=True)
class RosterEntry:
    agency: str
    region: str = ""
    level: str = ""
    year: int | None = None  # None: due every year

    @property
    def label(self) -> str:
        return f"{self.region}{self.agency}" if self.region and not self.agency.startswith(self.region) else self.agency


@dataclass
class Submitted:
    """One report the office holds, as the roster view needs it."""

    ref: str  # an id to link to (sha256)
    agency: str | None
    year: int | None
    problems: int = 0
    failed: bool = False  # the file could not be parsed
    region: str | None = None
    level: str | None = None


@dataclass
class YearCell:
    """One agency in one year: submitted (with or without problems), not submitted, or not due."""

    state: str  # ok, problems, missing, not_due
    reports: list[Submitted] = field(default_factory=list)

    @property
    def zh(self) -> str:
        return {"ok": "已报送", "problems": "有问题", "missing": "未报送", "not_due": "—"}[self.state]


@dataclass
class RosterView:
    years: list[int]
    agencies: list[RosterEntry]  # one per distinct agency of the roster, roster order
    matrix: dict[tuple[int, int], YearCell]  # (agency index, year) -> cell
    unmatched: list[Submitted]  # reports whose agency no roster line names
    undated: list[Submitted]  # reports without a year (cannot be placed in a column)

    def counts(self, year: int) -> dict[str, int]:
        out = {"ok": 0, "problems": 0, "missing": 0, "not_due": 0}
        for i in range(len(self.agencies)):
            out[self.matrix[(i, year)].state] += 1
        return out


# ---------------------------------------------------------------- reading


def read_roster(data: bytes, filename: str) -> list[RosterEntry]:
    """Roster lines from a CSV (UTF-8, UTF-8 with BOM or GBK) or XLSX file's bytes."""
    name = Path(filename).name
    if name.lower().endswith((".xlsx", ".xlsm")):
        rows = _xlsx_rows(data, name)
    elif name.lower().endswith((".csv", ".txt", ".tsv")):
        rows = _csv_rows(data, name)
    else:
        raise RosterError(f"{name}：名单须为 CSV 或 XLSX 文件")
    return _entries(rows, name)


def _csv_rows(data: bytes, name: str) -> list[list[str]]:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterError(f"{name}：无法识别文件编码（请存为 UTF-8 或 GBK 的 CSV）")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;，")
    except csv.Error:
        dialect = csv.excel
    return [[from_csv_safe(v) for v in row] for row in csv.reader(io.StringIO(text), dialect)]


def _xlsx_rows(data: bytes, name: str) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a broken or foreign file: openpyxl raises many kinds
        raise RosterError(f"{name}：不是可读的 XLSX 文件（{type(exc).__name__}）") from exc
    try:
        ws = wb.worksheets[0]
        rows = []
        for i, row in enumerate(ws.iter_rows(values_only=True)):
            if i > MAX_ROSTER_ROWS:
                raise RosterError(f"{name}：超过 {MAX_ROSTER_ROWS} 行")
            rows.append(["" if v is None else str(v) for v in row])
        return rows
    finally:
        wb.close()


def _column_of(header: list[str]) -> dict[str, int]:
    cols: dict[str, int] = {}
    for i, h in enumerate(header):
        h = re.sub(r"\s+", "", h).lower()
        for key, words in HEADERS.items():
            if key not in cols and h in words:
                cols[key] = i
    return cols


def _year(text: str) -> int | None:
    m = re.search(r"(19|20)\d{2}", text or "")
    return int(m.group(0)) if m else None


def _entries(rows: list[list[str]], name: str) -> list[RosterEntry]:
    rows = [r for r in rows if any((c or "").strip() for c in r)]
    if not rows:
        raise RosterError(f"{name}：名单是空的")
    if len(rows) > MAX_ROSTER_ROWS:
        raise RosterError(f"{name}：超过 {MAX_ROSTER_ROWS} 行")
    cols = _column_of(rows[0])
    if "agency" in cols:
        body = rows[1:]
    else:  # no header line: agency, region, level, year by position
        cols = {k: i for i, k in enumerate(("agency", "region", "level", "year"))}
        body = rows
    out: list[RosterEntry] = []
    seen: set[RosterEntry] = set()
    for r in body:
        def get(k: str) -> str:
            i = cols.get(k)
            return (r[i] if i is not None and i < len(r) else "").strip()

        agency = re.sub(r"\s+", "", get("agency"))
        if not agency:
            continue
        level = get("level")
        e = RosterEntry(agency=agency, region=re.sub(r"\s+", "", get("region")),
                        level=level if level in LEVELS else level, year=_year(get("year")))
        if e not in seen:
            seen.add(e)
            out.append(e)
    if not out:
        raise RosterError(f"{name}：没有找到机关名称（第一行应为表头：机关、地区、层级、年度）")
    return out


# ---------------------------------------------------------------- matching


def _keys(e: RosterEntry) -> list[str]:
    """The normalised names a roster line answers to: its name, and its region + name."""
    keys = [agency_key(e.agency)[0]]
    if e.region:
        keys.append(agency_key(e.region + e.agency)[0])
    return [k for k in dict.fromkeys(keys) if k]


def match_reports(roster: list[RosterEntry], reports: Iterable[Submitted]) -> tuple[dict[int, list[Submitted]], list[Submitted]]:
    """Reports per roster agency (index into the distinct agencies of :func:`distinct_agencies`)
    and the reports no roster line names."""
    agencies = distinct_agencies(roster)
    exact: dict[str, int] = {}
    for i, e in enumerate(agencies):
        for k in _keys(e):
            exact.setdefault(k, i)
    matched: dict[int, list[Submitted]] = {}
    unmatched: list[Submitted] = []
    for rep in reports:
        hit = _match_one(rep, agencies, exact)
        if hit is None:
            unmatched.append(rep)
        else:
            matched.setdefault(hit, []).append(rep)
    return matched, unmatched


def _match_one(rep: Submitted, agencies: list[RosterEntry], exact: dict[str, int]) -> int | None:
    if not rep.agency:
        return None
    key = agency_key(rep.agency)[0]
    for k in (key, agency_key((rep.region or "") + rep.agency)[0] if rep.region else None):
        if k and k in exact:
            return exact[k]
    # the tail of exactly one agency's name (nianbao.metadata.is_tail_of, the rule the cross-year
    # checks group by): 金贵镇 (report) of 贺兰县金贵镇 (roster), or the other way round
    hits = {i for k, i in exact.items() if is_tail_of(key, k) or is_tail_of(k, key)}
    return hits.pop() if len(hits) == 1 else None


def distinct_agencies(roster: list[RosterEntry]) -> list[RosterEntry]:
    """One entry per agency (the first line naming it), whatever years it is due."""
    out: dict[tuple[str, ...], RosterEntry] = {}
    for e in roster:
        out.setdefault(tuple(_keys(e)), RosterEntry(e.agency, e.region, e.level))
    return list(out.values())


def roster_view(roster: list[RosterEntry], reports: list[Submitted], years: Iterable[int] = ()) -> RosterView:
    """The agencies × years matrix: the years the reports and the roster name (and ``years``)."""
    agencies = distinct_agencies(roster)
    due: dict[int, set[int] | None] = {}  # agency index -> years due (None: every year)
    index = {tuple(_keys(a)): i for i, a in enumerate(agencies)}
    for e in roster:
        i = index[tuple(_keys(e))]
        if e.year is None:
            due[i] = None
        elif i not in due:
            due[i] = {e.year}
        elif (years_due := due[i]) is not None:
            years_due.add(e.year)
    dated = [r for r in reports if r.year is not None]
    all_years = sorted({*years, *(r.year for r in reports if r.year is not None),
                        *(e.year for e in roster if e.year is not None)})
    matched, unmatched = match_reports(roster, dated)
    matrix: dict[tuple[int, int], YearCell] = {}
    for i in range(len(agencies)):
        mine = matched.get(i, [])
        for y in all_years:
            got = [r for r in mine if r.year == y]
            yrs = due.get(i)
            if got:
                bad = any(r.problems or r.failed for r in got)
                matrix[(i, y)] = YearCell("problems" if bad else "ok", got)
            elif yrs is None or y in yrs:
                matrix[(i, y)] = YearCell("missing")
            else:
                matrix[(i, y)] = YearCell("not_due")
    return RosterView(all_years, agencies, matrix, unmatched, [r for r in reports if r.year is None])


def roster_csv(entries: list[RosterEntry]) -> str:
    """The roster written back as CSV (机关,地区,层级,年度), e.g. to store it."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["机关", "地区", "层级", "年度"])
    for e in entries:  # names an office uploaded: neutralised against formula injection
        w.writerow([csv_field(e.agency), csv_field(e.region), csv_field(e.level), e.year or ""])
    return buf.getvalue()


def as_dict(view: RosterView) -> dict[str, Any]:
    """The view as JSON-ready data (for the API)."""
    return {
        "years": view.years,
        "agencies": [{"agency": a.agency, "region": a.region, "level": a.level,
                      "years": {str(y): view.matrix[(i, y)].state for y in view.years}}
                     for i, a in enumerate(view.agencies)],
        "unmatched": [{"agency": r.agency, "year": r.year, "ref": r.ref} for r in view.unmatched],
        "counts": {str(y): view.counts(y) for y in view.years},
    }

"""The supervising office's workbench at ``/`` of ``nianbao serve``: 简体中文 pages over the
server's data folder for clerks who collect dozens to hundreds of agencies' reports a year.

    GET  /                     the reports: upload (drag and drop, files or zips, with progress),
                               search by agency, filter by region / level / year / status;
                               failed parses hidden unless asked for
    GET  /report/{sha256}      one report: its problems in plain words, each with the crop of
                               the cells concerned and a link into the review page
    GET  /roster               who has not reported: upload a roster, agencies × years
    POST /roster               store a roster (CSV/XLSX)
    GET  /problems.xlsx        the problem list of the reports shown (same filters as /)
    GET  /dataset.dta          the wide data set as Stata .dta (+ /dataset.codebook.csv)
    GET  /lang/{zh|en}         switch the language (cookie), back to ``next``

It is a router (:func:`create_workbench_router`) that reads the data folder and the settings
the app put on ``app.state`` (``paths``, ``config``); uploads go to the app's own
``POST /v1/jobs``. It is behind the app's guards like every route: the user check
(bearer token or the login's session cookie; a browser without one is sent to ``/login``), the
Host check and the cross-origin-write check (:mod:`nianbao.webguard`).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, File, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.background import BackgroundTask

from nianbao.corrections import Correction, log_path_for
from nianbao.fileio import atomic_write_text
from nianbao.metadata import agency_level, split_region
from nianbao.models import Report
from nianbao.results import ResultEntry, load_result
from nianbao.problems import Problem, ReportProblems, cells_to_review, report_problems, write_problems_xlsx
from nianbao.review.i18n import lang_of, lang_response, setup_i18n
from nianbao.roster import RosterError, RosterView, Submitted, read_roster, roster_csv, roster_view
from nianbao.wording import split_cell_ref

log = logging.getLogger("nianbao.server.workbench")
HERE = Path(__file__).parent / "workbench_ui"
STATIC = {"workbench.js": "text/javascript", "workbench.css": "text/css"}
ROSTER_FILE = "roster.csv"  # in the data folder
MAX_ROSTER_BYTES = 5 << 20

# report statuses, the filter's values, in the order the filter lists them
STATUS_ZH = {"problems": "有问题", "review": "待复核", "ok": "已通过", "queued": "排队中", "running": "解析中",
             "failed": "解析失败"}
STATUS_EN = {"problems": "problems", "review": "to review", "ok": "passed", "queued": "queued",
             "running": "parsing", "failed": "failed"}


@dataclass
class ReportRow:
    """One uploaded file as the list shows it (its latest parse)."""

    sha256: str
    name: str
    status: str  # problems / review / ok / queued / running / failed
    agency: str = ""
    region: str = ""
    level: str = ""
    year: int | None = None
    template: str = ""
    problems: list[Problem] = field(default_factory=list)
    to_review: int = 0
    first_to_review: tuple[str, str, str] | None = None
    reason: str = ""  # why a parse failed
    uploaded_at: float = 0.0
    source_format: str = ""
    pages: int = 0

    @property
    def n_problems(self) -> int:
        return sum(p.status != "resolved" for p in self.problems)


@dataclass
class Summary:
    """What the list needs of one parsed report (kept per result; the Report itself is not)."""

    agency: str
    region: str
    level: str
    year: int | None
    template: str
    source_format: str
    pages: int
    problems: list[Problem]
    to_review: list[tuple[str, str, str]]


def load_state(path: Path) -> tuple[Report, list[Correction]]:
    """A stored result as the parser wrote it and its review log, read by :mod:`nianbao.results`
    (raises :class:`nianbao.results.BadResultError`, a ValueError naming the file, when either
    does not load)."""
    loaded = load_result(ResultEntry(path.name, path))
    return loaded.machine, loaded.events


class _SummaryCache:
    """Report summaries by result file, recomputed when the result or its review log changes;
    holds summaries only, so hundreds of reports cost little memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[tuple, Summary]] = {}

    def get(self, path: Path, threshold: float) -> Summary | None:
        try:
            st = path.stat()
            logp = log_path_for(path)
            ls = logp.stat() if logp.exists() else None
        except OSError:
            return None
        stamp = (st.st_mtime_ns, st.st_size, ls.st_mtime_ns if ls else 0, ls.st_size if ls else 0, threshold)
        with self._lock:
            hit = self._cache.get(str(path))
        if hit and hit[0] == stamp:
            return hit[1]
        try:
            report, events = load_state(path)
        except (ValueError, OSError) as exc:
            log.warning("workbench: skipping unreadable result %s: %s", path.name, str(exc).splitlines()[0])
            return None
        agency, region, level = _meta(report)
        summary = Summary(agency, region, level, report.year, report.template_version or "", report.source.format,
                          len(report.pages), report_problems(report, events),
                          cells_to_review(report, threshold, events))
        with self._lock:
            self._cache[str(path)] = (stamp, summary)
        return summary


def _files(paths: Any) -> list[sqlite3.Row]:
    """The latest queue row of every uploaded content (sha256), newest first."""
    con = sqlite3.connect(f"file:{paths.db}?mode=ro", uri=True, timeout=10)
    con.row_factory = sqlite3.Row
    try:
        return con.execute(
            "SELECT f.sha256, f.name, f.status, f.error_type, f.reason, f.created_at FROM files f "
            "JOIN (SELECT sha256, MAX(id) id FROM files GROUP BY sha256) last ON last.id = f.id "
            "ORDER BY f.id DESC").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()


def _meta(report: Report) -> tuple[str, str, str]:
    """(agency, region, level) as read from the report, completed from the agency's name."""
    agency = report.agency or str(report.metadata.agency.value or "")
    region = str(report.metadata.region.value or "") or (split_region(agency)[0] or "" if agency else "")
    level = str(report.metadata.level.value or "") or (agency_level(agency) or "")
    return agency, region, level


def collect(paths: Any, cache: _SummaryCache, threshold: float) -> list[ReportRow]:
    rows = []
    for f in _files(paths):
        row = ReportRow(sha256=f["sha256"], name=f["name"], status=f["status"], uploaded_at=f["created_at"])
        if f["status"] == "failed":
            row.reason = f["reason"] or f["error_type"] or ""
        elif f["status"] == "done":
            sm = cache.get(paths.result(f["sha256"]), threshold)
            if sm is None:
                row.status, row.reason = "failed", "结果文件无法读取"
            else:
                row.agency, row.region, row.level, row.year = sm.agency, sm.region, sm.level, sm.year
                row.template, row.source_format, row.pages = sm.template, sm.source_format, sm.pages
                row.problems = sm.problems
                row.to_review, row.first_to_review = len(sm.to_review), (sm.to_review[0] if sm.to_review else None)
                row.status = "problems" if row.n_problems else "review" if row.to_review else "ok"
        rows.append(row)
    return rows


@dataclass
class Filters:
    q: str = ""
    region: str = ""
    level: str = ""
    year: str = ""
    status: str = ""
    show_failed: bool = False

    @classmethod
    def of(cls, request: Request) -> Filters:
        p = request.query_params
        return cls(q=(p.get("q") or "").strip()[:100], region=(p.get("region") or "")[:100],
                   level=(p.get("level") or "")[:20], year=(p.get("year") or "")[:4],
                   status=(p.get("status") or "")[:20], show_failed=p.get("failed") == "1")

    def keep(self, r: ReportRow) -> bool:
        if r.status == "failed" and not (self.show_failed or self.status == "failed"):
            return False
        if self.q and self.q not in r.agency and self.q not in r.name:
            return False
        if self.region and r.region != self.region:
            return False
        if self.level and r.level != self.level:
            return False
        if self.year and str(r.year or "") != self.year:
            return False
        return not self.status or r.status == self.status

    def query(self, **change: Any) -> str:
        d = {"q": self.q, "region": self.region, "level": self.level, "year": self.year, "status": self.status,
             "failed": "1" if self.show_failed else ""}
        d.update({k: v for k, v in change.items()})
        return "&".join(f"{k}={quote(str(v))}" for k, v in d.items() if v)


def create_workbench_router() -> APIRouter:
    """The workbench pages as a router for the server app (mount at the root)."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    setup_i18n(templates)
    cache = _SummaryCache()
    router = APIRouter(include_in_schema=False)

    def ctx(request: Request) -> tuple[Any, Any]:
        state = request.app.state
        return state.paths, state.config

    def review_on(request: Request) -> bool:
        return bool(getattr(request.app.state.config, "mount_review", False))

    def page(request: Request, name: str, data: dict[str, Any]) -> Response:
        # the user logged in with the session cookie: their name and 退出登录 (a bearer token has no logout)
        user = request.state.user if getattr(request.state, "auth", None) == "cookie" else None
        return templates.TemplateResponse(request, name, {"lang": lang_of(request), "review": review_on(request),
                                                           "nav": name.split(".")[0], "user": user, **data})

    def rows_of(request: Request) -> list[ReportRow]:
        paths, config = ctx(request)
        return collect(paths, cache, config.settings.confidence.silent_threshold)

    @router.get("/", name="workbench_home")
    def home(request: Request) -> Response:
        rows = rows_of(request)
        f = Filters.of(request)
        shown = [r for r in rows if f.keep(r)]
        done = [r for r in rows if r.status not in ("failed", "queued", "running")]
        options = {
            "region": sorted({r.region for r in done if r.region}),
            "level": sorted({r.level for r in done if r.level}),
            "year": sorted({str(r.year) for r in done if r.year}, reverse=True),
        }
        counts = Counter(r.status for r in rows)
        return page(request, "home.html", {
            "rows": shown, "f": f, "options": options, "counts": counts, "total": len(rows),
            "failed": counts["failed"], "status_zh": STATUS_ZH, "status_en": STATUS_EN,
            "xlsx": f"/problems.xlsx?{f.query()}"})

    @router.get("/report/{sha256}", name="workbench_report")
    def report_page(request: Request, sha256: str) -> Response:
        paths, config = ctx(request)
        row = next((r for r in rows_of(request) if r.sha256 == sha256), None)
        if row is None:
            raise HTTPException(404, "没有这份报告")
        items = []
        report = None
        if row.status not in ("failed", "queued", "running"):
            try:
                report, _ = load_state(paths.result(sha256))
            except (ValueError, OSError):
                report = None
        if report is not None:
            pages_here = bool(report.pages)
            cells = {f"{c.table}.{c.row}.{c.col}": c for c in report.cells()}
            for p in row.problems:
                first = next((cells[c] for c in p.cells if c in cells and cells[c].bbox and cells[c].page), None)
                key = split_cell_ref(p.cells[0]) if p.cells else None
                items.append({
                    "p": p,
                    "crop": (f"/review/img/{sha256}/crop/{first.table}/{quote(first.row, safe='')}/{first.col}.png"
                             if first is not None and pages_here and review_on(request) else None),
                    "review": (f"/review/cell/{sha256}/{key[0]}/{quote(key[1], safe='')}/{key[2]}"
                               if key and review_on(request) else None),
                })
        todo = row.first_to_review
        review_url = (f"/review/cell/{sha256}/{todo[0]}/{quote(todo[1], safe='')}/{todo[2]}"
                      if todo and review_on(request) else None)
        return page(request, "report.html", {"r": row, "items": items, "report": report, "review_url": review_url,
                                             "status_zh": STATUS_ZH, "status_en": STATUS_EN})

    def roster_path(request: Request) -> Path:
        return ctx(request)[0].root / ROSTER_FILE

    def current_roster(request: Request) -> list | None:
        p = roster_path(request)
        if not p.exists():
            return None
        try:
            return read_roster(p.read_bytes(), p.name)
        except RosterError as exc:
            log.warning("workbench: stored roster unreadable: %s", exc)
            return None

    @router.get("/roster", name="workbench_roster")
    def roster_page(request: Request, error: str = "") -> Response:
        roster = current_roster(request)
        view: RosterView | None = None
        if roster:
            subs = [Submitted(ref=r.sha256, agency=r.agency or None, year=r.year, problems=r.n_problems,
                              region=r.region or None, level=r.level or None)
                    for r in rows_of(request) if r.status not in ("failed", "queued", "running")]
            view = roster_view(roster, subs)
        return page(request, "roster.html", {"view": view, "roster": roster, "error": error[:300]})

    @router.post("/roster", name="workbench_roster_upload")  # cross-origin posts: refused by the app's guard
    def roster_upload(request: Request, file: UploadFile = File(...)) -> Response:
        data = file.file.read(MAX_ROSTER_BYTES + 1)
        name = Path((file.filename or "roster.csv").replace("\\", "/")).name
        if len(data) > MAX_ROSTER_BYTES:
            return RedirectResponse(f"/roster?error={quote(f'{name}：名单超过 5 MB')}", status_code=303)
        try:
            entries = read_roster(data, name)
        except RosterError as exc:
            return RedirectResponse(f"/roster?error={quote(str(exc))}", status_code=303)
        atomic_write_text(roster_path(request), roster_csv(entries))
        return RedirectResponse("/roster", status_code=303)

    @router.get("/problems.xlsx", name="workbench_problems_xlsx")
    def problems_xlsx(request: Request) -> FileResponse:
        paths, _ = ctx(request)
        f = Filters.of(request)
        chosen = [r for r in rows_of(request) if f.keep(r)]
        lists = []
        for r in chosen:
            probs = r.problems
            if r.status == "failed":
                probs = [Problem(kind="parse_failed", message=f"文件无法解析：{r.reason}", status="failed")]
            lists.append(ReportProblems(r.name, r.agency or None, r.year, probs))
        fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=paths.tmp)
        os.close(fd)
        write_problems_xlsx(lists, tmp)
        return FileResponse(tmp, filename="nianbao-问题清单.xlsx", background=BackgroundTask(os.unlink, tmp),
                            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    def dataset_entries(request: Request):
        from nianbao.dataset import Entry

        paths, _ = ctx(request)
        return [Entry(r.name, paths.result(r.sha256)) for r in rows_of(request)
                if r.status not in ("failed", "queued", "running")]

    @router.get("/dataset.dta", name="workbench_dta")
    def dataset_dta(request: Request) -> FileResponse:
        from nianbao.stata import codebook_path, export_dta

        paths, config = ctx(request)
        tmpdir = Path(tempfile.mkdtemp(dir=paths.tmp))
        out = tmpdir / "nianbao.dta"
        try:
            export_dta(None, out, entries=dataset_entries(request), settings=config.settings)
        except ImportError as exc:
            raise HTTPException(501, f"Stata export needs pandas (pip install 'nianbao[export]'): {exc}") from exc
        codebook_path(out).unlink(missing_ok=True)
        return FileResponse(out, filename="nianbao.dta", media_type="application/x-stata-dta",
                            background=BackgroundTask(_rmtree, tmpdir))

    @router.get("/dataset.codebook.csv", name="workbench_codebook")
    def dataset_codebook() -> Response:
        from nianbao.stata import codebook_csv, full_codebook

        return Response("\ufeff" + codebook_csv(full_codebook()), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="nianbao.codebook.csv"'})

    @router.get("/lang/{code}", name="workbench_lang")
    def set_lang(code: str, next: str = "/") -> Response:
        return lang_response(code, next, "/")

    @router.get("/wb/static/{name}", name="workbench_static")
    def static(name: str) -> FileResponse:
        if name not in STATIC:
            raise HTTPException(404)
        return FileResponse(HERE / "static" / name, media_type=STATIC[name])

    return router


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


__all__ = ["create_workbench_router", "collect", "Filters", "ReportRow"]

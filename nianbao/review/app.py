"""The review web page: a FastAPI router (server-side Jinja2 pages, one small script, no build
step) over a :class:`ReviewStore`, and a tiny app around it for ``nianbao review``."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from urllib.parse import quote

from fastapi import APIRouter, Body, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from nianbao.corrections import Correction, StaleWriteError, default_reviewer, mark_long_rows
from nianbao.models import CheckResult, CheckStatus, Template
from nianbao.models.rules import format_number
from nianbao.numbers import parse_typed
from nianbao.output import LONG_CSV_COLUMNS, SafeDictWriter, long_rows  # cell text that reads as a formula is neutralised
from nianbao.review import images
from nianbao.review.i18n import lang_of, lang_response, setup_i18n
from nianbao.wording import KIND_ZH, RULE_STATUS_ZH, STATUS_ZH, cell_name, rule_finding, why_unsure
from nianbao.review.store import QueueItem, ReportState, ReviewStore, cell_ref, discover_results
from nianbao.settings import Settings
from nianbao.webguard import CrossOriginWriteGuard

HERE = Path(__file__).parent
STATIC = {"review.js": "text/javascript", "review.css": "text/css"}

UserFn = Callable[[Request], "str | None"]


def labels(template: Template | None, key: tuple[str, str, str]) -> dict[str, str]:
    """Chinese names of a cell's table, row and column from the template (the column with its
    printed group headers), and ``short``: "表三 （七）总计 行 · 自然人 列" (:mod:`nianbao.wording`)."""
    if template is None:
        return {"table": key[0], "row": "", "col": "", "item": "", "short": ".".join(key)}
    n = cell_name(template, *key)
    return {"table": n.table, "row": n.row or n.item or n.table, "col": n.col, "item": n.item, "short": n.short}


def _q(part: str) -> str:
    """One URL path segment (result names may hold any character)."""
    return quote(part, safe="")


def _num(v: Any) -> str:
    """A value as the review page prints it (the ``num`` template filter): "—" when no number."""
    return "—" if v is None else format_number(v)


def _check_json(c: CheckResult, template: Template | None = None) -> dict:
    """A rule's result; ``finding``: the rule in Chinese words with its numbers, ``status_zh``."""
    return {"rule": c.rule, "subject": c.subject, "status": c.status.value, "description": c.description,
            "equation": c.equation, "status_zh": RULE_STATUS_ZH.get(c.status.value, c.status.value),
            "finding": rule_finding(template, c) if template is not None else c.description}


def _rule_changes(before: list[CheckResult], after: list[CheckResult], template: Template | None = None) -> list[dict]:
    """Rules whose status changed with the last action, with the equation before and after."""
    old = {(c.rule, c.subject): c for c in before}
    out = []
    for c in after:
        o = old.get((c.rule, c.subject))
        if o is None or o.status != c.status or o.equation != c.equation:
            out.append({**_check_json(c, template), "before": o.status.value if o else None,
                        "equation_before": o.equation if o else None})
    return out


def default_user(request: Request) -> str:
    """The reviewer: the user the server's bearer-token auth put on ``request.state.user``
    (a name, or an object with ``username``/``name``), else the OS user."""
    user = getattr(request.state, "user", None)
    if isinstance(user, str) and user:
        return user
    name = getattr(user, "username", None) or getattr(user, "name", None) or getattr(user, "display_name", None)
    return name if isinstance(name, str) and name else default_reviewer()


def create_review_router(source: ReviewStore | Sequence[str | Path] | str | Path, threshold: float = 0.9,
                         user: UserFn | None = None, settings: Settings | None = None) -> APIRouter:
    """The review pages and API as a router; mount it anywhere (``app.include_router(r, prefix="/review")``).

    ``source``: a store, or result JSON files / batch output folders. ``user(request)`` names the
    reviewer (e.g. from the bearer token); by default ``request.state.user``, else the OS user.
    The app that mounts it must refuse cross-origin writes (:class:`nianbao.webguard.CrossOriginWriteGuard`,
    as :func:`create_app` and ``nianbao serve`` do): the router's POSTs do not check it again.
    ``settings`` go to the store made from result paths (a given store has its own).
    """
    if isinstance(source, ReviewStore):
        store = source
    else:
        paths = [Path(p) for p in ([source] if isinstance(source, (str, Path)) else source)]
        store = ReviewStore(discover_results(paths), threshold, settings=settings)
    who_of = user or default_user

    def reviewer(request: Request) -> str:
        """Who acts: ``user(request)``, else the OS user."""
        return who_of(request) or default_reviewer()
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["num"] = _num
    setup_i18n(templates)

    def render(request: Request, name: str, data: dict) -> Response:
        """Every page gets the reader's language (简体中文 unless they switched)."""
        return templates.TemplateResponse(request, name, {"lang": lang_of(request), **data})

    router = APIRouter()

    def state_of(rid: str) -> ReportState:
        if rid not in store.paths:
            raise HTTPException(404, f"no report {rid!r}")
        try:
            return store.state(rid)
        except (ValueError, OSError) as exc:
            raise HTTPException(422, f"{rid}: not a readable result: {str(exc).splitlines()[0]}") from exc

    def base(request: Request) -> str:
        return request.url_for("review_queue").path.rstrip("/")

    def cell_url(request: Request, rid: str, key: tuple[str, str, str]) -> str:
        return f"{base(request)}/cell/{_q(rid)}/{key[0]}/{_q(key[1])}/{key[2]}"

    def neighbours(request: Request, rid: str, key: tuple[str, str, str]) -> dict:
        q = store.queue()
        idx = next((i for i, it in enumerate(q) if it.rid == rid and it.key == key), None)
        def url(it: QueueItem | None) -> str | None:
            return cell_url(request, it.rid, it.key) if it else None
        order = q if idx is None else q[idx + 1:] + q[:idx]
        nxt_open = next((it for it in order if it.status == "open"), None)
        return {
            "index": idx, "total": len(q),
            "prev": url(q[idx - 1]) if idx is not None and idx > 0 else None,
            "next": url(q[idx + 1]) if idx is not None and idx + 1 < len(q) else (url(q[0]) if idx is None and q else None),
            "next_open": url(nxt_open) or f"{base(request)}/",
            "open": sum(it.status == "open" for it in q),
        }

    def cell_payload(request: Request, st: ReportState, key: tuple[str, str, str]) -> dict:
        mc, fc = st.machine_cell(key), st.fixed_cell(key)
        if mc is None or fc is None:
            raise HTTPException(404, f"no cell {cell_ref(key)} in {st.rid}")
        ev = st.in_force.get(key)
        ref = cell_ref(key)
        history = [e for e in st.events if (e.table, e.row, e.col) == key]
        source = images.locate_source(st.machine, st.path)
        lang = lang_of(request)
        return {
            "rid": st.rid, "key": list(key), "labels": labels(st.template, key),
            "machine": mc.model_dump(mode="json"), "value": fc.value, "confidence": fc.confidence,
            "status": "open" if ev is None else ("corrected" if ev.action == "correct" else "accepted"),
            "status_zh": STATUS_ZH["open" if ev is None else ("corrected" if ev.action == "correct" else "accepted")],
            "why": why_unsure(mc, st.machine, store.settings.confidence, lang=lang),
            "in_force": ev.model_dump() if ev else None,
            "history": [e.model_dump() for e in history],
            "rules": [_check_json(c, st.template) for c in st.checks if ref in c.cells],
            "machine_rules": [_check_json(c, st.template) for c in st.machine.checks if ref in c.cells],
            "version": st.version,
            "crop": f"{base(request)}/img/{_q(st.rid)}/crop/{key[0]}/{_q(key[1])}/{key[2]}.png"
                    if mc.bbox and mc.page and source else None,
            "no_pictures": None if source or not st.machine.pages else st.machine.source.path,
            "page_url": f"{base(request)}/page/{_q(st.rid)}/{mc.page}#{ref}" if mc.page else None,
            "pages": [{"n": p.number, "url": f"{base(request)}/page/{_q(st.rid)}/{p.number}"} for p in st.machine.pages],
        }

    def rule_counts(st: ReportState) -> dict[str, int]:
        c = Counter(ch.status.value for ch in st.checks)
        return {"passed": c["passed"], "failed": c["failed"], "not_assessable": c["not_assessable"]}

    # -- pages -----------------------------------------------------------------------------
    @router.get("/", name="review_queue")
    def queue_page(request: Request, limit: int = 300):
        """The queue: counts per report, and the first ``limit`` cells (``?limit=0``: all)."""
        q = store.queue()
        by_report: dict[str, list[QueueItem]] = {}
        for it in q:
            by_report.setdefault(it.rid, []).append(it)
        states = store.states()
        per = []
        for st in states:
            rid = st.rid
            mine = by_report.get(rid, [])
            per.append({"rid": rid, "source": st.machine.source.path, "agency": st.machine.agency, "year": st.machine.year,
                        "template": st.machine.template_version, "queued": len(mine),
                        "open": sum(it.status == "open" for it in mine),
                        "corrected": sum(it.status == "corrected" for it in mine),
                        "accepted": sum(it.status == "accepted" for it in mine),
                        "rules": rule_counts(st), "version": st.version,
                        "cells": sum(len(t.cells) for t in st.machine.tables if t.found)})
        tmpl = {st.rid: st.template for st in states}
        shown = q if limit <= 0 else q[:limit]
        rows = [{"item": it, "labels": labels(tmpl.get(it.rid), it.key), "url": cell_url(request, it.rid, it.key)}
                for it in shown]
        first = next((it for it in q if it.status == "open"), None)
        return render(request, "queue.html", {
            "base": base(request), "reports": per, "rows": rows, "threshold": store.threshold, "total": len(q),
            "first_open": cell_url(request, first.rid, first.key) if first else None,
            "open": sum(it.status == "open" for it in q)})

    @router.get("/cell/{rid}/{table}/{row}/{col}", name="review_cell")
    def cell_page(request: Request, rid: str, table: str, row: str, col: str):
        st = state_of(rid)
        key = (table, row, col)
        data = cell_payload(request, st, key)
        return render(request, "cell.html", {
            "base": base(request), "c": data, "nav": neighbours(request, rid, key), "rules_total": rule_counts(st),
            "broken": [_check_json(c, st.template) for c in st.checks if c.status == CheckStatus.failed],
            "who": reviewer(request), "source": st.machine.source.path, "kind_zh": KIND_ZH})

    @router.get("/page/{rid}/{page}", name="review_page")
    def page_view(request: Request, rid: str, page: int):
        st = state_of(rid)
        info = next((p for p in st.machine.pages if p.number == page), None)
        if info is None:
            raise HTTPException(404, f"no page {page}")
        cells = []
        for t in st.fixed.tables:
            for c in t.cells:
                if c.page != page or not c.bbox:
                    continue
                ev = st.in_force.get(c.key)
                x0, y0, x1, y1 = c.bbox
                machine = st.machine_cell(c.key)
                cells.append({"ref": cell_ref(c.key), "url": cell_url(request, rid, c.key), "value": c.value,
                              "conf": (machine or c).confidence, "status": ev.action if ev else "",
                              "style": f"left:{100 * x0 / info.width:.3f}%;top:{100 * y0 / info.height:.3f}%;"
                                       f"width:{100 * (x1 - x0) / info.width:.3f}%;height:{100 * (y1 - y0) / info.height:.3f}%",
                              "labels": labels(st.template, c.key)})
        pages = [p.number for p in st.machine.pages]
        return render(request, "page.html", {
            "base": base(request), "rid": rid, "page": page, "pages": pages, "cells": cells, "threshold": store.threshold,
            "img": f"{base(request)}/img/{_q(rid)}/page/{page}.png", "ratio": 100 * info.height / info.width,
            "source": st.machine.source.path})

    @router.get("/log/{rid}", name="review_log")
    def log_page(request: Request, rid: str):
        st = state_of(rid)
        return render(request, "log.html", {
            "base": base(request), "rid": rid, "events": list(reversed(st.events)), "source": st.machine.source.path,
            "names": [labels(st.template, (e.table, e.row, e.col))["short"] for e in reversed(st.events)],
            "undone": {e.undoes for e in st.events if e.undoes}})

    @router.get("/lang/{code}", name="review_lang")
    def set_lang(request: Request, code: str, next: str = ""):
        return lang_response(code, next, f"{base(request)}/")

    # -- pictures, files -------------------------------------------------------------------
    @router.get("/img/{rid}/page/{page}.png", name="review_page_png")
    def page_png(rid: str, page: int, w: int = 1600):
        st = state_of(rid)
        try:
            img, _ = images.report_page_image(st.machine, page, st.path, store.settings)
        except (LookupError, FileNotFoundError) as exc:
            raise HTTPException(404, str(exc)) from exc
        return Response(images.png(img, max(200, min(w, 4000))), media_type="image/png",
                        headers={"Cache-Control": "max-age=3600"})

    @router.get("/img/{rid}/crop/{table}/{row}/{col}.png", name="review_crop")
    def crop_png(rid: str, table: str, row: str, col: str):
        st = state_of(rid)
        cell = st.machine_cell((table, row, col))
        if cell is None:
            raise HTTPException(404, "no such cell")
        try:
            crop = images.cell_crop(st.machine, cell, store.settings, result_path=st.path)
        except (LookupError, FileNotFoundError) as exc:
            raise HTTPException(404, str(exc)) from exc
        return Response(images.png(crop), media_type="image/png", headers={"Cache-Control": "max-age=3600"})

    @router.get("/static/{name}", name="review_static")
    def static(name: str):
        if name not in STATIC:
            raise HTTPException(404)
        return FileResponse(HERE / "static" / name, media_type=STATIC[name])

    @router.get("/export/{rid}.csv", name="review_export")
    def export_csv(rid: str):
        """Long CSV (SPEC §5 columns) of the corrected report, plus review, machine_value, reviewed_by."""
        st = state_of(rid)
        rows = long_rows(st.fixed)  # SPEC §5 rows of the corrected report
        buf = io.StringIO()
        w = SafeDictWriter(buf, fieldnames=[*LONG_CSV_COLUMNS, "review", "machine_value", "reviewed_by"], extrasaction="ignore",
                           lineterminator="\n")
        w.writeheader()
        w.writerows(mark_long_rows(rows, st.events))
        return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{rid}.reviewed.csv"'})

    # -- API -------------------------------------------------------------------------------
    @router.get("/api/queue")
    def api_queue(request: Request):
        return [{"rid": it.rid, "key": list(it.key), "confidence": it.confidence, "why": it.why, "status": it.status,
                 "machine_value": it.machine_value, "value": it.value, "url": cell_url(request, it.rid, it.key)}
                for it in store.queue()]

    @router.get("/api/cell/{rid}/{table}/{row}/{col}")
    def api_cell(request: Request, rid: str, table: str, row: str, col: str):
        return cell_payload(request, state_of(rid), (table, row, col))

    def conflict(request: Request, st_rid: str, exc: StaleWriteError) -> JSONResponse:
        st = store.state(st_rid)
        fc = st.fixed_cell(exc.key)
        latest = exc.latest
        return JSONResponse(status_code=409, content={
            "error": "stale", "detail": "this cell was changed by someone else since you loaded it",
            "version": st.version, "value": fc.value if fc else exc.current_value,
            "by": latest.who if latest else None, "at": latest.at if latest else None,
            "action": latest.action if latest else None, "cell": cell_payload(request, st, exc.key)})

    @router.post("/api/cell/{rid}/{table}/{row}/{col}")
    def api_act(request: Request, rid: str, table: str, row: str, col: str, body: dict = Body(...)):
        """Body: {"action": "accept"|"correct", "value": "12" (correct), "version": <log version seen>}."""
        state_of(rid)
        action = body.get("action")
        if action not in ("accept", "correct"):
            raise HTTPException(422, "action must be accept or correct")
        try:
            version = int(body["version"])
        except (KeyError, TypeError, ValueError) as exc:
            raise HTTPException(422, "version (the log version you saw) is required") from exc
        value = None
        if action == "correct":
            try:
                value = parse_typed(str(body.get("value", "")))
            except ValueError as exc:
                raise HTTPException(422, f"不是数字：{str(body.get('value', ''))[:40]}（可输入 12、1,234、328.65，"
                                         f"或 - 表示空白）") from exc
        key = (table, row, col)
        try:
            event, before, after = store.act(rid, key, action, value, version, reviewer(request))
        except KeyError as exc:
            raise HTTPException(404, f"no cell {cell_ref(key)}") from exc
        except StaleWriteError as exc:
            return conflict(request, rid, exc)
        return done(request, event, before, after, key)

    @router.post("/api/undo/{rid}")
    def api_undo(request: Request, rid: str, body: dict = Body(...)):
        """Body: {"event": <id>} or {"key": [table,row,col]}; "version" optional: only the change
        still in force on its cell can be undone, so a stale undo gets 409 either way."""
        st = state_of(rid)
        try:
            version = int(body["version"]) if body.get("version") is not None else st.version
        except (TypeError, ValueError) as exc:
            raise HTTPException(422, "version must be an integer") from exc
        key = tuple(body["key"]) if body.get("key") else None
        try:
            event, before, after = store.undo(rid, body.get("event"), key, version, reviewer(request))
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from exc
        except StaleWriteError as exc:
            return conflict(request, rid, exc)
        return done(request, event, before, after, (event.table, event.row, event.col))

    def done(request: Request, event: Correction, before: ReportState, after: ReportState, key) -> dict:
        return {"event": event.model_dump(), "version": after.version, "cell": cell_payload(request, after, key),
                "rule_changes": _rule_changes(before.checks, after.checks, after.template), "rules_total": rule_counts(after),
                "nav": neighbours(request, after.rid, key)}

    router.review_store = store  # type: ignore[attr-defined]
    return router


def create_app(source: ReviewStore | Sequence[str | Path] | str | Path, threshold: float = 0.9,
               user: UserFn | None = None, allowed_hosts: list[str] | None = None,
               settings: Settings | None = None) -> FastAPI:
    """A stand-alone app with the review router at ``/review`` (what ``nianbao review`` serves),
    behind the guards of :mod:`nianbao.webguard` that ``nianbao serve`` uses too: writes only
    from this server's own pages, and with ``allowed_hosts`` only those Host names are answered
    (DNS-rebinding guard; ``nianbao review`` passes :func:`nianbao.webguard.trusted_hosts`)."""
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    app = FastAPI(title="nianbao review", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(CrossOriginWriteGuard)
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    router = create_review_router(source, threshold, user, settings)
    app.include_router(router, prefix="/review")
    app.state.review_store = router.review_store  # type: ignore[attr-defined]

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/review/")

    return app

"""简体中文 first, English on request, for the review page and the workbench.

Templates write both words in place, ``{{ t("复核队列", "Review queue") }}``: the Chinese is what a
clerk reads, the English what a programmer may switch to (``/lang/en``; a cookie keeps it).
Keeping the pair together keeps them in step; there is no catalogue to drift.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

LANG_COOKIE = "nianbao_lang"
LANGS = ("zh", "en")


def lang_of(request: Request) -> str:
    """``zh`` unless the request's cookie asks for English."""
    v = request.cookies.get(LANG_COOKIE, "zh")
    return v if v in LANGS else "zh"


@pass_context
def _t(ctx: Any, zh: str, en: str) -> str:
    return en if ctx.get("lang") == "en" else zh


def setup_i18n(templates: Jinja2Templates) -> None:
    """Give the templates ``t(zh, en)``; the context's ``lang`` picks."""
    templates.env.globals["t"] = _t


def safe_next(target: str, default: str) -> str:
    """A path on this server to go back to (never another site: no scheme, no ``//``)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target or "\n" in target or "\r" in target:
        return default
    return target


def lang_response(code: str, target: str, default: str) -> RedirectResponse:
    """Set the language cookie and go back to ``target``."""
    resp = RedirectResponse(safe_next(target, default), status_code=303)
    if code in LANGS:
        resp.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", httponly=True)
    return resp

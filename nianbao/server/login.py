"""The login form: a reviewer pastes the token once and the browser keeps a session cookie
(HttpOnly, SameSite=Lax, Secure over https), so the review pages work in a browser; logout
ends the session. Chinese first (the people who log in are clerks)."""

from __future__ import annotations

import html
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nianbao.server.auth import SESSION_COOKIE, LoginThrottle, Sessions, Users, client_address, local_path, session_id

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>登录 · nianbao 年报核对</title>
<style>
body{{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;background:#f4f5f7;margin:0}}
main{{max-width:26rem;margin:12vh auto;background:#fff;padding:2rem 2.2rem;border-radius:8px;
box-shadow:0 1px 4px rgba(0,0,0,.12)}}
h1{{font-size:1.35rem;margin:0 0 1.2rem}} label{{display:block;margin:.2rem 0 .4rem}}
input[type=password]{{width:100%;box-sizing:border-box;padding:.55rem;font-size:1rem;border:1px solid #bbb;border-radius:4px}}
button{{margin-top:1rem;padding:.55rem 1.4rem;font-size:1rem;background:#1f5fbf;color:#fff;border:0;border-radius:4px;cursor:pointer}}
.err{{color:#b00020;margin:.6rem 0}} .en{{color:#777;font-size:.85rem}} .ok{{margin:.6rem 0}}
</style></head><body><main>
<h1>政府信息公开年报核对 · 登录</h1>
{body}
</main></body></html>"""

FORM = """{error}<form method="post" action="/login">
<input type="hidden" name="next" value="{next}">
<label for="token">访问令牌 <span class="en">(access token)</span></label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">登录</button>
</form>
<p class="en">令牌由服务器管理员发放；登录后本浏览器保持登录 {hours:g} 小时，或直到退出。<br>
Ask the server's administrator for a token; this browser stays logged in for {hours:g} h or until you log out.</p>"""

LOGGED_IN = """<p class="ok">已登录：<b>{user}</b> <span class="en">(logged in as {user})</span></p>
<p><a href="{next}">继续 · continue</a></p>
<form method="post" action="/logout"><button type="submit">退出登录 <span class="en">log out</span></button></form>"""


def _landing(request: Request) -> str:
    """Where a login without ``next`` goes: the page at ``/`` if the app has one, else the review page."""
    return "/" if any(getattr(r, "path", None) == "/" for r in request.app.routes) else "/review/"


def create_login_router(users: Users | None, sessions: Sessions | None, hours: float,
                        throttle: LoginThrottle | None = None) -> APIRouter:
    """``GET/POST /login`` and ``POST /logout`` (public paths of :class:`AuthMiddleware`); wrong
    tokens typed into the form count against the address in ``throttle``."""
    router = APIRouter(include_in_schema=False)

    def page(body: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(PAGE.format(body=body), status_code=status,
                            headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"})

    def form(request: Request, target: str, error: str = "", status: int = 200) -> HTMLResponse:
        return page(FORM.format(next=html.escape(target), hours=hours,
                                error=f'<p class="err">{error}</p>' if error else ""), status)

    @router.get("/login")
    def login_page(request: Request, next: str | None = None) -> Response:
        target = local_path(next, _landing(request))
        if users is None:  # no auth on this server: nothing to log in to
            return RedirectResponse(target, status_code=303)
        user = getattr(request.state, "user", None)
        if user:
            return page(LOGGED_IN.format(user=html.escape(user), next=html.escape(target)))
        return form(request, target)

    @router.post("/login")
    async def login(request: Request) -> Response:
        fields: Any = await request.form()
        target = local_path(str(fields.get("next") or ""), _landing(request))
        if users is None or sessions is None:
            return RedirectResponse(target, status_code=303)
        address = client_address(request.scope)
        wait = throttle.retry_after(address) if throttle is not None else 0
        if wait:
            refused = form(request, target, f"错误次数过多，请 {wait} 秒后再试。 "
                           f"<span class=\"en\">(too many wrong tokens; try again in {wait} s)</span>", 429)
            refused.headers["Retry-After"] = str(wait)
            return refused
        name = users.authenticate(str(fields.get("token") or "").strip())
        if name is None:
            if throttle is not None:
                throttle.failed(address)
            return form(request, target, "令牌不正确，请重试。 <span class=\"en\">(wrong token)</span>", 401)
        old = session_id(request.scope)
        if old:
            sessions.delete(old)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(SESSION_COOKIE, sessions.create(name), max_age=int(hours * 3600), path="/",
                            httponly=True, samesite="lax", secure=request.url.scheme == "https")
        return response

    @router.post("/logout")
    def logout(request: Request) -> Response:
        sid = session_id(request.scope)
        if sid and sessions is not None:
            sessions.delete(sid)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                               secure=request.url.scheme == "https")
        return response

    return router

"""Request guards that run before any route, for every route of the server.

- the Host check (DNS rebinding): starlette's ``TrustedHostMiddleware``, the same guard
  ``nianbao review`` uses, over the names :func:`trusted_hosts` gives;
- :class:`CrossOriginWriteGuard`: no write (POST, PUT, PATCH, DELETE) from a page of another
  site (CSRF): the browser names the page's origin, and it must be this server;
- :class:`BodyLimitMiddleware`: the declared ``Content-Length`` is checked before a byte of
  the body is read, and a running count stops a body that says nothing or lies.
"""

from __future__ import annotations

import logging
from typing import Any, Callable
from urllib.parse import urlsplit

from nianbao.server.auth import _header, is_loopback, send_json

log = logging.getLogger("nianbao.server")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WILDCARD_BINDS = ("0.0.0.0", "::", "")


def trusted_hosts(bind_host: str, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Host header names to answer: the loopback names, the address bound, and ``extra``
    (``settings.server.allowed_hosts``). A server bound to every address with no names
    configured answers any name (it has a token: ``check_bind``), and says so."""
    if bind_host in WILDCARD_BINDS and not extra:
        log.warning("bound to %s with no settings.server.allowed_hosts (NIANBAO_SERVER__ALLOWED_HOSTS): "
                    "any Host name is answered", bind_host or "*")
        return ["*"]
    names = [*LOOPBACK_HOSTS, *extra]
    if bind_host not in WILDCARD_BINDS and not is_loopback(bind_host):
        names.append(bind_host)
    return list(dict.fromkeys(names))


class CrossOriginWriteGuard:
    """403 for a write whose ``Origin`` is not this server (or is ``null``), or that a browser
    marks ``Sec-Fetch-Site: cross-site``. A write carried by the session cookie must say where
    it comes from (every current browser sends ``Origin`` on POST); a bearer-token client
    (curl, scripts) need not. ``allowed_hosts``: other names the server is reached by."""

    def __init__(self, app: Any, allowed_hosts: list[str] | tuple[str, ...] = ()):
        self.app = app
        self.allowed = {h.lower() for h in allowed_hosts if h != "*"}

    def refusal(self, scope: dict) -> str | None:
        """Why this request is a cross-origin write (a websocket counts as one), or None."""
        if scope["type"] == "http" and scope["method"] in SAFE_METHODS:
            return None
        origin = _header(scope, b"origin")
        site = (_header(scope, b"sec-fetch-site") or "").lower()
        if site == "cross-site":
            return "cross-site write refused"
        if origin is not None:
            if origin == "null":
                return "cross-origin write refused (Origin: null)"
            parts = urlsplit(origin)
            host = (_header(scope, b"host") or "").lower()
            if parts.netloc.lower() != host and (parts.hostname or "").lower() not in self.allowed:
                return f"cross-origin write refused ({origin} is not this server)"
            return None
        if (scope.get("state") or {}).get("auth") == "cookie" and site not in ("same-origin", "none"):
            return "a write with the session cookie must come from a page of this server (no Origin header)"
        return None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            why = self.refusal(scope)
            if why and scope["type"] == "websocket":
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": 1008})
                return
            if why:
                await send_json(send, 403, {"detail": why})
                return
        await self.app(scope, receive, send)


class BodyTooLarge(Exception):
    """Raised from ``receive`` when a body passes its limit while the app reads it."""

    def __init__(self, limit: int):
        super().__init__(f"request body is over the upload limit of {_size(limit)}")
        self.limit = limit


def _size(n: int) -> str:
    return f"{n >> 20} MB" if n >= 1 << 20 else f"{n >> 10} kB"


class BodyLimitMiddleware:
    """Refuse a body over ``limit_for(scope)`` bytes with 413: a declared ``Content-Length``
    before anything is read, else as soon as the running count passes it."""

    def __init__(self, app: Any, limit_for: Callable[[dict], int]):
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.strip().isdigit() or int(declared) > limit):
            await send_json(send, 413 if declared.strip().isdigit() else 400,
                            {"detail": f"request body is over the upload limit of {_size(limit)}"
                             if declared.strip().isdigit() else "bad Content-Length"})
            return
        seen = 0
        started = False

        async def limited_receive() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge as e:
            if started:
                raise
            await send_json(send, 413, {"detail": str(e)})

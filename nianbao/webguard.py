"""The guards every nianbao web app puts in front of its routes: one implementation for
``nianbao serve`` (the server, its review page and workbench) and ``nianbao review``.

- the Host check (DNS rebinding: a page of another site that has its name point at 127.0.0.1
  must not read or write anything): starlette's ``TrustedHostMiddleware`` over the names
  :func:`trusted_hosts` gives;
- :class:`CrossOriginWriteGuard`: no write (POST, PUT, PATCH, DELETE, a websocket) from a page
  of another site (CSRF): the browser names the page's origin, and it must be this server.

Both are ASGI middleware, so they run before any route (a router included later is guarded
too) and before a byte of the body is read; an app adds ``CrossOriginWriteGuard`` and then
``TrustedHostMiddleware`` (the last added runs first). The server puts its user check between
them: the cross-origin check needs to know whether a write came with the session cookie. This module
depends on no other part of nianbao: the server (``nianbao.server``) and the review page
(``nianbao.review``) both use it without importing each other.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("nianbao.web")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WILDCARD_BINDS = ("0.0.0.0", "::", "")


def is_loopback(host: str) -> bool:
    """``host`` (a name or an address, IPv6 with or without brackets) is this machine only."""
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def trusted_hosts(bind_host: str, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Host header names to answer: the loopback names, the address bound, and ``extra``
    (``settings.server.allowed_hosts``). A server bound to every address with no names
    configured answers any name (it has a token: ``nianbao.server.auth.check_bind``), and says so."""
    if bind_host in WILDCARD_BINDS and not extra:
        log.warning("bound to %s with no settings.server.allowed_hosts (NIANBAO_SERVER__ALLOWED_HOSTS): "
                    "any Host name is answered", bind_host or "*")
        return ["*"]
    names = [*LOOPBACK_HOSTS, *extra]
    if bind_host not in WILDCARD_BINDS:
        names.append(bind_host)  # e.g. 127.0.0.2, or the address of the office's network
    return list(dict.fromkeys(names))


def header(scope: Mapping[str, Any], name: bytes) -> str | None:
    """The first value of header ``name`` (lower-case bytes) of an ASGI scope, or None."""
    for k, v in scope.get("headers") or []:
        if k == name:
            return str(v.decode("latin-1"))
    return None


async def send_json(send: Any, status: int, body: dict, headers: list[tuple[bytes, bytes]] | tuple = ()) -> None:
    """Answer an ASGI request with a JSON body (from a middleware, before any route runs)."""
    data = json.dumps(body, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": data})


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
        origin = header(scope, b"origin")
        site = (header(scope, b"sec-fetch-site") or "").lower()
        if site == "cross-site":
            return "cross-site write refused"
        if origin is not None:
            if origin == "null":
                return "cross-origin write refused (Origin: null)"
            parts = urlsplit(origin)
            host = (header(scope, b"host") or "").lower()
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


__all__ = ["CrossOriginWriteGuard", "LOOPBACK_HOSTS", "header", "is_loopback", "send_json",
           "trusted_hosts"]

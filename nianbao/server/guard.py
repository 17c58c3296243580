"""Request guards that run before any route, for every route of the server.

- the Host check (DNS rebinding) and :class:`CrossOriginWriteGuard` (CSRF): the ones
  ``nianbao review`` uses too, from :mod:`nianbao.webguard` (re-exported here);
- :class:`BodyLimitMiddleware`: the declared ``Content-Length`` is checked before a byte of
  the body is read, and a running count stops a body that says nothing or lies.
"""

from __future__ import annotations

from typing import Any, Callable

from nianbao.webguard import CrossOriginWriteGuard, header, send_json, trusted_hosts


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
        declared = header(scope, b"content-length")
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


__all__ = ["BodyLimitMiddleware", "BodyTooLarge", "CrossOriginWriteGuard", "trusted_hosts"]

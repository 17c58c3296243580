"""Who may use the server: named users with tokens, browser sessions, and the auth middleware.

Tokens come from a token file (``--token-file``) or the environment (``NIANBAO_TOKEN``, one
token for one user named ``default``). A token file holds one user a line::

    # name:token                or   name:sha256:<hex sha256 of the token>
    zhang:3q0rN6v...                 li:sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08

so the file need not hold the tokens themselves (``python -m nianbao.server.auth hash NAME``
prints a new random token and its line). A file whose only line has no ``:`` is one token for
``default`` (the old format). Every token sees and may correct every job and result of the
server; the name is what the review log records as ``who``.

:class:`AuthMiddleware` checks every request before anything reads its body: a bearer token,
or the session cookie the login form (:mod:`nianbao.server.login`) sets. Every route of the app
is behind it (routers included later too) except :data:`PUBLIC_PATHS`.

:class:`LoginThrottle` answers 429 to an address that presented too many wrong tokens (bearer
or login form) in a short window, so tokens cannot be guessed at the server's speed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import sys
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote

from nianbao.webguard import header, is_loopback, send_json

TOKEN_ENV = "NIANBAO_TOKEN"
DEFAULT_USER = "default"
SESSION_COOKIE = "nianbao_session"
# reachable without a token: a minimal health answer, and the login form itself
PUBLIC_PATHS = frozenset({"/v1/health", "/login", "/logout"})
_NAME = re.compile(r"[^\s:#]{1,64}")
_HASHED = re.compile(r"sha256:([0-9a-fA-F]{64})")


class AuthConfigError(ValueError):
    """The server would be reachable from other machines without a token, or the token file is bad."""


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


@dataclass(frozen=True)
class User:
    name: str
    digest: bytes  # sha256 of the token: the token itself need not be kept


class Users:
    """The named users of a server and their token digests."""

    def __init__(self, users: list[User]):
        if not users:
            raise AuthConfigError("no users")
        self.users = users

    @classmethod
    def single(cls, token: str, name: str = DEFAULT_USER) -> Users:
        return cls([User(name, token_digest(token))])

    @classmethod
    def parse(cls, text: str, source: str) -> Users:
        """Read token-file lines (``name:token``, ``name:sha256:<hex>``, or one bare token)."""
        lines = [(i, ln.strip()) for i, ln in enumerate(text.splitlines(), 1)]
        lines = [(i, ln) for i, ln in lines if ln and not ln.startswith("#")]
        if not lines:
            raise AuthConfigError(f"token file {source} is empty")
        if len(lines) == 1 and ":" not in lines[0][1]:
            return cls.single(lines[0][1])
        users: list[User] = []
        for i, line in lines:
            name, sep, secret = line.partition(":")
            name, secret = name.strip(), secret.strip()
            if not sep or not secret:
                raise AuthConfigError(f"{source} line {i}: expected name:token or name:sha256:<hex>")
            if not _NAME.fullmatch(name) or any(unicodedata.category(ch)[0] == "C" for ch in name):
                raise AuthConfigError(f"{source} line {i}: a user name is 1-64 characters, no spaces, ':' or '#'")
            hashed = _HASHED.fullmatch(secret)
            digest = bytes.fromhex(hashed.group(1)) if hashed else token_digest(secret)
            if any(u.name == name for u in users):
                raise AuthConfigError(f"{source} line {i}: user {name!r} appears twice")
            if any(u.digest == digest for u in users):
                raise AuthConfigError(f"{source} line {i}: user {name!r} has the same token as another user")
            users.append(User(name, digest))
        return cls(users)

    def authenticate(self, token: str) -> str | None:
        """The name of the user whose token this is (every entry compared, in constant time)."""
        digest = token_digest(token)
        found = None
        for u in self.users:
            if hmac.compare_digest(u.digest, digest):
                found = u.name
        return found

    def __contains__(self, name: str) -> bool:
        return any(u.name == name for u in self.users)

    def __len__(self) -> int:
        return len(self.users)


def load_users(token_file: str | Path | None = None) -> Users | None:
    """``--token-file`` wins over ``NIANBAO_TOKEN``; None means no auth (localhost only)."""
    if token_file is not None:
        p = Path(token_file)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise AuthConfigError(f"cannot read token file {p}: {getattr(e, 'strerror', None) or e}") from e
        return Users.parse(text, str(p))
    token = os.environ.get(TOKEN_ENV, "").strip()
    return Users.single(token) if token else None


def check_bind(host: str, users: Users | str | None) -> None:
    """Refuse to serve other machines without a token."""
    if users is None and not is_loopback(host):
        raise AuthConfigError(
            f"refusing to listen on {host} without auth: set {TOKEN_ENV} or pass --token-file "
            "(without a token the server binds to 127.0.0.1 only)")


# ---------------------------------------------------------------- browser sessions


class Sessions:
    """Login sessions in the server's SQLite database (table ``sessions``), so they survive a
    restart and a logout ends them at once. The cookie holds a random id; the table only its
    sha256."""

    def __init__(self, db: Path, hours: float):
        self.db = db
        self.seconds = hours * 3600

    def _con(self) -> sqlite3.Connection:
        from nianbao.server.queue import connect

        return connect(self.db)

    @staticmethod
    def _key(sid: str) -> str:
        return hashlib.sha256(sid.encode("utf-8", "replace")).hexdigest()

    def create(self, user: str) -> str:
        sid = secrets.token_urlsafe(32)
        now = time.time()
        con = self._con()
        try:
            con.execute("DELETE FROM sessions WHERE expires_at < ?", (now,))
            con.execute("INSERT INTO sessions(id, user, created_at, expires_at) VALUES (?,?,?,?)",
                        (self._key(sid), user, now, now + self.seconds))
        finally:
            con.close()
        return sid

    def user(self, sid: str) -> str | None:
        con = self._con()
        try:
            row = con.execute("SELECT user FROM sessions WHERE id=? AND expires_at > ?",
                              (self._key(sid), time.time())).fetchone()
        finally:
            con.close()
        return row["user"] if row else None

    def delete(self, sid: str) -> None:
        con = self._con()
        try:
            con.execute("DELETE FROM sessions WHERE id=?", (self._key(sid),))
        finally:
            con.close()


# ---------------------------------------------------------------- the middleware


def session_id(scope: Mapping[str, Any]) -> str | None:
    raw = header(scope, b"cookie")
    if not raw:
        return None
    try:
        morsel = SimpleCookie(raw).get(SESSION_COOKIE)
    except Exception:  # a malformed Cookie header is no session
        return None
    return morsel.value if morsel and morsel.value else None


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this server, else ``default`` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target \
            or any(ord(ch) < 32 for ch in target):
        return default
    return target


class LoginThrottle:
    """Wrong tokens per client address in a sliding window: after ``max_failures`` wrong tokens
    within ``window_s`` seconds, that address is refused (429, ``Retry-After``) until its oldest
    failure leaves the window. A right token never clears another address's failures. Kept in
    memory and bounded (``max_addresses``; the stalest address is forgotten first): a restart
    forgets it, which costs a guesser a restart per ``max_failures`` tries. Behind a reverse proxy
    every client shares the proxy's address; the limit then holds for all of them together."""

    def __init__(self, max_failures: int, window_s: float, max_addresses: int = 10_000,
                 clock: Any = time.monotonic):
        self.max_failures = max_failures
        self.window_s = window_s
        self.max_addresses = max_addresses
        self.clock = clock
        self._failures: dict[str, list[float]] = {}

    def _recent(self, address: str) -> list[float]:
        now = self.clock()
        times = [t for t in self._failures.get(address, ()) if now - t < self.window_s]
        if times:
            self._failures[address] = times
        else:
            self._failures.pop(address, None)
        return times

    def retry_after(self, address: str) -> int:
        """Seconds until ``address`` may try again; 0 when it may now."""
        if self.max_failures <= 0:
            return 0
        times = self._recent(address)
        if len(times) < self.max_failures:
            return 0
        return max(1, int(times[-self.max_failures] + self.window_s - self.clock()) + 1)

    def failed(self, address: str) -> None:
        """Record one wrong token from ``address``."""
        if self.max_failures <= 0:
            return
        times = self._recent(address)
        times.append(self.clock())
        self._failures.pop(address, None)
        self._failures[address] = times[-self.max_failures:]  # most recent last: dict order = staleness
        while len(self._failures) > self.max_addresses:
            del self._failures[next(iter(self._failures))]


def client_address(scope: Mapping[str, Any]) -> str:
    """The peer's address as the ASGI server saw it ("" when unknown)."""
    client = scope.get("client")
    return str(client[0]) if client else ""


class AuthMiddleware:
    """Puts the user (``scope["state"]["user"]``, read by routes as ``request.state.user``) on
    every request from a bearer token or a session cookie, and answers 401 (or, for a browser
    asking for a page, a redirect to ``/login``) before the app reads any of the body.
    ``users`` None: no auth (the server then listens on loopback only)."""

    def __init__(self, app: Any, users: Users | None, sessions: Sessions | None,
                 throttle: LoginThrottle | None = None):
        self.app = app
        self.users = users
        self.sessions = sessions
        self.throttle = throttle

    def identify(self, scope: dict) -> tuple[str | None, str | None]:
        """(user, how): how is "token" or "cookie"; a wrong bearer token is counted by the throttle."""
        users = self.users
        if users is None:
            return None, None
        auth = header(scope, b"authorization")
        if auth:
            scheme, _, credentials = auth.partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                name = users.authenticate(credentials.strip())
                if name:
                    return name, "token"
                if self.throttle is not None:
                    self.throttle.failed(client_address(scope))
        sid = session_id(scope)
        if sid and self.sessions is not None:
            name = self.sessions.user(sid)
            if name and name in users:  # a user taken out of the token file is logged out
                return name, "cookie"
        return None, None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket") or self.users is None:
            await self.app(scope, receive, send)
            return
        if self.throttle is not None and header(scope, b"authorization"):
            wait = self.throttle.retry_after(client_address(scope))
            if wait:  # refused before the token is even compared
                await send_json(send, 429, {"detail": "too many wrong tokens from this address; try again later",
                                            "retry_after_s": wait},
                                [(b"retry-after", str(wait).encode())])
                return
        user, how = self.identify(scope)
        state = scope.setdefault("state", {})
        if user is not None:
            state["user"], state["auth"] = user, how
        elif scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})
            return
        elif scope["path"] not in PUBLIC_PATHS:
            accept = header(scope, b"accept") or ""
            if scope["method"] in ("GET", "HEAD") and "text/html" in accept:
                raw = scope.get("raw_path") or quote(scope["path"]).encode()
                qs = scope.get("query_string", b"")
                target = (scope.get("root_path", "") + raw.decode("latin-1")
                          + (f"?{qs.decode('latin-1')}" if qs else ""))  # as the browser sent it
                await send({"type": "http.response.start", "status": 303,
                            "headers": [(b"location", f"/login?next={quote(target, safe='')}".encode()),
                                        (b"content-length", b"0")]})
                await send({"type": "http.response.body", "body": b""})
                return
            await send_json(send, 401, {"detail": "missing or wrong bearer token (or log in at /login)"},
                            [(b"www-authenticate", b"Bearer")])
            return
        await self.app(scope, receive, send)


def _main(argv: list[str]) -> int:
    """``python -m nianbao.server.auth hash NAME``: a new random token and its token-file line."""
    if len(argv) != 2 or argv[0] != "hash" or not _NAME.fullmatch(argv[1]):
        print("usage: python -m nianbao.server.auth hash NAME", file=sys.stderr)
        return 2
    token = secrets.token_urlsafe(32)
    print(f"token for {argv[1]} (give it to them; it is not stored): {token}")
    print(f"line for the token file: {argv[1]}:sha256:{hashlib.sha256(token.encode()).hexdigest()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))

"""Bearer-token auth for the server.

The token comes from the environment (``NIANBAO_TOKEN``) or a file (``--token-file``, first
line). Without a token the server runs without auth and binds to localhost only.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from pathlib import Path

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

TOKEN_ENV = "NIANBAO_TOKEN"
_bearer = HTTPBearer(auto_error=False, description="The server token (NIANBAO_TOKEN or --token-file).")


class AuthConfigError(ValueError):
    """The server would be reachable from other machines without a token, or the token file is bad."""


def load_token(token_file: str | Path | None = None) -> str | None:
    """``--token-file`` wins over ``NIANBAO_TOKEN``; empty values mean no token."""
    if token_file is not None:
        p = Path(token_file)
        try:
            lines = p.read_text(encoding="utf-8").splitlines()
        except OSError as e:
            raise AuthConfigError(f"cannot read token file {p}: {e.strerror or e}") from e
        token = lines[0].strip() if lines else ""
        if not token:
            raise AuthConfigError(f"token file {p} is empty")
        return token
    token = os.environ.get(TOKEN_ENV, "").strip()
    return token or None


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve other machines without a token."""
    if token is None and not is_loopback(host):
        raise AuthConfigError(
            f"refusing to listen on {host} without auth: set {TOKEN_ENV} or pass --token-file "
            "(without a token the server binds to 127.0.0.1 only)")


def make_auth_dependency(token: str | None):
    """A FastAPI dependency that checks ``Authorization: Bearer <token>`` (no-op without a token)."""

    def require_token(request: Request, creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> None:
        if token is None:
            return
        if creds is None or creds.scheme.lower() != "bearer" or not hmac.compare_digest(
                creds.credentials.encode(), token.encode()):
            raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})
        request.state.user = "token"

    return require_token

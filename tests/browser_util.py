"""Shared by the browser tests: Debian's chromium through Playwright (never `playwright install`),
an app served on a free 127.0.0.1 port in a thread, and screenshots for the docs.

Set NIANBAO_REVIEW_SCREENSHOTS=docs/img to refresh the screenshots in the docs (PNG, 128-colour
palette to keep each small)."""

from __future__ import annotations

import os
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(app, timeout: float = 30.0):
    """Run ``app`` with uvicorn on a free 127.0.0.1 port in a thread; yields the base URL."""
    import uvicorn

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    deadline = time.time() + timeout
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        th.join(15)


def local_only(page) -> None:
    """Nothing but the local server may be reached from the page."""
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1:")
               else route.abort())


def shot(pg, name: str, tmp: Path, full_page: bool = False) -> Path:
    docs = os.environ.get("NIANBAO_REVIEW_SCREENSHOTS")
    out = Path(docs or tmp)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    pg.screenshot(path=str(path), full_page=full_page)
    if docs:  # keep the committed pictures small: 128-colour palette
        from PIL import Image

        with Image.open(path) as im:
            small = im.convert("RGB").quantize(colors=128)
        small.save(path, optimize=True)
    return path

"""``nianbao serve``: an HTTP API with a durable SQLite job queue and worker processes.

See :mod:`nianbao.server.app` for the endpoints and :mod:`nianbao.server.queue` for the data
folder layout (results are Report JSON files under ``DATA_DIR/results/`` keyed by sha256,
so :mod:`nianbao.corrections` and the review page work on them in place).
"""

from __future__ import annotations

import logging
from pathlib import Path

from nianbao.batch import DEFAULT_PARSER

DEFAULT_DATA_DIR = Path("nianbao-data")


def serve(host: str = "127.0.0.1", port: int = 8000, data_dir: str | Path = DEFAULT_DATA_DIR, workers: int = 1,
          token_file: str | Path | None = None, parser: str = DEFAULT_PARSER, log_level: str = "info") -> None:
    """Run the server until interrupted (uvicorn, one process; ``workers`` parse processes)."""
    import uvicorn

    from nianbao.server.app import ServerConfig, create_app, lock_data_dir
    from nianbao.server.auth import check_bind, load_users
    from nianbao.settings import Settings

    users = load_users(token_file)
    check_bind(host, users)  # raises AuthConfigError: no token and not localhost
    logging.basicConfig(level=getattr(logging, log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    lock = lock_data_dir(Path(data_dir))  # raises DataDirBusy (one line, no traceback): a second server
    settings = Settings()
    config = ServerConfig(data_dir=Path(data_dir), workers=workers, users=users, settings=settings, parser=parser,
                          host=host, data_lock=lock)
    app = create_app(config)
    logging.getLogger("nianbao.server").info(
        "data in %s; %d worker(s); auth %s", Path(data_dir).resolve(), workers,
        f"on ({len(users)} user(s))" if users else "OFF (localhost only)")
    proxies = settings.server.trusted_proxies  # forwarded headers believed from these only (none by default)
    uvicorn.run(app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=10,
                proxy_headers=bool(proxies), forwarded_allow_ips=",".join(proxies) or None)


__all__ = ["serve", "DEFAULT_DATA_DIR"]

"""``nianbao review PATH``: find or make the result JSONs, then serve the review page locally."""

from __future__ import annotations

import threading
import webbrowser
from pathlib import Path

from nianbao.errors import InputFileError, NianbaoError
from nianbao.fileio import atomic_write_text, sha256_file
from nianbao.results import BadResultError, is_current, read_report
from nianbao.review.store import discover_results
from nianbao.settings import Settings
from nianbao.webguard import is_loopback, trusted_hosts


def resolve_results(path: str | Path, work_dir: str | Path | None = None, settings: Settings | None = None) -> list[Path]:
    """Result JSON files for ``path``: the file itself (a result JSON), the Reports in a batch
    output folder, or for any other input file the JSON its parse writes into ``work_dir``
    (default ``<folder>/nianbao-review/``), reused while the input's sha256 is unchanged."""
    p = Path(path)
    if not p.exists():
        raise InputFileError(str(p), "no such file or folder")
    if p.is_dir() or p.suffix.lower() == ".json":
        found = discover_results([p])
        if not found:
            raise InputFileError(str(p), "no result JSON (a parsed Report) found")
        if p.is_file():
            try:
                read_report(p)
            except BadResultError as exc:
                raise InputFileError(str(p), exc.reason) from None
        return found
    out_dir = Path(work_dir) if work_dir else p.parent / "nianbao-review"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{p.stem}.json"
    digest = sha256_file(p)
    settings = settings or Settings()
    if out.exists():
        try:
            kept = read_report(out)
            if kept.source.sha256 == digest and is_current(kept, settings):
                return [out]
        except BadResultError:
            pass  # parsed again below
    from nianbao.pipeline import parse_file

    report = parse_file(p, settings)
    atomic_write_text(out, report.model_dump_json(indent=1))
    return [out]


def serve(path: str | Path, threshold: float | None = None, host: str = "127.0.0.1", port: int = 8765,
          open_browser: bool = True, work_dir: str | Path | None = None, settings: Settings | None = None) -> None:
    """Serve the review page for ``path`` until interrupted; open the browser unless told not to.
    ``threshold`` defaults to ``settings.confidence.silent_threshold``."""
    import uvicorn

    settings = settings or Settings()
    if threshold is None:
        threshold = settings.confidence.silent_threshold

    from nianbao.review.app import create_app

    if not is_loopback(host):
        raise NianbaoError(f"{host}: nianbao review has no login and serves this machine only; for reviewers on "
                                   "other machines use 'nianbao serve' (bearer token), which mounts this page at /review")
    results = resolve_results(path, work_dir, settings)
    app = create_app(results, threshold, allowed_hosts=trusted_hosts(host), settings=settings)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/review/"
    print(f"reviewing {len(results)} report(s) at {url}  (Ctrl+C stops)", flush=True)
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(app, host=host, port=port, log_level="warning")


__all__ = ["resolve_results", "serve"]

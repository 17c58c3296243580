"""Review low-confidence cells in a browser: a queue, one cell at a time with its crop, the
rules re-run after every change, and corrections in the append-only audit log."""

from nianbao.review.app import create_app, create_review_router
from nianbao.review.store import ReviewStore, discover_results
from nianbao.review.serve import resolve_results, serve

__all__ = ["ReviewStore", "create_app", "create_review_router", "discover_results", "resolve_results", "serve"]

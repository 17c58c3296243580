from __future__ import annotations

import os
from pathlib import Path

import pytest


def _require_installed_package() -> None:
    """nianbao.models/layout/ocr live in models/, layout/, ocr/ and exist as such only once
    the package is installed (setuptools package-dir): say so instead of 40 import errors."""
    try:
        import nianbao.layout  # noqa: F401
    except ImportError as exc:
        raise pytest.UsageError(
            f"nianbao is not installed here ({exc}). From the repository root run:\n"
            '    python -m pip install -e ".[dev]"\n'
            "(the editable install maps models/, layout/ and ocr/ to nianbao.models/layout/ocr "
            "and brings pytest, the export/server/ray extras and the linters)") from None


def pytest_configure(config: pytest.Config) -> None:
    _require_installed_package()


REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NIANBAO_SHARED", REPO.parent / "shared"))
SEEDS = SHARED / "seeds"
TEST_DATA = REPO / "tests" / "data"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"seed reports not found at {SEEDS} (set NIANBAO_SHARED)")
    return SEEDS

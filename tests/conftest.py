from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NIANBAO_SHARED", REPO.parent / "shared"))
SEEDS = SHARED / "seeds"
TEST_DATA = REPO / "tests" / "data"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"seed reports not found at {SEEDS} (set NIANBAO_SHARED)")
    return SEEDS

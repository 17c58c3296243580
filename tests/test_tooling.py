"""The harness itself: a checkout that is not installed gets one line saying how to install it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_tests_without_the_installed_package_say_to_pip_install_dev():
    # nianbao.layout made unimportable, as in a checkout never installed with pip install -e
    code = ("import sys; sys.modules['nianbao.layout'] = None; import pytest; "
            "sys.exit(pytest.main(['tests/readers/test_readers.py', '-q', '-p', 'no:cacheprovider']))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert 'pip install -e ".[dev]"' in out and "Traceback" not in out


@pytest.mark.slow
def test_linters_and_the_layer_contracts_pass():
    """ruff (bug-catching rules), import-linter (every module in its layer, no import cycle) and
    mypy on the package: ``scripts/lint.sh``, run by the whole suite so CI holds the code to them."""
    if shutil.which("ruff") is None or shutil.which("lint-imports") is None:
        pytest.skip('the linters come with the dev extra: pip install -e ".[dev]"')
    proc = subprocess.run(["bash", str(REPO / "scripts" / "lint.sh")], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]

"""Settings are resolved once, at the entry points, and handed down typed: no stage builds a
``Settings()`` (or a part of one) of its own, nor takes ``settings=None`` to build one later.
Read from the source (``ast``), so a new stage that does is named here."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# the stages: every module below nianbao.pipeline in the import-linter layers
STAGE_FILES = sorted(
    [*(REPO / "layout").rglob("*.py"), *(REPO / "ocr").rglob("*.py"), *(REPO / "models").rglob("*.py"),
     *(REPO / "nianbao" / "readers").rglob("*.py")]
    + [REPO / "nianbao" / f"{name}.py" for name in (
        "ingest", "scan", "debug_draw", "assembly", "checks", "confidence", "statements", "suggestions",
        "metadata", "numbers", "labels", "wording", "output")])
SETTINGS_CLASSES = {"Settings", "LayoutSettings", "StructureSettings", "OcrSettings", "AssemblySettings",
                    "ConfidenceSettings", "Limits", "ServerSettings"}


def _findings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name in SETTINGS_CLASSES and not node.args and not node.keywords:
                out.append(f"{path.relative_to(REPO)}:{node.lineno} builds {name}()")
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args.args + node.args.kwonlyargs
            defaults = [None] * (len(node.args.args) - len(node.args.defaults)) + list(node.args.defaults) \
                + list(node.args.kw_defaults)
            for arg, default in zip(args, defaults):
                if "settings" in arg.arg and isinstance(default, ast.Constant) and default.value is None:
                    out.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name}({arg.arg}=None)")
    return out


def test_no_stage_builds_its_own_settings():
    assert len(STAGE_FILES) > 20 and all(p.exists() for p in STAGE_FILES)
    findings = [f for p in STAGE_FILES for f in _findings(p)]
    assert not findings, "resolve Settings at the entry point and pass them down typed:\n" + "\n".join(findings)

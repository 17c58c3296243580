#!/usr/bin/env bash
# Code checks: ruff (bug-catching rules only), import-linter (layers, no cycles) and mypy on the
# package. Configuration: pyproject.toml ([tool.ruff], [tool.importlinter], [tool.mypy]).
# Needs the dev extra: pip install -e ".[dev]". Exit status: non-zero when any check fails
# (all three always run, so one run shows every finding).
#
# nianbao.models, nianbao.layout and nianbao.ocr live in models/, layout/ and ocr/ (setuptools
# package-dir), which neither grimp nor mypy can follow through an editable install: both run on
# a temporary tree of symlinks with the installed layout, and mypy's paths are mapped back.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
tree=$(mktemp -d "${TMPDIR:-/tmp}/nianbao-lint.XXXXXX")
trap 'rm -rf "$tree"' EXIT
mkdir "$tree/nianbao"
for entry in nianbao/*; do
  ln -s "$repo/$entry" "$tree/nianbao/$(basename "$entry")"
done
for sub in models layout ocr; do
  ln -s "$repo/$sub" "$tree/nianbao/$sub"
done

status=0
echo "== ruff"
ruff check "$repo" || status=1
echo "== import-linter"
(cd "$tree" && lint-imports "$repo/pyproject.toml" --no-cache) || status=1
echo "== mypy"
(cd "$tree" && mypy --config-file "$repo/pyproject.toml" --cache-dir "$repo/.mypy_cache" -p nianbao) \
  | sed -E 's#^nianbao/(models|layout|ocr)/#\1/#' || status=1
exit $status

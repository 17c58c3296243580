"""Compare two per-cell bench CSVs (``nianbao bench DIR --csv OUT``) cell by cell.

    python scripts/bench_diff.py before.csv after.csv

Prints every cell whose value, text, confidence, status or silent flag differs (and cells only
in one file), then a count; exits 1 when anything differs. A refactor that says "behaviour
unchanged" shows an empty diff on the same fixtures.
"""

from __future__ import annotations

import csv
import sys

KEY = ("report", "engine", "table", "row", "col")
COMPARED = ("value", "text", "confidence", "page", "status", "silent")


def load(path: str) -> dict[tuple[str, ...], dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {tuple(r[k] for k in KEY): r for r in csv.DictReader(fh)}


def diff(before: dict, after: dict) -> list[str]:
    out = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if b is None or a is None:
            out.append(f"{'.'.join(key)}: only in {'after' if b is None else 'before'}")
            continue
        changed = [f"{c} {b[c]!r} -> {a[c]!r}" for c in COMPARED if b.get(c) != a.get(c)]
        if changed:
            out.append(f"{'.'.join(key)}: " + "; ".join(changed))
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    before, after = load(argv[0]), load(argv[1])
    lines = diff(before, after)
    for line in lines:
        print(line)
    print(f"{len(lines)} of {len(set(before) | set(after))} cells differ")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

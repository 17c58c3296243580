#!/usr/bin/env python
"""Throughput of ``nianbao batch``: pages/s (and files/s) for 1 and 2 workers, local process
pool and Ray, on a folder of inputs. Each configuration parses every input from scratch
(a fresh output folder), so the figures include worker start-up and OCR model loading;
Ray's own start (``ray.init``) is timed apart and not counted.

    python scripts/throughput.py fixtures/samples --workers 1 2 --executors local ray
    python scripts/throughput.py fixtures/samples --limit 4 --json throughput.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from nianbao.batch import collect_inputs, run_batch


def measure(files: list[Path], executor: str, workers: int) -> dict:
    ray_init = None
    if executor == "ray":
        import ray

        t = time.perf_counter()
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        ray_init = time.perf_counter() - t
    try:
        with tempfile.TemporaryDirectory(prefix="nianbao-throughput-") as out:
            s = run_batch(files, out, workers=workers, executor=executor, progress=False)
    finally:
        if executor == "ray":
            import ray

            ray.shutdown()
    return {
        "executor": executor, "workers": workers, "files": s.done, "failed": s.failed, "pages": s.pages_parsed,
        "seconds": round(s.seconds, 2), "pages_per_s": round(s.pages_parsed / s.seconds, 3) if s.seconds else 0.0,
        "files_per_s": round(s.done / s.seconds, 3) if s.seconds else 0.0,
        "ray_init_s": None if ray_init is None else round(ray_init, 1),
        "errors": [f"{e['path']}: {e['error_type']}: {e['reason']}" for e in s.errors],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", nargs="+", help="files, folders or globs")
    ap.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--executors", nargs="+", choices=["local", "ray"], default=["local", "ray"])
    ap.add_argument("--limit", type=int, default=None, help="use only the first N inputs")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args(argv)

    files = collect_inputs(args.inputs)[: args.limit]
    if not files:
        ap.error("no inputs found")
    rows = []
    for executor in args.executors:
        if executor == "ray":
            import importlib.util

            if importlib.util.find_spec("ray") is None:
                print("ray is not installed (pip install 'nianbao[ray]'): skipping the Ray rows", file=sys.stderr)
                continue
        for w in args.workers:
            row = measure(files, executor, w)
            rows.append(row)
            print(f"{executor:5s} workers={w}: {row['files']} files, {row['pages']} pages in {row['seconds']:.1f} s "
                  f"= {row['pages_per_s']:.3f} pages/s, {row['files_per_s']:.3f} files/s"
                  + (f" (ray.init {row['ray_init_s']} s, not counted)" if row["ray_init_s"] is not None else ""),
                  flush=True)
            for e in row["errors"]:
                print(f"  failed: {e}", flush=True)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "loadavg": load,
               "inputs": [str(f) for f in files]}
    print("\n| executor | workers | files | pages | seconds | pages/s | files/s |\n|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['executor']} | {r['workers']} | {r['files']} | {r['pages']} | {r['seconds']} | {r['pages_per_s']} | "
              f"{r['files_per_s']} |")
    print(f"\n{machine['cpus']} CPUs, load average {load}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "machine": machine}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

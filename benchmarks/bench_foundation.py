"""Foundation benchmark: generate, load and run worlds of 100k, 1M (and 10M) trades.

    .venv/bin/python benchmarks/bench_foundation.py                 # 100k and 1M
    .venv/bin/python benchmarks/bench_foundation.py --sizes 10000000

Prints size, seconds, rows per second and peak memory for each step. Worlds are written under
data/worlds/ (git-ignored) and removed afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from _harness import ROOT, print_table, run_child

GEN = """
import json, time
from pathlib import Path
from connectors.sample_world import generate_world
t = time.perf_counter()
s = generate_world(Path({out!r}), trades={n}, days={days}, seed=7)
print(json.dumps({{"seconds": time.perf_counter() - t}}))
"""
LOAD = """
import json, time
from engine.config import load_config
from connectors.loader import load_paths
cfg = load_config()
t = time.perf_counter()
r = load_paths(cfg, {feeds!r}, publish=False)
print(json.dumps({{"seconds": time.perf_counter() - t, "rows_read": r.rows_read, "quarantined": r.rows_quarantined, "files": len(r.batches)}}))
"""
RUN = """
import json, time
from engine.config import load_config
from engine.run import run_eod, latest_business_date
cfg = load_config()
d = latest_business_date(cfg)
t = time.perf_counter()
r = run_eod(cfg, d, publish=False)
print(json.dumps({{"seconds": time.perf_counter() - t, "as_of": str(d), "steps": len(r.steps)}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    rows = []
    for n in [int(x) for x in args.sizes.split(",")]:
        base = ROOT / "data" / "worlds" / f"w{n}"
        shutil.rmtree(base, ignore_errors=True)
        out = base / "feeds"
        env = {
            "MIDOFFICE_STORE__PATH": str(base / "store.duckdb"),
            "MIDOFFICE_STORE__PUBLISHED_PATH": str(base / "published.duckdb"),
            "MIDOFFICE_STORE__WORKFLOW_PATH": str(base / "workflow.duckdb"),
        }
        rows.append(run_child("generate", n, GEN.format(out=str(out), n=n, days=args.days), env))
        feed_dirs = [str(p) for p in sorted(Path(out).iterdir()) if p.is_dir() and p.name != "truth"]
        rows.append(run_child("load", n, LOAD.format(feeds=feed_dirs), env))
        rows.append(run_child("run (end of day)", n, RUN.format(), env))
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print_table("midoffice foundation benchmark (2 cores)", rows)


if __name__ == "__main__":
    main()

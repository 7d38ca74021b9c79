"""Sample-world generator benchmark: 100k and 1M trades by default, 10M on request.

    .venv/bin/python benchmarks/bench_generate.py                      # 100k and 1M, 60 days
    .venv/bin/python benchmarks/bench_generate.py --sizes 10000000     # 10M (about 166k trades a day)
    .venv/bin/python benchmarks/bench_generate.py --plan default       # with the FORMAT_PLAN in force

Each size runs in a fresh child process; its peak memory is the child's own maximum RSS
(``resource.getrusage(RUSAGE_SELF).ru_maxrss`` read by the child at the end), so sizes do not
inherit each other's peak. ``--plan csv`` (the default) writes every feed as CSV: the generator
itself; ``--plan default`` uses ``connectors.sample_world.FORMAT_PLAN`` (FIX, XLSX ... writers).
Worlds are written under data/worlds/ (git-ignored) and removed unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, time
from pathlib import Path
from connectors.sample_world import FORMAT_PLAN, FormatPlan, generate_world
plan = FormatPlan() if {plan!r} == "csv" else FORMAT_PLAN
t = time.perf_counter()
s = generate_world(Path({out!r}), trades={n}, days={days}, seed={seed}, format_plan=plan)
seconds = time.perf_counter() - t
files = [p for p in Path({out!r}).rglob("*") if p.is_file()]
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{
    "seconds": seconds, "cpu_seconds": ru.ru_utime + ru.ru_stime, "peak_mib": ru.ru_maxrss / 1024,
    "files": len(files), "mib_written": sum(p.stat().st_size for p in files) / 2**20,
    "breaks": s.to_dict()["breaks_total"],
}}))
"""


def run_size(n: int, days: int, seed: int, plan: str, out: Path) -> dict[str, float]:
    code = CHILD.format(out=str(out), n=n, days=days, seed=seed, plan=plan)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=dict(os.environ))
    if proc.returncode != 0:
        raise RuntimeError(f"generate {n:,} failed:\n{proc.stderr[-3000:]}")
    result = json.loads([ln for ln in proc.stdout.splitlines() if ln.startswith("{")][-1])
    result["wall_seconds"] = time.perf_counter() - t0
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000", help="comma-separated trade counts")
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--plan", choices=("csv", "default"), default="csv")
    ap.add_argument("--keep", action="store_true", help="keep the generated worlds")
    args = ap.parse_args()
    rows = []
    for n in [int(x) for x in args.sizes.split(",")]:
        out = ROOT / "data" / "worlds" / f"gen{n}"
        shutil.rmtree(out, ignore_errors=True)
        r = run_size(n, args.days, args.seed, args.plan, out)
        rows.append((n, r))
        print(f"generated {n:,} trades in {r['seconds']:.1f} s", file=sys.stderr)
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    print(f"\nmidoffice sample-world generator ({args.days} business days, plan {args.plan}, {os.cpu_count()} cores)")
    print(f"{'trades':>12}{'seconds':>10}{'cpu s':>9}{'trades/s':>12}{'peak MiB':>10}{'files':>8}{'MiB written':>13}"
          f"{'breaks':>9}")
    for n, r in rows:
        print(f"{n:>12,}{r['seconds']:>10.1f}{r['cpu_seconds']:>9.1f}{n / r['seconds']:>12,.0f}{r['peak_mib']:>10,.0f}"
              f"{r['files']:>8,}{r['mib_written']:>13,.0f}{r['breaks']:>9,}")
    print("seconds: wall clock of generate_world; cpu s: its CPU time (user + system), which a busy machine "
          "does not inflate")


if __name__ == "__main__":
    main()

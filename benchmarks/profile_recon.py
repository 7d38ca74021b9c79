"""Where the reconciliation's time goes, statement by statement, on a kept benchmark store.

    .venv/bin/python benchmarks/bench_recon.py --sizes 10000000 --generate-only   # once
    .venv/bin/python benchmarks/profile_recon.py --size 10000000 --repeat 3

Runs ``core.reconcile`` (the matching passes and the classification, as timed by
``bench_recon.py``) ``--repeat`` times on the two staged sides of the kept file, and prints per
statement the smallest CPU seconds over the repetitions (user + system of this process: both of
DuckDB's threads), the wall seconds of the last repetition, and the statement's start; then the
bare full outer join (the benchmark's floor) the same way. CPU seconds are steadier than wall
seconds on a shared machine: compare the sum of the minima with the floor's.
"""

from __future__ import annotations

import argparse
import datetime
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.config import load_config  # noqa: E402
from engine.recon import core, stage  # noqa: E402
from engine.recon.settings import load_settings  # noqa: E402
from engine.recon.sqlrun import run_script  # noqa: E402

AS_OF = datetime.date(2024, 3, 15)  # the as-of date of bench_recon.py's data
FLOOR = ("CREATE OR REPLACE TEMP TABLE floor AS SELECT f.trade_id, b.settlement_id "
         "FROM tmp_rc_fo AS f FULL OUTER JOIN tmp_rc_bo AS b ON f.trade_id = b.trade_ref")


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Timed:
    """A connection that records the CPU and wall seconds of every ``execute``."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.log: list[tuple[float, float, str]] = []

    def execute(self, sql: str, params: Any = None) -> Any:
        c0, w0 = cpu(), time.perf_counter()
        out = self.con.execute(sql, params) if params else self.con.execute(sql)
        self.log.append((cpu() - c0, time.perf_counter() - w0, " ".join(sql.split())))
        return out

    def sql(self, query: str, **kw: Any) -> Any:
        """A relation whose ``to_arrow_table`` (a scratch result held as Arrow) is recorded too."""
        rel, log = self.con.sql(query, **kw), self.log

        class Rel:
            def to_arrow_table(self, *args: Any) -> Any:
                c0, w0 = cpu(), time.perf_counter()
                out = rel.to_arrow_table(*args)
                log.append((cpu() - c0, time.perf_counter() - w0, "[arrow] " + " ".join(query.split())))
                return out

            def __getattr__(self, name: str) -> Any:
                return getattr(rel, name)

        return Rel()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.con, name)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=1_000_000, help="the kept bench_recon_<size> store")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--memory-limit", default="3GB")
    ap.add_argument("--top", type=int, default=20, help="statements to print")
    args = ap.parse_args()
    path = ROOT / "data" / "worlds" / f"bench_recon_{args.size}" / "bench.duckdb"
    if not path.exists():
        sys.exit(f"{path} not found: run benchmarks/bench_recon.py --sizes {args.size} --generate-only first")
    tmp = Path(tempfile.mkdtemp())
    cfg = load_config(environ={}, overrides={"store": {"path": str(tmp / "s.duckdb"), "published_path": str(tmp / "p.duckdb"),
                                                       "workflow_path": str(tmp / "w.duckdb")}})
    settings = load_settings(cfg)
    raw = duckdb.connect(str(path), read_only=True)
    raw.execute("SET threads = 2")
    raw.execute(f"SET memory_limit = '{args.memory_limit}'")
    stage.create_calendar(raw, settings, AS_OF)
    run_script(raw, "recon/fx", {"as_of": AS_OF})
    con = Timed(raw)
    reps: list[list[tuple[float, float, str]]] = []
    for i in range(args.repeat):
        con.log = []
        c0, w0 = cpu(), time.perf_counter()
        core.reconcile(con, settings, AS_OF, "USD", staged=True, with_penalties=False)  # type: ignore[arg-type]
        print(f"repetition {i}: wall {time.perf_counter() - w0:.2f} s, CPU {cpu() - c0:.2f} s", flush=True)
        reps.append(con.log)
    mins = [min(r[j][0] for r in reps) for j in range(len(reps[-1]))]
    print(f"\nsum over statements of the smallest CPU seconds: {sum(mins):.2f}")
    print(f"{'min CPU s':>10} {'wall s':>8}  statement (last repetition's wall)")
    order = sorted(range(len(mins)), key=lambda j: -mins[j])[: args.top]
    for j in order:
        print(f"{mins[j]:>10.3f} {reps[-1][j][1]:>8.3f}  {reps[-1][j][2][:110]}")
    floor = []
    for _ in range(args.repeat):
        c0, w0 = cpu(), time.perf_counter()
        raw.execute(FLOOR)
        floor.append((cpu() - c0, time.perf_counter() - w0))
    print(f"\nfloor (bare full outer join): CPU {min(c for c, _ in floor):.2f} s, wall {min(w for _, w in floor):.2f} s")


if __name__ == "__main__":
    main()

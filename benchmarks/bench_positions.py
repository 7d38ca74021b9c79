"""Benchmark: lot-based realised P&L, and positions + exposures + P&L + limits, at the sizes of
issue 5.

    .venv/bin/python benchmarks/bench_positions.py            # 1M and 10M trades
    .venv/bin/python benchmarks/bench_positions.py --quick    # 100k and 1M trades
    .venv/bin/python benchmarks/bench_positions.py --sizes 1000000 --repeat 3

Targets on 2 cores:
1. realised P&L by lots (engine.lots.match_lots) for 1M trades over 10k (book, instrument)
   groups, per method (FIFO, LIFO, AVERAGE) and mixed by book                           < 1 s
2. the run steps positions + exposures + pnl + limits for a store of 1M trades over 10k
   positions                                                                           < 5 s
   and of 10M trades                                                                   < 60 s
   (trades_asof, the foundation's first step, is timed and shown separately).

Peers in the same run: the same FIFO P&L as a DuckDB SQL range join of cumulative buy and sell
quantity intervals (long-only books, where that formulation is valid), and a plain Python lot
ledger (one trade at a time) on a 100k-trade sample.
Each case reports the best of ``--repeat`` runs (wall time, and the CPU time of this process
over all its threads: on a machine shared with other work, the steadier figure), rows per
second and the peak resident memory it adds (process RSS sampled by a thread). Trades are random buys and sells (positions cross
zero, so lots flip between long and short), quantities 1-1,000, in execution order per group.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import psutil

from engine.config import load_config
from engine.lots import AVERAGE, FIFO, LIFO, match_lots
from engine.run import run_eod

GROUPS = 10_000
AS_OF = date(2024, 12, 27)  # a Friday


class Peak:
    """Peak RSS above the starting RSS while the block runs (sampled every 5 ms)."""

    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()

    def __enter__(self) -> Peak:
        self.base = self.proc.memory_info().rss
        self.peak = self.base
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.005)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)

    @property
    def mib(self) -> float:
        return (self.peak - self.base) / 2**20


CPU: dict[str, float] = {"last": 0.0}


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Best wall time of ``repeat`` runs (CPU time of that run in CPU["last"]) and its peak memory."""
    best, mem, out = float("inf"), 0.0, None
    for _ in range(repeat):
        gc.collect()
        with Peak() as pk:
            t0, c0 = time.perf_counter(), time.process_time()
            out = fn()
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
        if dt < best:
            best, mem, CPU["last"] = dt, pk.mib, dc
    return best, mem, out


ROWS: list[tuple[str, int, float, float, float, str]] = []


def report(name: str, size: int, seconds: float, mib: float, note: str = "", cpu: float | None = None) -> None:
    """One result line: wall seconds, CPU seconds of this process (all threads; on a shared
    machine the steadier figure), rows per wall second, peak memory added."""
    cpu = CPU["last"] if cpu is None else cpu
    ROWS.append((name, size, seconds, cpu, mib, note))
    print(f"  {name:<44}{size:>12,}{seconds:>9.3f} s{cpu:>9.3f} s{size / seconds:>14,.0f}/s{mib:>9,.0f} MiB  {note}", flush=True)


# ---------------------------------------------------------------------------------------------
# 1. lot matching
# ---------------------------------------------------------------------------------------------


def lot_arrays(n: int, seed: int = 7, long_only: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    g = np.sort(rng.integers(0, GROUPS, n))
    q = rng.integers(1, 1001, n).astype(np.int64)
    if long_only:  # buy 2, sell 1 in turn: the position never goes below zero
        side = np.where(np.arange(n) % 3 == 2, -1, 1)
        q = np.where(side < 0, q // 3, q)
    else:
        side = rng.choice(np.array([-1, 1]), n)
    p = rng.uniform(10, 100, n).round(4)
    return g, q * side, p


def ledger(q: np.ndarray, p: np.ndarray) -> float:
    """The peer: a FIFO lot ledger, one trade at a time (one group)."""
    from collections import deque

    lots: deque[list[float]] = deque()
    realised = 0.0
    for qi, pi in zip(q.tolist(), p.tolist(), strict=True):
        while qi and lots and (lots[0][0] > 0) != (qi > 0):
            lot = lots[0]
            take = min(abs(qi), abs(lot[0])) * (1 if lot[0] > 0 else -1)
            realised += take * (pi - lot[1])
            lot[0] -= take
            qi += take
            if lot[0] == 0:
                lots.popleft()
        if qi:
            lots.append([qi, pi])
    return realised


SQL_FIFO = """
WITH t AS (SELECT * FROM lots_in),
buys AS (SELECT g, sum(q) OVER w - q AS lo, sum(q) OVER w AS hi, p FROM t WHERE q > 0
         WINDOW w AS (PARTITION BY g ORDER BY seq ROWS UNBOUNDED PRECEDING)),
sells AS (SELECT g, sum(-q) OVER w - (-q) AS lo, sum(-q) OVER w AS hi, p FROM t WHERE q < 0
          WINDOW w AS (PARTITION BY g ORDER BY seq ROWS UNBOUNDED PRECEDING))
SELECT s.g, sum((least(s.hi, b.hi) - greatest(s.lo, b.lo)) * (s.p - b.p)) AS realised
FROM sells AS s JOIN buys AS b ON b.g = s.g AND b.lo < s.hi AND s.lo < b.hi
GROUP BY s.g
"""


def bench_lots(sizes: list[int], repeat: int) -> None:
    print("\n1. realised P&L by lots (10,000 groups)")
    for n in sizes:
        _bench_lots_size(n, repeat)
    _bench_ledger()


def _bench_lots_size(n: int, repeat: int) -> None:
    if True:  # one size
        g, q, p = lot_arrays(n)
        for name, meth in (("FIFO", FIFO), ("LIFO", LIFO), ("AVERAGE", AVERAGE)):
            s, m, _ = best_of(repeat, lambda meth=meth: match_lots(g, q, p, meth))  # noqa: B023
            report(f"lots {name} (numpy, flips)", n, s, m)
        mixed = (g % 3).astype(np.int8)
        s, m, _ = best_of(repeat, lambda: match_lots(g, q, p, mixed))
        report("lots mixed by book (numpy, flips)", n, s, m)
        # peers on long-only books (the SQL interval join needs them)
        gl, ql, pl_ = lot_arrays(n, long_only=True)
        s, m, ours = best_of(repeat, lambda: match_lots(gl, ql, pl_, FIFO))
        report("lots FIFO (numpy, long-only)", n, s, m)
        con = duckdb.connect()
        con.execute("SET threads = 2")
        con.execute("CREATE TABLE lots_in AS SELECT * FROM (SELECT unnest($g) AS g, unnest($q) AS q, unnest($p) AS p, "
                    "unnest($s) AS seq)", {"g": gl.tolist(), "q": ql.tolist(), "p": pl_.tolist(), "s": list(range(n))})
        s, m, peer = best_of(1, lambda: con.sql(SQL_FIFO).fetchnumpy())
        agree = np.allclose(np.sort(peer["realised"])[:50], np.sort(ours.realised[ours.realised != 0])[:50]) if n <= 2_000_000 else ""
        report("peer: FIFO as DuckDB SQL interval join", n, s, m, f"agrees={agree}")
        con.close()


def _bench_ledger() -> None:
    k = 100_000
    g, q, p = lot_arrays(k)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1], True])

    def run_ledger() -> None:
        for a, b in zip(starts[:-1], starts[1:], strict=True):  # the peer's loop, by design
            ledger(q[a:b], p[a:b])

    s, m, _ = best_of(1, run_ledger)
    report("peer: Python FIFO ledger (1 trade at a time)", k, s, m)


# ---------------------------------------------------------------------------------------------
# 2. the run steps on a store
# ---------------------------------------------------------------------------------------------


def build_world(path: Path, n: int) -> None:
    """A store with n trades over 100 books x 100 instruments (10,000 positions), 260 business
    days, prices and FX for the last 30 days, 2 legal entities, 10 desks, 200 counterparties,
    ~150 limits. Generated in DuckDB SQL (the loader is benchmarked by the foundation)."""
    cfg = load_config(environ={}, overrides={"store": {"path": str(path), "published_path": str(path) + ".pub",
                                                        "workflow_path": str(path) + ".wf"}})
    from engine import store

    with store.connect(cfg) as con:
        con.execute("INSERT INTO ref_legal_entities (legal_entity_id, name, base_currency) VALUES ('LE1', 'US', 'USD'), ('LE2', 'UK', 'USD')")
        con.execute(
            "INSERT INTO ref_books (book_id, desk, legal_entity_id, trader, lot_method) "
            "SELECT 'BK' || lpad(i::VARCHAR, 3, '0'), 'DESK' || (i % 10)::VARCHAR, 'LE' || (1 + i % 2)::VARCHAR, "
            "'trader' || (i % 40)::VARCHAR, ['FIFO', 'LIFO', 'AVERAGE'][1 + i % 3] FROM range(100) r(i)"
        )
        con.execute(
            "INSERT INTO ref_counterparties (counterparty_id, name, country, sector, parent_id) "
            "SELECT 'CP' || lpad(i::VARCHAR, 3, '0'), 'cp ' || i::VARCHAR, ['US', 'GB', 'DE', 'FR'][1 + i % 4], 'BANK', "
            "CASE WHEN i >= 20 THEN 'CP' || lpad((i % 20)::VARCHAR, 3, '0') END FROM range(200) r(i)"
        )
        # 70 equities (USD/EUR/GBP), 15 bonds, 10 futures, 5 FX forwards
        con.execute(
            """INSERT INTO ref_instruments (instrument_id, name, asset_class, currency, issuer, sector, country,
                   price_multiplier, coupon_rate, coupon_freq, day_count, issue_date, maturity_date, underlying, quote_currency)
            SELECT 'IN' || lpad(i::VARCHAR, 3, '0'), 'instrument ' || i::VARCHAR,
                   CASE WHEN i < 70 THEN 'EQUITY' WHEN i < 85 THEN 'GOVT_BOND' WHEN i < 95 THEN 'FUTURE' ELSE 'FX_FORWARD' END,
                   CASE WHEN i >= 95 THEN 'USD' ELSE ['USD', 'EUR', 'GBP'][1 + i % 3] END,
                   'ISSUER' || (i % 30)::VARCHAR, ['TECH', 'BANKS', 'ENERGY', 'GOVT'][1 + i % 4], ['US', 'DE', 'GB'][1 + i % 3],
                   CASE WHEN i BETWEEN 70 AND 84 THEN 0.01 WHEN i BETWEEN 85 AND 94 THEN 50 ELSE 1 END,
                   CASE WHEN i BETWEEN 70 AND 84 THEN 0.02 + (i % 5) / 100 END,
                   CASE WHEN i BETWEEN 70 AND 84 THEN 2 END,
                   CASE WHEN i BETWEEN 70 AND 84 THEN ['ACT/ACT', '30/360', 'ACT/360'][1 + i % 3] END,
                   CASE WHEN i BETWEEN 70 AND 84 THEN DATE '2020-03-15' END,
                   CASE WHEN i BETWEEN 70 AND 84 THEN DATE '2030-03-15' WHEN i >= 95 THEN DATE '2025-06-30' END,
                   CASE WHEN i >= 95 THEN ['EURUSD', 'GBPUSD'][1 + i % 2] END,
                   CASE WHEN i >= 95 THEN 'USD' END
            FROM range(100) r(i)"""
        )
        con.execute(
            """INSERT INTO mkt_prices (instrument_id, price_date, close)
            SELECT 'IN' || lpad(i::VARCHAR, 3, '0'), d::DATE,
                   CAST(CASE WHEN i BETWEEN 70 AND 84 THEN 95 + (hash(i, d) % 1000) / 100.0
                             WHEN i >= 95 THEN 1.1 + (hash(i, d) % 100) / 1000.0
                             ELSE 20 + i + (hash(i, d) % 200) / 100.0 END AS DECIMAL(24, 10))
            FROM range(100) r(i), range($lo::DATE, $hi::DATE + 1, INTERVAL 1 DAY) t(d)
            WHERE dayofweek(d) BETWEEN 1 AND 5""",
            {"lo": AS_OF - timedelta(days=40), "hi": AS_OF},
        )
        con.execute(
            """INSERT INTO mkt_fx_rates (currency, rate_date, rate_to_base)
            SELECT c, d::DATE, CAST(CASE c WHEN 'EUR' THEN 1.08 ELSE 1.27 END + (hash(c, d) % 100) / 10000.0 AS DECIMAL(24, 12))
            FROM (VALUES ('EUR'), ('GBP')) v(c), range($lo::DATE, $hi::DATE + 1, INTERVAL 1 DAY) t(d)""",
            {"lo": AS_OF - timedelta(days=40), "hi": AS_OF},
        )
        t0 = time.perf_counter()
        con.execute(
            """INSERT INTO fo_trades (trade_id, version, status, known_date, book_id, trader, counterparty_id,
                   instrument_id, side, quantity, price, currency, trade_date, settle_date, fees)
            SELECT 'T' || lpad(i::VARCHAR, 9, '0'), 1, 'NEW', d, 'BK' || lpad((i % 100)::VARCHAR, 3, '0'),
                   'trader' || (i % 40)::VARCHAR, 'CP' || lpad((hash(i, 1) % 200)::VARCHAR, 3, '0'),
                   'IN' || lpad(((i // 100) % 100)::VARCHAR, 3, '0'),
                   CASE WHEN hash(i, 2) % 2 = 0 THEN 'BUY' ELSE 'SELL' END,
                   CAST(CASE WHEN (i // 100) % 100 BETWEEN 70 AND 84 THEN 10000 ELSE 1 END * (1 + hash(i, 3) % 1000) AS DECIMAL(24, 6)),
                   CAST(CASE WHEN (i // 100) % 100 BETWEEN 70 AND 84 THEN 95 + (hash(i, 4) % 1000) / 100.0
                             WHEN (i // 100) % 100 >= 95 THEN 1.1 + (hash(i, 4) % 100) / 1000.0
                             ELSE 20 + (i // 100) % 100 + (hash(i, 4) % 200) / 100.0 END AS DECIMAL(24, 10)),
                   'USD', d, d + 2, CAST((hash(i, 5) % 500) / 100.0 AS DECIMAL(24, 4))
            FROM (
                -- business day k (0..259) counted back from the as-of Friday: Monday-Friday only
                SELECT i, CAST($friday - INTERVAL (7 * ((hash(i, 6) % 260) // 5) + (hash(i, 6) % 260) % 5) DAY AS DATE) AS d
                FROM range($n) r(i)
            )""",
            {"n": n, "friday": AS_OF},

        )
        gen_s = time.perf_counter() - t0
        limits = [
            ("GROSS_EXPOSURE", {}, 5e12), ("GROSS_EXPOSURE", {"scope_desk": "*"}, 8e11),
            ("GROSS_EXPOSURE", {"scope_book": "*"}, 1e11), ("NET_EXPOSURE", {"scope_desk": "DESK1", "scope_book": "*"}, 5e10),
            ("NET_EXPOSURE", {"scope_trader": "*"}, 1e11), ("CONCENTRATION_PCT", {"scope_issuer": "*"}, 10),
            ("CONCENTRATION_PCT", {"scope_desk": "*", "scope_currency": "*"}, 60), ("NET_FX_OPEN", {"scope_currency": "*"}, 1e11),
            ("CURRENT_EXPOSURE", {"scope_counterparty": "*"}, 1e8), ("SETTLEMENT_RISK", {"scope_counterparty": "*"}, 1e9),
            ("PNL_DAILY", {"scope_book": "*"}, -1e8), ("GROSS_EXPOSURE", {"scope_country": "*", "scope_sector": "*"}, 1e12),
        ]
        for k, (measure, scope, value) in enumerate(limits):  # a dozen configured limits
            cols = ["limit_id", "measure", "limit_value", "currency", "valid_from", "comparison", "use_abs", *scope]
            vals = [f"BL{k:03d}", measure, value, "USD", date(2024, 1, 1), ">=" if measure == "PNL_DAILY" else "<=",
                    measure != "PNL_DAILY", *scope.values()]
            con.execute(f"INSERT INTO ref_limits ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})", vals)  # noqa: S608
        con.execute(
            "INSERT INTO ref_limits (limit_id, measure, scope_book, limit_value, currency, valid_from) "
            "SELECT 'BB' || lpad(i::VARCHAR, 3, '0'), 'GROSS_EXPOSURE', 'BK' || lpad(i::VARCHAR, 3, '0'), 5e10, 'USD', DATE '2024-01-01' "
            "FROM range(100) r(i)"
        )
        con.execute("CHECKPOINT")
    print(f"  (world of {n:,} trades generated in {gen_s:.1f} s)", flush=True)
    return cfg  # type: ignore[return-value]


def bench_steps(sizes: list[int], repeat: int, keep: Path | None) -> None:
    print("\n2. run steps: positions + exposures + pnl + limits (10,000 positions)")
    for n in sizes:
        folder = Path(tempfile.mkdtemp(prefix=f"bench_pos_{n}_", dir=keep))
        cfg = build_world(folder / "s.duckdb", n)
        best: dict[str, float] = {}
        mem, cpu_all, cpu_asof = 0.0, float("inf"), float("inf")
        summary: dict[str, Any] = {}
        steps = ["trades_asof", "positions", "exposures", "pnl", "limits"]
        for _ in range(repeat):
            gc.collect()
            c0 = time.process_time()
            run_eod(cfg, AS_OF, steps=["trades_asof"], publish=False)
            cpu_asof = min(cpu_asof, time.process_time() - c0)
            with Peak() as pk:
                c0 = time.process_time()
                res = run_eod(cfg, AS_OF, steps=steps, publish=False)
                cpu_all = min(cpu_all, time.process_time() - c0)
            for step, v in res.steps.items():
                best[step] = min(best.get(step, float("inf")), float(v["seconds"]))
            mem = max(mem, pk.mib)
            summary = res.steps
        mine = best["positions"] + best["exposures"] + best["pnl"] + best["limits"]
        for step in steps:
            report(f"step {step}", n, best[step], 0.0, cpu=float("nan"))
        target = 5.0 if n <= 1_000_000 else 60.0
        cpu_mine = cpu_all - cpu_asof
        report("positions+exposures+pnl+limits", n, mine, mem,
               f"target < {target:.0f} s: wall {'OK' if mine < target else 'MISSED'}, CPU {'OK' if cpu_mine < target else 'MISSED'}; "
               f"positions={summary['positions']['positions']:,}, limit points={summary['limits']['points']:,}, "
               f"P&L check failures={summary['pnl']['check_failures']}", cpu=cpu_mine)
        report("  ... with trades_asof", n, mine + best["trades_asof"], mem, cpu=cpu_all)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="100k and 1M trades")
    ap.add_argument("--sizes", help="comma-separated trade counts (default 1M,10M)")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--only", choices=["lots", "steps"])
    ap.add_argument("--tmp", type=Path, help="folder for the benchmark stores (default: the system temp)")
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",")] if a.sizes else ([100_000, 1_000_000] if a.quick else [1_000_000, 10_000_000])
    print(f"bench_positions: sizes {sizes}, best of {a.repeat}, {psutil.cpu_count()} cores")
    print(f"  {'case':<44}{'size':>12}{'wall':>11}{'CPU':>11}{'rows/s (wall)':>16}{'peak':>13}")
    print(f"  (load average now {psutil.getloadavg()[0]:.1f}: on a shared machine wall time is inflated; CPU time is")
    print("   this process's, all threads, and does not count waiting for the CPU)")
    if a.only != "steps":
        bench_lots(sizes, a.repeat)
    if a.only != "lots":
        bench_steps(sizes, a.repeat, a.tmp)


if __name__ == "__main__":
    main()

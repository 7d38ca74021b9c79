"""Benchmark: market risk and SA-CCR at the sizes of issue 6.

    .venv/bin/python benchmarks/bench_risk.py            # the three targets + peers
    .venv/bin/python benchmarks/bench_risk.py --quick    # smaller sizes (smoke run)

Cases (targets on 2 cores):
1. historical VaR + ES at 3 confidences for the firm, each desk and each book, with Euler
   component VaR by book and desk: 10,000 positions x 500 scenarios, from the long price
   rows (the scatter into the dense scenario matrix is inside the timing)        < 2 s
2. Monte Carlo VaR: 10,000 paths x 200 factors, normal and Student-t, with components  < 10 s
3. SA-CCR for 100,000 derivative trades (5 asset classes, options, margined sets)   < 10 s

Peers in the same run: building the scenario matrix with a Polars pivot instead of the
scatter, and book VaR with a Python loop over books instead of one matrix product.
Each case reports the best of ``--repeat`` runs, rows per second and the peak resident memory
it adds (process RSS sampled by a thread). ``--step`` adds the whole market_risk run step on a store
(all methods, 3 confidences, 1-day / 10-day sqrt / 10-day overlapping, stress, backtests).
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

import numpy as np
import polars as pl
import psutil

from engine.counterparty.saccr import saccr_breakdown
from engine.market_risk.factors import returns, scatter_levels
from engine.market_risk.portfolio import build_sensitivities
from engine.market_risk.scenarios import historical_scenarios
from engine.market_risk.var import (
    component_var,
    empirical_var_es,
    ewma_covariance,
    simulate_returns,
)

CONFIDENCES = (0.95, 0.975, 0.99)


def _dates(n: int) -> list[date]:
    d0 = date(2022, 1, 3)
    return [d0 + timedelta(days=i) for i in range(n)]


def market(n_instruments: int, n_currencies: int, n_dates: int, seed: int = 1) -> pl.DataFrame:
    """Long (obs_date, factor_id, level) rows: prices and FX rates as random walks."""
    rng = np.random.default_rng(seed)
    ids = [f"PX:I{i:05d}" for i in range(n_instruments)] + [f"FX:C{c:02d}" for c in range(n_currencies)]
    vol = np.r_[rng.uniform(0.005, 0.03, n_instruments), rng.uniform(0.002, 0.01, n_currencies)]
    lv = 100.0 * np.exp(np.cumsum(rng.normal(0, 1, (n_dates, len(ids))) * vol, axis=0))
    return pl.DataFrame(
        {
            "obs_date": np.tile(np.array(_dates(n_dates), dtype="datetime64[D]"), len(ids)),
            "factor_id": np.repeat(ids, n_dates),
            "level": lv.T.ravel(),
        }
    )


def positions(n: int, n_instruments: int, n_currencies: int, n_books: int, option_share: float, seed: int = 2) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    inst = rng.integers(0, n_instruments, n)
    is_opt = rng.random(n) < option_share
    ccy = inst % (n_currencies + 1)  # 0 = base currency
    books = rng.integers(0, n_books, n)
    return pl.DataFrame(
        {
            "book_id": [f"B{b:03d}" for b in books],
            "desk": [f"D{b % 10}" for b in books],
            "instrument_id": [f"I{i:05d}" for i in inst],
            "currency": np.where(ccy == 0, "USD", np.char.add("C", np.char.zfill((ccy - 1).astype(str), 2))),
            "market_value_base": rng.normal(0, 1e6, n),
            "quantity": rng.integers(-1000, 1000, n).astype(float),
            "option_type": np.where(is_opt, np.where(rng.random(n) < 0.5, "CALL", "PUT"), ""),
            "underlying_id": np.where(is_opt, [f"I{i:05d}" for i in inst], ""),
            "underlying_price": np.where(is_opt, 100.0, np.nan),
            "strike": np.where(is_opt, rng.uniform(80, 120, n), np.nan),
            "expiry_years": np.where(is_opt, rng.uniform(0.1, 2, n), np.nan),
            "volatility": np.where(is_opt, rng.uniform(0.1, 0.5, n), np.nan),
        }
    ).with_columns(
        pl.col("underlying_price").fill_nan(None), pl.col("strike").fill_nan(None),
        pl.col("expiry_years").fill_nan(None), pl.col("volatility").fill_nan(None),
        pl.col("option_type").replace("", None), pl.col("underlying_id").replace("", None),
    )


def historical_case(long: pl.DataFrame, pos: pl.DataFrame, n_scen: int) -> dict[str, Any]:
    hist = scatter_levels(long)  # the dense scenario matrix: a scatter of the long rows
    scen = historical_scenarios(hist, n_scen, 1)
    sens = build_sensitivities(pos, hist.factor_ids, base_currency="USD")
    pnl = sens.pnl(scen.returns)  # (S, books): one matrix product
    desks, onehot = sens.desks()
    by_desk = pnl @ onehot
    stacked = np.hstack([pnl.sum(1, keepdims=True), by_desk, pnl])
    out = {}
    for c in CONFIDENCES:
        var, es, _, _ = empirical_var_es(stacked, c)
        cb = component_var(pnl, c)
        cd = component_var(by_desk, c)
        out[c] = (var[0], es[0], cb.components_var.sum(), cd.components_var.sum())
    return out


def pivot_peer(long: pl.DataFrame) -> np.ndarray:
    """Peer: the same dense matrix through a Polars pivot (then forward fill, to numpy)."""
    wide = long.pivot(on="factor_id", index="obs_date", values="level").sort("obs_date")
    return wide.drop("obs_date").fill_null(strategy="forward").to_numpy()


def loop_peer(pnl_positions: np.ndarray, book_index: np.ndarray, n_books: int) -> list[float]:
    """Peer: book VaR with a Python loop over books (sum the book's positions, then sort)."""
    out = []
    for b in range(n_books):
        p = pnl_positions[:, book_index == b].sum(axis=1)
        out.append(float(-np.sort(p)[4]))
    return out


def monte_carlo_case(long: pl.DataFrame, pos: pl.DataFrame, paths: int) -> dict[str, Any]:
    hist = scatter_levels(long)
    r = returns(hist.levels)[-500:]
    cov = ewma_covariance(r, 0.94)
    sens = build_sensitivities(pos, hist.factor_ids, base_currency="USD")
    out = {}
    for i, dist in enumerate(("NORMAL", "STUDENT_T")):
        sim = simulate_returns(cov, paths, seed=i, distribution=dist, dof=5)
        pnl = sens.pnl(sim)
        cb = component_var(pnl, 0.99)
        var, es, _, _ = empirical_var_es(np.hstack([pnl.sum(1, keepdims=True), pnl]), 0.99)
        out[dist] = (var[0], es[0], cb.components_var.sum())
    return out


def saccr_trades(n: int, n_sets: int, seed: int = 3) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    classes = np.array(["IR", "FX", "CREDIT", "EQUITY", "COMMODITY"])
    cls = classes[rng.integers(0, 5, n)]
    is_opt = rng.random(n) < 0.1
    trades = pl.DataFrame(
        {
            "trade_id": [f"T{i}" for i in range(n)],
            "netting_set_id": [f"NS{i}" for i in rng.integers(0, n_sets, n)],
            "asset_class": cls,
            "notional": rng.uniform(1e5, 1e8, n),
            "mtm": rng.normal(0, 1e5, n),
            "direction": np.where(rng.random(n) < 0.5, 1.0, -1.0),
            "option_type": np.where(is_opt, np.where(rng.random(n) < 0.5, "CALL", "PUT"), ""),
            "underlying_price": np.where(is_opt, 100.0, np.nan),
            "strike": np.where(is_opt, rng.uniform(80, 120, n), np.nan),
            "expiry_years": np.where(is_opt, rng.uniform(0.1, 3, n), np.nan),
            "start_years": np.where(rng.random(n) < 0.2, rng.uniform(0, 2, n), 0.0),
            "end_years": rng.uniform(0.05, 30, n),
            "currency": np.array(["USD", "EUR", "GBP", "JPY"])[rng.integers(0, 4, n)],
            "currency_pair": np.array(["EURUSD", "GBPUSD", "USDJPY", "EURGBP"])[rng.integers(0, 4, n)],
            "reference_entity": [f"E{i}" for i in rng.integers(0, 2000, n)],
            "rating": np.array(["AAA", "AA", "A", "BBB", "BB", "B", "CCC"])[rng.integers(0, 7, n)],
            "is_index": rng.random(n) < 0.1,
            "commodity_type": np.array(["CRUDE_OIL", "NATURAL_GAS", "GOLD", "SILVER", "WHEAT", "ELECTRICITY", "LUMBER"])[rng.integers(0, 7, n)],
        }
    ).with_columns(
        pl.col("underlying_price").fill_nan(None), pl.col("strike").fill_nan(None), pl.col("expiry_years").fill_nan(None),
        pl.col("option_type").replace("", None),
    )
    sets = pl.DataFrame(
        {
            "netting_set_id": [f"NS{i}" for i in range(n_sets)],
            "counterparty_id": [f"CP{i % 500}" for i in range(n_sets)],
            "margined": rng.random(n_sets) < 0.5,
            "threshold": rng.uniform(0, 1e6, n_sets),
            "mta": rng.uniform(0, 1e5, n_sets),
            "nica": rng.uniform(0, 1e5, n_sets),
            "collateral_held": rng.uniform(0, 1e6, n_sets),
            "mpor_days": rng.choice([10.0, 20.0], n_sets),
        }
    )
    return trades, sets


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def peak_mb(fn: Callable[[], Any]) -> float:
    """Peak resident memory added by ``fn`` (MB): a thread samples the process RSS every 2 ms
    (so Polars' and DuckDB's native buffers count too, which tracemalloc would miss)."""
    gc.collect()
    proc = psutil.Process()
    base = proc.memory_info().rss
    peak = base
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, proc.memory_info().rss)
            time.sleep(0.002)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    try:
        fn()
    finally:
        done.set()
        th.join()
    return max(peak - base, 0) / 2**20


def step_case(n_pos: int, n_inst: int, workdir: Path) -> tuple[float, dict[str, Any]]:
    """The whole market_risk run step (every method, confidence, horizon; stress; backtests)
    on a store with ``n_pos`` positions over ``n_inst`` instruments and 760 market dates."""
    from engine import store
    from engine.config import load_config
    from engine.run import run_eod

    cfg = load_config(overrides={"store": {
        "path": str(workdir / "bench.duckdb"), "published_path": str(workdir / "bench.pub.duckdb"),
        "workflow_path": str(workdir / "bench.wf.duckdb")}})
    long = market(n_inst, 9, 760, seed=7)
    pos = positions(n_pos, n_inst, 9, 50, 0.0, seed=8).unique(["book_id", "instrument_id"])
    as_of = long["obs_date"].max()
    with store.connect(cfg) as con:
        prices = long.filter(pl.col("factor_id").str.starts_with("PX:")).select(
            pl.col("factor_id").str.slice(3).alias("instrument_id"), pl.col("obs_date").alias("price_date"), pl.col("level").round(6).alias("close"))
        fx = long.filter(pl.col("factor_id").str.starts_with("FX:")).select(
            pl.col("factor_id").str.slice(3).alias("currency"), pl.col("obs_date").alias("rate_date"), pl.col("level").round(8).alias("rate_to_base"))
        inst = prices.select("instrument_id").unique().with_columns(
            name=pl.col("instrument_id"), asset_class=pl.lit("EQUITY"), currency=pl.lit("USD"))
        out_pos = pos.select("book_id", "desk", "instrument_id", "currency", "market_value_base", "quantity").with_columns(
            as_of=pl.lit(as_of), run_id=pl.lit(0), basis=pl.lit("TRADE"), position_id=pl.col("book_id") + "|" + pl.col("instrument_id"),
            valuation=pl.lit("PRICE"), price_source=pl.lit("CLOSE"), price_multiplier=pl.lit(1.0), accrued_local=pl.lit(0.0),
            market_value_local=pl.col("market_value_base"), trades=pl.lit(1), asset_class=pl.lit("EQUITY"))
        for name, frame in (("mkt_prices", prices), ("mkt_fx_rates", fx), ("ref_instruments", inst), ("out_positions", out_pos)):
            con.register("v_bench", frame)
            con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM v_bench")  # noqa: S608
            con.unregister("v_bench")
    t0 = time.perf_counter()
    res = run_eod(cfg, as_of, steps=["trades_asof", "market_risk"], publish=False)
    return time.perf_counter() - t0, res.steps["market_risk"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--step", action="store_true", help="also time the whole market_risk run step on a store")
    a = ap.parse_args()
    n_pos, n_inst, n_scen, paths, n_trades = (10_000, 2_000, 500, 10_000, 100_000)
    if a.quick:
        n_pos, n_inst, n_scen, paths, n_trades = 1_000, 200, 250, 2_000, 10_000
    rows: list[tuple[str, str, float, float, float, str]] = []

    long = market(n_inst, 9, n_scen + 1)
    pos = positions(n_pos, n_inst, 9, 50, 0.05)
    secs, res = timed(lambda: historical_case(long, pos, n_scen), a.repeat)
    var99, es99, comp_b, comp_d = res[0.99]
    assert abs(comp_b - var99) < 1e-6 * max(1.0, abs(var99)) and abs(comp_d - var99) < 1e-6 * max(1.0, abs(var99))
    rows.append(("historical VaR+ES, components by book/desk", f"{n_pos:,} pos x {n_scen} scen", secs,
                 n_pos * n_scen / secs, peak_mb(lambda: historical_case(long, pos, n_scen)), "< 2 s"))

    secs_scatter, _ = timed(lambda: scatter_levels(long), a.repeat)
    secs_pivot, _ = timed(lambda: pivot_peer(long), a.repeat)
    rows.append(("  scenario matrix: scatter (ours)", f"{long.height:,} rows", secs_scatter, long.height / secs_scatter, peak_mb(lambda: scatter_levels(long)), ""))
    rows.append(("  scenario matrix: polars pivot (peer)", f"{long.height:,} rows", secs_pivot, long.height / secs_pivot, peak_mb(lambda: pivot_peer(long)), ""))

    hist = scatter_levels(long)
    scen = historical_scenarios(hist, n_scen, 1)
    lin = pos.filter(pl.col("option_type").is_null())
    per_pos = build_sensitivities(lin.with_columns(pos_key=pl.int_range(pl.len()).cast(pl.Utf8)), hist.factor_ids, base_currency="USD", group_col="pos_key")
    pnl_positions = per_pos.pnl(scen.returns)
    book_idx = np.unique(lin["book_id"].to_numpy(), return_inverse=True)[1]
    secs_mm, _ = timed(lambda: pnl_positions @ np.eye(50)[book_idx], a.repeat)
    secs_loop, _ = timed(lambda: loop_peer(pnl_positions, book_idx, 50), a.repeat)
    rows.append(("  book P&L: one matrix product (ours)", f"{lin.height:,} pos -> 50 books", secs_mm, lin.height * n_scen / secs_mm, float("nan"), ""))
    rows.append(("  book VaR: loop over books (peer)", f"{lin.height:,} pos -> 50 books", secs_loop, lin.height * n_scen / secs_loop, float("nan"), ""))

    long_mc = market(190, 10, 501, seed=5)
    pos_mc = positions(n_pos, 190, 10, 50, 0.05, seed=6)
    secs, res = timed(lambda: monte_carlo_case(long_mc, pos_mc, paths), a.repeat)
    rows.append(("Monte Carlo VaR (normal + Student-t)", f"{paths:,} paths x 200 factors x 2", secs,
                 2 * paths * 200 / secs, peak_mb(lambda: monte_carlo_case(long_mc, pos_mc, paths)), "< 10 s"))

    trades, sets = saccr_trades(n_trades, max(n_trades // 20, 10))
    secs, res = timed(lambda: saccr_breakdown(trades, sets), a.repeat)
    rows.append(("SA-CCR EAD per netting set", f"{n_trades:,} trades / {sets.height:,} sets", secs,
                 n_trades / secs, peak_mb(lambda: saccr_breakdown(trades, sets)), "< 10 s"))

    if a.step:
        with tempfile.TemporaryDirectory() as tmp:
            secs, summ = step_case(n_pos, n_inst, Path(tmp))
        rows.append(("market_risk run step (store, all methods)", f"{summ['positions']:,} pos, {summ['var_rows']:,} VaR rows",
                     secs, summ["positions"] * summ["scenarios"] / secs, float("nan"), ""))

    w = max(len(r[0]) for r in rows)
    print(f"{'case':<{w}}  {'size':<34} {'seconds':>8} {'rows/s':>14} {'peak MB':>8}  target")
    for name, size, s, rps, mb, target in rows:
        mb_txt = f"{mb:8.1f}" if mb == mb else f"{'-':>8}"
        print(f"{name:<{w}}  {size:<34} {s:8.3f} {rps:14,.0f} {mb_txt}  {target}")


if __name__ == "__main__":
    main()

"""The end-of-day run step ``market_risk`` and the store readers of market risk.

The step reads the day's positions (``out_positions``, basis ``market_risk.position_basis``)
and the price/FX history, and writes for ``ctx.as_of``:

- ``out_var``: VaR and ES, every configured method/model, confidence, horizon and scaling,
  for the firm, each desk and each book;
- ``out_var_components``: Euler components by desk and by book (they add up to the firm's);
- ``out_stress``: the P&L of each configured stress window and shock by firm/desk/book;
- ``out_backtest`` / ``out_backtest_summary``: the DAILY observation for this date (the
  previous run's VaR against today's hypothetical and actual P&L) and the statistics over the
  last ``backtest.window`` observations; and the CURRENT_PORTFOLIO backtest.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import date
from typing import Any

import duckdb
import numpy as np
import polars as pl

from engine import store
from engine.config import Config
from engine.errors import BadInputError
from engine.market_risk import compute
from engine.market_risk.factors import FactorHistory, load_history, table_exists
from engine.market_risk.portfolio import Sensitivities, build_sensitivities, required_factors
from engine.market_risk.scenarios import (
    ScenarioSet,
    factor_attributes,
    historical_scenarios,
    shock_scenarios,
    window_scenarios,
    worst_window_scenarios,
)
from engine.market_risk.settings import MarketRiskSettings
from engine.market_risk.stress import stress_pnl
from engine.market_risk.var import IncrementalVar, incremental_var_from_pnl
from engine.run import RunContext, StepResult

log = logging.getLogger(__name__)

OUT_TABLES = ("out_var", "out_var_components", "out_stress", "out_backtest", "out_backtest_summary")


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Append ``frame`` to ``table`` by column name (table names are code constants)."""
    if frame.height == 0:
        return 0
    view = f"tmp_mr_insert_{table}"
    con.register(view, frame)
    try:
        con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM "{view}"')  # noqa: S608
    finally:
        con.unregister(view)
    return frame.height


def load_positions(con: duckdb.DuckDBPyConnection, as_of: date, basis: str) -> pl.DataFrame | None:
    """The risk positions of ``as_of`` (None when the positions step has not run yet): one row
    per (book, instrument) with option terms joined for option instruments."""
    if not table_exists(con, "out_positions"):
        return None
    pos = store.query_named(con, "market_risk/positions", {"as_of": as_of, "basis": basis})
    if pos.height == 0:
        return pos
    terms = store.query_named(con, "market_risk/option_terms", {"as_of": as_of})
    if terms.height:
        pos = pos.join(terms.rename({"underlying_id": "opt_underlying_id"}), on="instrument_id", how="left")
        pos = pos.with_columns(pl.coalesce("opt_underlying_id", "underlying_id").alias("underlying_id")).drop("opt_underlying_id")
    return pos


def _history_for(con: duckdb.DuckDBPyConnection, as_of: date, frames: list[pl.DataFrame], base: str, n_dates: int) -> FactorHistory:
    instruments: set[str] = set()
    currencies: set[str] = set()
    for f in frames:
        i, c = required_factors(f, base)
        instruments |= set(i)
        currencies |= set(c)
    return load_history(con, as_of, instruments=sorted(instruments), currencies=sorted(currencies), n_dates=n_dates)


def _stamp(frame: pl.DataFrame, ctx: RunContext, **extra: Any) -> pl.DataFrame:
    return frame.with_columns(
        pl.lit(ctx.as_of).alias("as_of"), pl.lit(ctx.run_id, dtype=pl.Int64).alias("run_id"), *[pl.lit(v).alias(k) for k, v in extra.items()]
    )


def step_market_risk(ctx: RunContext) -> StepResult:
    """Run step: VaR/ES, components, stress, backtests for ``ctx.as_of`` (see module doc)."""
    t0 = time.perf_counter()
    s = MarketRiskSettings.from_config(ctx.cfg)
    base = ctx.cfg.base_currency
    for table in OUT_TABLES:
        ctx.replace_date(table)
    positions = load_positions(ctx.con, ctx.as_of, s.position_basis)
    if positions is None:
        log.warning("market risk: no out_positions table (the positions step has not run); nothing computed")
        return StepResult(0, {"positions": 0, "note": "no out_positions table"})
    if positions.height == 0:
        log.warning("market risk: no positions for %s (basis %s)", ctx.as_of, s.position_basis)
        return StepResult(0, {"positions": 0})

    # the previous run's positions (DAILY backtest) need their factors in the same history
    prev = store.query_named(
        ctx.con, "market_risk/previous_var",
        {"as_of": ctx.as_of, "method": s.backtest_method, "model": s.backtest_model, "confidence": s.backtest_confidence},
    )
    prev_positions = load_positions(ctx.con, prev["var_date"][0], s.position_basis) if prev.height else None
    frames = [positions] + ([prev_positions] if prev_positions is not None and prev_positions.height else [])
    n_dates = s.history_days + max(s.horizon_days, s.backtest_window) + 1
    history = _history_for(ctx.con, ctx.as_of, frames, base, n_dates)
    sens = build_sensitivities(positions, history.factor_ids, base_currency=base)

    var_df, comp_df, summary = compute.compute_var_tables(sens, history, s)
    rows = insert_frame(ctx.con, "out_var", _stamp(var_df, ctx, currency=base))
    rows += insert_frame(ctx.con, "out_var_components", _stamp(comp_df, ctx))

    # stress: windows over the full stored history, shocks on the portfolio's factors
    stress_parts = []
    skipped: list[str] = []
    if s.stress_windows:
        full = _history_for(ctx.con, ctx.as_of, frames, base, 1_000_000)
        win, skipped = window_scenarios(full, s.stress_windows)
        firm = sens.total()
        worst, skipped_worst = worst_window_scenarios(
            full, s.stress_windows, lambda r: firm.pnl(ScenarioSet((), full.factor_ids, r).align(sens.factor_ids))[:, 0]
        )
        skipped += skipped_worst
        stress_parts.append(stress_pnl(sens, win, "WINDOW"))
        stress_parts.append(stress_pnl(sens, worst, "WINDOW"))
    if s.shocks:
        attrs = factor_attributes(sens.factor_ids, positions.select("instrument_id", "sector", "currency", "asset_class"), base)
        stress_parts.append(stress_pnl(sens, shock_scenarios(attrs, s.shocks), "SHOCK"))
    stress_df = pl.concat(stress_parts) if stress_parts else pl.DataFrame()
    rows += insert_frame(ctx.con, "out_stress", _stamp(stress_df, ctx)) if stress_df.height else 0

    # backtests
    bt_rows, summaries = _backtests(ctx, s, sens, history, prev, prev_positions, base)
    rows += bt_rows
    rows += insert_frame(ctx.con, "out_backtest_summary", _stamp(pl.DataFrame(summaries, schema=compute.SUMMARY_SCHEMA), ctx))

    firm_var = var_df.filter(
        (pl.col("level") == "FIRM") & (pl.col("method") == "HISTORICAL") & (pl.col("horizon_days") == 1)
        & ((pl.col("confidence") - 0.99).abs() < 1e-9)
    )
    summary.update(
        {
            "positions": positions.height,
            "books": len(sens.groups),
            "var_rows": var_df.height,
            "firm_var_99_1d": round(float(firm_var["var"][0]), 2) if firm_var.height else None,
            "stress_scenarios": int(stress_df["scenario"].n_unique()) if stress_df.height else 0,
            "stress_windows_skipped": skipped,
            "backtest": {f"{r['basis']}/{r['pnl_type']}": f"{r['exceptions']}/{r['n_obs']} {r['zone']}" for r in summaries},
            "seconds": round(time.perf_counter() - t0, 3),
        }
    )
    return StepResult(rows_out=rows, summary=summary)


def _backtests(
    ctx: RunContext,
    s: MarketRiskSettings,
    sens: Sensitivities,
    history: FactorHistory,
    prev: pl.DataFrame,
    prev_positions: pl.DataFrame | None,
    base: str,
) -> tuple[int, list[dict[str, Any]]]:
    rows = 0
    summaries: list[dict[str, Any]] = []
    cp_frame, cp_summary = compute.current_portfolio_backtest(sens, history, s)
    rows += insert_frame(ctx.con, "out_backtest", _stamp(cp_frame, ctx))
    if cp_summary:
        summaries.append(cp_summary)

    if prev.height:
        var_date: date = prev["var_date"][0]
        var_prev = float(prev["var"][0])
        hyp: float | None = None
        if prev_positions is not None and prev_positions.height:
            i0, i1 = history.date_index(var_date), history.date_index(ctx.as_of)
            if 0 <= i0 < i1:
                with np.errstate(divide="ignore", invalid="ignore"):
                    r = history.levels[i1] / history.levels[i0] - 1.0
                r[~np.isfinite(r)] = 0.0
                psens = build_sensitivities(prev_positions, history.factor_ids, base_currency=base).total()
                hyp = float(psens.pnl(r[None, :])[0, 0])
        actual = None
        if table_exists(ctx.con, "out_pnl"):
            actual = store.query_named(ctx.con, "market_risk/actual_pnl", {"as_of": ctx.as_of})["actual_pnl"][0]
        obs = pl.DataFrame(
            [{
                "basis": "DAILY", "obs_date": ctx.as_of, "var_date": var_date, "method": s.backtest_method,
                "confidence": s.backtest_confidence, "var": var_prev, "hypothetical_pnl": hyp, "actual_pnl": actual,
                "hyp_exception": None if hyp is None else bool(-hyp > var_prev),
                "actual_exception": None if actual is None else bool(-actual > var_prev),
            }],
            schema=compute.BACKTEST_SCHEMA,
        )
        rows += insert_frame(ctx.con, "out_backtest", _stamp(obs, ctx))
    window = store.query_named(
        ctx.con, "market_risk/daily_backtest_window",
        {"as_of": ctx.as_of, "window": s.backtest_window, "method": s.backtest_method, "confidence": s.backtest_confidence},
    )
    for pnl_type, col in (("HYPOTHETICAL", "hyp_exception"), ("ACTUAL", "actual_exception")):
        flags = window[col].drop_nulls()
        row = compute.summary_row("DAILY", pnl_type, s.backtest_method, s.backtest_confidence, flags.to_list())
        if row:
            summaries.append(row)
    return rows, summaries


# ------------------------------------------------------------------------------------------
# Store readers (dashboards, notebooks): the published snapshot, read-only.
# ------------------------------------------------------------------------------------------

READABLE = OUT_TABLES


def read_results(cfg: Config, table: str, as_of: date | str | None = None) -> pl.DataFrame:
    """Rows of one market-risk result table for ``as_of`` (default: its latest date)."""
    if table not in READABLE:
        raise BadInputError("unknown market-risk table", expected=" | ".join(READABLE), found=repr(table))
    with store.connect_reader(cfg) as con:
        if not table_exists(con, table):
            return pl.DataFrame()
        day = as_of or store.scalar(con, f'SELECT max(as_of) FROM "{table}"')  # noqa: S608
        if day is None:
            return pl.DataFrame()
        return store.query(con, f'SELECT * FROM "{table}" WHERE as_of = ?', [day])  # noqa: S608


def incremental_var_from_store(cfg: Config, trade: Mapping[str, Any], as_of: date | str | None = None) -> IncrementalVar:
    """See :func:`engine.market_risk.var.incremental_var`."""
    s = MarketRiskSettings.from_config(cfg)
    base = cfg.base_currency
    if "instrument_id" not in trade or "quantity" not in trade:
        raise BadInputError("a proposed trade needs instrument_id and a signed quantity", found=repr(dict(trade)))
    with store.connect_reader(cfg) as con:
        if not table_exists(con, "out_positions"):
            raise BadInputError("no positions in the store", hint="run `midoffice run` first")
        day = date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
        if day is None:
            day = store.scalar(con, "SELECT max(as_of) FROM out_positions WHERE basis = ?", [s.position_basis])
        if day is None:
            raise BadInputError("no positions in the store", hint="run `midoffice run` first")
        positions = load_positions(con, day, s.position_basis)
        terms = store.query_named(con, "market_risk/instrument_terms", {"instrument_id": str(trade["instrument_id"]), "as_of": day})
        if terms.height == 0:
            raise BadInputError("unknown instrument for the proposed trade", found=repr(trade["instrument_id"]))
        t = terms.row(0, named=True)
        price = float(trade.get("price") or t["price"] or 0.0)
        fx = 1.0 if t["currency"] == base else float(t["fx_rate_to_base"] or 0.0)
        if price == 0.0 or fx == 0.0:
            raise BadInputError("no price or FX rate for the proposed trade's instrument", found=repr(trade["instrument_id"]), hint="pass price=...")
        qty = float(trade["quantity"])
        mult = float(t["price_multiplier"] or 1.0)
        row = {
            "book_id": str(trade.get("book_id", "PROPOSED")), "desk": trade.get("desk"), "instrument_id": t["instrument_id"],
            "asset_class": t["asset_class"], "currency": t["currency"], "sector": t["sector"],
            "underlying_id": trade.get("underlying_id", t["underlying_id"]), "price_multiplier": mult, "quantity": qty,
            "market_value_base": qty * price * mult * fx, "fx_rate_to_base": fx,
            "option_type": trade.get("option_type"), "strike": trade.get("strike"), "expiry_years": trade.get("expiry_years"),
            "volatility": trade.get("volatility"), "underlying_price": trade.get("underlying_price"),
        }
        trade_df = pl.DataFrame([row]).with_columns(_part=pl.lit("TRADE"))
        port = (positions if positions is not None else pl.DataFrame()).with_columns(_part=pl.lit("PORTFOLIO"))
        combined = pl.concat([port, trade_df], how="diagonal_relaxed")
        history = _history_for(con, day, [combined], base, s.history_days + 1)
    sens = build_sensitivities(combined, history.factor_ids, base_currency=base, group_col="_part")
    scen = historical_scenarios(history, s.history_days, 1)
    pnl = sens.pnl(scen.align(sens.factor_ids))
    cols = {g: i for i, g in enumerate(sens.groups)}
    port_pnl = pnl[:, cols["PORTFOLIO"]] if "PORTFOLIO" in cols else np.zeros(scen.n)
    res = incremental_var_from_pnl(port_pnl, pnl[:, cols["TRADE"]], s.incremental_confidence)
    return IncrementalVar(
        res.var_before, res.var_after, res.incremental_var, res.es_before, res.es_after, res.incremental_es,
        res.confidence, res.n_scenarios, "HISTORICAL", day, {"trade_market_value_base": row["market_value_base"]},
    )

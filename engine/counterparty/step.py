"""The end-of-day run step ``counterparty``: SA-CCR EAD per netting set into ``out_saccr``
(and the add-ons per hedging set into ``out_saccr_addons``).

Counterparty limits on EAD and on current exposure are checked by the limits step, which
reads ``out_saccr`` (measures ``EAD`` and ``CURRENT_EXPOSURE``, scope counterparty).
"""

from __future__ import annotations

import logging
import time
from datetime import date

import polars as pl

from engine import store
from engine.config import Config
from engine.counterparty.saccr import SaccrParams, saccr_breakdown
from engine.market_risk.factors import table_exists
from engine.market_risk.step import insert_frame
from engine.run import RunContext, StepResult

log = logging.getLogger(__name__)

OUT_TABLES = ("out_saccr", "out_saccr_addons")
DEFAULT_DERIVATIVE_CLASSES = ("IRS", "CDS", "FX_FORWARD", "COMMODITY_FWD", "OPTION")


def step_saccr(ctx: RunContext) -> StepResult:
    """Run step: SA-CCR for the live derivative trades of ``ctx.as_of``."""
    t0 = time.perf_counter()
    sec = ctx.cfg.section("counterparty")
    params = SaccrParams.from_section(sec)
    for table in OUT_TABLES:
        ctx.replace_date(table)
    if not table_exists(ctx.con, "tmp_trades_asof"):
        log.warning("counterparty: tmp_trades_asof is missing (run the trades_asof step first)")
        return StepResult(0, {"netting_sets": 0, "note": "no tmp_trades_asof"})
    classes = [str(c).upper() for c in sec.get("derivative_asset_classes", DEFAULT_DERIVATIVE_CLASSES)]
    trades = store.query_named(
        ctx.con, "counterparty/saccr_trades", {"as_of": ctx.as_of, "base": ctx.cfg.base_currency, "derivative_classes": classes}
    )
    no_fx = trades.filter(pl.col("notional").is_null())
    if no_fx.height:
        log.warning(
            "counterparty: %d derivative trades without notional or FX rate left out of SA-CCR (e.g. %s)",
            no_fx.height, no_fx["trade_id"].head(3).to_list(),
        )
        trades = trades.filter(pl.col("notional").is_not_null())
    netting_sets = store.query_named(ctx.con, "counterparty/netting_sets")
    res = saccr_breakdown(trades, netting_sets, as_of=ctx.as_of, params=params)
    stamp = [pl.lit(ctx.as_of).alias("as_of"), pl.lit(ctx.run_id, dtype=pl.Int64).alias("run_id")]
    rows = insert_frame(ctx.con, "out_saccr", res.netting_sets.with_columns(*stamp, pl.lit(ctx.cfg.base_currency).alias("currency")))
    rows += insert_frame(ctx.con, "out_saccr_addons", res.addons.with_columns(*stamp))
    ns = res.netting_sets
    return StepResult(
        rows_out=rows,
        summary={
            "derivative_trades": trades.height,
            "trades_without_fx_or_notional": no_fx.height,
            "netting_sets": ns.height,
            "total_ead": round(float(ns["ead"].sum()), 2) if ns.height else 0.0,
            "total_current_exposure": round(float(ns["current_exposure"].sum()), 2) if ns.height else 0.0,
            "seconds": round(time.perf_counter() - t0, 3),
        },
    )


def read_saccr(cfg: Config, as_of: date | str | None = None, *, addons: bool = False) -> pl.DataFrame:
    """``out_saccr`` (or ``out_saccr_addons``) rows for ``as_of`` (default: the latest date),
    from the published snapshot."""
    table = "out_saccr_addons" if addons else "out_saccr"
    with store.connect_reader(cfg) as con:
        if not table_exists(con, table):
            return pl.DataFrame()
        day = as_of or store.scalar(con, f'SELECT max(as_of) FROM "{table}"')  # noqa: S608
        if day is None:
            return pl.DataFrame()
        return store.query(con, f'SELECT * FROM "{table}" WHERE as_of = ? ORDER BY netting_set_id', [day])  # noqa: S608

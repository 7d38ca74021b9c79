"""Daily P&L per (book, instrument): realised by lots, unrealised, fees, carry, base currency,
attribution, the P&L check and the front-office P&L reconciliation.

The day is (previous business date, as_of]. Realised P&L follows the book's lot method
(``ref_books.lot_method``: FIFO, LIFO or AVERAGE; default ``[pnl] default_lot_method``), matched
for all groups at once by :mod:`engine.lots`. Definitions are in ``engine/sql/pnl/compute.sql``;
in short, per (book, instrument), in the local currency:

- ``realised``: change of realised P&L inception to date (= open lots' cost - consideration);
- ``unrealised``: change of (clean market value - open lots' cost);
- ``carry``: change of accrued interest held + coupons received - accrued paid on new trades;
- ``fees``: minus the fees of the day's trades;
- ``total = realised + unrealised + carry + fees``;
- ``total_base = total * fx + fx_move`` (FX translation of the opening position).

Attribution: new-trade (the day's trades at the close against their price), price move (the
opening position), carry, fees, and in base the FX move; the parts add up to the totals.
Every run checks ``total = change in market value + net cash flows`` per (book, instrument)
(``out_pnl_check``), and reconciles ``fo_pnl`` when the front office reported the date.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import polars as pl

from engine import store
from engine.config import Config
from engine.lots import LotState, match_lots, method_code
from engine.positions import ensure_prepared
from engine.run import RunContext, StepResult, parse_date

log = logging.getLogger(__name__)


def step_pnl(ctx: RunContext) -> StepResult:
    """End-of-day step: ``out_pnl``, ``out_pnl_attribution``, ``out_pnl_check`` and
    ``out_fo_pnl_recon`` for the run's date."""
    st = ensure_prepared(ctx)
    con, cfg = ctx.con, ctx.cfg
    store.run_named(con, "pnl/compute")
    for table in ("out_pnl", "out_pnl_attribution", "out_pnl_check", "out_fo_pnl_recon"):
        ctx.replace_date(table)
    params = {"as_of": ctx.as_of, "prev_date": st.prev_date, "run_id": ctx.run_id}
    store.run_named(con, "pnl/insert_pnl", params)
    store.run_named(con, "pnl/insert_attribution", {"as_of": ctx.as_of, "run_id": ctx.run_id})
    tolerance = float(cfg.get("pnl.check_tolerance", 0.01))
    store.run_named(con, "pnl/insert_check", {**params, "tolerance": tolerance})
    store.run_named(
        con,
        "pnl/fo_recon",
        {
            "as_of": ctx.as_of,
            "run_id": ctx.run_id,
            "base": cfg.base_currency,
            "abs_tolerance": float(cfg.get("pnl.fo_recon_abs_tolerance", 1.0)),
            "rel_tolerance": float(cfg.get("pnl.fo_recon_rel_tolerance", 0.0001)),
        },
    )
    s = store.query(
        con,
        "SELECT count(*) AS n, coalesce(sum(total_base), 0) AS total_base, "
        "coalesce(sum(realised_local * fx_rate), 0) AS realised_base, "
        "coalesce(sum(fees_local * fx_rate), 0) AS fees_base FROM out_pnl WHERE as_of = $d",
        {"d": ctx.as_of},
    ).row(0, named=True)
    chk = store.query(
        con,
        "SELECT count(*) FILTER (WHERE NOT ok) AS failed, coalesce(max(abs(difference_local)), 0) AS max_diff "
        "FROM out_pnl_check WHERE as_of = $d",
        {"d": ctx.as_of},
    ).row(0, named=True)
    recon = store.query(
        con,
        "SELECT status, count(*) AS n FROM out_fo_pnl_recon WHERE as_of = $d GROUP BY status ORDER BY status",
        {"d": ctx.as_of},
    )
    if chk["failed"]:
        log.warning(
            "P&L check: %s (book, instrument) rows where total P&L != change in MV + cash flows (max %s)",
            chk["failed"],
            chk["max_diff"],
        )
    summary = {
        "pnl_rows": int(s["n"]),
        "total_pnl_base": float(s["total_base"]),
        "realised_pnl_base": float(s["realised_base"]),
        "fees_base": float(s["fees_base"]),
        "check_failures": int(chk["failed"]),
        "check_max_difference": float(chk["max_diff"]),
        "fo_recon": {r["status"]: int(r["n"]) for r in recon.to_dicts()},
    }
    return StepResult(rows_out=int(s["n"]), summary=summary)


def realised_pnl(
    trades: pl.DataFrame,
    *,
    method: str = "FIFO",
    group_by: tuple[str, ...] = ("book_id", "instrument_id"),
) -> pl.DataFrame:
    """Realised P&L by lots of a frame of trades, per group (a convenience for notebooks and
    tests; the run uses the same matcher on the store).

    ``trades`` needs the ``group_by`` columns, ``side`` (BUY/SELL), ``quantity`` (> 0) and
    ``price`` (per unit, multiplier included), in execution order. A ``lot_method`` column
    overrides ``method`` per group. Returns per group: quantity, open_cost, avg_cost, realised.
    """
    df = trades.with_columns(
        pl.struct(list(group_by)).rank("dense").cast(pl.Int64).alias("_gid"),
        pl.int_range(pl.len()).alias("_seq"),
    ).sort(["_gid", "_seq"])
    sign = pl.when(pl.col("side").str.to_uppercase().is_in(["BUY", "B"])).then(1).otherwise(-1)
    scale = 1_000_000
    qty = (pl.col("quantity").cast(pl.Float64) * scale).round(0).cast(pl.Int64) * sign
    arrays = df.select(qty.alias("q"), pl.col("price").cast(pl.Float64).alias("u"), "_gid")
    codes: Any
    if "lot_method" in df.columns:
        codes = df.select(
            pl.col("lot_method").fill_null(method).str.to_uppercase().replace_strict(
                {"FIFO": 0, "LIFO": 1, "AVERAGE": 2, "AVG": 2, "WAC": 2}, return_dtype=pl.Int8
            )
        ).to_series().to_numpy()
    else:
        codes = method_code(method)
    st: LotState = match_lots(arrays["_gid"].to_numpy(), arrays["q"].to_numpy(), arrays["u"].to_numpy(), codes)
    keys = df.group_by("_gid", maintain_order=True).agg([pl.col(c).first() for c in group_by])
    res = pl.DataFrame(
        {
            "_gid": st.group,
            "quantity": st.quantity / scale,
            "open_cost": st.open_cost / scale,
            "realised": st.realised / scale,
        }
    ).with_columns(
        pl.when(pl.col("quantity") != 0).then(pl.col("open_cost") / pl.col("quantity")).alias("avg_cost")
    )
    return keys.join(res, on="_gid").drop("_gid").select([*group_by, "quantity", "open_cost", "avg_cost", "realised"])


# ---------------------------------------------------------------------------------------------
# Read API (published snapshot)
# ---------------------------------------------------------------------------------------------


def load_pnl(cfg: Config, as_of: date | str | None = None, *, by: list[str] | None = None) -> pl.DataFrame:
    """The day's P&L of ``as_of`` (default: the latest) from the published snapshot, per
    (book, instrument) or summed by any of its dimension columns (``by``)."""
    from engine.positions import latest_as_of

    with store.connect_reader(cfg) as con:
        d = parse_date(as_of) if as_of else latest_as_of(con, "out_pnl")
        df = store.query(con, "SELECT * FROM out_pnl WHERE as_of = $d ORDER BY book_id, instrument_id", {"d": d})
    if not by:
        return df
    # local amounts are in different currencies: only base-currency columns add up
    base_cols = [c for c in df.columns if c.endswith("_base")]
    return df.group_by(by).agg([pl.col(c).sum() for c in base_cols]).sort(by)

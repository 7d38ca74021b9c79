"""Limit monitoring: limits as data, utilisation and status, breach incidents across days with
their workflow, and the pre-trade check.

**Limits** (``ref_limits``): a scope (legal entity, desk, book, trader, counterparty, issuer,
sector, country, currency, asset class; NULL = any, i.e. the aggregate over all; ``'*'`` = each
member separately), a measure, a comparison (``<=`` ceiling or ``>=`` floor), an absolute-value
flag, a warning threshold (% of the limit), HARD/SOFT, a currency, validity dates, temporary
versions and a priority. Measures: GROSS_EXPOSURE, NET_EXPOSURE, MARKET_VALUE, LONG_EXPOSURE,
SHORT_EXPOSURE, NOTIONAL, CONCENTRATION_PCT, NET_FX_OPEN, CURRENT_EXPOSURE, REPLACEMENT_COST,
SETTLEMENT_RISK, PNL_DAILY, EAD (from ``out_saccr``) and VAR_99_1D (from ``out_var``).

**Precedence**: per limit_id one version governs (an approved temporary increase, else a
temporary version, else the highest version in force); limits on the same measure and point
compete and the most specific wins (explicit keys), then a temporary limit, then priority.
Definitions are in the SQL files ``engine/sql/limits/*.sql``.

**Incidents**: consecutive evaluated dates in breach for the same (limit, point) form one
incident (``life_limit_incidents``): NEW / CONTINUING / RESOLVED, first and last date, peak
utilisation. **Workflow** (workflow store, append-only ``wf_limit_events``): acknowledge,
comment, request a temporary increase, approve or reject it (four-eyes: not the requester).
The next run applies approved increases.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import duckdb
import polars as pl

from engine import store
from engine.config import Config
from engine.errors import BadInputError, StoreError, WorkflowError
from engine.positions import (
    _classes_frame,
    _create_from_frame,
    ensure_prepared,
    latest_as_of,
    setting,
)
from engine.run import RunContext, StepResult, parse_date

log = logging.getLogger(__name__)

STATUS_ORDER = {"NO_DATA": -1, "SUPERSEDED": -1, "OK": 0, "WARNING": 1, "BREACH": 2}


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        store.scalar(
            con,
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = $n AND NOT temporary",
            {"n": name},
        )
    )


def _overrides_frame(cfg: Config) -> pl.DataFrame:
    """Approved temporary increases from the workflow store."""
    with store.connect_workflow(cfg) as wf:
        df = store.query_named(wf, "limits/wf_approved_increases")
    if df.is_empty():
        return pl.DataFrame(
            schema={
                "request_id": pl.String,
                "limit_id": pl.String,
                "new_value": pl.Float64,
                "valid_from": pl.Date,
                "valid_to": pl.Date,
                "approved_by": pl.String,
                "approved_at": pl.Datetime,
                "requested_by": pl.String,
                "reason": pl.String,
            }
        )
    return df


def build_sources(con: duckdb.DuckDBPyConnection, cfg: Config, as_of: date) -> dict[str, bool]:
    """Create the temp tables the evaluation reads, from the store the connection sees (the
    run's store, or the published snapshot for the pre-trade check)."""
    p = {"as_of": as_of}
    store.run_named(con, "limits/src_positions", p)
    store.run_named(con, "limits/src_cpty_trades", p)
    store.run_named(con, "limits/src_pnl", p)
    if _table_exists(con, "out_var"):
        store.run_named(con, "limits/src_var", p)
    else:
        store.run_named(con, "limits/src_var_empty")
    if _table_exists(con, "out_saccr"):
        store.run_named(con, "limits/src_saccr", p)
    else:
        store.run_named(con, "limits/src_saccr_empty")
    _create_from_frame(con, "tmp_lim_overrides", _overrides_frame(cfg))
    return {
        "has_var": bool(store.scalar(con, "SELECT count(*) FROM tmp_src_var")),
        "has_ead": bool(store.scalar(con, "SELECT count(*) FROM tmp_src_saccr")),
    }


def evaluate(con: duckdb.DuckDBPyConnection, cfg: Config, as_of: date, flags: dict[str, bool]) -> None:
    """Evaluate the limits in force on ``as_of`` over the current temp sources (tmp_lim_eval)."""
    store.run_named(con, "limits/active_limits", {"as_of": as_of})
    store.run_named(con, "exposures/fx_legs")
    store.run_named(con, "limits/facts", {"base": cfg.base_currency})
    store.run_named(con, "limits/evaluate", flags)


def step_limits(ctx: RunContext) -> StepResult:
    """End-of-day step (after positions, exposures, P&L and the risk steps): limit utilisation,
    breaches of the date and the incident lifecycle."""
    ensure_prepared(ctx)
    con, cfg = ctx.con, ctx.cfg
    flags = build_sources(con, cfg, ctx.as_of)
    evaluate(con, cfg, ctx.as_of, flags)
    ctx.replace_date("out_limit_utilisation")
    ctx.replace_date("out_limit_breaches")
    params = {"as_of": ctx.as_of, "run_id": ctx.run_id}
    store.run_named(con, "limits/insert_utilisation", params)
    store.run_named(con, "limits/derive_incidents")
    now = datetime.now()
    store.run_named(con, "limits/merge_incidents", {"run_id": ctx.run_id, "now": now})
    store.run_named(con, "limits/void_incidents", {"run_id": ctx.run_id, "now": now})
    store.run_named(con, "limits/insert_breaches", params)
    status = store.query(
        con,
        "SELECT status, count(*) AS n FROM out_limit_utilisation WHERE as_of = $d GROUP BY status",
        {"d": ctx.as_of},
    )
    states = store.query(
        con,
        "SELECT state, count(*) AS n FROM out_limit_breaches WHERE as_of = $d GROUP BY state",
        {"d": ctx.as_of},
    )
    by_status = {r["status"]: int(r["n"]) for r in status.to_dicts()}
    by_state = {r["state"]: int(r["n"]) for r in states.to_dicts()}
    summary = {
        "limits_in_force": int(store.scalar(con, "SELECT count(*) FROM tmp_lim_limits") or 0),
        "points": sum(by_status.values()),
        "ok": by_status.get("OK", 0),
        "warnings": by_status.get("WARNING", 0),
        "breaches": by_status.get("BREACH", 0),
        "superseded": by_status.get("SUPERSEDED", 0),
        "no_data": by_status.get("NO_DATA", 0),
        "new_breaches": by_state.get("NEW", 0),
        "continuing_breaches": by_state.get("CONTINUING", 0),
        "resolved_breaches": by_state.get("RESOLVED", 0),
    }
    return StepResult(rows_out=summary["points"], summary=summary)


# ---------------------------------------------------------------------------------------------
# Pre-trade check
# ---------------------------------------------------------------------------------------------

_SIDES = {"BUY": 1, "B": 1, "SELL": -1, "S": -1}


def _dec(value: Any, name: str) -> float:
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError) as exc:
        raise BadInputError(f"trade field {name!r} is not a number", found=repr(value)) from exc


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> dict[str, Any] | None:
    df = store.query(con, sql, params)
    return df.row(0, named=True) if df.height else None


def _proposed_rows(
    con: duckdb.DuckDBPyConnection, cfg: Config, trade: dict[str, Any], as_of: date
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, dict[str, Any]]:
    """The position (replacing the existing one), counterparty exposure and P&L rows the
    proposed trade gives, valued like the run values positions."""
    missing = [k for k in ("book_id", "instrument_id", "side", "quantity") if trade.get(k) in (None, "")]
    if missing:
        raise BadInputError(
            f"the proposed trade lacks {', '.join(missing)}",
            expected="book_id, instrument_id, side (BUY/SELL), quantity; optional price, counterparty_id, trader, fees",
        )
    side = str(trade["side"]).strip().upper()
    if side not in _SIDES:
        raise BadInputError("bad trade side", expected="BUY or SELL", found=repr(trade["side"]))
    sign = _SIDES[side]
    qty = _dec(trade["quantity"], "quantity")
    if qty <= 0:
        raise BadInputError("trade quantity must be > 0", found=repr(trade["quantity"]))
    book_id, instrument_id = str(trade["book_id"]), str(trade["instrument_id"])
    book = _one(con, "SELECT * FROM ref_books WHERE book_id = $b", {"b": book_id})
    inst = _one(con, "SELECT * FROM ref_instruments WHERE instrument_id = $i", {"i": instrument_id})
    if book is None:
        raise BadInputError(f"unknown book {book_id!r}", hint="the book must be in ref_books")
    if inst is None:
        raise BadInputError(f"unknown instrument {instrument_id!r}", hint="the instrument must be in ref_instruments")
    classes = {r["asset_class"]: r for r in _classes_frame(cfg).to_dicts()}
    cls = classes.get(inst["asset_class"], {"valuation": "PRICE", "unfunded": False})
    valuation = str(cls["valuation"])
    mult = float(inst["price_multiplier"] or 1)
    existing = _one(
        con,
        "SELECT * FROM tmp_src_positions WHERE book_id = $b AND instrument_id = $i",
        {"b": book_id, "i": instrument_id},
    )
    currency = (
        existing["currency"]
        if existing
        else (
            (inst["quote_currency"] or (inst["underlying"] or "")[3:6] or inst["currency"])
            if valuation == "FX"
            else inst["currency"]
        )
    )
    fx_row = _one(con, "SELECT rate_to_base FROM tmp_pos_fx WHERE currency = $c AND which = 'T'", {"c": currency})
    fx = float(existing["fx_rate_to_base"]) if existing and existing["fx_rate_to_base"] is not None else (
        float(fx_row["rate_to_base"]) if fx_row else 0.0
    )
    mark: float | None = float(existing["price"]) if existing and existing["price"] is not None else None
    if mark is None and valuation != "MTM":
        px = _one(
            con,
            "SELECT max_by(close, price_date) AS close FROM mkt_prices WHERE instrument_id = $i "
            "AND price_date <= $d AND price_date >= $d - CAST($lb AS INTEGER)",
            {"i": instrument_id, "d": as_of, "lb": int(setting(cfg, "price_lookback_days"))},
        )
        mark = float(px["close"]) if px and px["close"] is not None else None
    price = _dec(trade["price"], "price") if trade.get("price") not in (None, "") else mark
    if price is None and valuation != "MTM":
        raise BadInputError(
            f"no price for {instrument_id} on {as_of}", hint="give the proposed trade's price"
        )
    if mark is None:
        mark = price
    accrued_unit = 0.0
    if valuation == "BOND":
        if existing and float(existing["quantity"]) != 0:
            accrued_unit = float(existing["accrued_local"]) / float(existing["quantity"])
        else:
            acc_in = pl.DataFrame(
                {
                    "key": [instrument_id],
                    "value_date": [as_of],
                    "prev_date": [None],
                    "coupon_rate": [float(inst["coupon_rate"] or 0)],
                    "coupon_freq": [int(inst["coupon_freq"] or 0)],
                    "day_count": [inst["day_count"]],
                    "issue_date": [inst["issue_date"]],
                    "maturity_date": [inst["maturity_date"]],
                },
                schema_overrides={"prev_date": pl.Date},
            )
            _create_from_frame(con, "tmp_acc_in", acc_in)
            store.run_named(con, "positions/bond_accrual")
            r = _one(con, "SELECT accrued_per_unit FROM tmp_acc_out", {})
            accrued_unit = float(r["accrued_per_unit"]) * 100 * mult if r else 0.0
    fees = _dec(trade.get("fees") or 0, "fees")
    dq = sign * qty
    q0 = float(existing["quantity"]) if existing else 0.0
    q1 = q0 + dq
    unit = (mark or 0.0) * mult
    trade_unit = (price or 0.0) * mult
    trader = (book.get("trader") or trade.get("trader")) if not existing else existing["trader"]
    if valuation == "MTM":
        mtm = _dec(trade.get("mtm") or 0, "mtm")
        mv_base = (float(existing["market_value_base"]) if existing else 0.0) + mtm
        mv_local = mv_base / fx if fx else 0.0
        cost = None
        unrealised = mv_local
        accrued = 0.0
    else:
        accrued = q1 * accrued_unit
        mv_local = q1 * unit + accrued
        mv_base = mv_local * fx
        cost = (float(existing["cost_local"] or 0) if existing else 0.0) + dq * trade_unit
        unrealised = q1 * unit - cost
    pos = {
        "as_of": as_of,
        "basis": "TRADE",
        "position_id": f"{book_id}|{instrument_id}",
        "legal_entity_id": book["legal_entity_id"],
        "desk": book["desk"],
        "book_id": book_id,
        "trader": trader,
        "instrument_id": instrument_id,
        "isin": inst["isin"],
        "asset_class": inst["asset_class"],
        "currency": currency,
        "issuer": inst["issuer"],
        "sector": inst["sector"],
        "country": inst["country"],
        "valuation": valuation,
        "quantity": q1,
        "cost_local": cost,
        "price": mark,
        "price_multiplier": mult,
        "accrued_local": accrued,
        "market_value_local": mv_local,
        "fx_rate_to_base": fx,
        "market_value_base": mv_base,
        "unrealised_local": unrealised,
    }
    pos_df = pl.DataFrame([pos], infer_schema_length=None)
    mtm_base = sign * qty * (unit - trade_unit) * fx if valuation != "MTM" else _dec(trade.get("mtm") or 0, "mtm")
    settle = trade.get("settle_date")
    cp_rows = []
    if trade.get("counterparty_id"):
        kind = "OTC" if valuation == "MTM" else ("SETTLING" if settle and parse_date(settle) == as_of else "UNSETTLED")
        cp_rows.append(
            {
                "as_of": as_of,
                "trade_id": str(trade.get("trade_id") or "PROPOSED"),
                "version": 1,
                "kind": kind,
                "counterparty_id": str(trade["counterparty_id"]),
                "netting_set_id": trade.get("netting_set_id"),
                "legal_entity_id": book["legal_entity_id"],
                "desk": book["desk"],
                "book_id": book_id,
                "trader": trader,
                "instrument_id": instrument_id,
                "asset_class": inst["asset_class"],
                "currency": currency,
                "unsettled_fraction": 1.0,
                "value_base": sign * qty * unit * fx,
                "mtm_base": mtm_base,
                "replacement_cost_base": max(mtm_base, 0.0) if kind == "UNSETTLED" else 0.0,
                "settlement_amount_base": (qty * trade_unit if sign > 0 else qty * unit) * fx if kind == "SETTLING" else 0.0,
            }
        )
    cp_df = pl.DataFrame(cp_rows, infer_schema_length=None) if cp_rows else pl.DataFrame()
    pnl_df = pl.DataFrame(
        [
            {
                "as_of": as_of,
                "legal_entity_id": book["legal_entity_id"],
                "desk": book["desk"],
                "book_id": book_id,
                "trader": trader,
                "instrument_id": f"{instrument_id}#proposed",
                "asset_class": inst["asset_class"],
                "currency": currency,
                "total_base": (mtm_base - fees * fx) if valuation != "MTM" else mtm_base - fees * fx,
            }
        ],
        infer_schema_length=None,
    )
    info = {"mark": mark, "price": price, "fx_rate": fx, "valuation": valuation, "quantity_after": q1}
    return pos_df, cp_df, pnl_df, info


def _insert_by_name(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    if frame.is_empty():
        return
    name = f"_pt_{table}"
    con.register(name, frame)
    try:
        con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM "{name}"')  # noqa: S608
    finally:
        con.unregister(name)


def check_trade(cfg: Config, trade: dict[str, Any], as_of: date | str | None = None, *, all_changes: bool = False) -> pl.DataFrame:
    """Pre-trade check: the limits a proposed trade would move to WARNING or BREACH, and by
    how much, against the published positions of ``as_of`` (default: the latest run).

    ``trade``: book_id, instrument_id, side (BUY/SELL), quantity; optional price (default: the
    mark), counterparty_id, trader, fees, settle_date, netting_set_id, mtm (OTC derivatives).
    Returns one row per (limit, point) whose measure the trade changes and whose status after
    the trade is WARNING or BREACH (``all_changes=True``: every changed limit), with the
    measure, utilisation and status before and after, ``change`` (after - before),
    ``excess_after_base`` (beyond the limit when > 0) and ``impact``: NEW_BREACH, NEW_WARNING,
    WORSENS_BREACH, WORSENS_WARNING, or (all_changes) IMPROVES / UNCHANGED_STATUS.
    VAR_99_1D and EAD limits are not re-estimated (their figures stay the run's).
    """
    with store.connect_reader(cfg) as con:
        d = parse_date(as_of) if as_of else latest_as_of(con)
        if d is None:
            raise StoreError("no positions to check against", hint="run `midoffice run` first")
        _create_from_frame(con, "tmp_pos_classes", _classes_frame(cfg))
        store.run_named(con, "positions/fx_rates", {"as_of": d, "prev_date": d, "base": cfg.base_currency})
        flags = build_sources(con, cfg, d)
        evaluate(con, cfg, d, flags)
        before = store.query(con, "SELECT * FROM tmp_lim_eval")
        pos_df, cp_df, pnl_df, info = _proposed_rows(con, cfg, trade, d)
        con.execute(
            "DELETE FROM tmp_src_positions WHERE book_id = $b AND instrument_id = $i",
            {"b": str(trade["book_id"]), "i": str(trade["instrument_id"])},
        )
        _insert_by_name(con, "tmp_src_positions", pos_df)
        _insert_by_name(con, "tmp_src_cpty_trades", cp_df)
        _insert_by_name(con, "tmp_src_pnl", pnl_df)
        evaluate(con, cfg, d, flags)
        after = store.query(con, "SELECT * FROM tmp_lim_eval")
    keys = ["limit_id", "point_key"]
    b = before.select(
        *keys,
        pl.col("measure_value").cast(pl.Float64).alias("value_before"),
        pl.col("utilisation_pct").alias("utilisation_before"),
        pl.col("status").alias("status_before"),
    )
    a = after.select(
        *keys,
        "measure",
        "severity",
        "comparison",
        pl.col("limit_value_base").cast(pl.Float64),
        pl.col("measure_value").cast(pl.Float64).alias("value_after"),
        pl.col("utilisation_pct").alias("utilisation_after"),
        pl.col("status").alias("status_after"),
        pl.col("excess_base").cast(pl.Float64).alias("excess_after_base"),
    )
    j = a.join(b, on=keys, how="left").with_columns(
        (pl.col("value_after") - pl.col("value_before").fill_null(0.0)).alias("change"),
        pl.col("status_before").fill_null("OK"),
    )
    rank_after = pl.col("status_after").replace_strict(STATUS_ORDER, default=-1, return_dtype=pl.Int8)
    rank_before = pl.col("status_before").replace_strict(STATUS_ORDER, default=-1, return_dtype=pl.Int8)
    worse = pl.col("utilisation_after").fill_null(float("inf")) > pl.col("utilisation_before").fill_null(0.0)
    j = j.with_columns(
        pl.when((pl.col("status_after") == "BREACH") & (pl.col("status_before") != "BREACH"))
        .then(pl.lit("NEW_BREACH"))
        .when((pl.col("status_after") == "WARNING") & (rank_before < 1))
        .then(pl.lit("NEW_WARNING"))
        .when((pl.col("status_after") == "BREACH") & worse)
        .then(pl.lit("WORSENS_BREACH"))
        .when((pl.col("status_after") == "WARNING") & worse)
        .then(pl.lit("WORSENS_WARNING"))
        .when(rank_after < rank_before)
        .then(pl.lit("IMPROVES"))
        .otherwise(pl.lit("UNCHANGED_STATUS"))
        .alias("impact")
    )
    changed = (pl.col("change").abs() > 1e-9) | (pl.col("status_after") != pl.col("status_before"))
    out = j.filter(changed)
    if not all_changes:
        out = out.filter(pl.col("status_after").is_in(["WARNING", "BREACH"]) & pl.col("impact").str.starts_with("NEW") | pl.col("impact").str.starts_with("WORSENS"))
    order = pl.col("impact").replace_strict(
        {"NEW_BREACH": 0, "WORSENS_BREACH": 1, "NEW_WARNING": 2, "WORSENS_WARNING": 3, "IMPROVES": 4, "UNCHANGED_STATUS": 5},
        default=9,
        return_dtype=pl.Int8,
    )
    log.info("pre-trade check on %s: %s", d, info)
    return (
        out.with_columns(order.alias("_o"), pl.lit(d).alias("as_of"))
        .sort(["_o", "limit_id", "point_key"])
        .select(
            "as_of",
            "limit_id",
            "measure",
            "point_key",
            "severity",
            "comparison",
            "limit_value_base",
            "value_before",
            "value_after",
            "change",
            "utilisation_before",
            "utilisation_after",
            "status_before",
            "status_after",
            "excess_after_base",
            "impact",
        )
    )


# ---------------------------------------------------------------------------------------------
# Read API (published snapshot + workflow store)
# ---------------------------------------------------------------------------------------------


def list_utilisation(
    cfg: Config,
    as_of: date | str | None = None,
    *,
    status: str | None = None,
    measure: str | None = None,
) -> pl.DataFrame:
    """Limit utilisation of ``as_of`` (default: the latest run), most utilised first."""
    with store.connect_reader(cfg) as con:
        d = parse_date(as_of) if as_of else latest_as_of(con, "out_limit_utilisation")
        df = store.query(
            con,
            "SELECT * FROM out_limit_utilisation WHERE as_of = $d "
            "ORDER BY utilisation_pct DESC NULLS FIRST, limit_id, point_key",
            {"d": d},
        )
    if status:
        df = df.filter(pl.col("status") == status.upper())
    if measure:
        df = df.filter(pl.col("measure") == measure.upper())
    return df


def _workflow_state(cfg: Config) -> pl.DataFrame:
    with store.connect_workflow(cfg) as wf:
        return store.query_named(wf, "limits/wf_incident_state")


def list_incidents(cfg: Config, *, status: str | None = None, as_of: date | str | None = None) -> pl.DataFrame:
    """Breach incidents with their workflow state (acknowledged_by/at, comments, last comment).

    ``status``: OPEN, RESOLVED, VOID, or ACKNOWLEDGED / UNACKNOWLEDGED (open incidents).
    ``as_of``: only the incidents in breach on that date.
    """
    with store.connect_reader(cfg) as con:
        if not _table_exists(con, "life_limit_incidents"):
            return pl.DataFrame()
        inc = store.query(con, "SELECT * FROM life_limit_incidents ORDER BY first_date DESC, incident_id")
    wf = _workflow_state(cfg)
    if wf.is_empty():
        wf = pl.DataFrame(
            schema={
                "incident_id": pl.String,
                "acknowledged_by": pl.String,
                "acknowledged_at": pl.Datetime,
                "comments": pl.Int64,
                "last_comment": pl.String,
                "last_action_at": pl.Datetime,
            }
        )
    df = inc.join(wf, on="incident_id", how="left").with_columns(pl.col("comments").fill_null(0))
    if as_of:
        d = parse_date(as_of)
        df = df.filter((pl.col("first_date") <= d) & (pl.col("last_date") >= d) & (pl.col("status") != "VOID"))
    if status:
        s = status.upper()
        if s == "ACKNOWLEDGED":
            df = df.filter(pl.col("acknowledged_by").is_not_null())
        elif s == "UNACKNOWLEDGED":
            df = df.filter(pl.col("acknowledged_by").is_null() & (pl.col("status") == "OPEN"))
        else:
            df = df.filter(pl.col("status") == s)
    return df


def _incident(cfg: Config, incident_id: str) -> dict[str, Any]:
    with store.connect_reader(cfg) as con:
        if not _table_exists(con, "life_limit_incidents"):
            raise WorkflowError(f"unknown incident {incident_id!r}: no incidents yet")
        row = _one(con, "SELECT * FROM life_limit_incidents WHERE incident_id = $i", {"i": incident_id})
    if row is None:
        raise WorkflowError(f"unknown incident {incident_id!r}", hint="`midoffice limits breaches` lists them")
    return row


def _actor(actor: str | None) -> str:
    if actor is None or not str(actor).strip():
        raise WorkflowError("an action needs an actor (who is doing it)")
    return str(actor).strip()


def _append(cfg: Config, **event: Any) -> str:
    event_id = uuid.uuid4().hex
    cols = [
        "event_id", "event_at", "actor", "action", "incident_id", "limit_id", "request_id",
        "new_value", "valid_from", "valid_to", "text",
    ]
    row = {c: None for c in cols} | event | {"event_id": event_id, "event_at": datetime.now()}
    with store.connect_workflow(cfg) as wf, store.transaction(wf):
        wf.execute(
            "INSERT INTO wf_limit_events (event_id, event_at, actor, action, incident_id, limit_id, request_id, "
            "new_value, valid_from, valid_to, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [row[c] for c in cols],
        )
    log.info("limit workflow: %s %s by %s", row["action"], row.get("incident_id") or row.get("request_id"), row["actor"])
    return event_id


def acknowledge(cfg: Config, incident_id: str, *, actor: str, text: str | None = None) -> str:
    """Acknowledge a breach incident (once). Returns the event id."""
    who = _actor(actor)
    _incident(cfg, incident_id)
    with store.connect_workflow(cfg) as wf:
        prior = _one(
            wf,
            "SELECT actor, event_at FROM wf_limit_events WHERE incident_id = $i AND action = 'ACK' ORDER BY event_at LIMIT 1",
            {"i": incident_id},
        )
    if prior:
        raise WorkflowError(f"incident {incident_id} was already acknowledged by {prior['actor']} at {prior['event_at']}")
    return _append(cfg, actor=who, action="ACK", incident_id=incident_id, text=text)


def comment(cfg: Config, incident_id: str, *, actor: str, text: str) -> str:
    """Add a comment to a breach incident. Returns the event id."""
    who = _actor(actor)
    if not text or not str(text).strip():
        raise WorkflowError("a comment needs text")
    _incident(cfg, incident_id)
    return _append(cfg, actor=who, action="COMMENT", incident_id=incident_id, text=str(text))


def request_temporary_increase(
    cfg: Config,
    limit_id: str,
    *,
    actor: str,
    new_value: float | Decimal | str,
    valid_from: date | str,
    valid_to: date | str,
    reason: str,
) -> str:
    """Request a temporary limit of ``new_value`` (limit currency) for ``limit_id`` from
    ``valid_from`` to ``valid_to``; it applies once another person approves it. Returns the
    request id."""
    who = _actor(actor)
    if not reason or not str(reason).strip():
        raise WorkflowError("a temporary increase request needs a reason")
    try:
        value = Decimal(str(new_value))
    except InvalidOperation as exc:
        raise WorkflowError(f"new limit value {new_value!r} is not a number") from exc
    start, end = parse_date(valid_from), parse_date(valid_to)
    if end < start:
        raise WorkflowError(f"valid_to {end} is before valid_from {start}")
    with store.connect_reader(cfg) as con:
        found = store.scalar(con, "SELECT count(*) FROM ref_limits WHERE limit_id = $l", {"l": limit_id})
    if not found:
        raise WorkflowError(f"unknown limit {limit_id!r}", hint="`midoffice limits list` shows the limits")
    request_id = "LR-" + uuid.uuid4().hex[:12]
    _append(
        cfg,
        actor=who,
        action="REQUEST_INCREASE",
        limit_id=limit_id,
        request_id=request_id,
        new_value=value,
        valid_from=start,
        valid_to=end,
        text=str(reason),
    )
    return request_id


def _request(cfg: Config, request_id: str) -> dict[str, Any]:
    with store.connect_workflow(cfg) as wf:
        reqs = store.query_named(wf, "limits/wf_requests")
    rows = reqs.filter(pl.col("request_id") == request_id) if reqs.height else reqs
    if rows.is_empty():
        raise WorkflowError(f"unknown temporary increase request {request_id!r}")
    return rows.row(0, named=True)


def approve_temporary_increase(cfg: Config, request_id: str, *, actor: str) -> str:
    """Approve a temporary increase (four-eyes: the approver must not be the requester).
    The next end-of-day run applies it. Returns the event id."""
    who = _actor(actor)
    req = _request(cfg, request_id)
    if req["status"] != "PENDING":
        raise WorkflowError(f"request {request_id} is already {req['status']} by {req['decided_by']}")
    if bool(cfg.get("limits.four_eyes", True)) and who.casefold() == str(req["requested_by"]).strip().casefold():
        raise WorkflowError(
            f"four-eyes: {who} requested {request_id} and cannot approve it",
            hint="another person must approve a temporary limit increase",
        )
    return _append(cfg, actor=who, action="APPROVE_INCREASE", limit_id=req["limit_id"], request_id=request_id)


def reject_temporary_increase(cfg: Config, request_id: str, *, actor: str, text: str | None = None) -> str:
    """Reject a pending temporary increase request. Returns the event id."""
    who = _actor(actor)
    req = _request(cfg, request_id)
    if req["status"] != "PENDING":
        raise WorkflowError(f"request {request_id} is already {req['status']} by {req['decided_by']}")
    return _append(cfg, actor=who, action="REJECT_INCREASE", limit_id=req["limit_id"], request_id=request_id, text=text)


def list_requests(cfg: Config, *, status: str | None = None) -> pl.DataFrame:
    """Temporary increase requests with their decision."""
    with store.connect_workflow(cfg) as wf:
        df = store.query_named(wf, "limits/wf_requests")
    if status and df.height:
        df = df.filter(pl.col("status") == status.upper())
    return df


def incident_history(cfg: Config, incident_id: str) -> pl.DataFrame:
    """The timeline of an incident: each evaluated day from its first date to its resolution
    (kind DAILY, with status, measure, limit, utilisation and excess) and every workflow event
    on it or on its limit's increase requests in that period (kind = the action), by time."""
    inc = _incident(cfg, incident_id)
    end = inc["resolved_date"] or inc["last_date"]
    with store.connect_reader(cfg) as con:
        daily = store.query(
            con,
            "SELECT CAST(as_of AS TIMESTAMP) AS at, as_of, 'DAILY' AS kind, status, CAST(NULL AS VARCHAR) AS actor, "
            "note AS text, CAST(measure_value AS DOUBLE) AS measure_value, CAST(limit_value_base AS DOUBLE) AS limit_value_base, "
            "utilisation_pct, CAST(excess_base AS DOUBLE) AS excess_base "
            "FROM out_limit_utilisation WHERE limit_id = $l AND point_key = $p AND as_of BETWEEN $a AND $b",
            {"l": inc["limit_id"], "p": inc["point_key"], "a": inc["first_date"], "b": end},
        )
    with store.connect_workflow(cfg) as wf:
        events = store.query(
            wf,
            "SELECT event_at AS at, CAST(event_at AS DATE) AS as_of, action AS kind, CAST(NULL AS VARCHAR) AS status, actor, "
            "coalesce(text, CASE WHEN new_value IS NOT NULL THEN 'new value ' || CAST(new_value AS VARCHAR) || ' from ' "
            "|| CAST(valid_from AS VARCHAR) || ' to ' || CAST(valid_to AS VARCHAR) END) AS text, "
            "CAST(NULL AS DOUBLE) AS measure_value, CAST(new_value AS DOUBLE) AS limit_value_base, "
            "CAST(NULL AS DOUBLE) AS utilisation_pct, CAST(NULL AS DOUBLE) AS excess_base "
            "FROM wf_limit_events WHERE incident_id = $i OR (limit_id = $l AND incident_id IS NULL) ORDER BY event_at",
            {"i": incident_id, "l": inc["limit_id"]},
        )
    frames = [f for f in (daily, events) if f.height]
    if not frames:
        return daily
    return pl.concat(frames, how="vertical_relaxed").sort("at").with_columns(pl.lit(incident_id).alias("incident_id"))

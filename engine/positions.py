"""Positions per as-of date, on trade-date and settlement-date basis.

A position is a (book, instrument) group of live trades (``tmp_trades_asof``): quantity
(signed, long > 0), average cost of the open lots under the book's lot method
(``ref_books.lot_method``: FIFO, LIFO or AVERAGE; see :mod:`engine.lots`), market value in the
local and the base currency. Valuation by asset class (``[positions]`` configuration):

- PRICE: ``quantity * close * price_multiplier`` (equities; futures at notional, the multiplier
  being the contract size);
- BOND: clean price in % of par times the multiplier, plus accrued interest to the as-of date
  under the bond's day count (``positions/bond_accrual.sql``, checked against QuantLib); at or
  after maturity the bond is held at par;
- FX: spot and forwards at their close if the feed has one, else at the rate the FX rates imply
  (cross spot; forwards by covered interest parity with the configured deposit rates);
- MTM: OTC derivatives at the front office's mark (``fo_trades.mtm``, base currency).

A mark missing within the look-back window falls back to the last trade price (reported as
``price_source = 'TRADE'`` and counted in the step summary).

The step leaves temp tables that the exposures and P&L steps of the same run read:
``tmp_pos`` (groups and their exact trade aggregates), ``tmp_pos_val`` (valuation on as_of and
on the previous business date), ``tmp_pos_marks``, ``tmp_pos_fx``, ``tmp_pos_lots``.
Lineage: ``position_id = book_id || '|' || instrument_id``; :func:`position_trades` lists a
position's trades (the versions known on its as-of date).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from engine import store
from engine.config import Config
from engine.errors import BadInputError
from engine.lots import METHOD_CODES, match_lots
from engine.run import RunContext, StepResult

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "price_lookback_days": 10,
    "bond_asset_classes": ["GOVT_BOND", "CORP_BOND", "BOND"],
    "fx_asset_classes": ["FX_SPOT", "FX_FORWARD"],
    "mtm_asset_classes": ["IRS", "CDS", "COMMODITY_FWD", "OPTION", "SWAPTION"],
    "unfunded_asset_classes": ["FUTURE", "FX_FORWARD"],
    "deposit_rates": {},
}

_EPOCH = date(1970, 1, 1)


def setting(cfg: Config, key: str) -> Any:
    """A ``[positions]`` setting, with the module default."""
    return cfg.get(f"positions.{key}", DEFAULTS.get(key))


@dataclass(frozen=True)
class PositionState:
    """What :func:`prepare` built for a date: the dates and the sizes."""

    as_of: date
    prev_date: date
    groups: int
    trades: int
    unknown_lot_methods: int


def previous_business_date(con: duckdb.DuckDBPyConnection, cfg: Config, d: date) -> date:
    """The business day before ``d``: Monday to Friday, minus the configured calendar's
    holidays (``ref_holidays``)."""
    calendar = str(cfg.get("calendar", "WEEKDAYS"))
    holidays = {
        r[0]
        for r in con.sql(
            "SELECT holiday_date FROM ref_holidays WHERE calendar = $c AND holiday_date BETWEEN $lo AND $hi",
            params={"c": calendar, "lo": d - timedelta(days=31), "hi": d},
        ).fetchall()
    }
    p = d - timedelta(days=1)
    for _ in range(31):  # a handful of calendar days, not rows
        if p.weekday() < 5 and p not in holidays:
            return p
        p -= timedelta(days=1)
    return d - timedelta(days=1)


def _classes_frame(cfg: Config) -> pl.DataFrame:
    rows: dict[str, tuple[str, bool]] = {}
    unfunded = {str(c) for c in setting(cfg, "unfunded_asset_classes")}
    for key, valuation in (
        ("bond_asset_classes", "BOND"),
        ("fx_asset_classes", "FX"),
        ("mtm_asset_classes", "MTM"),
    ):
        for cls in setting(cfg, key):
            rows[str(cls)] = (valuation, str(cls) in unfunded or valuation == "MTM")
    for cls in unfunded:
        rows.setdefault(cls, ("PRICE", True))
    return pl.DataFrame(
        {
            "asset_class": list(rows),
            "valuation": [v[0] for v in rows.values()],
            "unfunded": [v[1] for v in rows.values()],
        },
        schema={"asset_class": pl.String, "valuation": pl.String, "unfunded": pl.Boolean},
    )


def _deposit_frame(cfg: Config) -> pl.DataFrame:
    rates = setting(cfg, "deposit_rates") or {}
    return pl.DataFrame(
        {"currency": [str(k) for k in rates], "rate": [float(v) for v in rates.values()]},
        schema={"currency": pl.String, "rate": pl.Float64},
    )


def _create_from_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Materialise a small Polars frame as a temp table (``table`` is a code constant)."""
    name = f"_frame_{table}"
    con.register(name, frame)
    try:
        con.execute(f'CREATE OR REPLACE TEMP TABLE "{table}" AS SELECT * FROM "{name}"')  # noqa: S608
    finally:
        con.unregister(name)


def _decimal_to_scaled_int(col: pa.ChunkedArray, scale: int) -> np.ndarray:
    """A DECIMAL column as int64 in units of 10**-scale, exactly: the low 64 bits of each
    decimal128 value (valid while the value fits in int64), rescaled to ``scale`` digits.
    NULLs read as 0."""
    typ = col.type
    if not pa.types.is_decimal(typ):
        return np.rint(np.nan_to_num(np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)) * 10**scale).astype(np.int64)
    width = typ.byte_width  # 4, 8, 16 or 32 bytes; little-endian, the low word first
    word = np.int32 if width == 4 else np.int64
    stride = max(width // np.dtype(word).itemsize, 1)
    parts = []
    for chunk in col.chunks:
        words = np.frombuffer(chunk.buffers()[1], dtype=word)
        part = words[stride * chunk.offset : stride * (chunk.offset + len(chunk)) : stride].astype(np.int64)
        if chunk.null_count:
            part = np.where(chunk.is_null().to_numpy(zero_copy_only=False), 0, part)
        parts.append(part)
    out = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    if typ.scale < scale:
        return out * 10 ** (scale - typ.scale)  # type: ignore[no-any-return]
    if typ.scale > scale:
        return np.rint(out / 10 ** (typ.scale - scale)).astype(np.int64)
    return out


def _decimal_array(values: np.ndarray, scale: int, valid: np.ndarray | None = None) -> pa.Array:
    """int64 values in units of 10**-scale as an exact arrow decimal128(38, scale) array."""
    v = np.ascontiguousarray(values, dtype=np.int64)
    words = np.empty((v.shape[0], 2), dtype=np.int64)
    words[:, 0] = v
    words[:, 1] = np.where(v < 0, -1, 0)  # sign extension to 128 bits
    validity = None
    if valid is not None and not valid.all():
        validity = pa.array(valid).buffers()[1]
    return pa.Array.from_buffers(pa.decimal128(38, scale), v.shape[0], [validity, pa.py_buffer(words.tobytes())])


def _dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return pa.array(days.astype(np.int32), type=pa.int32(), mask=None if valid is None else ~valid).cast(pa.date32())


@dataclass(frozen=True)
class TradeArrays:
    """The live trades sorted by group and execution order, as numpy arrays. Decimal columns
    are exact int64 in units of 10**-QTY_SCALE (quantity) and 10**-MONEY_SCALE (money)."""

    gid: np.ndarray
    trade_day: np.ndarray
    settle_day: np.ndarray
    sign: np.ndarray
    quantity: np.ndarray  # signed
    consideration: np.ndarray  # signed (a buy is positive)
    fees: np.ndarray
    accrued: np.ndarray  # signed
    mtm: np.ndarray
    price: np.ndarray
    unit_price: np.ndarray


QTY_SCALE = 6
MONEY_SCALE = 4
_QTY, _MONEY = pa.decimal128(38, QTY_SCALE), pa.decimal128(38, MONEY_SCALE)
_AGG_SCHEMA = [
    ("gid", pa.int32()), ("trades", pa.int64()), ("trades_settle", pa.int64()), ("trades_today", pa.int64()),
    ("first_trade_date", pa.date32()), ("last_trade_date", pa.date32()), ("first_settled_trade_date", pa.date32()),
    ("last_settled_trade_date", pa.date32()), ("qty", _QTY), ("qty_prev", _QTY), ("qty_settle", _QTY), ("qty_today", _QTY),
    ("cons", _MONEY), ("cons_prev", _MONEY), ("cons_settle", _MONEY), ("cons_today", _MONEY), ("fees_itd", _MONEY),
    ("fees_today", _MONEY), ("accrued_today", _MONEY), ("mtm", _MONEY), ("mtm_prev", _MONEY), ("mtm_settle", _MONEY),
    ("mtm_today", _MONEY), ("last_price", pa.float64()), ("last_price_prev", pa.float64()),
]


def _raw_index(raw_rid: np.ndarray, ordered_rid: np.ndarray) -> np.ndarray:
    """For each row of ``ordered_rid``, the index of the same row id in ``raw_rid`` (the same
    ids in another order). Row ids are dense up to an offset (transaction-local rows start at a
    large base), so a direct slot table is used; sorting is the fallback for sparse ids."""
    n = ordered_rid.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    base = int(min(raw_rid.min(), ordered_rid.min()))
    span = int(max(raw_rid.max(), ordered_rid.max())) - base + 1
    if span <= 2 * n + 1024:
        slot = np.empty(span, dtype=np.int64)
        slot[raw_rid - base] = np.arange(n)
        return slot[ordered_rid - base]  # type: ignore[no-any-return]
    idx = np.empty(n, dtype=np.int64)
    idx[np.argsort(ordered_rid, kind="stable")] = np.argsort(raw_rid, kind="stable")
    return idx


def load_trades(con: duckdb.DuckDBPyConnection) -> TradeArrays:
    """The live trades as :class:`TradeArrays` in execution order per group: DuckDB sorts only
    (row id, gid) (``positions/lot_order.sql``); the numbers are read unsorted
    (``positions/lot_input.sql``), computed in that order and gathered into execution order. Consideration = gross_amount, else quantity * price * multiplier rounded to 4
    decimals half away from zero (as DuckDB casts DOUBLE to DECIMAL, so it equals
    ``tmp_pos_trades.consideration``); 0 for FO-marked (MTM) instruments, whose accrued is 0 too."""
    t0 = time.perf_counter()
    order = con.sql(store.sql_text("positions/lot_order")).to_arrow_table()
    raw = con.sql(store.sql_text("positions/lot_input")).to_arrow_table()
    keys = store.query(con, "SELECT gid, multiplier, is_mtm FROM tmp_pos_keys ORDER BY gid")
    gid = order.column("gid").to_numpy().astype(np.int64)
    n = gid.shape[0]
    take = _raw_index(raw.column("rid").to_numpy().astype(np.int64), order.column("rid").to_numpy().astype(np.int64))
    gid_raw = np.empty(n, dtype=np.int64)
    gid_raw[take] = gid

    mult_of = np.ones(int(keys["gid"].max() or 0) + 1)  # type: ignore[arg-type]
    mtm_of = np.zeros(mult_of.shape[0], dtype=bool)
    if keys.height:
        mult_of[keys["gid"].to_numpy()] = keys["multiplier"].to_numpy()
        mtm_of[keys["gid"].to_numpy()] = keys["is_mtm"].to_numpy()
    # everything below is in the raw (row id) order: sequential passes
    is_mtm = mtm_of[gid_raw]
    sign = raw.column("sign").to_numpy().astype(np.int64)
    qty = _decimal_to_scaled_int(raw.column("quantity"), QTY_SCALE)
    price = np.nan_to_num(raw.column("price").to_numpy(zero_copy_only=False).astype(np.float64))
    gross_col = raw.column("gross_amount")
    gross = _decimal_to_scaled_int(gross_col, MONEY_SCALE)
    computed = qty * (price * mult_of[gid_raw] * (10**MONEY_SCALE / 10**QTY_SCALE))
    computed = (np.sign(computed) * np.floor(np.abs(computed) + 0.5)).astype(np.int64)
    if gross_col.null_count:
        cons = np.where(gross_col.is_null().to_numpy(zero_copy_only=False), computed, gross)
    else:
        cons = gross
    cons = np.where(is_mtm, 0, cons)
    accrued = np.where(is_mtm, 0, _decimal_to_scaled_int(raw.column("accrued_interest"), MONEY_SCALE))
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = np.where(qty != 0, cons * (10**QTY_SCALE / 10**MONEY_SCALE) / qty, 0.0)
    arrays = TradeArrays(  # gathers (random reads) into execution order
        gid=gid,
        trade_day=raw.column("trade_day").to_numpy().astype(np.int64)[take],
        settle_day=raw.column("settle_day").to_numpy().astype(np.int64)[take],
        sign=sign[take],
        quantity=(qty * sign)[take],
        consideration=(cons * sign)[take],
        fees=_decimal_to_scaled_int(raw.column("fees"), MONEY_SCALE)[take],
        accrued=(accrued * sign)[take],
        mtm=_decimal_to_scaled_int(raw.column("mtm"), MONEY_SCALE)[take],
        price=price[take],
        unit_price=unit[take],
    )
    log.debug("trades: %s fetched and ordered in %.2fs", n, time.perf_counter() - t0)
    return arrays


def aggregate(t: TradeArrays, as_of: date, prev_date: date) -> pa.Table:
    """Exact per-group aggregates of the sorted trades at the run's cut-offs (one row per gid):
    counts, first/last dates, signed quantity and consideration (all trades, trade date <=
    prev_date, settled by as_of, the day's), fees, accrued paid on the day's trades, FO marks,
    last trade price (all, and on or before prev_date). Integer sums, so exact."""
    n = t.gid.shape[0]
    if n == 0:
        return pa.schema(_AGG_SCHEMA).empty_table()
    first = np.empty(n, dtype=bool)
    first[0] = True
    np.not_equal(t.gid[1:], t.gid[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    ends = np.r_[starts[1:], n] - 1
    prev_day, asof_day = (prev_date - _EPOCH).days, (as_of - _EPOCH).days
    m_prev = t.trade_day <= prev_day
    m_today = ~m_prev
    m_settle = t.settle_day <= asof_day

    def total(values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        v = values if mask is None else np.where(mask, values, 0)
        return np.add.reduceat(v, starts)

    rows = np.arange(n)
    big = np.iinfo(np.int64).max
    n_settle = total(m_settle.astype(np.int64))
    settled = n_settle > 0
    last_prev_idx = np.maximum.reduceat(np.where(m_prev, rows, -1), starts)
    has_prev = last_prev_idx >= 0
    m = MONEY_SCALE
    cols = {
        "gid": pa.array(t.gid[starts].astype(np.int32)),
        "trades": pa.array(ends - starts + 1),
        "trades_settle": pa.array(n_settle),
        "trades_today": pa.array(total(m_today.astype(np.int64))),
        "first_trade_date": _dates(t.trade_day[starts]),
        "last_trade_date": _dates(t.trade_day[ends]),
        "first_settled_trade_date": _dates(np.minimum.reduceat(np.where(m_settle, t.trade_day, big), starts), settled),
        "last_settled_trade_date": _dates(np.maximum.reduceat(np.where(m_settle, t.trade_day, -1), starts), settled),
        "qty": _decimal_array(total(t.quantity), QTY_SCALE),
        "qty_prev": _decimal_array(total(t.quantity, m_prev), QTY_SCALE),
        "qty_settle": _decimal_array(total(t.quantity, m_settle), QTY_SCALE),
        "qty_today": _decimal_array(total(t.quantity, m_today), QTY_SCALE),
        "cons": _decimal_array(total(t.consideration), m),
        "cons_prev": _decimal_array(total(t.consideration, m_prev), m),
        "cons_settle": _decimal_array(total(t.consideration, m_settle), m),
        "cons_today": _decimal_array(total(t.consideration, m_today), m),
        "fees_itd": _decimal_array(total(t.fees), m),
        "fees_today": _decimal_array(total(t.fees, m_today), m),
        "accrued_today": _decimal_array(total(t.accrued, m_today), m),
        "mtm": _decimal_array(total(t.mtm), m),
        "mtm_prev": _decimal_array(total(t.mtm, m_prev), m),
        "mtm_settle": _decimal_array(total(t.mtm, m_settle), m),
        "mtm_today": _decimal_array(total(t.mtm, m_today), m),
        "last_price": pa.array(t.price[ends]),
        "last_price_prev": pa.array(np.where(has_prev, t.price[np.maximum(last_prev_idx, 0)], 0.0), mask=~has_prev),
    }
    return pa.table(cols)


def compute_lots(con: duckdb.DuckDBPyConnection, cfg: Config, t: TradeArrays, as_of: date, prev_date: date) -> int:
    """Match the lots of every position group (trade basis on as_of and on prev_date,
    settlement basis on as_of) and store the open lots' cost in ``tmp_pos_lots``.

    Returns the number of groups whose lot method is not FIFO/LIFO/AVERAGE (matched with the
    configured default)."""
    methods = store.query(con, "SELECT gid, lot_method FROM tmp_pos ORDER BY gid")
    default = str(cfg.get("pnl.default_lot_method", "FIFO")).upper()
    names = methods["lot_method"].to_list()
    unknown = sum(1 for name in names if name not in METHOD_CODES)
    code_of_gid = np.zeros(int(methods["gid"].max() or 0) + 1, dtype=np.int8)  # type: ignore[arg-type]
    if methods.height:
        code_of_gid[methods["gid"].to_numpy()] = np.array(
            [METHOD_CODES.get(name, METHOD_CODES.get(default, 0)) for name in names], dtype=np.int8
        )  # one entry per group: the method names are mapped once per group, not per trade
    meth = code_of_gid[t.gid] if t.gid.shape[0] else np.zeros(0, dtype=np.int8)
    scale = 10**QTY_SCALE

    def run(mask: np.ndarray | None) -> pl.DataFrame:
        if mask is None:
            st = match_lots(t.gid, t.quantity, t.unit_price, meth)
        else:
            st = match_lots(t.gid[mask], t.quantity[mask], t.unit_price[mask], meth[mask])
        return pl.DataFrame({"gid": st.group.astype(np.int32), "cost": st.open_cost / scale})

    t0 = time.perf_counter()
    lots = (
        run(None)
        .rename({"cost": "open_cost"})
        .join(run(t.trade_day <= (prev_date - _EPOCH).days).rename({"cost": "open_cost_prev"}), on="gid", how="left")
        .join(run(t.settle_day <= (as_of - _EPOCH).days).rename({"cost": "open_cost_settle"}), on="gid", how="left")
    )
    log.debug("lots matched (3 cut-offs) in %.2fs", time.perf_counter() - t0)
    _create_from_frame(con, "tmp_pos_lots", lots)
    if unknown:
        log.warning("%s position group(s) whose book has a lot method other than FIFO/LIFO/AVERAGE: matched with %s", unknown, default)
    return unknown


def prepare(con: duckdb.DuckDBPyConnection, cfg: Config, as_of: date) -> PositionState:
    """Build the temp tables of the positions of ``as_of`` from ``tmp_trades_asof``."""
    exists = store.scalar(
        con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'tmp_trades_asof'"
    )
    if not exists:
        from engine.trades import create_trades_asof

        create_trades_asof(con, as_of)
    prev_date = previous_business_date(con, cfg, as_of)
    default_method = str(cfg.get("pnl.default_lot_method", "FIFO")).upper()
    if default_method not in METHOD_CODES:
        raise BadInputError(
            "bad [pnl] default_lot_method", expected="FIFO, LIFO or AVERAGE", found=repr(default_method)
        )
    _create_from_frame(con, "tmp_pos_classes", _classes_frame(cfg))
    _create_from_frame(con, "tmp_pos_deposit_rates", _deposit_frame(cfg))
    store.run_named(con, "positions/trades_view")
    dates = {"as_of": as_of, "prev_date": prev_date}
    store.run_named(con, "positions/keys")
    trades = load_trades(con)
    agg = aggregate(trades, as_of, prev_date)
    con.register("_frame_tmp_pos_agg", agg)
    try:
        con.execute('CREATE OR REPLACE TEMP TABLE tmp_pos_agg AS SELECT * FROM "_frame_tmp_pos_agg"')
    finally:
        con.unregister("_frame_tmp_pos_agg")
    store.run_named(con, "positions/groups", {"default_lot_method": default_method})
    unknown = compute_lots(con, cfg, trades, as_of, prev_date)
    store.run_named(con, "positions/fx_rates", {**dates, "base": cfg.base_currency})
    store.run_named(con, "positions/accrual_input", dates)
    store.run_named(con, "positions/bond_accrual")
    store.run_named(
        con,
        "positions/marks",
        {**dates, "lookback_days": int(setting(cfg, "price_lookback_days"))},
    )
    store.run_named(con, "positions/valuation")
    groups = int(store.scalar(con, "SELECT count(*) FROM tmp_pos") or 0)
    return PositionState(as_of, prev_date, groups, int(trades.gid.shape[0]), unknown)


def ensure_prepared(ctx: RunContext) -> PositionState:
    """The positions' temp tables of this run, building them if the positions step did not run
    (e.g. ``run --steps trades_asof,pnl``)."""
    cached = getattr(ctx, "_position_state", None)
    if isinstance(cached, PositionState) and cached.as_of == ctx.as_of:
        return cached
    st = prepare(ctx.con, ctx.cfg, ctx.as_of)
    ctx._position_state = st  # type: ignore[attr-defined]
    return st


def step_positions(ctx: RunContext) -> StepResult:
    """End-of-day step: positions on trade and settlement basis into ``out_positions``."""
    st = prepare(ctx.con, ctx.cfg, ctx.as_of)
    ctx._position_state = st  # type: ignore[attr-defined]
    ctx.replace_date("out_positions")
    store.run_named(ctx.con, "positions/insert_positions", {"as_of": ctx.as_of, "run_id": ctx.run_id})
    s = store.query(
        ctx.con,
        "SELECT count(*) FILTER (WHERE basis = 'TRADE') AS trade_basis, "
        "count(*) FILTER (WHERE basis = 'SETTLE') AS settle_basis, "
        "count(*) FILTER (WHERE basis = 'TRADE' AND price_source = 'STALE') AS stale_prices, "
        "count(*) FILTER (WHERE basis = 'TRADE' AND price_source IN ('TRADE', 'NONE')) AS no_mark, "
        "count(*) FILTER (WHERE basis = 'TRADE' AND fx_rate_to_base IS NULL) AS missing_fx, "
        "coalesce(sum(market_value_base) FILTER (WHERE basis = 'TRADE'), 0) AS mv_base "
        "FROM out_positions WHERE as_of = $as_of",
        {"as_of": ctx.as_of},
    ).row(0, named=True)
    if s["missing_fx"]:
        log.warning("%s positions have no FX rate to base for %s: valued at 0 in base", s["missing_fx"], ctx.as_of)
    summary = {
        "positions": int(s["trade_basis"]),
        "positions_settle_basis": int(s["settle_basis"]),
        "stale_prices": int(s["stale_prices"]),
        "valued_at_trade_price": int(s["no_mark"]),
        "missing_fx": int(s["missing_fx"]),
        "market_value_base": float(s["mv_base"]),
        "prev_date": st.prev_date.isoformat(),
    }
    if st.unknown_lot_methods:
        summary["unknown_lot_methods"] = st.unknown_lot_methods
    return StepResult(rows_out=int(s["trade_basis"]) + int(s["settle_basis"]), summary=summary)


# ---------------------------------------------------------------------------------------------
# Read API (published snapshot)
# ---------------------------------------------------------------------------------------------


def latest_as_of(con: duckdb.DuckDBPyConnection, table: str = "out_positions") -> date | None:
    """The latest as_of in one of this module's result tables (name is a code constant)."""
    return store.scalar(con, f'SELECT max(as_of) FROM "{table}"')  # noqa: S608


def load_positions(cfg: Config, as_of: date | str | None = None, *, basis: str = "TRADE") -> pl.DataFrame:
    """The positions of ``as_of`` (default: the latest) from the published snapshot."""
    from engine.run import parse_date

    with store.connect_reader(cfg) as con:
        d = parse_date(as_of) if as_of else latest_as_of(con)
        return store.query(
            con,
            "SELECT * FROM out_positions WHERE as_of = $as_of AND basis = $basis ORDER BY book_id, instrument_id",
            {"as_of": d, "basis": basis.upper()},
        )


def position_trades(
    cfg: Config,
    as_of: date | str,
    book_id: str,
    instrument_id: str,
    *,
    basis: str = "TRADE",
) -> pl.DataFrame:
    """Lineage: the trades (live versions known on ``as_of``) that make up a position, with
    their source file and line."""
    from engine.run import parse_date

    with store.connect_reader(cfg) as con:
        return store.query_named(
            con,
            "positions/position_trades",
            {"as_of": parse_date(as_of), "book_id": book_id, "instrument_id": instrument_id, "basis": basis.upper()},
        )


def accrued_interest(bonds: pl.DataFrame) -> pl.DataFrame:
    """Accrued interest per unit of nominal (par 1) for the bonds of ``bonds`` (columns: key,
    value_date, prev_date, coupon_rate, coupon_freq, day_count, issue_date, maturity_date),
    computed by the same SQL as the run (``positions/bond_accrual.sql``)."""
    con = duckdb.connect()
    try:
        _create_from_frame(con, "tmp_acc_in", bonds)
        store.run_named(con, "positions/bond_accrual")
        return store.query(con, "SELECT * FROM tmp_acc_out ORDER BY key, value_date")
    finally:
        con.close()

"""Front office of the sample world: one business day of trades, vectorised.

A day's trades come from orders: most orders are one trade; some are partial fills (2-4 trades
sharing an ``order_id``, each with its own ``exec_id`` and a slightly different price); a few are
allocation blocks (2-5 trades sharing ``block_id`` and price, in books of one legal entity).

Internal columns are integers at known scales (see :mod:`connectors.sample_world.fmt`): money in
minor units of the trade currency (``mtm`` in minor units of USD), prices in ticks of the
instrument's price decimals, rates in 1e-8. The wire frame (canonical ``fo_trades`` columns, exact
decimal text) is built by :func:`wire_trades`.

Amounts (all rounded half-up to the currency's minor unit):
``gross_amount = quantity * price * price_multiplier``; ``fees >= 0``; ``accrued_interest`` for
bonds (coupon x nominal x accrual fraction from the previous coupon date, or the issue date, to
the settlement date: ACT/ACT ICMA or 30/360); ``net_amount = gross + fees + accrued`` for a BUY
(cash paid) and ``gross - fees + accrued`` for a SELL (cash received).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.special import ndtr

from connectors.sample_world.conventions import CURRENCIES, add_bdays
from connectors.sample_world.fmt import fixed, lookup, shape, trimmed
from connectors.sample_world.market import Market
from connectors.sample_world.reference import Reference

log = logging.getLogger(__name__)

CUSTODY = ("EQUITY", "GOVT_BOND", "CORP_BOND")
OTC = ("IRS", "CDS", "COMMODITY_FWD", "OPTION", "FX_FORWARD")
#: Share of trading by asset class (the rest of the probability within a class follows weights).
CLASS_SHARE = {"EQUITY": 0.55, "GOVT_BOND": 0.15, "CORP_BOND": 0.12, "FX_SPOT": 0.055, "FX_FORWARD": 0.03,
               "FUTURE": 0.06, "IRS": 0.012, "CDS": 0.008, "COMMODITY_FWD": 0.008, "OPTION": 0.007}
#: Target notional in USD per trade: (median, log-sd).
NOTIONAL = {"EQUITY": (250e3, 1.0), "GOVT_BOND": (3e6, 0.9), "CORP_BOND": (1.5e6, 0.8), "FX_SPOT": (4e6, 0.9),
            "FX_FORWARD": (8e6, 0.8), "IRS": (25e6, 0.8), "CDS": (10e6, 0.6), "COMMODITY_FWD": (1.5e6, 0.8),
            "OPTION": (2e6, 0.7)}
PRICE_NOISE = {"EQUITY": 0.004, "GOVT_BOND": 0.0008, "CORP_BOND": 0.0015, "FX_SPOT": 0.0004, "FX_FORWARD": 0.0005,
               "FUTURE": 0.002, "COMMODITY_FWD": 0.003}


@dataclass(frozen=True)
class Share:
    """A share of the front-office flow delivered by one source system in one format."""

    name: str            # file stem, e.g. 'trades' -> fo/trades_YYYY-MM-DD.csv
    source_system: str
    fraction: float


def instrument_probabilities(ref: Reference) -> np.ndarray:
    p = np.zeros(len(ref.ins_id))
    for ac, share in CLASS_SHARE.items():
        ix = ref.ins_ac == ac
        w = ref.ins_weight[ix]
        p[ix] = share * w / w.sum()
    return p / p.sum()


def _minor(ref: Reference) -> np.ndarray:
    from connectors.sample_world.conventions import minor_units

    mu = minor_units()
    return np.array([mu[c] for c in CURRENCIES], dtype=np.int64)


def compute_amounts(
    ref: Reference, minor_by_ccy: np.ndarray, ins: np.ndarray, side: np.ndarray, qty: np.ndarray,
    price_t: np.ndarray, settle: np.ndarray, fee_bps: np.ndarray, fee_unit: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """gross, fees, accrued, net in minor units (int64), vectorised. ``side`` +1 BUY / -1 SELL."""
    minor = minor_by_ccy[ref.ins_ccy[ins]]
    num = qty * price_t * ref.ins_mult_num[ins] * 10**minor
    den = 10 ** ref.ins_pscale[ins] * ref.ins_mult_den[ins]
    gross = (num + den // 2) // den
    fees = np.rint(gross * fee_bps / 1e4).astype(np.int64) + qty * fee_unit
    accrued = accrued_interest(ref, ins, qty, settle, minor)
    net = gross + accrued + np.where(side > 0, fees, -fees)
    return gross, fees, accrued, net


def accrued_interest(ref: Reference, ins: np.ndarray, qty: np.ndarray, settle: np.ndarray, minor: np.ndarray) -> np.ndarray:
    """Accrued coupon in minor units for bond rows (0 elsewhere)."""
    out = np.zeros(len(ins), dtype=np.int64)
    bond = ref.ins_freq[ins] > 0
    if not bond.any():
        return out
    i = ins[bond]
    s = settle[bond].astype("datetime64[D]")
    mat = ref.ins_maturity[i]
    p = 12 // ref.ins_freq[i]
    s_mi = s.astype("datetime64[M]").astype(np.int64)
    s_day = (s - s.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    m_mi = mat.astype("datetime64[M]").astype(np.int64)
    m_day = (mat - mat.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    c0 = s_mi + (m_mi - s_mi) % p           # first coupon month at or after the settle month
    prev_is_c0 = (c0 == s_mi) & (m_day <= s_day)
    prev_mi = np.where(prev_is_c0, c0, c0 - p)
    next_mi = prev_mi + p

    def mk(mi: np.ndarray) -> np.ndarray:
        return mi.astype("datetime64[M]").astype("datetime64[D]") + (m_day - 1)

    prev_d, next_d = mk(prev_mi), mk(next_mi)
    issue = ref.ins_issue[i]
    first = prev_d < issue
    start = np.where(first, issue, prev_d)
    act = (s - start).astype(np.int64) / np.maximum((next_d - prev_d).astype(np.int64), 1) / ref.ins_freq[i]
    # 30/360 (bond basis)
    def ymd(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        y = d.astype("datetime64[Y]").astype(np.int64) + 1970
        m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
        dd = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
        return y, m, dd

    y1, m1, d1 = ymd(start)
    y2, m2, d2 = ymd(s)
    d1c = np.minimum(d1, 30)
    d2c = np.where((d1c == 30) & (d2 == 31), 30, d2)
    t360 = (360 * (y2 - y1) + 30 * (m2 - m1) + (d2c - d1c)) / 360.0
    frac = np.where(ref.ins_daycount[i] == "30/360", t360, act)
    frac = np.clip(frac, 0.0, 1.0)
    out[bond] = np.rint(qty[bond] * ref.ins_coupon[i] * frac * 10.0 ** minor[bond]).astype(np.int64)
    return out


def _pick(rng: np.random.Generator, table: np.ndarray, counts: np.ndarray, row: np.ndarray) -> np.ndarray:
    """For each element, a uniform pick among ``table[row, :counts[row]]`` (padded table)."""
    k = np.floor(rng.random(len(row)) * counts[row]).astype(np.int64)
    return table[row, k]


def generate_day(
    rng: np.random.Generator, ref: Reference, mkt: Market, minor_by_ccy: np.ndarray, probs: np.ndarray,
    day: np.datetime64, n: int, trade_no0: int, order_no0: int,
) -> tuple[pl.DataFrame, int]:
    """The NEW versions of one day's ``n`` trades (internal columns). Returns (frame, orders used)."""
    if n == 0:
        return pl.DataFrame(), 0
    t = mkt.day_index(day)
    # ---- orders -------------------------------------------------------------------------
    u = rng.random(n)
    kind = np.where(u < 0.90, 0, np.where(u < 0.97, 1, 2))          # 0 single, 1 fills, 2 block
    count = np.where(kind == 0, 1, np.where(kind == 1, rng.integers(2, 5, n), rng.integers(2, 6, n)))
    cs = np.cumsum(count)
    n_orders = int(np.searchsorted(cs, n)) + 1
    kind, count = kind[:n_orders], count[:n_orders].copy()
    count[-1] -= int(cs[n_orders - 1]) - n
    ins_o = rng.choice(len(probs), size=n_orders, p=probs)
    ac_o = ref.ins_ac[ins_o]
    custody_o = np.isin(ac_o, CUSTODY)
    kind = np.where((kind == 2) & ~custody_o, 1, kind)
    kind = np.where(count == 1, 0, kind)
    desk_o = ref.ins_desk[ins_o]
    book_o = _pick(rng, ref.desk_books, ref.desk_nbooks, desk_o)
    side_o = np.where(rng.random(n_orders) < 0.5, 1, -1)
    cp_o = np.zeros(n_orders, dtype=np.int64)
    pool_of = np.where(custody_o, 0, np.where(np.isin(ac_o, ("FX_SPOT",)), 1, np.where(ac_o == "FUTURE", 3, 2)))
    pools = (ref.cp_pool["CASH"], ref.cp_pool["FX"], ref.cp_pool["OTC"], ref.cp_pool["FUT"])
    for k, pool in enumerate(pools):  # four counterparty pools
        m = pool_of == k
        if m.any():
            w = ref.cp_weight[pool]
            cp_o[m] = rng.choice(pool, size=int(m.sum()), p=w / w.sum())
    trader_pick = (rng.random(n_orders) >= 0.7).astype(np.int64)
    # price level in trade currency and FX to USD
    close_o = np.nan_to_num(mkt.close[t, ins_o], nan=0.0)
    fx_usd_o = mkt.fx[t, ref.ins_ccy[ins_o]]
    # order quantity from a target notional
    med = np.array([NOTIONAL.get(a, (1e6, 0.8))[0] for a in ref.ins_ac])[ins_o]   # per instrument, gathered
    lsd = np.array([NOTIONAL.get(a, (1e6, 0.8))[1] for a in ref.ins_ac])[ins_o]
    notional_usd = med * np.exp(lsd * rng.standard_normal(n_orders))
    lot = ref.ins_lot[ins_o]
    mult = ref.ins_mult_num[ins_o] / ref.ins_mult_den[ins_o]
    unit_value = np.where(close_o > 0, close_o * mult * fx_usd_o, fx_usd_o)
    unit_value = np.where(np.isin(ac_o, ("FX_SPOT", "FX_FORWARD")), mkt.fx[t, ref.ins_bccy[ins_o]], unit_value)
    unit_value = np.where(np.isin(ac_o, ("IRS", "CDS")), fx_usd_o, unit_value)
    unit_value = np.where(ac_o == "OPTION", np.nan_to_num(mkt.close[t, ref.ins_underlying[ins_o]]) * fx_usd_o, unit_value)
    q = np.rint(notional_usd / np.maximum(unit_value, 1e-9) / lot) * lot
    q = np.where(ac_o == "FUTURE", np.maximum(1, np.rint(np.exp(rng.normal(2.3, 1.0, n_orders)))), q)
    q = np.clip(q, lot, 5e9).astype(np.int64)
    base_price = np.where(close_o > 0, close_o, 0.0)

    # ---- expand orders to trades -------------------------------------------------------------
    o = np.repeat(np.arange(n_orders), count)
    first_of = np.concatenate([[0], np.cumsum(count)[:-1]])
    fill_no = np.arange(n) - first_of[o]
    ins = ins_o[o]
    ac = ac_o[o]
    kind_t = kind[o]
    # quantities: split the order's quantity by random weights (each fill at least one lot)
    w = rng.uniform(0.2, 1.0, n)
    wsum = np.bincount(o, weights=w, minlength=n_orders)
    lot_t = lot[o]
    qty = np.where(count[o] == 1, q[o], np.maximum(lot_t, np.rint(q[o] * w / wsum[o] / lot_t) * lot_t)).astype(np.int64)
    # books: allocations of a block go to books of the same desk and legal entity
    book = book_o[o].copy()
    blk = kind_t == 2
    if blk.any():
        d = desk_o[o][blk]
        le = ref.book_le[book[blk]]
        k = np.floor(rng.random(int(blk.sum())) * ref.desk_le_nbooks[d, le]).astype(np.int64)
        book[blk] = ref.desk_le_books[d, le, k]
    trader = ref.book_traders[book, trader_pick[o]]
    side = side_o[o]
    cp = cp_o[o]
    # prices: market close with noise; fills jitter per fill, blocks share one price
    noise = np.array([PRICE_NOISE.get(a, 0.0) for a in ref.ins_ac])[ins]
    z = np.where(blk, rng.standard_normal(n_orders)[o], rng.standard_normal(n))
    px = base_price[o] * np.exp(noise * z)
    # OTC options: Black-Scholes premium per unit on the underlying's close
    is_opt = ac == "OPTION"
    und = np.where(is_opt, ref.ins_underlying[ins], 0)
    und_px = np.where(is_opt, np.nan_to_num(mkt.close[t, und]), 0.0)
    opt_call = rng.random(n) < 0.55
    moneyness = rng.uniform(0.85, 1.15, n)
    und_scale = ref.ins_pscale[und]
    strike = np.where(is_opt, np.rint(und_px * moneyness * 10.0**und_scale) / 10.0**und_scale, 0.0)
    vol = np.round(rng.uniform(0.15, 0.45, n), 4)
    expiry_days = rng.integers(30, 366, n)
    tt = expiry_days / 365.0
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = (np.log(np.where(is_opt, und_px / np.maximum(strike, 1e-9), 1.0)) + 0.5 * vol**2 * tt) / (vol * np.sqrt(tt))
    d2 = d1 - vol * np.sqrt(tt)
    call = und_px * ndtr(d1) - strike * ndtr(d2)
    put = strike * ndtr(-d2) - und_px * ndtr(-d1)
    premium = np.where(opt_call, call, put)
    px = np.where(is_opt, np.maximum(premium, 0.01), px)
    pscale = ref.ins_pscale[ins]
    price_t = np.where(np.isin(ac, ("IRS", "CDS")), 0, np.maximum(np.rint(px * 10.0**pscale), 1)).astype(np.int64)

    trade_date = np.full(n, day, dtype="datetime64[D]")
    lag = ref.ins_lag[ins]
    settle = add_bdays(trade_date, lag)
    # fees
    fee_bps = np.where(ac == "EQUITY", rng.choice([2.0, 3.0, 5.0, 8.0, 10.0], n),
                       np.where(ac == "CORP_BOND", np.where(rng.random(n) < 0.2, 1.0, 0.0), 0.0))
    minor_t = minor_by_ccy[ref.ins_ccy[ins]]
    fee_unit = np.where(ac == "FUTURE", np.where(minor_t == 0, 250, 250), 0).astype(np.int64)
    gross, fees, accrued, net = compute_amounts(ref, minor_by_ccy, ins, side, qty, price_t, settle, fee_bps, fee_unit)

    # ---- derivative terms ------------------------------------------------------------------------
    fx_usd = fx_usd_o[o]
    otc = np.isin(ac, OTC)
    ns_key = np.where(otc, cp * ref.ns_id.shape[1] + ref.book_le[book], -1)  # index into ns_id (flattened)
    start = np.where(np.isin(ac, ("IRS", "COMMODITY_FWD")), add_bdays(trade_date, 2),
                     np.where(ac == "CDS", add_bdays(trade_date, 1), trade_date))
    tenor_y = ref.ins_tenor_y[ins]
    com_months = rng.integers(1, 13, n)
    end = np.where(
        np.isin(ac, ("IRS", "CDS")), add_bdays(start + (tenor_y * 365.25).astype("timedelta64[D]"), 0),
        np.where(ac == "COMMODITY_FWD", add_bdays(start + (com_months * 30).astype("timedelta64[D]"), 0),
                 np.where(ac == "FX_FORWARD", settle,
                          np.where(is_opt, add_bdays(trade_date + expiry_days.astype("timedelta64[D]"), 0),
                                   np.datetime64("NaT", "D")))),
    )
    settle = np.where(np.isin(ac, ("IRS", "CDS", "COMMODITY_FWD")), start, settle)
    notional_ccy = np.where(np.isin(ac, ("IRS", "CDS")), qty.astype(float),
                            np.where(is_opt, qty * und_px, gross / 10.0**minor_t))
    notional_minor = np.where(otc, np.rint(notional_ccy * 10.0**minor_t), 0).astype(np.int64)
    notional_usd = notional_ccy * fx_usd
    mtm_scale = np.select(
        [ac == "IRS", ac == "CDS", ac == "COMMODITY_FWD", ac == "FX_FORWARD", is_opt],
        [0.006 * np.sqrt(np.maximum(tenor_y, 1)), 0.01, 0.03, 0.01, 0.0], 0.0,
    )
    mtm_usd = notional_usd * mtm_scale * rng.standard_normal(n)
    mtm_usd = np.where(is_opt, side * qty * price_t / 10.0**pscale * fx_usd * rng.uniform(0.7, 1.4, n), mtm_usd)
    mtm_minor = np.where(otc, np.rint(mtm_usd * 100), 0).astype(np.int64)
    rate_lvl = mkt.rates[t, ref.ins_ccy[ins]]
    fixed_rate = np.where(ac == "IRS", np.round((rate_lvl + rng.normal(0, 0.002, n)) * 1e8),
                          np.where(ac == "CDS", np.where(np.isin(ref.ins_rating[ins], ("BB+", "BB", "BB-", "B+", "B")), 5e6, 1e6), 0))
    fixed_rate = fixed_rate.astype(np.int64)

    trade_no = trade_no0 + np.arange(n, dtype=np.int64)
    order_no = order_no0 + o
    frame = pl.DataFrame(
        {
            "trade_no": trade_no,
            "order_no": order_no,
            "fill_no": fill_no,
            "okind": kind_t,
            "version": np.ones(n, dtype=np.int32),
            "known_date": trade_date,
            "book": book, "trader": trader, "cp": cp, "ins": ins, "side": side.astype(np.int8),
            "qty": qty, "price_t": price_t, "trade_date": trade_date, "settle_date": settle,
            "gross": gross, "fees": fees, "accrued": accrued, "net": net,
            "fee_bps": fee_bps, "fee_unit": fee_unit,
            "notional": notional_minor, "start_date": np.where(otc, start, np.datetime64("NaT", "D")),
            "end_date": np.where(otc, end, np.datetime64("NaT", "D")), "mtm": mtm_minor,
            "_ns": ns_key, "_opt": np.where(is_opt, np.where(opt_call, 1, 2), 0).astype(np.int8),
            "strike_t": np.where(is_opt, np.rint(strike * 10.0**und_scale), 0).astype(np.int64),
            "und_t": np.where(is_opt, np.rint(und_px * 10.0**und_scale), 0).astype(np.int64),
            "und_scale": und_scale,
            "vol_e8": np.where(is_opt, np.rint(vol * 1e8), 0).astype(np.int64),
            "_irs": ac == "IRS",
            "fixed_rate_e8": fixed_rate,
            "notional_usd": np.where(otc, notional_usd, 0.0),
            "tenor_y": tenor_y,
        }
    )
    for c in ("known_date", "trade_date", "settle_date", "start_date", "end_date"):
        frame = frame.with_columns(pl.col(c).cast(pl.Date))
    ns_ids = ref.ns_id.reshape(-1).astype(str)
    frame = frame.with_columns(
        status=pl.lit("NEW"),
        netting_set_id=pl.when(pl.col("_ns") >= 0).then(lookup(ns_ids, np.maximum(ns_key, 0), "ns")),
        option_type=pl.when(pl.col("_opt") == 1).then(pl.lit("CALL")).when(pl.col("_opt") == 2).then(pl.lit("PUT")),
        pay_leg=pl.when(pl.col("_irs")).then(pl.when(pl.col("side") > 0).then(pl.lit("FIXED")).otherwise(pl.lit("FLOAT"))),
        block_id=pl.when(pl.col("okind") == 2).then(pl.format("BLK{}", pl.col("order_no").cast(pl.String).str.zfill(9))),
    ).drop("_ns", "_opt", "_irs")
    return frame, n_orders


def with_ids(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        trade_id=pl.format("T{}", pl.col("trade_no").cast(pl.String).str.zfill(9)),
        order_id=pl.format("O{}", pl.col("order_no").cast(pl.String).str.zfill(9)),
        exec_id=pl.format("EX{}", pl.col("trade_no").cast(pl.String).str.zfill(9)),
    )


def assign_shares(frame: pl.DataFrame, shares: tuple[Share, ...]) -> pl.DataFrame:
    """Deterministic share (source system) per trade from a hash of its number (not the RNG)."""
    h = ((pl.col("trade_no") * 2654435761) % 4294967296).cast(pl.Float64) / 4294967296.0
    cum = np.cumsum([s.fraction for s in shares])
    cum = cum / cum[-1]
    expr_share = pl.lit(shares[-1].name)
    expr_src = pl.lit(shares[-1].source_system)
    for s, c in reversed(list(zip(shares[:-1], cum[:-1], strict=True))):
        expr_share = pl.when(h < c).then(pl.lit(s.name)).otherwise(expr_share)
        expr_src = pl.when(h < c).then(pl.lit(s.source_system)).otherwise(expr_src)
    return frame.with_columns(share=expr_share, source_system=expr_src)


def wire_trades(frame: pl.DataFrame, ref: Reference, minor_by_ccy: np.ndarray) -> pl.DataFrame:
    """Internal trade versions -> canonical fo_trades columns with exact decimal text."""
    ins = frame["ins"].to_numpy()
    ccy = ref.ins_ccy[ins]
    book = frame["book"].to_numpy()
    cust = ref.ins_custodian[ins]
    n_cust = ref.account_id.shape[1]
    aux = pl.DataFrame(
        [
            pl.Series("_minor", minor_by_ccy[ccy]),
            pl.Series("_pscale", ref.ins_pscale[ins]),
            lookup(ref.book_id, book, "book_id"),
            lookup(ref.trader_name, frame["trader"].to_numpy(), "trader_name"),
            lookup(ref.cp_id, frame["cp"].to_numpy(), "counterparty_id"),
            lookup(ref.ins_id, ins, "instrument_id"),
            lookup(ref.ins_isin, ins, "isin"),
            lookup(CURRENCIES, ccy, "currency"),
            lookup(ref.ins_ac, ins, "_ac"),
            pl.Series("_cust", cust),
            lookup(ref.ins_pset, ins, "place_of_settlement"),
            lookup(ref.ins_issuer, ins, "reference_entity"),
            lookup(ref.ins_rating, ins, "ref_entity_rating"),
            lookup(ref.ins_commodity, ins, "commodity_type"),
            lookup(ref.ins_is_index, ins, "_is_index"),
            lookup(ref.account_id.reshape(-1).astype(str), ref.book_le[book] * n_cust + np.maximum(cust, 0), "account_id"),
        ]
    )
    f = frame.hstack(aux.get_columns())
    custody = pl.col("_cust") >= 0
    otc = pl.col("_ac").is_in(list(OTC))
    minor = pl.col("_minor").cast(pl.Int64)
    out = f.select(
        "trade_id", pl.col("version").cast(pl.Int64), "status", "known_date", "book_id",
        pl.col("trader_name").alias("trader"), "counterparty_id", "instrument_id",
        pl.col("isin").replace("", None),
        pl.when(pl.col("side") > 0).then(pl.lit("BUY")).otherwise(pl.lit("SELL")).alias("side"),
        pl.col("qty").cast(pl.String).alias("quantity"),
        fixed(pl.col("price_t"), pl.col("_pscale").cast(pl.Int64)).alias("price"),
        "currency", "trade_date", "settle_date",
        fixed(pl.col("gross"), minor).alias("gross_amount"),
        fixed(pl.col("fees"), minor).alias("fees"),
        fixed(pl.col("accrued"), minor).alias("accrued_interest"),
        fixed(pl.col("net"), minor).alias("net_amount"),
        pl.when(custody).then(pl.col("account_id")).alias("account_id"),
        pl.when(custody).then(pl.col("place_of_settlement")).alias("place_of_settlement"),
        "order_id", "exec_id", "block_id", "source_system",
        pl.when(otc).then(fixed(pl.col("notional"), minor)).alias("notional"),
        "start_date", "end_date",
        pl.when(otc).then(fixed(pl.col("mtm"), 2)).alias("mtm"),
        "netting_set_id", "option_type",
        pl.when(pl.col("option_type").is_not_null()).then(fixed(pl.col("strike_t"), pl.col("und_scale").cast(pl.Int64))).alias("option_strike"),
        pl.when(pl.col("option_type").is_not_null()).then(pl.col("end_date")).alias("option_expiry"),
        pl.when(pl.col("option_type").is_not_null()).then(fixed(pl.col("und_t"), pl.col("und_scale").cast(pl.Int64))).alias("underlying_price"),
        pl.when(pl.col("option_type").is_not_null()).then(trimmed(pl.col("vol_e8"), 8)).alias("volatility"),
        "pay_leg",
        pl.when(pl.col("_ac").is_in(["IRS", "CDS"])).then(trimmed(pl.col("fixed_rate_e8"), 8)).alias("fixed_rate"),
        pl.when(pl.col("_ac") == "CDS").then(pl.col("reference_entity")).alias("reference_entity"),
        pl.when(pl.col("_ac") == "CDS").then(pl.col("ref_entity_rating")).alias("ref_entity_rating"),
        pl.when(pl.col("_ac") == "CDS").then(pl.col("_is_index")).alias("is_index"),
        pl.when(pl.col("_ac") == "COMMODITY_FWD").then(pl.col("commodity_type")).alias("commodity_type"),
    )
    return shape(out, "fo_trades")

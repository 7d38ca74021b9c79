"""Back office of the sample world: custodian settlement records, cash statement entries, and the
ground truth of every injected break, for one business day's trades at a time.

For each custody trade (EQUITY, GOVT_BOND, CORP_BOND) a *scenario* is drawn (see
:data:`connectors.sample_world.conventions.SCENARIO_RATES`), then the whole life of its
settlement is generated at once: every status record with the business date it becomes known.
Records dated after the world's end date are never written. The truth is then derived from what
is visible on the end date: the last front-office version known by then against the last
custodian record known by then, pair by pair (the generator knows the true pairing), so the truth
always agrees with the files.

Record life cycles (T = trade date, ISD = intended settlement date, all business days):

- normal: MATCHED on T (5% UNMATCHED on T and MATCHED on T+1 when ISD >= T+2), SETTLED on ISD;
- amended trade: MATCHED on T with the first version's terms, MATCHED on T+1 with the amended
  terms, SETTLED on the (amended) ISD; cancelled trade: MATCHED on T, CANCELLED on T+1;
- FAILING: MATCHED on T, FAILING on ISD with a reason code (sometimes another FAILING record with
  a new reason on ISD+1), SETTLED on ISD+k, or never (persistent fails);
- PARTIAL: MATCHED on T, PARTIAL on ISD (settled_quantity < quantity), SETTLED later or never;
- PENDING: MATCHED (or UNMATCHED) on T, nothing on ISD, SETTLED on ISD+k or never;
- LATE: no record until ISD+k (k = 1..6), then one SETTLED record (actual_settle_date = ISD);
- ONE_TO_MANY: two settlements with our trade reference whose quantities and amounts add up;
- MANY_TO_ONE: the allocations of a block settled as one settlement (trade_ref = block_id);
- EXTRA: a settlement for a trade we never booked (no reference, or a foreign one), quantities
  on an odd lattice (lot x k + lot/2) so that no booked trade has the same quantity.

``settled_quantity``/``settled_amount`` are cumulative (what has settled so far for the
settlement), 0 before any settlement. Cash: one statement entry per settlement event (each record
whose settled_quantity grew), amount = the growth of settled_amount rounded half-up to the minor
unit, signed from our side (DELIVER: credit, positive; RECEIVE: debit, negative), value_date =
actual_settle_date, known (booked) the day the custodian record is known.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import polars as pl

from connectors.sample_world.conventions import (
    AMOUNT_TOLERANCE_MINOR_UNITS,
    CURRENCIES,
    CUSTODIANS,
    FAIL_REASON_WEIGHTS,
    FAIL_REASONS,
    PERSISTENT,
    add_bdays,
)
from connectors.sample_world.fmt import amount4, fixed, lookup, shape
from connectors.sample_world.reference import Reference

log = logging.getLogger(__name__)

TOL = AMOUNT_TOLERANCE_MINOR_UNITS
CUST_LETTER = {"CUST_A": "A", "CUST_B": "B", "CUST_C": "C"}
#: Field checks in precedence order: (class, internal FO column, internal BO column, canonical field).
FIELD_ORDER = (
    ("DSEC", "isin"), ("DELN", "direction"), ("NCRR", "currency"), ("DQUA", "quantity"),
    ("DDEA", "deal_price"), ("DMON", "amount"), ("DTRD", "trade_date"), ("DDAT", "intended_settle_date"),
    ("ICAG", "counterparty_id"), ("DEPT", "place_of_settlement"),
)
TRUTH_COLUMNS = (
    "break_id", "as_of", "recon", "break_class", "side", "trade_id", "settlement_id", "movement_id", "custodian",
    "isin", "field", "fo_value", "bo_value", "difference", "fields", "reason_code", "intended_settle_date", "cause",
)
NON_BREAK_COLUMNS = ("as_of", "recon", "class", "trade_id", "settlement_id", "movement_id", "group_id", "detail")
SETTLED_SCENARIOS_REFLESS_OK = ("CLEAN", "FAILING", "FAILING_P", "PARTIAL", "PARTIAL_P", "PENDING", "PENDING_P",
                                "ROUNDING", "TOLERANCE")


@dataclass
class Counters:
    trade_no: int = 1
    order_no: int = 1
    settlement_no: int = 1
    movement_no: int = 1
    extra_ref: int = 1


@dataclass(frozen=True)
class DayOutput:
    records: pl.DataFrame       # internal settlement records (all known dates, visible only)
    cash: pl.DataFrame          # internal cash entries (visible only)
    truth: pl.DataFrame         # TRUTH_COLUMNS without break_id (text)
    non_breaks: pl.DataFrame    # NON_BREAK_COLUMNS (text)


# ------------------------------------------------------------------------------------------------
# scenario assignment
# ------------------------------------------------------------------------------------------------


def assign_scenarios(
    rng: np.random.Generator, tr: pl.DataFrame, ref: Reference, end: np.datetime64,
    quotas: dict[str, int], cash_quotas: dict[str, int], refless_quota: int,
) -> pl.DataFrame:
    """Add ``scenario`` (custody and other trades), ``refless`` and ``cash_scn`` columns."""
    n = tr.height
    ins = tr["ins"].to_numpy()
    custody = ref.ins_custodian[ins] >= 0
    le = ref.book_le[tr["book"].to_numpy()]
    key = pl.DataFrame({"ins": ins, "le": le, "side": tr["side"].to_numpy(), "settle": tr["settle_date"],
                        "qty": tr["qty"].to_numpy()})
    ambiguous = key.is_duplicated().to_numpy()
    ckey = pl.DataFrame({"le": le, "cust": ref.ins_custodian[ins], "settle": tr["settle_date"],
                         "net": tr["net"].to_numpy(), "ccy": ref.ins_ccy[ins]})
    cash_ambiguous = ckey.is_duplicated().to_numpy()
    okind = tr["okind"].to_numpy()
    settle = tr["settle_date"].to_numpy().astype("datetime64[D]")
    lot = ref.ins_lot[ins]
    qty = tr["qty"].to_numpy()
    eligible = custody & (okind != 2) & ~ambiguous
    scenario = np.where(custody, "CLEAN", "").astype(object)
    free = eligible.copy()

    def take(mask: np.ndarray, count: int, name: str) -> None:
        idx = np.flatnonzero(mask & free)
        if count <= 0 or len(idx) == 0:
            return
        chosen = rng.permutation(idx)[:count]
        if len(chosen) < count:
            log.debug("scenario %s: wanted %d, only %d eligible trades", name, count, len(chosen))
        scenario[chosen] = name
        free[chosen] = False

    for name in PERSISTENT:
        take(settle < end, quotas.get(name, 0), name)
    for name, count in quotas.items():
        if name in PERSISTENT:
            continue
        if name == "ONE_TO_MANY":
            take(qty >= 2 * lot, count, name)
        else:
            take(np.ones(n, dtype=bool), count, name)
    # other asset classes: amendments and cancels only
    other = ~custody & (okind != 2)
    u = rng.random(n)
    scenario = np.where(other & (u < 0.03), "AMEND", np.where(other & (u >= 0.03) & (u < 0.04), "CANCEL", scenario))
    # settlements without our reference (matched on economic keys)
    refless = np.zeros(n, dtype=bool)
    ok = eligible & np.isin(scenario, SETTLED_SCENARIOS_REFLESS_OK)
    idx = np.flatnonzero(ok)
    if refless_quota > 0 and len(idx):
        refless[rng.permutation(idx)[:refless_quota]] = True
    # cash scenarios among clean trades settled by the end date
    cash_scn = np.full(n, "", dtype=object)
    cash_free = eligible & (scenario == "CLEAN") & (settle <= end)
    for name, count in cash_quotas.items():
        mask = cash_free & (~cash_ambiguous if name == "CASH_REFLESS" else True)
        idx = np.flatnonzero(mask)
        if count > 0 and len(idx):
            chosen = rng.permutation(idx)[:count]
            cash_scn[chosen] = name
            cash_free[chosen] = False
    return tr.with_columns(
        scenario=pl.Series(scenario.astype(str)),
        refless=pl.Series(refless),
        cash_scn=pl.Series(cash_scn.astype(str)),
    )


# ------------------------------------------------------------------------------------------------
# front-office versions
# ------------------------------------------------------------------------------------------------


def build_versions(
    rng: np.random.Generator, tr: pl.DataFrame, ref: Reference, minor_by_ccy: np.ndarray,
) -> pl.DataFrame:
    """AMEND and CANCEL versions of the day's trades (known on later days)."""
    from connectors.sample_world.trading import compute_amounts

    scn = tr["scenario"].to_numpy()
    am = tr.filter(pl.col("scenario") == "AMEND")
    cx = tr.filter(pl.col("scenario").is_in(["CANCEL", "CANCEL_SETTLED"]))
    out = []
    if am.height:
        ins = am["ins"].to_numpy()
        custody = ref.ins_custodian[ins] >= 0
        what = rng.integers(0, 3, am.height)              # 0 quantity, 1 price, 2 settle date
        what = np.where(~custody & (what == 2), 0, what)
        qty = am["qty"].to_numpy()
        lot = ref.ins_lot[ins]
        dq = np.maximum(lot, np.rint(qty * rng.uniform(0.1, 0.5, am.height) / lot) * lot).astype(np.int64)
        new_qty = np.where(what == 0, np.where(rng.random(am.height) < 0.5, qty + dq, np.maximum(qty - dq, lot)), qty)
        new_qty = np.where((what == 0) & (new_qty == qty), qty + dq, new_qty)
        price = am["price_t"].to_numpy()
        dp = np.maximum(1, np.rint(price * rng.uniform(0.002, 0.02, am.height))).astype(np.int64)
        new_price = np.where((what == 1) & (price > 0), price + np.where(rng.random(am.height) < 0.5, dp, -np.minimum(dp, price - 1)), price)
        new_price = np.where((what == 1) & (price > 1) & (new_price == price), price + 1, new_price)
        what = np.where((what == 1) & (price == 0), 0, what)
        new_qty = np.where((what == 0) & (new_qty == qty), qty + dq, new_qty)
        settle = am["settle_date"].to_numpy().astype("datetime64[D]")
        new_settle = np.where(what == 2, add_bdays(settle, 1), settle)
        lag = np.where(custody, 1, rng.integers(1, 4, am.height))
        known = add_bdays(am["trade_date"].to_numpy().astype("datetime64[D]"), lag)
        g, f, a, netv = compute_amounts(ref, minor_by_ccy, ins, am["side"].to_numpy().astype(np.int64), new_qty,
                                        new_price, new_settle, am["fee_bps"].to_numpy(), am["fee_unit"].to_numpy())
        otc_notional = np.where(am["notional"].to_numpy() != 0,
                                np.rint(am["notional"].to_numpy() * new_qty / np.maximum(qty, 1)), 0).astype(np.int64)
        v2 = am.with_columns(
            version=pl.lit(2, dtype=pl.Int32), status=pl.lit("AMEND"), known_date=pl.Series(known).cast(pl.Date),
            qty=pl.Series(new_qty), price_t=pl.Series(new_price), settle_date=pl.Series(new_settle).cast(pl.Date),
            gross=pl.Series(g), fees=pl.Series(f), accrued=pl.Series(a), net=pl.Series(netv),
            notional=pl.Series(otc_notional),
        )
        v2 = v2.with_columns(
            end_date=pl.when(pl.col("end_date").is_not_null() & pl.col("ins").is_in(
                np.flatnonzero(ref.ins_ac == "FX_FORWARD").tolist())).then(pl.col("settle_date")).otherwise(pl.col("end_date"))
        )
        out.append(v2)
    if cx.height:
        ins = cx["ins"].to_numpy()
        custody = ref.ins_custodian[ins] >= 0
        lag = np.where(custody, 1, rng.integers(1, 4, cx.height))
        known = add_bdays(cx["trade_date"].to_numpy().astype("datetime64[D]"), lag)
        out.append(cx.with_columns(version=pl.lit(2, dtype=pl.Int32), status=pl.lit("CANCEL"),
                                   known_date=pl.Series(known).cast(pl.Date)))
    del scn
    if not out:
        return tr.clear()
    return pl.concat(out, how="vertical")


# ------------------------------------------------------------------------------------------------
# settlements
# ------------------------------------------------------------------------------------------------


def _ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """``prefix`` + zero-padded numbers (object array; empty-safe)."""
    frame = pl.DataFrame({"n": np.asarray(numbers, dtype=np.int64)})
    out = frame.select(pl.concat_str(pl.lit(prefix), pl.col("n").cast(pl.String).str.zfill(width)).alias("id"))
    return out["id"].to_numpy().astype(object)


def _other_instrument_isin(rng: np.random.Generator, ref: Reference, ins: np.ndarray) -> np.ndarray:
    """For each instrument, the ISIN of a random other instrument of the same class and custodian."""
    out = np.empty(len(ins), dtype=object)
    group = np.char.add(ref.ins_ac.astype(str), ref.ins_custodian.astype(str))
    for g in np.unique(group[ins]):  # a handful of (asset class, custodian) groups
        members = np.flatnonzero(group == g)
        rows = np.flatnonzero(group[ins] == g)
        pick = rng.integers(0, len(members) - 1, len(rows))
        self_pos = np.searchsorted(members, ins[rows])
        pick = np.where(pick >= self_pos, pick + 1, pick)  # skip the instrument itself
        out[rows] = ref.ins_isin[members[pick]]
    return out


def _half_up_div(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """Round-half-up integer division for signed a, positive b."""
    return np.sign(a) * ((np.abs(a) + np.asarray(b) // 2) // b)


def _scale(a: np.ndarray, q: np.ndarray, d: np.ndarray | int) -> np.ndarray:
    """``a * q / d`` rounded half up, exactly (signed a, q >= 0, positive d): an amount in 1e-4
    units (4.5e11 for 45 million) times a bond's nominal (5e7) passes int64's 9.2e18, so the
    rows where the product could overflow are computed with Python integers."""
    a, q = np.asarray(a, dtype=np.int64), np.asarray(q, dtype=np.int64)
    big = np.abs(a).astype(np.float64) * np.abs(q).astype(np.float64) >= 2.0 ** 62
    out = _half_up_div(np.where(big, 0, a) * np.where(big, 0, q), d)
    if big.any():
        dd = np.broadcast_to(np.asarray(d, dtype=np.int64), a.shape)[big]
        exact = _half_up_div(a[big].astype(object) * q[big].astype(object), dd.astype(object))
        out[big] = np.asarray(exact, dtype=np.int64)
    return out


def build_back_office(
    rng: np.random.Generator, tr: pl.DataFrame, versions: pl.DataFrame, ref: Reference, close_ticks: np.ndarray,
    price_dates: np.ndarray, minor_by_ccy: np.ndarray, end: np.datetime64, counters: Counters,
    extra_days: np.ndarray, message_types: dict[str, str],
) -> DayOutput:
    """Settlement records, cash entries and truth rows for the custody trades of a batch of days
    (``tr``: their NEW versions; ``extra_days``: the trade date of each settlement nobody booked)."""
    ins_all = tr["ins"].to_numpy()
    cmask = ref.ins_custodian[ins_all] >= 0
    tc = tr.filter(pl.Series(cmask))
    vc = versions.filter(pl.col("ins").is_in(np.flatnonzero(ref.ins_custodian >= 0).tolist()))
    amend = vc.filter(pl.col("status") == "AMEND").select(
        "trade_no", pl.col("known_date").alias("amend_day"), pl.col("qty").alias("qty2"),
        pl.col("price_t").alias("price2"), pl.col("settle_date").alias("settle2"), pl.col("net").alias("net2"))
    cancel = vc.filter(pl.col("status") == "CANCEL").select("trade_no", pl.col("known_date").alias("cancel_day"))
    tc = tc.join(amend, on="trade_no", how="left", maintain_order="left").join(
        cancel, on="trade_no", how="left", maintain_order="left")
    # block netting decision per block (order)
    blocks = tc.filter(pl.col("okind") == 2).select("order_no").unique().sort("order_no")
    netted_orders = blocks.filter(pl.Series(rng.random(blocks.height) < 0.5))["order_no"]
    tc = tc.with_columns(netted=pl.col("order_no").is_in(netted_orders.implode()) & (pl.col("okind") == 2))

    n = tc.height
    ins = tc["ins"].to_numpy()
    book = tc["book"].to_numpy()
    le = ref.book_le[book]
    cust = ref.ins_custodian[ins]
    minor = minor_by_ccy[ref.ins_ccy[ins]]
    unit4 = (10 ** (4 - minor)).astype(np.int64)
    scn = tc["scenario"].to_numpy().astype(object)
    side = tc["side"].to_numpy().astype(np.int64)
    qty1 = tc["qty"].to_numpy()
    price1 = tc["price_t"].to_numpy()
    isd1 = tc["settle_date"].to_numpy().astype("datetime64[D]")
    net1 = tc["net"].to_numpy()
    has_amend = tc["amend_day"].is_not_null().to_numpy()
    qtyf = np.where(has_amend, tc["qty2"].fill_null(0).to_numpy(), qty1)
    pricef = np.where(has_amend, tc["price2"].fill_null(0).to_numpy(), price1)
    isdf = np.where(has_amend, tc["settle2"].to_numpy().astype("datetime64[D]"), isd1)
    netf = np.where(has_amend, tc["net2"].fill_null(0).to_numpy(), net1)
    trade_no = tc["trade_no"].to_numpy()
    t_date = tc["trade_date"].to_numpy().astype("datetime64[D]")
    cp = tc["cp"].to_numpy()

    # ---- one settlement per trade (before splits / netting / extras) ---------------------------
    s_isin = ref.ins_isin[ins].astype(object)
    s_dir = side.copy()                   # +1 RECEIVE (we buy), -1 DELIVER
    s_ccy = ref.ins_ccy[ins].copy()
    s_qty = qtyf.copy()
    s_price = pricef.copy()
    s_amount4 = netf * unit4
    s_tdate = t_date.copy()
    s_isd = isdf.copy()
    s_cp = cp.copy()
    s_pset = ref.ins_pset[ins].astype(object)

    def where(name: str) -> np.ndarray:
        return np.flatnonzero(scn == name)

    i = where("DQUA")
    if len(i):
        lot = ref.ins_lot[ins[i]]
        d = np.maximum(lot, np.rint(s_qty[i] * rng.uniform(0.05, 0.5, len(i)) / lot) * lot).astype(np.int64)
        down = (rng.random(len(i)) < 0.5) & (s_qty[i] - d > 0)
        newq = np.where(down, s_qty[i] - d, s_qty[i] + d)
        s_amount4[i] = _scale(s_amount4[i], newq, s_qty[i]) // unit4[i] * unit4[i]
        s_qty[i] = newq
    i = where("DDEA")
    if len(i):
        dp = np.maximum(1, np.rint(s_price[i] * rng.uniform(0.005, 0.03, len(i)))).astype(np.int64)
        newp = np.where((rng.random(len(i)) < 0.5) & (s_price[i] - dp > 0), s_price[i] - dp, s_price[i] + dp)
        mult_num, mult_den = ref.ins_mult_num[ins[i]], ref.ins_mult_den[ins[i]]
        den = 10 ** ref.ins_pscale[ins[i]] * mult_den
        # gross amounts in Python integers: nominal x price x 10**minor can pass int64
        q_o, m_o = s_qty[i].astype(object), (mult_num * 10 ** minor[i]).astype(object)
        g_old = (q_o * s_price[i].astype(object) * m_o + den.astype(object) // 2) // den.astype(object)
        g_new = (q_o * newp.astype(object) * m_o + den.astype(object) // 2) // den.astype(object)
        s_amount4[i] = s_amount4[i] + np.asarray(g_new - g_old, dtype=np.int64) * unit4[i]
        s_price[i] = newp
    sign = lambda k: np.where(rng.random(k) < 0.5, 1, -1)  # noqa: E731
    i = where("DMON")
    if len(i):
        d = np.maximum(TOL + 2, np.rint(np.abs(netf[i]) * rng.uniform(0.0003, 0.01, len(i)))).astype(np.int64)
        s_amount4[i] += sign(len(i)) * d * unit4[i]
    i = where("DMON_NEAR")
    if len(i):
        s_amount4[i] += sign(len(i)) * (TOL + 1) * unit4[i]
    i = where("TOLERANCE")
    if len(i):
        s_amount4[i] += sign(len(i)) * TOL * unit4[i]
    i = where("ROUNDING")
    if len(i):
        frac = np.maximum(1, np.floor(rng.uniform(0.02, 0.49, len(i)) * unit4[i])).astype(np.int64)
        s_amount4[i] += sign(len(i)) * frac
    i = where("NCRR")
    if len(i):
        usd, eur = CURRENCIES.index("USD"), CURRENCIES.index("EUR")
        s_ccy[i] = np.where(s_ccy[i] == usd, eur, usd)
    i = where("DDAT")
    if len(i):
        # the custodian's date is 1-2 business days EARLIER (never before the trade date), so the
        # pair is never "pending past the ISD" by one side's date and not by the other's
        s_isd[i] = np.maximum(add_bdays(s_isd[i], -rng.integers(1, 3, len(i))), t_date[i])
    i = where("DTRD")
    if len(i):
        s_tdate[i] = add_bdays(s_tdate[i], -1)
    i = where("DSEC")
    if len(i):
        # another valid ISIN of the same asset class at the same custodian
        s_isin[i] = _other_instrument_isin(rng, ref, ins[i])
    i = where("DELN")
    if len(i):
        s_dir[i] = -s_dir[i]
    i = where("ICAG")
    if len(i):
        pool = ref.cp_pool["CASH"]
        alt = pool[rng.integers(0, len(pool), len(i))]
        alt = np.where(alt == s_cp[i], pool[(np.searchsorted(pool, alt) + 1) % len(pool)], alt)
        s_cp[i] = alt
    i = where("DEPT")
    if len(i):
        ps = np.array(ref.psets, dtype=object)
        pos = {p: k for k, p in enumerate(ref.psets)}
        cur = np.array([pos[p] for p in s_pset[i]])
        s_pset[i] = ps[(cur + rng.integers(1, len(ps), len(i))) % len(ps)]

    # life-cycle parameters
    persistent = np.isin(scn, PERSISTENT)
    res_lag = np.where(np.isin(scn, ("FAILING", "PARTIAL", "PENDING")), rng.integers(1, 9, n), 0)
    late_k = rng.integers(1, 7, n)
    init_unmatched = (((rng.random(n) < 0.05) & ~np.isin(scn, ("PENDING", "PENDING_P", "LATE"))
                       & (s_isd >= add_bdays(t_date, 2)) & ~has_amend)
                      | (np.isin(scn, ("PENDING", "PENDING_P")) & (rng.random(n) < 0.4)))
    r_idx = rng.choice(len(FAIL_REASONS), size=(n, 2), p=FAIL_REASON_WEIGHTS / FAIL_REASON_WEIGHTS.sum())
    has_fail2 = np.isin(scn, ("FAILING", "FAILING_P")) & (rng.random(n) < 0.4) & ((res_lag >= 2) | persistent) \
        & (r_idx[:, 0] != r_idx[:, 1])
    lot = ref.ins_lot[ins]
    part_q = np.clip(np.rint(s_qty * rng.uniform(0.2, 0.8, n) / lot) * lot, lot, np.maximum(s_qty - lot, lot)).astype(np.int64)
    part_ok = s_qty >= 2 * lot
    scn = np.where(np.isin(scn, ("PARTIAL", "PARTIAL_P")) & ~part_ok, np.where(scn == "PARTIAL", "FAILING", "FAILING_P"), scn)
    part_a4 = _scale(s_amount4, part_q, np.maximum(s_qty, 1)) // unit4 * unit4
    refless = tc["refless"].to_numpy()
    trade_ids = _ids("T", trade_no, 9)
    s_ref = trade_ids.copy()
    s_ref[refless] = None

    base = {
        "s_kind": np.full(n, "TRADE", dtype=object), "link": trade_no, "block_id": tc["block_id"].to_numpy(),
        "scn": scn, "cust": cust, "le": le, "ins": ins, "cp": s_cp, "pset": s_pset, "isin": s_isin, "dir": s_dir,
        "qty": s_qty, "amount4": s_amount4, "ccy": s_ccy, "tdate": s_tdate, "price": s_price, "isd": s_isd,
        "qty1": np.where(has_amend, qty1, s_qty), "amount4_1": np.where(has_amend, net1 * unit4, s_amount4),
        "price1": np.where(has_amend, price1, s_price), "isd1": np.where(has_amend, isd1, s_isd),
        "t0": t_date, "amend_day": tc["amend_day"].to_numpy().astype("datetime64[D]"),
        "cancel_day": tc["cancel_day"].to_numpy().astype("datetime64[D]"),
        "res_lag": res_lag, "persistent": persistent, "late_k": late_k, "init_unmatched": init_unmatched,
        "r1": r_idx[:, 0], "r2": r_idx[:, 1], "fail2": has_fail2, "part_q": part_q, "part_a4": part_a4,
        "trade_ref": s_ref, "refless": refless, "minor": minor, "pscale": ref.ins_pscale[ins],
    }
    keep = (scn != "MISSING") & ~tc["netted"].to_numpy() & (scn != "ONE_TO_MANY")
    parts = [{k: v[keep] for k, v in base.items()}]
    # one-to-many: two settlements adding up to the trade
    i = np.flatnonzero(scn == "ONE_TO_MANY")
    if len(i):
        lt = lot[i]
        q1 = np.clip(np.rint(s_qty[i] * rng.uniform(0.3, 0.7, len(i)) / lt) * lt, lt, s_qty[i] - lt).astype(np.int64)
        a1 = _scale(s_amount4[i], q1, s_qty[i]) // unit4[i] * unit4[i]
        for q, a, kind in ((q1, a1, "SPLIT"), (s_qty[i] - q1, s_amount4[i] - a1, "SPLIT")):
            p = {k: v[i].copy() for k, v in base.items()}
            p.update(s_kind=np.full(len(i), kind, dtype=object), qty=q, amount4=a, qty1=q, amount4_1=a)
            parts.append(p)
    # many-to-one: netted blocks
    nb = tc.filter(pl.col("netted"))
    if nb.height:
        idx = np.flatnonzero(tc["netted"].to_numpy())
        grp = nb.group_by("order_no", maintain_order=True).agg(pl.col("qty").sum(), pl.col("net").sum(),
                                                                 pl.int_range(pl.len()).first().alias("_"))
        first_idx = idx[np.unique(tc["order_no"].to_numpy()[idx], return_index=True)[1]]
        order_first = tc["order_no"].to_numpy()[first_idx]
        grp = grp.sort("order_no")
        assert (grp["order_no"].to_numpy() == order_first).all()
        p = {k: v[first_idx].copy() for k, v in base.items()}
        gq = grp["qty"].to_numpy()
        ga = grp["net"].to_numpy() * unit4[first_idx]
        p.update(s_kind=np.full(len(first_idx), "NETTED", dtype=object), link=np.full(len(first_idx), -1),
                 qty=gq, amount4=ga, qty1=gq, amount4_1=ga, trade_ref=tc["block_id"].to_numpy()[first_idx].astype(object),
                 scn=np.full(len(first_idx), "CLEAN", dtype=object))
        parts.append(p)
    # extras: settlements for trades we never booked
    n_extras = len(extra_days)
    if n_extras > 0:
        xday = extra_days.astype("datetime64[D]")
        cust_ins = np.flatnonzero(ref.ins_custodian >= 0)
        w = ref.ins_weight[cust_ins]
        xi = rng.choice(cust_ins, size=n_extras, p=w / w.sum())
        xle = rng.integers(0, len(ref.le_id), n_extras)
        xlot = ref.ins_lot[xi]
        xq = (xlot * rng.integers(1, 400, n_extras) + xlot // 2).astype(np.int64)
        xp = close_ticks[np.searchsorted(price_dates, xday), xi]
        xminor = minor_by_ccy[ref.ins_ccy[xi]]
        den = 10 ** ref.ins_pscale[xi] * ref.ins_mult_den[xi]
        xg = (xq * xp * ref.ins_mult_num[xi] * 10**xminor + den // 2) // den
        xunit = (10 ** (4 - xminor)).astype(np.int64)
        pool = ref.cp_pool["CASH"]
        xref = np.array([None] * n_extras, dtype=object)
        foreign = rng.random(n_extras) < 0.5
        nf = int(foreign.sum())
        xref[foreign] = _ids("CPREF", counters.extra_ref + np.arange(nf), 8)
        counters.extra_ref += nf
        xisd = add_bdays(xday, ref.ins_lag[xi])
        nat = np.full(n_extras, np.datetime64("NaT"), dtype="datetime64[D]")
        p = {
            "s_kind": np.full(n_extras, "EXTRA", dtype=object), "link": np.full(n_extras, -1), "block_id": np.full(n_extras, None, dtype=object),
            "scn": np.full(n_extras, "EXTRA", dtype=object), "cust": ref.ins_custodian[xi], "le": xle, "ins": xi,
            "cp": pool[rng.integers(0, len(pool), n_extras)], "pset": ref.ins_pset[xi].astype(object),
            "isin": ref.ins_isin[xi].astype(object), "dir": np.where(rng.random(n_extras) < 0.5, 1, -1),
            "qty": xq, "amount4": xg * xunit, "ccy": ref.ins_ccy[xi], "tdate": xday,
            "price": xp, "isd": xisd, "qty1": xq, "amount4_1": xg * xunit, "price1": xp, "isd1": xisd,
            "t0": xday, "amend_day": nat, "cancel_day": nat,
            "res_lag": np.zeros(n_extras, dtype=np.int64), "persistent": np.zeros(n_extras, dtype=bool),
            "late_k": np.ones(n_extras, dtype=np.int64), "init_unmatched": np.zeros(n_extras, dtype=bool),
            "r1": np.zeros(n_extras, dtype=np.int64), "r2": np.zeros(n_extras, dtype=np.int64),
            "fail2": np.zeros(n_extras, dtype=bool), "part_q": xq, "part_a4": xg * xunit, "trade_ref": xref,
            "refless": xref == None,  # noqa: E711
            "minor": xminor, "pscale": ref.ins_pscale[xi],
        }
        parts.append(p)
    S = pl.concat([_frame(p) for p in parts], how="vertical")
    ns = S.height
    S = S.with_columns(s_no=pl.int_range(ns, dtype=pl.Int64) + counters.settlement_no)
    counters.settlement_no += ns
    letters = np.array([CUST_LETTER[c] for c in CUSTODIANS])
    S = S.with_columns(
        settlement_id=pl.format("{}SR{}", pl.Series(letters[S["cust"].to_numpy()]), pl.col("s_no").cast(pl.String).str.zfill(10)),
    )

    records = _events(S, end)
    cash, cash_truth, cash_nb = _cash(rng, records, S, tc, ref, end, counters)
    records = records.filter(pl.col("known_date") <= pl.lit(end.astype(object)))
    truth, nb = _truth(tc, vc, S, records, ref, minor_by_ccy, end, message_types)
    truth = pl.concat([truth, cash_truth], how="vertical")
    nb = pl.concat([nb, cash_nb], how="vertical")
    records = records.with_columns(
        message_type=pl.col("cust").replace_strict(list(range(len(CUSTODIANS))), [message_types[c] for c in CUSTODIANS],
                                                   return_dtype=pl.String))
    return DayOutput(records=records, cash=cash, truth=truth, non_breaks=nb)


def _frame(p: dict[str, np.ndarray]) -> pl.DataFrame:
    cols = {}
    for k, v in p.items():
        if v.dtype.kind == "M":
            cols[k] = pl.Series(k, v.astype("datetime64[D]")).cast(pl.Date)
        elif v.dtype == object:
            cols[k] = pl.Series(k, v.tolist(), dtype=pl.String if k not in ("persistent",) else pl.Boolean)
        else:
            cols[k] = pl.Series(k, v)
    f = pl.DataFrame(cols)
    return f.with_columns(pl.col("link").cast(pl.Int64), pl.col("cust", "le", "ins", "cp", "dir", "ccy", "minor", "pscale",
                                                                 "res_lag", "late_k", "r1", "r2").cast(pl.Int64),
                          pl.col("qty", "amount4", "qty1", "amount4_1", "price", "price1", "part_q", "part_a4").cast(pl.Int64))


def _bd(col: str, n: int | pl.Expr) -> pl.Expr:
    """Business-day offset of a Date column (polars: add_business_days)."""
    return pl.col(col).dt.add_business_days(n)


def _events(S: pl.DataFrame, end: np.datetime64) -> pl.DataFrame:
    """Every status record of every settlement, with its seq (known dates may pass the end)."""
    del end
    scn = pl.col("scn")
    zero = pl.lit(0, dtype=pl.Int64)
    nodate = pl.lit(None, dtype=pl.Date)
    nostr = pl.lit(None, dtype=pl.String)

    def ev(mask: pl.Expr, known: pl.Expr, status: pl.Expr | str, order: int, settled_q: pl.Expr = zero,
           settled_a: pl.Expr = zero, asd: pl.Expr = nodate, reason: pl.Expr = nostr, v1: bool = False) -> pl.DataFrame:
        return S.filter(mask).select(
            "s_no", known.alias("known_date"), (pl.lit(status) if isinstance(status, str) else status).alias("status"),
            pl.lit(order, dtype=pl.Int64).alias("order"), settled_q.alias("settled_qty"), settled_a.alias("settled_a4"),
            asd.alias("asd"), reason.cast(pl.Int64, strict=False).alias("reason"), pl.lit(v1).alias("v1"),
        )

    pend = scn.is_in(["PENDING", "PENDING_P"])
    fail = scn.is_in(["FAILING", "FAILING_P"])
    part = scn.is_in(["PARTIAL", "PARTIAL_P"])
    settles = ~scn.is_in(["MISSING", "CANCEL", "LATE", "FAILING_P", "PARTIAL_P", "PENDING_P"])
    settle_day = _bd("isd", pl.col("res_lag"))
    parts = [
        ev(scn != "LATE", pl.col("t0"),
           pl.when(pl.col("init_unmatched")).then(pl.lit("UNMATCHED")).otherwise(pl.lit("MATCHED")), 0, v1=True),
        ev(pl.col("init_unmatched") & ~pend, _bd("t0", 1), "MATCHED", 1),
        ev(pl.col("amend_day").is_not_null() & (scn != "CANCEL"), pl.col("amend_day"), "MATCHED", 2),
        ev(scn == "CANCEL", pl.col("cancel_day"), "CANCELLED", 3),
        ev(fail, pl.col("isd"), "FAILING", 4, reason=pl.col("r1")),
        ev(fail & pl.col("fail2"), _bd("isd", 1), "FAILING", 5, reason=pl.col("r2")),
        ev(part, pl.col("isd"), "PARTIAL", 4, settled_q=pl.col("part_q"), settled_a=pl.col("part_a4"), asd=pl.col("isd")),
        ev(settles, settle_day, "SETTLED", 6, settled_q=pl.col("qty"), settled_a=pl.col("amount4"), asd=settle_day),
        ev(scn == "LATE", _bd("isd", pl.col("late_k")), "SETTLED", 6, settled_q=pl.col("qty"),
           settled_a=pl.col("amount4"), asd=pl.col("isd")),
    ]
    E = pl.concat(parts, how="vertical").sort("s_no", "known_date", "order")
    E = E.with_columns(seq=(pl.int_range(pl.len()).over("s_no") + 1).cast(pl.Int64))
    R = E.join(S, on="s_no", how="left", maintain_order="left")
    v1 = pl.col("v1")
    return R.select(
        "s_no", "seq", "known_date", "status", "settled_qty", "settled_a4", "asd", "reason", "settlement_id", "s_kind",
        "link", "cust", "le", "cp", "pset", "isin", "dir", "ccy", "tdate", "pscale", "minor", "trade_ref",
        qty=pl.when(v1).then(pl.col("qty1")).otherwise(pl.col("qty")),
        amount4=pl.when(v1).then(pl.col("amount4_1")).otherwise(pl.col("amount4")),
        price=pl.when(v1).then(pl.col("price1")).otherwise(pl.col("price")),
        isd=pl.when(v1).then(pl.col("isd1")).otherwise(pl.col("isd")),
    )


def _cash(
    rng: np.random.Generator, records: pl.DataFrame, S: pl.DataFrame, tc: pl.DataFrame, ref: Reference,
    end: np.datetime64, counters: Counters,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Cash entries for settlement events known by the end date, with cash breaks and truth."""
    end_d = end.astype(object)
    ev = records.sort("s_no", "seq").with_columns(
        inc_q=pl.col("settled_qty") - pl.col("settled_qty").shift(1, fill_value=0).over("s_no"),
        inc_a4=pl.col("settled_a4") - pl.col("settled_a4").shift(1, fill_value=0).over("s_no"),
    ).filter((pl.col("inc_q") > 0) & (pl.col("known_date") <= pl.lit(end_d)))
    cash_scn = tc.select(pl.col("trade_no").alias("link"), "cash_scn")
    ev = ev.join(cash_scn, on="link", how="left", maintain_order="left").with_columns(
        cash_scn=pl.when(pl.col("s_kind") == "TRADE").then(pl.col("cash_scn")).otherwise(pl.lit("")).fill_null(""))
    unit = pl.lit(10, dtype=pl.Int64).pow(4 - pl.col("minor"))
    amt = (pl.col("inc_a4").abs() + unit // 2) // unit * pl.col("inc_a4").sign()
    signed = pl.when(pl.col("dir") < 0).then(amt).otherwise(-amt)
    n = ev.height
    dmon = rng.integers(TOL + 1, 5000, max(n, 1))[:n] * np.where(rng.random(max(n, 1))[:n] < 0.5, 1, -1)
    ev = ev.with_columns(
        expected=signed, event_no=pl.int_range(n, dtype=pl.Int64) + counters.movement_no,
        _dmon=pl.Series(dmon.astype(np.int64)),
    )
    counters.movement_no += n
    n_cust = ref.cash_account.shape[1]
    cash_acc = lookup(ref.cash_account.reshape(-1).astype(str), ev["le"].to_numpy() * n_cust + ev["cust"].to_numpy(), "account")
    ev = ev.with_columns(account=cash_acc)
    entries = ev.filter(pl.col("cash_scn") != "CASH_MISSING").with_columns(
        amount=pl.when(pl.col("cash_scn") == "CASH_DMON").then(pl.col("expected") + pl.col("_dmon")).otherwise(pl.col("expected")),
        is_reversal=pl.lit(False), kind=pl.lit("SETTLEMENT"),
        end_to_end_id=pl.when(pl.col("cash_scn") == "CASH_REFLESS").then(None).otherwise(pl.col("trade_ref")),
        entry_ref=pl.when(pl.col("cash_scn") == "CASH_REFLESS").then(None).otherwise(pl.col("settlement_id")),
    )
    rev = entries.filter(pl.col("cash_scn") == "CASH_REVERSAL")
    dup = rev.with_columns(kind=pl.lit("DUPLICATE"))
    back = rev.with_columns(kind=pl.lit("REVERSAL"), amount=-pl.col("amount"), is_reversal=pl.lit(True))
    entries = pl.concat([entries, dup, back], how="vertical").with_columns(
        sub=pl.col("kind").replace_strict({"SETTLEMENT": 0, "DUPLICATE": 1, "REVERSAL": 2}, return_dtype=pl.Int64))
    letters = {i: CUST_LETTER[c] for i, c in enumerate(CUSTODIANS)}
    entries = entries.with_columns(
        statement_id=pl.format("{}-{}-{}", pl.col("cust").replace_strict(letters, return_dtype=pl.String),
                               lookup([x.split("-")[1] for x in ref.le_id], entries["le"].to_numpy(), "le_code"),
                               pl.col("known_date").dt.strftime("%Y%m%d")),
    ).with_columns(
        movement_id=pl.format("{}-{}-{}", pl.col("statement_id"), pl.col("event_no").cast(pl.String).str.zfill(10),
                              pl.col("sub")),
        booking_date=pl.col("known_date"), value_date=pl.col("asd"),
        bank_tx_code=pl.lit("SECU/SETT/TRAD"),
        counterparty_name=lookup(ref.cp_name, entries["cp"].to_numpy(), "counterparty_name"),
        description=pl.format("{} {} {} {}", pl.when(pl.col("dir") > 0).then(pl.lit("RECEIVE")).otherwise(pl.lit("DELIVER")),
                              pl.col("isin"), pl.col("qty").cast(pl.String), pl.col("settlement_id")),
    )
    as_of = pl.lit(end_d)
    text = lambda c: fixed(pl.col(c), pl.col("minor"))  # noqa: E731
    tid = pl.when(pl.col("s_kind") == "TRADE").then(pl.format("T{}", pl.col("link").cast(pl.String).str.zfill(9)))
    missing = ev.filter(pl.col("cash_scn") == "CASH_MISSING").select(
        as_of.alias("as_of"), pl.lit("CASH").alias("recon"), pl.lit("CASH_MISSING").alias("break_class"),
        pl.lit("EXPECTED_ONLY").alias("side"), tid.alias("trade_id"), "settlement_id",
        pl.lit(None, dtype=pl.String).alias("movement_id"),
        pl.col("cust").replace_strict(dict(enumerate(CUSTODIANS)), return_dtype=pl.String).alias("custodian"),
        "isin", pl.lit("amount").alias("field"), text("expected").alias("fo_value"), pl.lit(None, dtype=pl.String).alias("bo_value"),
        pl.lit(None, dtype=pl.String).alias("difference"), pl.lit("amount").alias("fields"),
        pl.lit(None, dtype=pl.String).alias("reason_code"), pl.col("isd").alias("intended_settle_date"),
        pl.lit("CASH_MISSING").alias("cause"),
    )
    dm = entries.filter((pl.col("cash_scn") == "CASH_DMON") & (pl.col("kind") == "SETTLEMENT")).select(
        as_of.alias("as_of"), pl.lit("CASH").alias("recon"), pl.lit("CASH_DMON").alias("break_class"),
        pl.lit("BOTH").alias("side"), tid.alias("trade_id"), "settlement_id", "movement_id",
        pl.col("cust").replace_strict(dict(enumerate(CUSTODIANS)), return_dtype=pl.String).alias("custodian"),
        "isin", pl.lit("amount").alias("field"), text("expected").alias("fo_value"), text("amount").alias("bo_value"),
        fixed(pl.col("amount") - pl.col("expected"), pl.col("minor")).alias("difference"), pl.lit("amount").alias("fields"),
        pl.lit(None, dtype=pl.String).alias("reason_code"), pl.col("isd").alias("intended_settle_date"),
        pl.lit("CASH_DMON").alias("cause"),
    )
    nb = entries.filter(pl.col("kind") != "SETTLEMENT").select(
        as_of.alias("as_of"), pl.lit("CASH").alias("recon"), pl.lit("CASH_REVERSAL").alias("class"), tid.alias("trade_id"),
        "settlement_id", "movement_id", pl.format("REV-{}", pl.col("event_no")).alias("group_id"),
        pl.when(pl.col("kind") == "DUPLICATE").then(pl.lit("duplicate entry, reversed by the entry of the same group"))
        .otherwise(pl.lit("reversal of the duplicate entry")).alias("detail"),
    )
    nb_ref = entries.filter(pl.col("cash_scn") == "CASH_REFLESS").select(
        as_of.alias("as_of"), pl.lit("CASH").alias("recon"), pl.lit("CASH_NO_REF").alias("class"), tid.alias("trade_id"),
        "settlement_id", "movement_id", pl.lit(None, dtype=pl.String).alias("group_id"),
        pl.lit("entry without end-to-end id or entry reference: match on account, value date, amount, currency").alias("detail"),
    )
    return entries, pl.concat([missing, dm], how="vertical"), pl.concat([nb, nb_ref], how="vertical")


def _truth(
    tc: pl.DataFrame, vc: pl.DataFrame, S: pl.DataFrame, records: pl.DataFrame, ref: Reference,
    minor_by_ccy: np.ndarray, end: np.datetime64, message_types: dict[str, str],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Securities breaks and non-breaks as of the end date (records already filtered to it).

    A field counts as different only where the custodian's messages can show it: a status advice
    (MT548, sese.024) carries no deal price, so a custodian writing SWIFT MT54x or ISO 20022 sese
    shows the deal price only once a confirmation (MT544-547, sese.025: a SETTLED or PARTIAL
    record) exists. Before that, a deal-price difference shows only through the amount (DMON)."""
    end_d = end.astype(object)
    as_of = pl.lit(end_d)
    # front office: last version known by the end date
    keep = ["trade_no", "version", "status", "known_date", "ins", "qty", "price_t", "net", "side", "trade_date",
            "settle_date", "cp", "scenario", "refless", "okind", "block_id"]
    lookup = pl.LazyFrame({
        "ins": np.arange(len(ref.ins_id), dtype=np.int64), "fo_isin": ref.ins_isin, "fo_ccy": ref.ins_ccy.astype(np.int64),
        "fo_pset": ref.ins_pset.astype(str), "minor": minor_by_ccy[ref.ins_ccy].astype(np.int64),
        "custodian": np.array(("",) + CUSTODIANS)[ref.ins_custodian + 1],
    })
    fo = pl.concat([tc.lazy().select(keep), vc.lazy().select(keep)], how="vertical").filter(pl.col("known_date") <= as_of)
    fo = fo.sort("trade_no", "version").group_by("trade_no", maintain_order=True).last()
    fo = fo.with_columns(pl.col("ins").cast(pl.Int64)).join(lookup, on="ins", how="left").with_columns(
        alive=pl.col("status") != "CANCEL", trade_id=pl.format("T{}", pl.col("trade_no").cast(pl.String).str.zfill(9)),
    ).select("trade_no", "trade_id", "alive", "status", "qty", "price_t", "net", "side", "trade_date", "settle_date", "cp",
             "fo_isin", "fo_ccy", "fo_pset", "minor", "custodian", "scenario", "refless", "okind", "block_id")
    # back office: last record known by the end date, and whether any of its records so far
    # carries the deal price (see above)
    advice_only = [i for i, c in enumerate(CUSTODIANS) if message_types.get(c) in ("MT54X", "SESE")]
    shown = records.lazy().group_by("s_no").agg(
        price_shown=(~pl.col("cust").is_in(advice_only) | pl.col("status").is_in(["SETTLED", "PARTIAL"])).any())
    bo = (records.lazy().sort("s_no", "seq").group_by("s_no", maintain_order=True).last()
          .join(shown, on="s_no", how="left"))
    SL = S.lazy()
    cust_name = pl.col("cust").replace_strict(dict(enumerate(CUSTODIANS)), return_dtype=pl.String)
    empty_truth = pl.DataFrame(schema={c: (pl.Date if c in ("as_of", "intended_settle_date") else pl.String)
                                       for c in TRUTH_COLUMNS if c != "break_id"})
    rows: list[pl.LazyFrame] = []
    nb_rows: list[pl.LazyFrame] = []

    def truth_select(df: pl.LazyFrame, **kw: pl.Expr) -> pl.LazyFrame:
        cols = []
        for c in TRUTH_COLUMNS:
            if c == "break_id":
                continue
            e = kw.get(c, pl.lit(None, dtype=pl.Date if c in ("as_of", "intended_settle_date") else pl.String))
            cols.append(e.alias(c))
        return df.select(cols).with_columns(as_of=as_of)

    def nb_select(df: pl.LazyFrame, cls: str | pl.Expr, detail: pl.Expr, group: pl.Expr | None = None) -> pl.LazyFrame:
        return df.select(
            as_of.alias("as_of"), pl.lit("SECURITIES").alias("recon"),
            (pl.lit(cls) if isinstance(cls, str) else cls).alias("class"), pl.col("trade_id"), pl.col("settlement_id"),
            pl.lit(None, dtype=pl.String).alias("movement_id"),
            (group if group is not None else pl.lit(None, dtype=pl.String)).alias("group_id"), detail.alias("detail"),
        )

    linked = SL.filter(pl.col("s_kind") == "TRADE").select("s_no", pl.col("link").alias("trade_no"), "settlement_id")
    # -- FO only: live trades with no visible settlement
    with_bo = linked.join(bo.select("s_no"), on="s_no", how="inner").select("trade_no")
    split_links = SL.filter(pl.col("s_kind") == "SPLIT").select(pl.col("link").alias("trade_no")).unique()
    netted_blocks = SL.filter(pl.col("s_kind") == "NETTED").select(pl.col("trade_ref").alias("block_id")).unique()
    fo_custody_single = fo.join(split_links, on="trade_no", how="anti").join(netted_blocks, on="block_id", how="anti")
    fo_only = fo_custody_single.filter(pl.col("alive")).join(with_bo, on="trade_no", how="anti")
    rows.append(truth_select(
        fo_only, recon=pl.lit("SECURITIES"), break_class=pl.lit("CMIS_FO_ONLY"), side=pl.lit("FO_ONLY"),
        trade_id=pl.col("trade_id"), custodian=pl.col("custodian"), isin=pl.col("fo_isin"), field=pl.lit("settlement"),
        fo_value=pl.col("trade_id"), intended_settle_date=pl.col("settle_date"),
        cause=pl.when(pl.col("scenario") == "LATE").then(pl.lit("LATE_CONFIRMATION")).otherwise(pl.col("scenario")),
    ))
    # -- BO only: extras, and settlements of trades cancelled in the FO that the custodian did not cancel
    bo_k = bo.join(SL.select("s_no", "s_kind"), on="s_no", how="left", suffix="_s")
    extras = bo_k.filter((pl.col("s_kind") == "EXTRA") & (pl.col("status") != "CANCELLED"))
    cxl = bo_k.filter(pl.col("s_kind") == "TRADE").join(fo.select("trade_no", "alive", "trade_id"), left_on="link",
                                                          right_on="trade_no", how="inner")
    cxl_settled = cxl.filter(~pl.col("alive") & (pl.col("status") != "CANCELLED"))
    for df, cause in ((extras, pl.lit("UNKNOWN_TRADE")), (cxl_settled, pl.lit("CANCELLED_TRADE_SETTLED"))):
        rows.append(truth_select(
            df, recon=pl.lit("SECURITIES"), break_class=pl.lit("CMIS_BO_ONLY"), side=pl.lit("BO_ONLY"),
            settlement_id=pl.col("settlement_id"), custodian=cust_name, isin=pl.col("isin"), field=pl.lit("settlement"),
            bo_value=pl.col("settlement_id"), intended_settle_date=pl.col("isd"), cause=cause,
            trade_id=pl.lit(None, dtype=pl.String),
        ))
    nb_rows.append(nb_select(cxl.filter(~pl.col("alive") & (pl.col("status") == "CANCELLED")), "CANCELLED_BOTH_SIDES",
                             pl.lit("trade cancelled in the front office and the instruction cancelled at the custodian")))
    # -- pairs: field differences and settlement state
    pairs = cxl.filter(pl.col("alive")).join(
        fo.select("trade_no", pl.col("qty").alias("fo_qty"), pl.col("price_t").alias("fo_price"), pl.col("net").alias("fo_net"),
                  pl.col("side").alias("fo_side"), pl.col("trade_date").alias("fo_tdate"), pl.col("settle_date").alias("fo_isd"),
                  pl.col("cp").alias("fo_cp"), "fo_isin", "fo_ccy", "fo_pset", pl.col("minor").alias("fo_minor"),
                  pl.col("scenario").alias("fo_scn"), pl.col("refless").alias("fo_refless")),
        left_on="link", right_on="trade_no", how="inner",
    )
    unit = pl.lit(10, dtype=pl.Int64).pow(4 - pl.col("fo_minor"))
    bo_round = (pl.col("amount4").abs() + unit // 2) // unit * pl.col("amount4").sign()
    pairs = pairs.with_columns(
        bo_round=bo_round,
        d_isin=pl.col("isin") != pl.col("fo_isin"),
        d_dir=pl.col("dir") != pl.col("fo_side").cast(pl.Int64),
        d_ccy=pl.col("ccy") != pl.col("fo_ccy"),
        d_qty=pl.col("qty") != pl.col("fo_qty"),
        d_price=(pl.col("price") != pl.col("fo_price")) & pl.col("price_shown"),
        d_tdate=pl.col("tdate") != pl.col("fo_tdate"),
        d_isd=pl.col("isd") != pl.col("fo_isd"),
        d_cp=pl.col("cp") != pl.col("fo_cp"),
        d_pset=pl.col("pset") != pl.col("fo_pset"),
    ).with_columns(
        amt_diff=pl.col("bo_round") - pl.col("fo_net"),
        d_amount=(pl.col("bo_round") - pl.col("fo_net")).abs() > TOL,
        raw_amount_diff=pl.col("amount4") != pl.col("fo_net") * unit,
    )
    flags = ("d_isin", "d_dir", "d_ccy", "d_qty", "d_price", "d_amount", "d_tdate", "d_isd", "d_cp", "d_pset")
    cls = pl.lit(None, dtype=pl.String)
    fld = pl.lit(None, dtype=pl.String)
    for flag, (c, f) in reversed(list(zip(flags, FIELD_ORDER, strict=True))):
        cls = pl.when(pl.col(flag)).then(pl.lit(c)).otherwise(cls)
        fld = pl.when(pl.col(flag)).then(pl.lit(f)).otherwise(fld)
    fields = pl.concat_str([pl.when(pl.col(flag)).then(pl.lit(f)) for flag, (_, f) in zip(flags, FIELD_ORDER, strict=True)],
                           separator=";", ignore_nulls=True)
    pairs = pairs.with_columns(cls=cls, fld=fld, fields=fields)
    direction = lambda e: pl.when(e > 0).then(pl.lit("RECEIVE")).otherwise(pl.lit("DELIVER"))  # noqa: E731
    ccy_name = lambda c: pl.col(c).replace_strict(dict(enumerate(CURRENCIES)), return_dtype=pl.String)  # noqa: E731
    cp_ids = dict(enumerate(ref.cp_id.tolist()))
    fo_value = (
        pl.when(pl.col("cls") == "DSEC").then(pl.col("fo_isin"))
        .when(pl.col("cls") == "DELN").then(direction(pl.col("fo_side")))
        .when(pl.col("cls") == "NCRR").then(ccy_name("fo_ccy"))
        .when(pl.col("cls") == "DQUA").then(pl.col("fo_qty").cast(pl.String))
        .when(pl.col("cls") == "DDEA").then(fixed(pl.col("fo_price"), pl.col("pscale")))
        .when(pl.col("cls") == "DMON").then(fixed(pl.col("fo_net"), pl.col("fo_minor")))
        .when(pl.col("cls") == "DTRD").then(pl.col("fo_tdate").cast(pl.String))
        .when(pl.col("cls") == "DDAT").then(pl.col("fo_isd").cast(pl.String))
        .when(pl.col("cls") == "ICAG").then(pl.col("fo_cp").replace_strict(cp_ids, return_dtype=pl.String))
        .when(pl.col("cls") == "DEPT").then(pl.col("fo_pset"))
    )
    bo_value = (
        pl.when(pl.col("cls") == "DSEC").then(pl.col("isin"))
        .when(pl.col("cls") == "DELN").then(direction(pl.col("dir")))
        .when(pl.col("cls") == "NCRR").then(ccy_name("ccy"))
        .when(pl.col("cls") == "DQUA").then(pl.col("qty").cast(pl.String))
        .when(pl.col("cls") == "DDEA").then(fixed(pl.col("price"), pl.col("pscale")))
        .when(pl.col("cls") == "DMON").then(amount4(pl.col("amount4"), pl.col("fo_minor")))
        .when(pl.col("cls") == "DTRD").then(pl.col("tdate").cast(pl.String))
        .when(pl.col("cls") == "DDAT").then(pl.col("isd").cast(pl.String))
        .when(pl.col("cls") == "ICAG").then(pl.col("cp").replace_strict(cp_ids, return_dtype=pl.String))
        .when(pl.col("cls") == "DEPT").then(pl.col("pset"))
    )
    diff = (
        pl.when(pl.col("cls") == "DQUA").then((pl.col("qty") - pl.col("fo_qty")).cast(pl.String))
        .when(pl.col("cls") == "DDEA").then(fixed(pl.col("price") - pl.col("fo_price"), pl.col("pscale")))
        .when(pl.col("cls") == "DMON").then(fixed(pl.col("amt_diff"), pl.col("fo_minor")))
        .when(pl.col("cls").is_in(["DTRD", "DDAT"])).then(
            pl.when(pl.col("cls") == "DTRD")
            .then(pl.business_day_count(pl.col("fo_tdate"), pl.col("tdate")))
            .otherwise(pl.business_day_count(pl.col("fo_isd"), pl.col("isd"))).cast(pl.String))
    )
    field_breaks = pairs.filter(pl.col("cls").is_not_null())
    rows.append(truth_select(
        field_breaks, recon=pl.lit("SECURITIES"), break_class=pl.col("cls"), side=pl.lit("BOTH"),
        trade_id=pl.col("trade_id"), settlement_id=pl.col("settlement_id"), custodian=cust_name, isin=pl.col("fo_isin"),
        field=pl.col("fld"), fo_value=fo_value, bo_value=bo_value, difference=diff, fields=pl.col("fields"),
        intended_settle_date=pl.col("fo_isd"), cause=pl.col("fo_scn"),
    ))
    reason_codes = dict(enumerate(r[0] for r in FAIL_REASONS))
    state = pairs.with_columns(
        state=pl.when(pl.col("status") == "FAILING").then(pl.lit("FAILING"))
        .when(pl.col("status") == "PARTIAL").then(pl.lit("PARTIAL"))
        .when(pl.col("status").is_in(["PENDING", "MATCHED", "UNMATCHED"]) & (pl.col("isd") < as_of)).then(pl.lit("PENDING_PAST_ISD"))
    ).filter(pl.col("state").is_not_null())
    rows.append(truth_select(
        state, recon=pl.lit("SECURITIES"), break_class=pl.col("state"), side=pl.lit("BOTH"), trade_id=pl.col("trade_id"),
        settlement_id=pl.col("settlement_id"), custodian=cust_name, isin=pl.col("fo_isin"),
        field=pl.when(pl.col("state") == "PARTIAL").then(pl.lit("settled_quantity")).otherwise(pl.lit("status")),
        fo_value=pl.when(pl.col("state") == "PARTIAL").then(pl.col("qty").cast(pl.String)).otherwise(pl.lit("SETTLED")),
        bo_value=pl.when(pl.col("state") == "PARTIAL").then(pl.col("settled_qty").cast(pl.String)).otherwise(pl.col("status")),
        difference=pl.when(pl.col("state") == "PARTIAL").then((pl.col("qty") - pl.col("settled_qty")).cast(pl.String))
        .otherwise(pl.business_day_count(pl.col("isd"), as_of).cast(pl.String)),
        reason_code=pl.when(pl.col("state") == "FAILING").then(
            pl.col("reason").replace_strict(reason_codes, default=None, return_dtype=pl.String)),
        intended_settle_date=pl.col("isd"), cause=pl.col("fo_scn"),
    ))
    # -- non-breaks among pairs
    clean_pairs = pairs.filter(pl.col("cls").is_null())
    nb_rows.append(nb_select(
        clean_pairs.filter(pl.col("raw_amount_diff")),
        pl.when(pl.col("amt_diff") == 0).then(pl.lit("AMOUNT_ROUNDING")).otherwise(pl.lit("AMOUNT_TOLERANCE")),
        pl.format("custodian amount {} vs net amount {} ({} after rounding to the minor unit)",
                  amount4(pl.col("amount4"), pl.col("fo_minor")), fixed(pl.col("fo_net"), pl.col("fo_minor")),
                  fixed(pl.col("amt_diff"), pl.col("fo_minor"))),
    ))
    nb_rows.append(nb_select(
        pairs.filter(pl.col("trade_ref").is_null()), "NO_TRADE_REF",
        pl.lit("custodian record without our trade reference: match on ISIN, account, direction, settlement date, quantity"),
    ))
    resolved = pairs.filter(pl.col("fo_scn").is_in(["FAILING", "PARTIAL", "PENDING"]) & (pl.col("status") == "SETTLED"))
    nb_rows.append(nb_select(
        resolved, pl.format("RESOLVED_{}", pl.col("fo_scn")),
        pl.format("settled on {} after {} business days past the intended settlement date", pl.col("asd").cast(pl.String),
                  pl.business_day_count(pl.col("isd"), pl.col("asd")).cast(pl.String)),
    ))
    late = pairs.filter(pl.col("fo_scn") == "LATE")
    nb_rows.append(nb_select(
        late, "LATE_CONFIRMATION",
        pl.format("first custodian record known {} business days after the intended settlement date; CMIS_FO_ONLY until then",
                  pl.business_day_count(pl.col("isd"), pl.col("known_date")).cast(pl.String)),
    ))
    # -- one-to-many and many-to-one
    splits = bo_k.filter(pl.col("s_kind") == "SPLIT").join(fo.select("trade_no", "trade_id", "alive"), left_on="link",
                                                            right_on="trade_no", how="inner").filter(pl.col("alive"))
    nb_rows.append(nb_select(splits, "ONE_TO_MANY", pl.format("settlement quantity {} of the trade's total", pl.col("qty").cast(pl.String)),
                             group=pl.col("trade_id")))
    netted = bo_k.filter(pl.col("s_kind") == "NETTED").select("settlement_id", pl.col("trade_ref").alias("block_id"), "qty")
    alloc = fo.filter(pl.col("block_id").is_not_null()).join(netted, on="block_id", how="inner")
    nb_rows.append(nb_select(alloc, "MANY_TO_ONE",
                             pl.format("allocation of block {} settled as one settlement of {}", pl.col("block_id"),
                                       pl.col("qty_right").cast(pl.String)), group=pl.col("block_id")))
    truth, nb = pl.collect_all([pl.concat([empty_truth.lazy(), *rows], how="vertical_relaxed"),
                                pl.concat(nb_rows, how="vertical_relaxed")])
    return truth, nb


# ------------------------------------------------------------------------------------------------
# wire frames
# ------------------------------------------------------------------------------------------------


def wire_settlements(records: pl.DataFrame, ref: Reference) -> pl.DataFrame:
    """Internal settlement records -> canonical bo_settlements columns (exact decimal text)."""
    cp = records["cp"].to_numpy()
    reasons = dict(enumerate(r[0] for r in FAIL_REASONS))
    texts = dict(enumerate(r[1] for r in FAIL_REASONS))
    n_cust = ref.account_id.shape[1]
    acc = lookup(ref.account_id.reshape(-1).astype(str), records["le"].to_numpy() * n_cust + records["cust"].to_numpy(),
                 "account_id")
    f = records.with_columns(
        counterparty_id=lookup(ref.cp_id, cp, "counterparty_id"), counterparty_bic=lookup(ref.cp_bic, cp, "bic"),
        account_id=acc, custodian=pl.col("cust").replace_strict(dict(enumerate(CUSTODIANS)), return_dtype=pl.String),
        currency=pl.col("ccy").replace_strict(dict(enumerate(CURRENCIES)), return_dtype=pl.String),
    )
    out = f.select(
        "settlement_id", "seq", "known_date", "custodian", "message_type", "trade_ref", "account_id",
        "counterparty_id", "counterparty_bic", pl.col("pset").alias("place_of_settlement"), "isin",
        pl.when(pl.col("dir") > 0).then(pl.lit("RECEIVE")).otherwise(pl.lit("DELIVER")).alias("direction"),
        pl.lit("APMT").alias("payment"),
        pl.col("qty").cast(pl.String).alias("quantity"),
        pl.col("settled_qty").cast(pl.String).alias("settled_quantity"),
        amount4(pl.col("amount4"), pl.col("minor")).alias("amount"),
        amount4(pl.col("settled_a4"), pl.col("minor")).alias("settled_amount"),
        "currency", pl.col("tdate").alias("trade_date"),
        fixed(pl.col("price"), pl.col("pscale")).alias("deal_price"),
        pl.col("isd").alias("intended_settle_date"), pl.col("asd").alias("actual_settle_date"), "status",
        pl.col("reason").replace_strict(reasons, default=None, return_dtype=pl.String).alias("reason_code"),
        pl.col("reason").replace_strict(texts, default=None, return_dtype=pl.String).alias("reason_text"),
    )
    return shape(out, "bo_settlements")


def wire_cash(entries: pl.DataFrame) -> pl.DataFrame:
    out = entries.select(
        "movement_id", "statement_id", "account", "booking_date", "value_date",
        fixed(pl.col("amount"), pl.col("minor")).alias("amount"),
        pl.col("ccy").replace_strict(dict(enumerate(CURRENCIES)), return_dtype=pl.String).alias("currency"),
        "is_reversal", "bank_tx_code", "end_to_end_id", "entry_ref", "counterparty_name", "description", "known_date",
    )
    return shape(out, "bo_cash_movements")

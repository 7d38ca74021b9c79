"""Limits of the sample world, calibrated on the world's own end-of-period positions.

Each limit's value is ``estimate / target utilisation``. For most limits the estimate is an
UPPER bound of any reasonable definition of the measure (gross exposure counts |market value|
of priced positions, per book and instrument, plus |notional| of OTC trades; VaR adds an
undiversified stress of the OTC notionals), and the target is 0.25-0.6, so these stay OK whatever
netting or valuation details the limits engine uses. The WARNING and BREACH cases are put only
where the measure is unambiguous: GROSS_EXPOSURE of the cash-equity books (equities only:
sum over instruments of |quantity x close x multiplier x FX to USD| on the end date, trade-date
positions of the live trade versions known on the end date). Targets there: two books at 1.15 and
1.25 (BREACH), two at 0.88 and 0.92 (WARNING), one at 1.40 whose temporary limit (valid around
the end date, priority 10) brings it to 0.90 (WARNING). An expired and a future temporary limit
(which would breach if wrongly applied) test validity ranges.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import numpy as np
import polars as pl

from connectors.sample_world.conventions import CURRENCIES
from connectors.sample_world.fmt import shape
from connectors.sample_world.market import Market
from connectors.sample_world.reference import Reference

log = logging.getLogger(__name__)

EQ_BOOK_TARGETS = (1.25, 1.40, 0.88, 0.92, 1.15, 0.60, 0.50)
TEMP_OVERRIDE_TARGET = 0.90


def _daily_vol_otc(ac: np.ndarray, tenor_y: np.ndarray) -> np.ndarray:
    return np.select(
        [ac == "IRS", ac == "CDS", ac == "COMMODITY_FWD", ac == "OPTION", ac == "FX_FORWARD"],
        [0.0007 * np.maximum(tenor_y, 1) / 2.0, 0.0015, 0.02, 0.01, 0.006], 0.0,
    )


def _top(keys: np.ndarray, values: np.ndarray, n: int) -> list[tuple[str, float]]:
    """The ``n`` largest sums of ``values`` by non-empty key (ties by key), deterministic."""
    ok = keys != ""
    uniq, inv = np.unique(keys[ok], return_inverse=True)
    sums = np.bincount(inv, weights=values[ok], minlength=len(uniq))
    order = np.lexsort((uniq, -sums))[:n]
    return [(str(uniq[k]), float(sums[k])) for k in order]


def build_limits(
    ref: Reference, mkt: Market, positions: pl.DataFrame, otc: pl.DataFrame, end: np.datetime64,
    valid_from: np.datetime64,
) -> pl.DataFrame:
    """ref_limits rows. ``positions``: book, trader, ins, qty (signed), notional_abs_usd;
    ``otc``: cp, le, mtm_usd, addon_usd (per netting set)."""
    end_d = end.astype(object)
    t = len(mkt.dates) - 1
    # traders: the finest grain (book, trader, instrument); everything else nets per (book, instrument)
    fine = positions
    f_ins = fine["ins"].to_numpy()
    f_mv = (fine["qty"].to_numpy().astype(float) * np.nan_to_num(mkt.close[t, f_ins])
            * ref.ins_mult_num[f_ins] / ref.ins_mult_den[f_ins] * mkt.fx[t, ref.ins_ccy[f_ins]])
    f_upper = np.where(ref.ins_has_price[f_ins], np.abs(f_mv), fine["notional_abs_usd"].to_numpy())
    positions = positions.group_by("book", "ins").agg(pl.col("qty").sum(), pl.col("notional_abs_usd").sum()).sort("book", "ins")
    ins = positions["ins"].to_numpy()
    qty = positions["qty"].to_numpy().astype(float)
    mult = ref.ins_mult_num[ins] / ref.ins_mult_den[ins]
    close = np.nan_to_num(mkt.close[t, ins])
    fx = mkt.fx[t, ref.ins_ccy[ins]]
    mv = qty * close * mult * fx
    priced = ref.ins_has_price[ins]
    upper = np.where(priced, np.abs(mv), positions["notional_abs_usd"].to_numpy())
    book = positions["book"].to_numpy()
    desk = ref.book_desk[book]
    le = ref.book_le[book]
    # VaR: historical 99% 1-day over the last 250 days, cash instruments, plus an OTC stress
    lo = max(1, t - 250)
    gross_ret = np.nan_to_num(mkt.close[lo : t + 1] / mkt.close[lo - 1 : t]) * (
        mkt.fx[lo : t + 1][:, ref.ins_ccy] / mkt.fx[lo - 1 : t][:, ref.ins_ccy]) - 1.0
    otc_stress = np.where(~priced, 2.33 * positions["notional_abs_usd"].to_numpy()
                          * _daily_vol_otc(ref.ins_ac[ins], ref.ins_tenor_y[ins]), 0.0)

    def var(mask: np.ndarray) -> float:
        by_ins = np.bincount(ins[mask & priced], weights=mv[mask & priced], minlength=len(ref.ins_id))
        pnl = gross_ret[:, by_ins != 0] @ by_ins[by_ins != 0] if (by_ins != 0).any() else np.zeros(1)
        return float(-np.quantile(pnl, 0.01)) + float(otc_stress[mask].sum())

    rows: list[dict[str, object]] = []

    def add(measure: str, estimate: float, target: float, floor: float = 1e6, **scope: object) -> dict[str, object]:
        value = max(estimate / target, floor)
        value = float(np.round(value, -3)) if value >= 1e5 else round(value, 2)
        row = {"limit_id": f"LIM-{len(rows) + 1:04d}", "version": 1, "measure": measure, "limit_value": f"{value:.2f}",
               "severity": "HARD", "warning_pct": "80.00", "is_temporary": False, "priority": 0,
               "valid_from": valid_from.astype(object), "valid_to": None, "approved_by": "risk.committee",
               "_estimate": estimate, **{f"scope_{k}": v for k, v in scope.items()}}
        rows.append(row)
        return row

    every = np.ones(len(ins), dtype=bool)
    add("GROSS_EXPOSURE", float(upper.sum()), 0.5, floor=10e6)
    add("VAR_99_1D", var(every), 0.3, floor=1e5)
    for li, lid in enumerate(ref.le_id):
        add("GROSS_EXPOSURE", float(upper[le == li].sum()), 0.5, floor=5e6, legal_entity=str(lid))
    for di, dname in enumerate(ref.desks):
        m = desk == di
        add("GROSS_EXPOSURE", float(upper[m].sum()), 0.5, floor=5e6, desk=dname)
        has_otc = bool((~priced[m]).any()) or dname in ("RATES", "CREDIT", "COMMODITIES", "EQ_DERIV", "FX")
        add("VAR_99_1D", var(m), 0.25 if has_otc else 0.4, floor=1e5, desk=dname)
    eq = desk == ref.desks.index("EQ_CASH")
    add("NET_EXPOSURE", float(np.abs(mv[eq]).sum()), 0.5, floor=5e6, desk="EQ_CASH")
    # books: cash-equity books carry the WARNING / BREACH cases
    book_gross = np.bincount(book, weights=upper, minlength=len(ref.book_id))
    eq_books = [b for b in range(len(ref.book_id)) if ref.book_desk[b] == ref.desks.index("EQ_CASH")]
    eq_books.sort(key=lambda b: (-book_gross[b], b))
    target_of = {b: EQ_BOOK_TARGETS[k % len(EQ_BOOK_TARGETS)] for k, b in enumerate(eq_books)}
    override_book = eq_books[1] if len(eq_books) > 1 else None
    book_rows: dict[int, dict[str, object]] = {}
    for b in range(len(ref.book_id)):
        target = target_of.get(b, 0.45)
        book_rows[b] = add("GROSS_EXPOSURE", float(book_gross[b]), target, floor=1e6 if b not in target_of else 1.0,
                           book=str(ref.book_id[b]))
    # traders (head traders of the books)
    tg = np.bincount(fine["trader"].to_numpy(), weights=f_upper, minlength=len(ref.trader_name))
    for tr in np.argsort(-tg, kind="stable")[:5]:
        add("GROSS_EXPOSURE", float(tg[tr]), 0.4, floor=1e6, trader=str(ref.trader_name[tr]))
    # issuers, sectors, countries, asset classes (cash instruments)
    issuer = ref.ins_issuer[ins]
    firm_gross = max(float(np.abs(mv[priced]).sum()), 1.0)
    for name, g in _top(issuer, np.where(priced, np.abs(mv), 0.0), 5):
        add("GROSS_EXPOSURE", g, 0.5, floor=1e6, issuer=name)
        add("CONCENTRATION_PCT", 100.0 * g / firm_gross, 0.35, floor=1.0, issuer=name)
    for col, arr in (("sector", ref.ins_sector[ins]), ("country", ref.ins_country[ins])):
        for k, g in _top(arr, upper, 5):
            add("GROSS_EXPOSURE", g, 0.5, floor=1e6, **{col: k})
    for k, g in _top(ref.ins_ac[ins], upper, 20):
        if k in ("EQUITY", "GOVT_BOND", "CORP_BOND"):
            add("GROSS_EXPOSURE", g, 0.5, floor=1e6, asset_class=k)
    # currencies: net FX open position, upper bound = gross in that currency
    ccy = np.array(CURRENCIES)[ref.ins_ccy[ins]]
    for c in CURRENCIES[1:]:
        add("NET_FX_OPEN", float(upper[ccy == c].sum()), 0.3, floor=1e6, currency=c)
    # counterparties: current exposure and EAD per counterparty (sum over its netting sets)
    if otc.height:
        cp = otc["cp"].to_numpy()
        mtm_pos = np.maximum(otc["mtm_usd"].to_numpy(), 0.0)
        ce = np.bincount(cp, weights=mtm_pos, minlength=len(ref.cp_id))
        ead = np.bincount(cp, weights=1.4 * (mtm_pos + otc["addon_usd"].to_numpy()), minlength=len(ref.cp_id))
        order = np.lexsort((np.arange(len(ead)), -ead))
        for k in order[:15]:
            if ead[k] > 0:
                add("CURRENT_EXPOSURE", float(ce[k]), 0.4, floor=1e6, counterparty=str(ref.cp_id[k]))
        for k in order[:10]:
            if ead[k] > 0:
                add("EAD", float(ead[k]), 0.3, floor=1e6, counterparty=str(ref.cp_id[k]))
    # temporary limits
    if override_book is not None:
        off = book_rows[override_book]
        add("GROSS_EXPOSURE", float(book_gross[override_book]), TEMP_OVERRIDE_TARGET, floor=1.0, book=off["scope_book"])
        rows[-1].update(limit_id=f"{off['limit_id']}-TMP", is_temporary=True, priority=10, approved_by="cro",
                        valid_from=end_d - timedelta(days=7), valid_to=end_d + timedelta(days=14), severity="SOFT")
    for j, (target, lo_days, hi_days) in enumerate(((1.5, -60, -30), (1.6, 1, 30))):
        if len(eq_books) <= 2:
            continue
        b = eq_books[-1 - j]
        off = book_rows[b]
        add("GROSS_EXPOSURE", float(book_gross[b]), target, floor=1.0, book=off["scope_book"])
        rows[-1].update(limit_id=f"{off['limit_id']}-TMP", is_temporary=True, priority=10, approved_by="cro",
                        valid_from=end_d + timedelta(days=lo_days), valid_to=end_d + timedelta(days=hi_days))
    frame = pl.DataFrame([{k: v for k, v in r.items() if not k.startswith("_")} for r in rows], infer_schema_length=None)
    frame = frame.with_columns(
        comparison=pl.lit("<="), use_abs=pl.lit(True), currency=pl.lit("USD"),
        valid_from=pl.col("valid_from").cast(pl.Date), valid_to=pl.col("valid_to").cast(pl.Date),
    )
    return shape(frame, "ref_limits").sort("limit_id", "version")

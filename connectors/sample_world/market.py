"""Market data of the sample world: daily closes and FX rates with correlated, fat-tailed returns.

Returns come from a factor model whose shocks are Student-t with 4 degrees of freedom, scaled to
unit variance (fat tails, finite variance):

- equities: ``vol * (0.55 region + 0.35 sector + 0.76 idiosyncratic)``; index futures follow
  their region's factor; prices are ``p0 * exp(cumsum(r - vol^2/2))``, so always positive;
- rates: a daily yield change per currency (common rates factor plus own shock, about 6 bp a
  day) with mild mean reversion; a bond's clean price is the present value of its annual coupons
  at its yield (``y = rates level + spread``, the corporate spread driven by a credit factor that
  is negatively correlated with equities), so bonds stay around par (quoted in % of par);
- FX: log changes of rate_to_base (value of one unit in USD) share a dollar factor; USD = 1;
  spot pairs are ratios of rates, forwards add a constant carry (interest differential x tenor);
- commodities: a commodity factor plus own shocks.

All closes are rounded to the instrument's price decimals (ticks) and kept as integers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import polars as pl

from connectors.sample_world.conventions import CURRENCIES
from connectors.sample_world.fmt import fixed
from connectors.sample_world.reference import SECTORS, Reference

log = logging.getLogger(__name__)

FX_START = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "JPY": 1 / 150.0, "CHF": 1 / 0.88, "CAD": 1 / 1.36,
            "AUD": 0.66, "SEK": 1 / 10.5, "NOK": 1 / 10.8, "HKD": 1 / 7.8}
FX_VOL = {"USD": 0.0, "EUR": 0.005, "GBP": 0.0055, "JPY": 0.0065, "CHF": 0.0055, "CAD": 0.004, "AUD": 0.007,
          "SEK": 0.0065, "NOK": 0.007, "HKD": 0.0003}
SHORT_RATE = {"USD": 0.045, "EUR": 0.025, "GBP": 0.0425, "JPY": 0.005, "CHF": 0.01, "CAD": 0.0325, "AUD": 0.04,
              "SEK": 0.0275, "NOK": 0.04, "HKD": 0.04}
RATE_LEVEL = {"USD": 0.042, "EUR": 0.026, "GBP": 0.041, "JPY": 0.011, "CHF": 0.009}
#: Scale of the FX rate_to_base decimals written to mkt_fx_rates.
FX_SCALE = 10


@dataclass(frozen=True)
class Market:
    dates: np.ndarray          # datetime64[D], business days ascending
    close: np.ndarray          # (T, N) float closes (NaN where the instrument has no price)
    close_ticks: np.ndarray    # (T, N) int64 closes in ticks of the instrument's price scale (0 if none)
    fx: np.ndarray             # (T, C) float rate_to_base
    fx_ticks: np.ndarray       # (T, C) int64 rate_to_base in 1e-FX_SCALE units
    rates: np.ndarray          # (T, C) float rates level per currency (for bond yields / swap rates)

    def day_index(self, d: np.datetime64) -> int:
        return int(np.searchsorted(self.dates, d))


def _t(rng: np.random.Generator, shape: tuple[int, ...], df: float = 4.0) -> np.ndarray:
    """Student-t shocks scaled to unit variance."""
    return rng.standard_t(df, size=shape) / np.sqrt(df / (df - 2.0))


def build_market(rng: np.random.Generator, ref: Reference, dates: np.ndarray) -> Market:
    T, N, C = len(dates), len(ref.ins_id), len(CURRENCIES)
    ccy_ix = {c: i for i, c in enumerate(CURRENCIES)}
    # ---- factors --------------------------------------------------------------------------
    glob = _t(rng, (T,))
    region = 0.6 * glob[:, None] + 0.8 * _t(rng, (T, 5))
    sector = 0.5 * glob[:, None] + 0.866 * _t(rng, (T, len(SECTORS)))
    credit = -0.5 * glob + 0.866 * _t(rng, (T,))
    commod = 0.3 * glob + 0.954 * _t(rng, (T,))
    dollar = _t(rng, (T,))
    rates_common = _t(rng, (T,))
    # rates level per currency: AR(1) around its level, ~6bp daily shocks
    dy = 0.0006 * (0.6 * rates_common[:, None] + 0.8 * _t(rng, (T, C)))
    rates = np.empty((T, C))
    lvl = np.array([RATE_LEVEL.get(c, SHORT_RATE[c]) for c in CURRENCIES])
    rates[0] = lvl
    for t in range(1, T):  # loop over days (a few hundred), vectorised over currencies
        rates[t] = lvl + 0.995 * (rates[t - 1] - lvl) + dy[t]
    # ---- FX -------------------------------------------------------------------------------
    fx_vol = np.array([FX_VOL[c] for c in CURRENCIES])
    fx_ret = fx_vol * (0.6 * dollar[:, None] + 0.8 * _t(rng, (T, C)))
    fx_ret[0] = 0.0
    fx = np.array([FX_START[c] for c in CURRENCIES]) * np.exp(np.cumsum(fx_ret - 0.5 * fx_vol**2, axis=0))
    fx[:, ccy_ix["USD"]] = 1.0
    fx_ticks = np.rint(fx * 10**FX_SCALE).astype(np.int64)

    close = np.full((T, N), np.nan)
    ac = ref.ins_ac
    vol = ref.ins_vol
    idio = _t(rng, (T, N))
    # equities
    eq = np.flatnonzero(ac == "EQUITY")
    r = vol[eq] * (0.55 * region[:, ref.ins_region[eq]] + 0.35 * sector[:, ref.ins_sector_idx[eq]] + 0.76 * idio[:, eq])
    r[0] = 0.0
    close[:, eq] = ref.ins_p0[eq] * np.exp(np.cumsum(r - 0.5 * vol[eq] ** 2, axis=0))
    # futures: index futures follow their region; bond futures the rates; commodity ones the commodity factor
    fu = np.flatnonzero(ac == "FUTURE")
    reg = ref.ins_region[fu]
    fac = np.where(reg[None, :] >= 0, region[:, np.clip(reg, 0, 4)],
                   np.where(reg[None, :] == -1, -rates_common[:, None], commod[:, None]))
    r = vol[fu] * (0.9 * fac + 0.436 * idio[:, fu])
    r[0] = 0.0
    close[:, fu] = ref.ins_p0[fu] * np.exp(np.cumsum(r - 0.5 * vol[fu] ** 2, axis=0))
    # commodity forwards
    cf = np.flatnonzero(ac == "COMMODITY_FWD")
    r = vol[cf] * (0.5 * commod[:, None] + 0.866 * idio[:, cf])
    r[0] = 0.0
    close[:, cf] = ref.ins_p0[cf] * np.exp(np.cumsum(r - 0.5 * vol[cf] ** 2, axis=0))
    # bonds: PV of annual coupons at yield = rates level of the currency + spread
    bd = np.flatnonzero((ac == "GOVT_BOND") | (ac == "CORP_BOND"))
    cpn = ref.ins_coupon[bd]
    is_corp = ac[bd] == "CORP_BOND"
    offset = rng.normal(0.0, 0.003, len(bd))
    credit_path = np.where(is_corp, 1.0, 0.0)[None, :] * np.cumsum(
        0.0004 * (0.7 * credit[:, None] + 0.714 * idio[:, bd]), axis=0
    )
    level_move = rates[:, ref.ins_ccy[bd]] - lvl[ref.ins_ccy[bd]]
    y = np.clip(cpn + level_move + offset + credit_path, 0.0005, 0.25)
    years = (ref.ins_maturity[bd][None, :] - dates[:, None]).astype(np.int64) / 365.25
    years = np.maximum(years, 0.05)
    disc = (1.0 + y) ** (-years)
    close[:, bd] = 100.0 * (cpn / y * (1.0 - disc) + disc)
    # FX spot and forwards: ratio of rates, forwards with carry
    fxi = np.flatnonzero((ac == "FX_SPOT") | (ac == "FX_FORWARD"))
    b_ix = ref.ins_bccy[fxi]
    q_ix = ref.ins_ccy[fxi]
    spot = fx[:, b_ix] / fx[:, q_ix]
    short = np.array([SHORT_RATE[c] for c in CURRENCIES])
    carry = 1.0 + (short[q_ix] - short[b_ix]) * ref.ins_tenor_bd[fxi] / 252.0
    close[:, fxi] = spot * carry[None, :]

    priced = ref.ins_has_price
    scale = 10.0 ** ref.ins_pscale
    ticks = np.where(priced[None, :], np.rint(np.nan_to_num(close) * scale[None, :]), 0).astype(np.int64)
    ticks = np.where(priced[None, :], np.maximum(ticks, 1), 0)
    return Market(dates=dates, close=close, close_ticks=ticks, fx=fx, fx_ticks=fx_ticks, rates=rates)


def prices_frame(ref: Reference, mkt: Market) -> pl.DataFrame:
    """mkt_prices rows: every priced instrument on every business day (instrument, date order)."""
    priced = np.flatnonzero(ref.ins_has_price)
    T = len(mkt.dates)
    frame = pl.DataFrame(
        {
            "instrument_id": np.repeat(ref.ins_id[priced], T),
            "price_date": pl.Series(np.tile(mkt.dates, len(priced))).cast(pl.Date),
            "_ticks": mkt.close_ticks[:, priced].T.reshape(-1),
            "_scale": np.repeat(ref.ins_pscale[priced], T),
        }
    )
    return frame.select("instrument_id", "price_date", fixed(pl.col("_ticks"), pl.col("_scale")).alias("close"))


def fx_frame(mkt: Market) -> pl.DataFrame:
    """mkt_fx_rates rows: every currency on every business day (currency, date order)."""
    T, C = mkt.fx_ticks.shape
    frame = pl.DataFrame(
        {
            "currency": np.repeat(np.array(CURRENCIES), T),
            "rate_date": pl.Series(np.tile(mkt.dates, C)).cast(pl.Date),
            "_ticks": mkt.fx_ticks.T.reshape(-1),
        }
    )
    return frame.select("currency", "rate_date", fixed(pl.col("_ticks"), FX_SCALE).alias("rate_to_base"))

"""SA-CCR: the standardised approach for counterparty credit risk (BCBS 279, March 2014;
Basel Framework CRE52), vectorised over trades with Polars.

``EAD = alpha * (RC + PFE)`` per netting set, ``alpha = 1.4``;

- ``RC``: unmargined ``max(V - C, 0)``; margined ``max(V - C, TH + MTA - NICA, 0)``.
- ``PFE = multiplier * AddOn_aggregate``; ``multiplier = min(1, floor + (1 - floor) *
  exp((V - C) / (2 * (1 - floor) * AddOn)))``, floor 5%.
- Trade level: adjusted notional ``d`` (IR and credit: notional x supervisory duration
  ``(exp(-0.05 S) - exp(-0.05 E)) / 0.05``; FX, equity, commodity: notional), supervisory
  delta (+1 long / -1 short the primary risk factor; options ``+-Phi(+-d1)`` with supervisory
  volatility), maturity factor (unmargined ``sqrt(min(M, 1))`` with M floored at 10 business
  days; margined ``1.5 * sqrt(MPOR / 250)``). Effective notional = delta x d x MF.
- Add-ons: IR per currency with maturity buckets (<1y, 1-5y, >5y) and the 1.4 / 0.6
  cross-bucket correlations, SF 0.5%; FX per currency pair, SF 4%; credit and equity per
  reference entity with the single-factor aggregation (rho 50% single name, 80% index);
  commodity per hedging set (energy, metals, agricultural, other) over commodity types with
  rho 40%.
- A margined netting set's EAD is capped at its unmargined EAD (CRE52.2).

Times are in years from the as-of date: calendar days / 365.25 (so that a date n calendar years
or months ahead is n years or n/12 years away, to a day). Amounts are in the base currency.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import polars as pl
from scipy import special

from engine.errors import BadInputError

log = logging.getLogger(__name__)

ASSET_CLASSES = ("IR", "FX", "CREDIT", "EQUITY", "COMMODITY")
DAYS_PER_YEAR = 365.25

#: Supervisory factors, correlations and option volatilities (BCBS 279 Table 2 / CRE52.72).
SF_IR = 0.005
SF_FX = 0.04
SF_CREDIT_SINGLE = {"AAA": 0.0038, "AA": 0.0038, "A": 0.0042, "BBB": 0.0054, "BB": 0.0106, "B": 0.016, "CCC": 0.06}
SF_CREDIT_INDEX = {"IG": 0.0038, "SG": 0.0106}
SF_EQUITY = {False: 0.32, True: 0.20}
SF_COMMODITY_ELECTRICITY = 0.40
SF_COMMODITY_OTHER = 0.18
RHO_SINGLE = 0.50
RHO_INDEX = 0.80
RHO_COMMODITY = 0.40
VOL_IR = 0.50
VOL_FX = 0.15
VOL_CREDIT = {False: 1.00, True: 0.80}
VOL_EQUITY = {False: 1.20, True: 0.75}
VOL_COMMODITY_ELECTRICITY = 1.50
VOL_COMMODITY_OTHER = 0.70
INVESTMENT_GRADE = ("AAA", "AA", "A", "BBB", "IG")

DEFAULT_COMMODITY_HEDGING_SETS: dict[str, str] = {
    "CRUDE_OIL": "ENERGY", "OIL": "ENERGY", "WTI": "ENERGY", "BRENT": "ENERGY", "NATURAL_GAS": "ENERGY",
    "GAS": "ENERGY", "HEATING_OIL": "ENERGY", "GASOLINE": "ENERGY", "COAL": "ENERGY", "ELECTRICITY": "ENERGY",
    "POWER": "ENERGY", "GOLD": "METALS", "SILVER": "METALS", "PLATINUM": "METALS", "PALLADIUM": "METALS",
    "COPPER": "METALS", "ALUMINIUM": "METALS", "ALUMINUM": "METALS", "NICKEL": "METALS", "ZINC": "METALS",
    "LEAD": "METALS", "TIN": "METALS", "CORN": "AGRICULTURAL", "WHEAT": "AGRICULTURAL", "SOYBEAN": "AGRICULTURAL",
    "SOYBEANS": "AGRICULTURAL", "SUGAR": "AGRICULTURAL", "COFFEE": "AGRICULTURAL", "COCOA": "AGRICULTURAL",
    "COTTON": "AGRICULTURAL", "CATTLE": "AGRICULTURAL", "HOGS": "AGRICULTURAL",
}


@dataclass(frozen=True)
class SaccrParams:
    """Tunable parts of SA-CCR (the supervisory constants above are Basel's)."""

    alpha: float = 1.4
    multiplier_floor: float = 0.05
    commodity_hedging_sets: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_COMMODITY_HEDGING_SETS))
    electricity_types: tuple[str, ...] = ("ELECTRICITY", "POWER")
    unrated_credit: str = "BB"  # rating bucket used for unrated single names (conservative)

    @classmethod
    def from_section(cls, sec: Mapping[str, Any]) -> SaccrParams:
        hs = dict(DEFAULT_COMMODITY_HEDGING_SETS)
        hs.update({str(k).upper(): str(v).upper() for k, v in (sec.get("commodity_hedging_sets") or {}).items()})
        return cls(
            alpha=float(sec.get("alpha", 1.4)),
            multiplier_floor=float(sec.get("multiplier_floor", 0.05)),
            commodity_hedging_sets=hs,
            electricity_types=tuple(str(x).upper() for x in sec.get("electricity_types", ("ELECTRICITY", "POWER"))),
            unrated_credit=str(sec.get("unrated_credit", "BB")).upper(),
        )


TRADE_COLUMNS: dict[str, Any] = {
    # column -> dtype; trade_id, netting_set_id, asset_class, notional, mtm are required
    "trade_id": pl.Utf8, "netting_set_id": pl.Utf8, "counterparty_id": pl.Utf8, "asset_class": pl.Utf8,
    "notional": pl.Float64, "mtm": pl.Float64, "direction": pl.Float64, "option_type": pl.Utf8,
    "underlying_price": pl.Float64, "strike": pl.Float64, "start_date": pl.Date, "end_date": pl.Date,
    "option_expiry": pl.Date, "start_years": pl.Float64, "end_years": pl.Float64, "expiry_years": pl.Float64,
    "currency": pl.Utf8, "currency_pair": pl.Utf8, "reference_entity": pl.Utf8, "rating": pl.Utf8,
    "is_index": pl.Boolean, "commodity_type": pl.Utf8, "commodity_hedging_set": pl.Utf8,
}
REQUIRED = ("trade_id", "asset_class", "notional", "mtm")
NETTING_SET_COLUMNS: dict[str, Any] = {
    "netting_set_id": pl.Utf8, "counterparty_id": pl.Utf8, "legal_entity_id": pl.Utf8, "margined": pl.Boolean,
    "threshold": pl.Float64, "mta": pl.Float64, "nica": pl.Float64, "collateral_held": pl.Float64, "mpor_days": pl.Float64,
}

NETTING_SET_SCHEMA = {
    "netting_set_id": pl.Utf8, "counterparty_id": pl.Utf8, "legal_entity_id": pl.Utf8, "margined": pl.Boolean,
    "n_trades": pl.Int32, "mtm": pl.Float64, "collateral": pl.Float64, "replacement_cost": pl.Float64,
    "addon_ir": pl.Float64, "addon_fx": pl.Float64, "addon_credit": pl.Float64, "addon_equity": pl.Float64,
    "addon_commodity": pl.Float64, "addon_aggregate": pl.Float64, "pfe_multiplier": pl.Float64, "pfe": pl.Float64,
    "ead": pl.Float64, "ead_unmargined": pl.Float64, "current_exposure": pl.Float64,
}
ADDON_SCHEMA = {
    "netting_set_id": pl.Utf8, "asset_class": pl.Utf8, "hedging_set": pl.Utf8, "n_trades": pl.Int32,
    "effective_notional": pl.Float64, "addon": pl.Float64,
}


@dataclass(frozen=True)
class SaccrResult:
    netting_sets: pl.DataFrame  # one row per netting set (NETTING_SET_SCHEMA)
    addons: pl.DataFrame  # one row per (netting set, asset class, hedging set) (ADDON_SCHEMA)
    trades: pl.DataFrame  # trade-level inputs and intermediates (adjusted notional, delta, MF...)

    def to_dict(self) -> dict[str, Any]:
        return {"netting_sets": self.netting_sets.to_dicts(), "addons": self.addons.to_dicts()}


def _with_columns(df: pl.DataFrame, spec: Mapping[str, Any]) -> pl.DataFrame:
    add = [pl.lit(None, dtype=t).alias(c) for c, t in spec.items() if c not in df.columns]
    out = df.with_columns(add) if add else df
    return out.with_columns([pl.col(c).cast(t, strict=False) for c, t in spec.items()])


def _years(col: str, as_of: date | None) -> pl.Expr:
    if as_of is None:
        return pl.lit(None, dtype=pl.Float64)
    return (pl.col(col) - pl.lit(as_of)).dt.total_days().cast(pl.Float64) / DAYS_PER_YEAR


def prepare_trades(trades: pl.DataFrame, netting_sets: pl.DataFrame, *, as_of: date | None = None, params: SaccrParams | None = None) -> pl.DataFrame:
    """Trade-level SA-CCR quantities: hedging set, adjusted notional, supervisory delta,
    maturity factors and effective notionals (``en`` as margined/unmargined applies, ``en_u``
    unmargined)."""
    p = params or SaccrParams()
    missing = [c for c in REQUIRED if c not in trades.columns]
    if missing:
        raise BadInputError("SA-CCR trades frame lacks columns", expected=", ".join(REQUIRED), found=", ".join(trades.columns))
    t = _with_columns(trades, TRADE_COLUMNS)
    ns = _with_columns(netting_sets, NETTING_SET_COLUMNS).rename({"counterparty_id": "ns_counterparty_id"})
    t = t.with_columns(
        pl.col("asset_class").str.to_uppercase(),
        pl.col("option_type").str.to_uppercase(),
        pl.col("direction").fill_null(1.0),
        pl.col("is_index").fill_null(False),
        pl.coalesce(pl.col("netting_set_id"), pl.lit("TRADE:") + pl.col("trade_id")).alias("netting_set_id"),
        pl.coalesce("start_years", _years("start_date", as_of)).alias("start_years"),
        pl.coalesce("end_years", _years("end_date", as_of)).alias("end_years"),
        pl.coalesce("expiry_years", _years("option_expiry", as_of)).alias("expiry_years"),
    )
    bad = sorted(set(t["asset_class"].drop_nulls().unique().to_list()) - set(ASSET_CLASSES))
    if bad or t["asset_class"].null_count():
        raise BadInputError("unknown SA-CCR asset class", expected=" | ".join(ASSET_CLASSES), found=repr(bad or [None]))
    t = t.join(ns, on="netting_set_id", how="left").with_columns(
        pl.coalesce("ns_counterparty_id", "counterparty_id").alias("counterparty_id"),
        pl.col("margined").fill_null(False),
        pl.col("mpor_days").fill_null(10.0),
    )
    cls = pl.col("asset_class")
    rating = pl.col("rating").str.to_uppercase().str.replace_all(r"[+\-\s]", "")
    comm_type = pl.col("commodity_type").str.to_uppercase()
    is_elec = comm_type.is_in(list(p.electricity_types)).fill_null(False)
    t = t.with_columns(
        s=pl.col("start_years").fill_null(0.0).clip(lower_bound=0.0),
        e=pl.coalesce("end_years", "expiry_years").fill_null(0.0).clip(lower_bound=0.0),
        rating_bucket=pl.when(pl.col("is_index"))
        .then(pl.when(rating.is_in(list(INVESTMENT_GRADE))).then(pl.lit("IG")).otherwise(pl.lit("SG")))
        .otherwise(pl.when(rating.is_in(list(SF_CREDIT_SINGLE))).then(rating).otherwise(pl.lit(p.unrated_credit))),
        hedging_set=pl.when(cls == "IR").then(pl.col("currency"))
        .when(cls == "FX").then(pl.col("currency_pair"))
        .when(cls == "COMMODITY").then(
            pl.coalesce(pl.col("commodity_hedging_set").str.to_uppercase(), comm_type.replace_strict(dict(p.commodity_hedging_sets), default="OTHER"))
        )
        .otherwise(cls),
    )
    sd = ((-0.05 * pl.col("s")).exp() - (-0.05 * pl.col("e")).exp()) / 0.05
    m = pl.coalesce("end_years", "expiry_years").fill_null(0.0)
    t = t.with_columns(
        adjusted_notional=pl.when(cls.is_in(["IR", "CREDIT"])).then(pl.col("notional") * sd).otherwise(pl.col("notional")),
        mf_unmargined=(m.clip(lower_bound=10.0 / 250.0, upper_bound=1.0)).sqrt(),
        mf_margined=1.5 * (pl.col("mpor_days").clip(lower_bound=10.0) / 250.0).sqrt(),
        supervisory_vol=pl.when(cls == "IR").then(VOL_IR)
        .when(cls == "FX").then(VOL_FX)
        .when(cls == "CREDIT").then(pl.when(pl.col("is_index")).then(VOL_CREDIT[True]).otherwise(VOL_CREDIT[False]))
        .when(cls == "EQUITY").then(pl.when(pl.col("is_index")).then(VOL_EQUITY[True]).otherwise(VOL_EQUITY[False]))
        .otherwise(pl.when(is_elec).then(VOL_COMMODITY_ELECTRICITY).otherwise(VOL_COMMODITY_OTHER)),
        supervisory_factor=pl.when(cls == "IR").then(SF_IR)
        .when(cls == "FX").then(SF_FX)
        .when(cls == "CREDIT").then(
            pl.when(pl.col("is_index")).then(pl.col("rating_bucket").replace_strict(SF_CREDIT_INDEX, default=SF_CREDIT_INDEX["SG"]))
            .otherwise(pl.col("rating_bucket").replace_strict(SF_CREDIT_SINGLE, default=SF_CREDIT_SINGLE["BB"]))
        )
        .when(cls == "EQUITY").then(pl.when(pl.col("is_index")).then(SF_EQUITY[True]).otherwise(SF_EQUITY[False]))
        .otherwise(pl.when(is_elec).then(SF_COMMODITY_ELECTRICITY).otherwise(SF_COMMODITY_OTHER)),
        rho=pl.when(cls == "COMMODITY").then(RHO_COMMODITY)
        .when(cls == "FX").then(1.0)
        .when(pl.col("is_index")).then(RHO_INDEX)
        .otherwise(RHO_SINGLE),
        entity=pl.when(cls == "COMMODITY").then(pl.coalesce(comm_type, pl.lit("OTHER")))
        .when(cls == "FX").then(pl.col("currency_pair"))
        .otherwise(pl.coalesce("reference_entity", "trade_id") + pl.when(pl.col("is_index")).then(pl.lit("|INDEX")).otherwise(pl.lit(""))),
        bucket=pl.when(pl.col("e") < 1.0).then(1).when(pl.col("e") <= 5.0).then(2).otherwise(3),
    )
    t = t.with_columns(supervisory_delta=pl.Series(_supervisory_delta(t), dtype=pl.Float64))
    t = t.with_columns(
        mf=pl.when(pl.col("margined")).then(pl.col("mf_margined")).otherwise(pl.col("mf_unmargined")),
    ).with_columns(
        en=pl.col("supervisory_delta") * pl.col("adjusted_notional") * pl.col("mf"),
        en_u=pl.col("supervisory_delta") * pl.col("adjusted_notional") * pl.col("mf_unmargined"),
    )
    missing_hs = t.filter(pl.col("hedging_set").is_null())
    if missing_hs.height:
        raise BadInputError(
            "SA-CCR trades without a hedging set (IR needs currency, FX needs currency_pair)",
            found=", ".join(missing_hs["trade_id"].head(5).to_list()),
        )
    return t


def _supervisory_delta(t: pl.DataFrame) -> np.ndarray:
    """Supervisory delta per trade (numpy, vectorised): +-1 for linear trades; for options
    bought call Phi(d1), sold call -Phi(d1), bought put -Phi(-d1), sold put Phi(-d1) with
    d1 = (ln(P/K) + 0.5 sigma^2 T) / (sigma sqrt T), supervisory sigma, IR rates shifted to be
    positive (lambda) when needed."""
    direction = np.sign(t["direction"].to_numpy().astype(float))
    direction[direction == 0] = 1.0
    opt = t["option_type"].to_numpy().astype(object)
    is_opt = np.isin(opt, ["CALL", "PUT"])
    if not is_opt.any():
        return direction
    price = t["underlying_price"].fill_null(np.nan).to_numpy().astype(float)
    strike = t["strike"].fill_null(np.nan).to_numpy().astype(float)
    years = t["expiry_years"].fill_null(np.nan).to_numpy().astype(float)
    vol = t["supervisory_vol"].to_numpy().astype(float)
    is_ir = (t["asset_class"] == "IR").to_numpy()
    lam = np.where(is_ir, np.maximum(0.001 - np.fmin(price, strike), 0.0), 0.0)
    lam = np.where(np.isfinite(lam), lam, 0.0)
    ok = is_opt & np.isfinite(price) & np.isfinite(strike) & (price + lam > 0) & (strike + lam > 0)
    if (is_opt & ~ok).any():
        log.warning("SA-CCR: %d options without usable price/strike; delta taken as +-1", int((is_opt & ~ok).sum()))
    tt = np.where(np.isfinite(years), np.maximum(years, 1.0 / 365.0), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = (np.log((price + lam) / (strike + lam)) + 0.5 * vol * vol * tt) / (vol * np.sqrt(tt))
    is_call = opt == "CALL"
    opt_delta = np.where(is_call, direction * special.ndtr(d1), -direction * special.ndtr(-d1))
    return np.where(ok, opt_delta, direction)


def _aggregate(t: pl.DataFrame, en: str) -> pl.DataFrame:
    """Add-on per (netting set, asset class, hedging set) from effective notionals ``en``."""
    ir = (
        t.filter(pl.col("asset_class") == "IR")
        .group_by("netting_set_id", "hedging_set")
        .agg(
            d1=pl.col(en).filter(pl.col("bucket") == 1).sum(),
            d2=pl.col(en).filter(pl.col("bucket") == 2).sum(),
            d3=pl.col(en).filter(pl.col("bucket") == 3).sum(),
            n_trades=pl.len(),
        )
        .with_columns(
            effective_notional=(
                pl.col("d1") ** 2 + pl.col("d2") ** 2 + pl.col("d3") ** 2
                + 1.4 * pl.col("d1") * pl.col("d2") + 1.4 * pl.col("d2") * pl.col("d3") + 0.6 * pl.col("d1") * pl.col("d3")
            ).clip(lower_bound=0.0).sqrt()
        )
        .with_columns(addon=SF_IR * pl.col("effective_notional"), asset_class=pl.lit("IR"))
        .select("netting_set_id", "asset_class", "hedging_set", "n_trades", "effective_notional", "addon")
    )
    ent = (
        t.filter(pl.col("asset_class") != "IR")
        .group_by("netting_set_id", "asset_class", "hedging_set", "entity")
        .agg(
            a=pl.col(en).sum() * pl.col("supervisory_factor").first(),
            rho=pl.col("rho").first(),
            en_sum=pl.col(en).sum(),
            n=pl.len(),
        )
        .group_by("netting_set_id", "asset_class", "hedging_set")
        .agg(
            systematic=(pl.col("rho") * pl.col("a")).sum() ** 2,
            idiosyncratic=((1.0 - pl.col("rho") ** 2) * pl.col("a") ** 2).sum(),
            effective_notional=pl.col("en_sum").sum(),
            n_trades=pl.col("n").sum(),
        )
        .with_columns(addon=(pl.col("systematic") + pl.col("idiosyncratic")).clip(lower_bound=0.0).sqrt())
        .select("netting_set_id", "asset_class", "hedging_set", "n_trades", "effective_notional", "addon")
    )
    return pl.concat([ir, ent]).with_columns(pl.col("n_trades").cast(pl.Int32)).sort("netting_set_id", "asset_class", "hedging_set")


def _ead(v_minus_c: pl.Expr, rc: pl.Expr, addon: pl.Expr, p: SaccrParams) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    floor = p.multiplier_floor
    mult = pl.when(addon > 0).then(
        pl.min_horizontal(pl.lit(1.0), floor + (1.0 - floor) * (v_minus_c / (2.0 * (1.0 - floor) * addon)).exp())
    ).otherwise(pl.lit(1.0))
    pfe = mult * addon
    return mult, pfe, p.alpha * (rc + pfe)


def saccr_breakdown(
    trades_df: pl.DataFrame,
    netting_sets_df: pl.DataFrame | None = None,
    *,
    as_of: date | None = None,
    params: SaccrParams | None = None,
) -> SaccrResult:
    """SA-CCR with its intermediate results (netting sets, add-ons by hedging set, trades)."""
    p = params or SaccrParams()
    ns_in = netting_sets_df if netting_sets_df is not None else pl.DataFrame({"netting_set_id": []}, schema={"netting_set_id": pl.Utf8})
    if trades_df.height == 0:
        return SaccrResult(pl.DataFrame(schema=NETTING_SET_SCHEMA), pl.DataFrame(schema=ADDON_SCHEMA), trades_df)
    t = prepare_trades(trades_df, ns_in, as_of=as_of, params=p)
    addons = _aggregate(t, "en")
    addons_u = _aggregate(t, "en_u")

    def by_class(a: pl.DataFrame, suffix: str) -> pl.DataFrame:
        return a.group_by("netting_set_id").agg(
            *[pl.col("addon").filter(pl.col("asset_class") == c).sum().alias(f"addon_{c.lower()}{suffix}") for c in ASSET_CLASSES],
            pl.col("addon").sum().alias(f"addon_aggregate{suffix}"),
        )

    ns = (
        t.group_by("netting_set_id")
        .agg(
            pl.col("counterparty_id").drop_nulls().first(),
            pl.col("legal_entity_id").drop_nulls().first(),
            pl.col("margined").first(),
            pl.len().cast(pl.Int32).alias("n_trades"),
            pl.col("mtm").sum().alias("mtm"),
            pl.col("collateral_held").first().fill_null(0.0).alias("collateral"),
            pl.col("threshold").first().fill_null(0.0).alias("threshold"),
            pl.col("mta").first().fill_null(0.0).alias("mta"),
            pl.col("nica").first().fill_null(0.0).alias("nica"),
        )
        .join(by_class(addons, ""), on="netting_set_id", how="left")
        .join(by_class(addons_u, "_u").select("netting_set_id", "addon_aggregate_u"), on="netting_set_id", how="left")
    )
    vmc = pl.col("mtm") - pl.col("collateral")
    rc_u = pl.max_horizontal(vmc, pl.lit(0.0))
    rc_m = pl.max_horizontal(vmc, pl.col("threshold") + pl.col("mta") - pl.col("nica"), pl.lit(0.0))
    ns = ns.with_columns(replacement_cost=pl.when(pl.col("margined")).then(rc_m).otherwise(rc_u), rc_u=rc_u)
    mult, pfe, ead = _ead(vmc, pl.col("replacement_cost"), pl.col("addon_aggregate"), p)
    _, _, ead_u = _ead(vmc, pl.col("rc_u"), pl.col("addon_aggregate_u"), p)
    ns = ns.with_columns(pfe_multiplier=mult, pfe=pfe, ead_raw=ead, ead_unmargined=ead_u).with_columns(
        ead=pl.when(pl.col("margined")).then(pl.min_horizontal("ead_raw", "ead_unmargined")).otherwise(pl.col("ead_raw")),
        current_exposure=rc_u,
    )
    ns = ns.select(list(NETTING_SET_SCHEMA)).cast(NETTING_SET_SCHEMA).sort("netting_set_id")  # type: ignore[arg-type]
    return SaccrResult(ns, addons.cast(ADDON_SCHEMA), t)  # type: ignore[arg-type]


def compute_saccr(
    trades_df: pl.DataFrame,
    netting_sets_df: pl.DataFrame | None = None,
    *,
    as_of: date | None = None,
    params: SaccrParams | None = None,
) -> pl.DataFrame:
    """SA-CCR EAD per netting set (one row per netting set, columns of ``out_saccr``).

    ``trades_df`` (one row per derivative trade, amounts in the base currency):

    - required: ``trade_id``, ``asset_class`` (IR | FX | CREDIT | EQUITY | COMMODITY),
      ``notional`` (IR/credit: notional; FX: the foreign leg; equity/commodity: price x units),
      ``mtm``;
    - ``netting_set_id`` (NULL: the trade is its own netting set), ``direction`` (+1 long / -1
      short the primary risk factor; options: +1 bought, -1 sold), ``option_type`` (CALL | PUT)
      with ``underlying_price`` and ``strike``;
    - times: ``start_date``/``end_date``/``option_expiry`` with ``as_of``, or
      ``start_years``/``end_years``/``expiry_years``;
    - hedging sets: ``currency`` (IR), ``currency_pair`` (FX), ``reference_entity``, ``rating``,
      ``is_index`` (credit, equity), ``commodity_type`` (mapped to a hedging set, or
      ``commodity_hedging_set``).

    ``netting_sets_df``: ``netting_set_id``, ``counterparty_id``, ``margined``, ``threshold``,
    ``mta``, ``nica``, ``collateral_held``, ``mpor_days`` (missing: unmargined, no collateral).
    """
    return saccr_breakdown(trades_df, netting_sets_df, as_of=as_of, params=params).netting_sets


def supervisory_duration(start_years: float, end_years: float) -> float:
    """SD = (exp(-0.05 S) - exp(-0.05 E)) / 0.05 (a scalar helper for documentation/tests)."""
    return (math.exp(-0.05 * max(start_years, 0.0)) - math.exp(-0.05 * end_years)) / 0.05

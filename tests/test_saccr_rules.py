"""SA-CCR rules on hand-computed single-trade netting sets (CRE52 formulas)."""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.counterparty.saccr import compute_saccr, saccr_breakdown, supervisory_duration
from engine.errors import BadInputError

SD_10Y = (1 - math.exp(-0.5)) / 0.05  # 7.869386805


def _irs(mtm: float = 100.0, ns: str | None = "NS") -> pl.DataFrame:
    return pl.DataFrame(
        {"trade_id": ["T1"], "netting_set_id": [ns], "asset_class": ["IR"], "notional": [10_000.0], "mtm": [mtm],
         "direction": [1.0], "end_years": [10.0], "currency": ["USD"]},
        schema_overrides={"netting_set_id": pl.Utf8},
    )


def _ns(**kw: object) -> pl.DataFrame:
    row = {"netting_set_id": "NS", "counterparty_id": "CP", "margined": True, "threshold": 0.0, "mta": 5.0,
           "nica": 0.0, "collateral_held": 80.0, "mpor_days": 10.0}
    row.update(kw)
    return pl.DataFrame([row])


def test_supervisory_duration() -> None:
    assert supervisory_duration(0, 10) == pytest.approx(SD_10Y)
    assert supervisory_duration(1, 11) == pytest.approx((math.exp(-0.05) - math.exp(-0.55)) / 0.05)


def test_margined_netting_set() -> None:
    # RC = max(V - C, TH + MTA - NICA, 0) = max(100 - 80, 5, 0) = 20
    # MF = 1.5 sqrt(10 / 250) = 0.3; add-on = 0.5% x 10,000 x SD(10y) x 0.3 = 118.0408
    ns = compute_saccr(_irs(), _ns()).row(0, named=True)
    assert ns["replacement_cost"] == pytest.approx(20.0)
    assert ns["addon_ir"] == pytest.approx(0.005 * 10_000 * SD_10Y * 0.3)
    assert ns["pfe_multiplier"] == 1.0
    assert ns["ead"] == pytest.approx(1.4 * (20.0 + 0.005 * 10_000 * SD_10Y * 0.3))
    assert ns["ead_unmargined"] == pytest.approx(1.4 * (20.0 + 0.005 * 10_000 * SD_10Y))
    assert ns["current_exposure"] == pytest.approx(20.0)
    assert ns["counterparty_id"] == "CP" and ns["margined"] is True


def test_margined_ead_is_capped_at_unmargined() -> None:
    # a threshold of 1,000 makes RC 1,005 margined: EAD above the unmargined one, so capped
    ns = compute_saccr(_irs(), _ns(threshold=1000.0)).row(0, named=True)
    assert ns["replacement_cost"] == pytest.approx(1005.0)
    assert ns["ead"] == pytest.approx(ns["ead_unmargined"])
    assert ns["ead"] == pytest.approx(1.4 * (20.0 + 0.005 * 10_000 * SD_10Y))


def test_multiplier_with_negative_mtm() -> None:
    # V = -100, unmargined: RC 0; multiplier = 0.05 + 0.95 exp(-100 / (2 x 0.95 x AddOn))
    ns = compute_saccr(_irs(mtm=-100.0)).row(0, named=True)
    addon = 0.005 * 10_000 * SD_10Y
    mult = 0.05 + 0.95 * math.exp(-100.0 / (2 * 0.95 * addon))
    assert ns["replacement_cost"] == 0.0
    assert ns["pfe_multiplier"] == pytest.approx(mult)
    assert ns["ead"] == pytest.approx(1.4 * mult * addon)


def test_trade_without_netting_set_is_its_own() -> None:
    ns = compute_saccr(_irs(ns=None))
    assert ns["netting_set_id"].to_list() == ["TRADE:T1"]
    assert ns["margined"].to_list() == [False]


def test_fx_forward_and_maturity_factor() -> None:
    # 6 months: MF sqrt(0.5); add-on 4% x 1,000 x sqrt(0.5); opposite trades in the pair offset
    fx = pl.DataFrame(
        {"trade_id": ["F1", "F2"], "netting_set_id": ["N", "M"], "asset_class": ["FX", "FX"], "notional": [1000.0, 1000.0],
         "mtm": [0.0, 0.0], "direction": [1.0, -1.0], "end_years": [0.5, 0.5], "currency_pair": ["EURUSD", "EURUSD"]}
    )
    out = {r["netting_set_id"]: r for r in compute_saccr(fx).to_dicts()}
    assert out["N"]["addon_fx"] == pytest.approx(0.04 * 1000 * math.sqrt(0.5))
    both = compute_saccr(fx.with_columns(netting_set_id=pl.lit("N")))
    assert both["addon_fx"][0] == pytest.approx(0.0)
    # maturity floored at 10 business days
    short = compute_saccr(fx.head(1).with_columns(end_years=pl.lit(0.001)))
    assert short["addon_fx"][0] == pytest.approx(0.04 * 1000 * math.sqrt(10 / 250))


def test_equity_option_supervisory_delta() -> None:
    # bought ATM call, 1 year, single-name equity: sigma 120%, d1 = 0.6, delta Phi(0.6) = 0.7257469
    # one entity: add-on = sqrt((0.5 A)^2 + 0.75 A^2) = A = 32% x 1,000 x 0.7257469
    opt = pl.DataFrame(
        {"trade_id": ["O1"], "netting_set_id": ["N"], "asset_class": ["EQUITY"], "notional": [1000.0], "mtm": [50.0],
         "direction": [1.0], "option_type": ["CALL"], "underlying_price": [100.0], "strike": [100.0],
         "expiry_years": [1.0], "reference_entity": ["ACME"]}
    )
    res = saccr_breakdown(opt)
    assert res.trades["supervisory_delta"][0] == pytest.approx(0.7257469, abs=1e-7)
    assert res.netting_sets["addon_equity"][0] == pytest.approx(0.32 * 1000 * 0.7257469, rel=1e-6)
    # sold put: +Phi(-d1)
    sold_put = saccr_breakdown(opt.with_columns(direction=pl.lit(-1.0), option_type=pl.lit("PUT")))
    assert sold_put.trades["supervisory_delta"][0] == pytest.approx(1 - 0.7257469, abs=1e-7)


def test_bad_inputs() -> None:
    with pytest.raises(BadInputError):
        compute_saccr(_irs().with_columns(asset_class=pl.lit("WEATHER")))
    with pytest.raises(BadInputError):
        compute_saccr(_irs().drop("mtm"))
    with pytest.raises(BadInputError):
        compute_saccr(_irs().with_columns(currency=pl.lit(None, pl.Utf8)))
    assert compute_saccr(_irs().head(0)).height == 0


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(1, 1e7), st.floats(-1e5, 1e5), st.sampled_from([1.0, -1.0]), st.floats(0.1, 30)), min_size=1, max_size=8))
def test_ead_is_never_below_alpha_times_rc_and_addons_are_non_negative(trades: list[tuple[float, float, float, float]]) -> None:
    df = pl.DataFrame(trades, schema=["notional", "mtm", "direction", "end_years"], orient="row").with_columns(
        trade_id=pl.int_range(pl.len()).cast(pl.Utf8), netting_set_id=pl.lit("N"), asset_class=pl.lit("IR"), currency=pl.lit("USD")
    )
    ns = compute_saccr(df).row(0, named=True)
    assert ns["addon_ir"] >= 0
    assert 0.05 <= ns["pfe_multiplier"] <= 1.0
    assert ns["ead"] >= 1.4 * ns["replacement_cost"] - 1e-9

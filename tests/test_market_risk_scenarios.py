"""Risk factors, scenarios and revaluation on a few inline rows with hand-computed answers."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import ConfigError
from engine.market_risk.factors import forward_fill, returns, scatter_levels
from engine.market_risk.portfolio import black_scholes_greeks, build_sensitivities
from engine.market_risk.scenarios import (
    factor_attributes,
    historical_scenarios,
    shock_scenarios,
    window_scenarios,
    worst_window_scenarios,
)
from engine.market_risk.stress import stress_pnl


def _long() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "obs_date": [date(2024, 1, 2), date(2024, 1, 3), date(2024, 1, 4), date(2024, 1, 2), date(2024, 1, 4)],
            "factor_id": ["PX:A", "PX:A", "PX:A", "FX:EUR", "FX:EUR"],
            "level": [100.0, 110.0, 99.0, 1.10, 1.21],
        }
    )


def test_scatter_into_dense_levels_with_forward_fill() -> None:
    h = scatter_levels(_long(), factor_ids=["PX:A", "FX:EUR", "PX:NONE"])
    assert h.dates.tolist() == [date(2024, 1, 2), date(2024, 1, 3), date(2024, 1, 4)]
    assert h.levels[:, 0].tolist() == [100.0, 110.0, 99.0]
    assert h.levels[:, 1].tolist() == [1.10, 1.10, 1.21]  # 3 Jan forward-filled
    assert np.isnan(h.levels[:, 2]).all()
    r = returns(h.levels)
    assert r[:, 0] == pytest.approx([0.10, -0.10])
    assert r[:, 1] == pytest.approx([0.0, 0.10])
    assert r[:, 2].tolist() == [0.0, 0.0]  # no history: no move


def test_forward_fill_keeps_leading_nans() -> None:
    a = np.array([[np.nan, 1.0], [2.0, np.nan], [np.nan, np.nan]])
    out = forward_fill(a)
    assert np.isnan(out[0, 0])
    assert out[1:, 0].tolist() == [2.0, 2.0]
    assert out[:, 1].tolist() == [1.0, 1.0, 1.0]


def test_overlapping_multi_day_returns() -> None:
    lv = np.array([[100.0], [101.0], [103.0], [99.0]])
    assert returns(lv, 2)[:, 0] == pytest.approx([0.03, 99 / 101 - 1])


def test_full_revaluation_of_a_linear_foreign_position() -> None:
    # 1,100 USD of a EUR stock: price +10% and EUR +5% -> 1,100 x (1.1 x 1.05 - 1) = 170.5
    pos = pl.DataFrame({"book_id": ["B1"], "instrument_id": ["A"], "market_value_base": [1100.0], "currency": ["EUR"]})
    sens = build_sensitivities(pos, ["PX:A", "FX:EUR"], base_currency="USD")
    pnl = sens.pnl(np.array([[0.10, 0.05], [0.0, -0.10]]))
    assert pnl[:, 0] == pytest.approx([170.5, -110.0])
    assert sens.exposures()[:, 0].tolist() == [1100.0, 1100.0]


def test_option_delta_gamma_revaluation() -> None:
    # a 1-year ATM call, S = K = 100, vol 20%: d1 = 0.1, delta N(0.1) = 0.5398278,
    # gamma phi(0.1) / (100 x 0.2) = 0.3969525 / 20. 10 calls, underlying -5%:
    # P&L = 10 x 0.5398278 x 100 x (-0.05) + 0.5 x 10 x 0.01984763 x 100^2 x 0.0025 = -24.5105
    delta, gamma = black_scholes_greeks(np.array([100.0]), np.array([100.0]), np.array([1.0]), np.array([0.2]), np.array([True]))
    assert delta[0] == pytest.approx(0.5398278, abs=1e-7)
    assert gamma[0] == pytest.approx(0.3969525 / 20, abs=1e-8)
    pos = pl.DataFrame(
        {
            "book_id": ["B1"], "instrument_id": ["CALL1"], "market_value_base": [80.0], "quantity": [10.0],
            "currency": ["USD"], "option_type": ["CALL"], "strike": [100.0], "expiry_years": [1.0],
            "volatility": [0.2], "underlying_id": ["A"], "underlying_price": [100.0],
        }
    )
    sens = build_sensitivities(pos, ["PX:A"], base_currency="USD")
    assert sens.pnl(np.array([[-0.05]]))[0, 0] == pytest.approx(-24.5105, abs=1e-4)
    # expired put in the money: delta -1, no gamma
    d, g = black_scholes_greeks(np.array([90.0]), np.array([100.0]), np.array([0.0]), np.array([0.2]), np.array([False]))
    assert (d[0], g[0]) == (-1.0, 0.0)


def test_books_group_and_desk_aggregation() -> None:
    pos = pl.DataFrame(
        {
            "book_id": ["B1", "B1", "B2", "B3"], "desk": ["EQ", "EQ", "EQ", "FX"],
            "instrument_id": ["A", "B", "A", "C"], "market_value_base": [100.0, 50.0, -40.0, 10.0],
            "currency": ["USD", "USD", "USD", "GBP"],
        }
    )
    sens = build_sensitivities(pos, ["PX:A", "PX:B", "FX:GBP"], base_currency="USD")
    assert sens.groups == ("B1", "B2", "B3")
    r = np.array([[0.01, -0.02, 0.10]])
    pnl = sens.pnl(r)
    assert pnl[0].tolist() == pytest.approx([1.0 - 1.0, -0.4, 1.0])  # C has no price history: FX only
    desks, onehot = sens.desks()
    assert desks == ("EQ", "FX")
    assert (pnl @ onehot)[0].tolist() == pytest.approx([-0.4, 1.0])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["B1", "B2", "B3"]), st.sampled_from(["A", "B"]), st.floats(-1e6, 1e6)), min_size=1, max_size=20))
def test_book_pnl_adds_up_to_firm_pnl(rows: list[tuple[str, str, float]]) -> None:
    pos = pl.DataFrame(rows, schema=["book_id", "instrument_id", "market_value_base"], orient="row").with_columns(currency=pl.lit("EUR"))
    sens = build_sensitivities(pos, ["PX:A", "PX:B", "FX:EUR"], base_currency="USD")
    r = np.random.default_rng(1).normal(0, 0.02, (50, 3))
    assert sens.pnl(r).sum(axis=1) == pytest.approx(sens.total().pnl(r)[:, 0], rel=1e-9, abs=1e-6)


def test_historical_scenarios_take_the_last_n() -> None:
    h = scatter_levels(_long(), factor_ids=["PX:A", "FX:EUR"])
    s = historical_scenarios(h, 1)
    assert s.n == 1
    assert s.dates.tolist() == [date(2024, 1, 4)]
    assert s.align(["FX:EUR", "PX:X"]).tolist() == [[pytest.approx(0.10), 0.0]]


def test_stress_windows_and_skips() -> None:
    h = scatter_levels(_long(), factor_ids=["PX:A", "FX:EUR"])
    windows = [
        {"name": "W1", "start": date(2024, 1, 2), "end": date(2024, 1, 4)},
        {"name": "OLD", "start": date(2008, 9, 1), "end": date(2008, 10, 1)},
    ]
    s, skipped = window_scenarios(h, windows)
    assert s.names == ("W1",) and skipped == ["OLD"]
    assert s.returns[0].tolist() == pytest.approx([-0.01, 0.10])
    with pytest.raises(ConfigError):
        window_scenarios(h, [{"name": "BAD", "start": "2024-01-04", "end": "2024-01-02"}])


def test_user_shocks_by_asset_class_sector_currency() -> None:
    inst = pl.DataFrame(
        {
            "instrument_id": ["A", "B", "C"], "sector": ["Technology", "Energy", None],
            "currency": ["USD", "EUR", "EUR"], "asset_class": ["EQUITY", "EQUITY", "GOVT_BOND"],
        }
    )
    attrs = factor_attributes(["PX:A", "PX:B", "PX:C", "FX:EUR"], inst, "USD")
    shocks = [
        {"name": "EQ", "rules": [{"asset_class": "EQUITY", "price_shift": -0.2}, {"sector": "Technology", "price_shift": -0.3}]},
        {"name": "EUR", "rules": [{"currency": "EUR", "fx_shift": -0.1}]},
        {"name": "EUR_ASSETS", "rules": [{"currency": "EUR", "price_shift": -0.05}]},
    ]
    s = shock_scenarios(attrs, shocks)
    assert s.returns.tolist() == [
        [-0.3, -0.2, 0.0, 0.0],
        [0.0, 0.0, 0.0, -0.1],
        [0.0, -0.05, -0.05, 0.0],
    ]
    with pytest.raises(ConfigError):
        shock_scenarios(attrs, [{"name": "X", "rules": [{"rating": "AA", "price_shift": 0.1}]}])


def test_stress_pnl_by_level() -> None:
    pos = pl.DataFrame(
        {
            "book_id": ["B1", "B2"], "desk": ["EQ", "EQ"], "instrument_id": ["A", "B"],
            "market_value_base": [1000.0, 500.0], "currency": ["USD", "EUR"], "asset_class": ["EQUITY", "EQUITY"],
        }
    )
    sens = build_sensitivities(pos, ["PX:A", "PX:B", "FX:EUR"], base_currency="USD")
    attrs = factor_attributes(sens.factor_ids, pos, "USD")
    scen = shock_scenarios(attrs, [{"name": "S", "rules": [{"asset_class": "EQUITY", "price_shift": -0.2}, {"fx_shift": -0.1}]}])
    out = stress_pnl(sens, scen, "SHOCK")
    got = {(r["level"], r["key"]): r["pnl"] for r in out.to_dicts()}
    # B2: 500 x (0.8 x 0.9 - 1) = -140; B1: -200
    assert got == {("FIRM", "FIRM"): pytest.approx(-340.0), ("DESK", "EQ"): pytest.approx(-340.0),
                   ("BOOK", "B1"): pytest.approx(-200.0), ("BOOK", "B2"): pytest.approx(-140.0)}


def test_worst_window_is_the_worst_n_day_move_for_the_portfolio() -> None:
    h = scatter_levels(_long(), factor_ids=["PX:A", "FX:EUR"])
    long_a = np.array([1.0, 0.0])  # P&L = the move of A
    s, skipped = worst_window_scenarios(h, [{"name": "W1", "worst_days": 1}, {"name": "TOO_LONG", "worst_days": 5}], lambda r: r @ long_a)
    assert s.names == ("W1",) and skipped == ["TOO_LONG"]
    assert s.returns[0].tolist() == pytest.approx([-0.10, 0.10])  # 3 Jan -> 4 Jan: A 110 -> 99
    assert (s.meta[0]["window_start"], s.meta[0]["window_end"]) == (date(2024, 1, 3), date(2024, 1, 4))

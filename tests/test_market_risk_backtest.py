"""Backtesting statistics: Kupiec, Christoffersen, Basel traffic light (published numbers)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import BadInputError
from engine.market_risk.backtest import (
    christoffersen,
    christoffersen_from_counts,
    exceptions_of,
    kupiec_pof,
    rolling_var,
    summarise,
    traffic_light,
    transition_counts,
)


def test_kupiec_pof_known_answer() -> None:
    # MathWorks varbacktest documentation example (Normal95): 1043 observations, 57 failures,
    # 95% VaR -> POF LR 0.46147, p-value 0.49694.
    res = kupiec_pof(1043, 57, 0.05)
    assert res.lr == pytest.approx(0.46147, abs=5e-6)
    assert res.p_value == pytest.approx(0.49694, abs=5e-6)
    assert res.expected == pytest.approx(52.15)


def test_christoffersen_known_answer() -> None:
    # Same example: transitions N00 932, N01 53, N10 53, N11 4 -> CCI LR 0.25866 (p 0.61104),
    # CC LR 0.72013 (p 0.69763), CC = POF (1043 obs, 57 failures) + CCI.
    res = christoffersen_from_counts(932, 53, 53, 4, 0.05, n=1043, x=57)
    assert res.ind_lr == pytest.approx(0.25866, abs=5e-6)
    assert res.ind_p_value == pytest.approx(0.61104, abs=5e-6)
    assert res.cc_lr == pytest.approx(0.72013, abs=5e-6)
    assert res.cc_p_value == pytest.approx(0.69763, abs=5e-6)


def test_christoffersen_on_a_sequence_with_those_transitions() -> None:
    # Build a 1043-day sequence with exactly those transition counts (57 exceptions, 4 back-to-back)
    e = np.zeros(1043, dtype=bool)
    singles = np.arange(10, 10 + 49 * 20, 20)[:49]
    e[singles] = True
    for start in (1000, 1010, 1020, 1030):
        e[start : start + 2] = True
    assert transition_counts(e) == (932, 53, 53, 4)
    assert e.sum() == 57
    res = christoffersen(e, 0.05)
    assert res.cc_lr == pytest.approx(0.72013, abs=5e-6)


@pytest.mark.parametrize(
    ("exceptions", "zone", "plus", "cum_pct"),
    [
        # Basel Committee (1996), Table 2: 250 observations at 99%
        (0, "GREEN", 0.00, 8.11), (1, "GREEN", 0.00, 28.58), (2, "GREEN", 0.00, 54.32),
        (3, "GREEN", 0.00, 75.81), (4, "GREEN", 0.00, 89.22), (5, "YELLOW", 0.40, 95.88),
        (6, "YELLOW", 0.50, 98.63), (7, "YELLOW", 0.65, 99.60), (8, "YELLOW", 0.75, 99.89),
        (9, "YELLOW", 0.85, 99.97), (10, "RED", 1.00, 99.99), (14, "RED", 1.00, 100.00),
    ],
)
def test_basel_traffic_light_table(exceptions: int, zone: str, plus: float, cum_pct: float) -> None:
    res = traffic_light(exceptions, n=250)
    assert res.zone == zone
    assert res.plus_factor == plus
    assert res.multiplier == 3.0 + plus
    assert round(res.cumulative_probability * 100, 2) == cum_pct


def test_traffic_light_other_sample_size_scales_to_250() -> None:
    res = traffic_light(12, n=500)  # 6 per 250
    assert res.zone == "YELLOW"
    assert res.plus_factor == 0.50
    with pytest.raises(BadInputError):
        traffic_light(300, n=250)


def test_exceptions_and_summary() -> None:
    var = np.array([10.0, 10.0, 10.0, 10.0])
    pnl = np.array([-11.0, -10.0, 5.0, -12.0])
    exc = exceptions_of(var, pnl)
    assert exc.tolist() == [True, False, False, True]  # a loss equal to VaR is not an exception
    s = summarise(exc, 0.99)
    assert (s.n_obs, s.exceptions) == (4, 2)
    assert s.kupiec is not None and s.kupiec.lr > 0
    assert summarise([], 0.99).kupiec is None


def test_rolling_var_uses_the_window_before_each_day() -> None:
    pnl = np.array([-5.0, -1.0, -3.0, -2.0, -4.0])
    # window 2 at 50% (m = 1): VaR is the worst loss of the 2 previous days
    assert rolling_var(pnl, 2, 0.5).tolist() == [5.0, 3.0, 3.0]

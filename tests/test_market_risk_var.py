"""VaR / ES estimators: known answers from published sources and hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from engine.errors import BadInputError
from engine.market_risk.var import (
    component_var,
    distribution_var_es,
    ewma_covariance,
    ewma_weights,
    factor_loading,
    historical_var,
    incremental_var_from_pnl,
    monte_carlo_var,
    parametric_component_var,
    parametric_var,
    sample_covariance,
    simulate_returns,
)

# Hull, "Options, Futures, and Other Derivatives" / "Risk Management and Financial Institutions":
# $10m in one stock (daily vol 2%) and $5m in another (1%), correlation 0.3, 10-day 99% VaR.
HULL_EXPOSURES = [10_000_000.0, 5_000_000.0]
HULL_COV = np.array([[0.02**2, 0.3 * 0.02 * 0.01], [0.3 * 0.02 * 0.01, 0.01**2]])


def test_hull_parametric_var_exact_quantile() -> None:
    res = parametric_var(HULL_EXPOSURES, HULL_COV, 0.99, horizon_days=10)
    assert round(res.var) == 1_620_114


def test_hull_parametric_var_z_233() -> None:
    res = parametric_var(HULL_EXPOSURES, HULL_COV, 0.99, horizon_days=10, z=2.33)
    assert round(res.var) == 1_622_657


def test_hull_single_stock_and_diversification() -> None:
    # Hull: the $10m position alone has a 10-day 99% VaR of 2.33 x 200,000 x sqrt(10) = 1,473,621
    alone = parametric_var([10_000_000.0, 0.0], HULL_COV, 0.99, horizon_days=10, z=2.33)
    assert round(alone.var) == 1_473_621
    # and the portfolio sigma (1-day) is sqrt(200,000^2 + 50,000^2 + 2 x 0.3 x 200,000 x 50,000)
    both = parametric_var(HULL_EXPOSURES, HULL_COV, 0.99)
    assert both.sigma == pytest.approx(math.sqrt(200_000**2 + 50_000**2 + 2 * 0.3 * 200_000 * 50_000))


def test_uniform_loss_distribution_var_49_es_49_5() -> None:
    # Hull: a loss uniformly distributed on [-50, 50]: 99% VaR = 49, 99% ES = 49.5
    res = distribution_var_es(stats.uniform(loc=-50, scale=100), 0.99)
    assert res.var == pytest.approx(49.0)
    assert res.es == pytest.approx(49.5)


def test_uniform_loss_on_a_fine_grid_historical_estimator() -> None:
    # 100,000 equally likely losses on [-50, 50]: the empirical estimator converges to 49 / 49.5
    n = 100_000
    losses = -50.0 + (np.arange(n) + 0.5) * (100.0 / n)
    res = historical_var(-losses, 0.99)
    assert res.var == pytest.approx(49.0, abs=1e-3)
    assert res.es == pytest.approx(49.5, abs=1e-3)
    assert res.n_scenarios == n


def test_historical_conventions_500_scenarios() -> None:
    # 500 scenarios, 99%: tail of exactly 5 -> VaR is the 5th worst loss, ES the mean of the 5 worst
    pnl = np.zeros(500)
    pnl[:6] = [-100.0, -90.0, -80.0, -70.0, -60.0, -50.0]
    res = historical_var(pnl, 0.99)
    assert res.var == 60.0
    assert res.es == pytest.approx((100 + 90 + 80 + 70 + 60) / 5)
    # 97.5%: m = 12.5 -> VaR = 13th worst, ES = (12 worst + 0.5 x 13th) / 12.5
    pnl = -np.arange(1.0, 501.0)[::-1]  # losses 500, 499, ..., 1
    res = historical_var(pnl, 0.975)
    assert res.var == 500 - 12
    assert res.es == pytest.approx((sum(range(489, 501)) + 0.5 * 488) / 12.5)


def test_historical_var_rejects_bad_input() -> None:
    with pytest.raises(BadInputError):
        historical_var([], 0.99)
    with pytest.raises(BadInputError):
        historical_var([1.0, 2.0], 1.0)


def test_parametric_es_normal_formula() -> None:
    res = parametric_var([1.0], [[1.0]], 0.975)
    assert res.var == pytest.approx(1.959963985, rel=1e-9)
    assert res.es == pytest.approx(stats.norm.pdf(1.959963985) / 0.025, rel=1e-9)  # 2.3378


def test_component_var_adds_up_and_equals_loss_in_var_scenario() -> None:
    pnl = np.array([[-10.0, 2.0], [-3.0, -4.0], [1.0, 1.0], [5.0, -20.0]])
    # totals: -8, -7, 2, -15 -> at 75% (m = 1): VaR = 15 (scenario 3), components 5 and -20 losses
    res = component_var(pnl, 0.75, ["A", "B"])
    assert res.total.var == 15.0
    assert res.var_scenario == 3
    assert res.components_var.tolist() == [-5.0, 20.0]
    assert res.components_es.sum() == pytest.approx(res.total.es)


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(20, 120), st.integers(1, 6)), elements=st.floats(-1e6, 1e6)),
    st.sampled_from([0.95, 0.975, 0.99]),
)
def test_component_var_always_adds_up(pnl: np.ndarray, conf: float) -> None:
    res = component_var(pnl, conf)
    assert res.components_var.sum() == pytest.approx(res.total.var, rel=1e-9, abs=1e-6)
    assert res.components_es.sum() == pytest.approx(res.total.es, rel=1e-9, abs=1e-6)


def test_parametric_components_add_up_to_total() -> None:
    e = np.array([[10e6, 0.0], [0.0, 5e6]])  # two books, one stock each
    res = parametric_component_var(e, HULL_COV, 0.99, 10, ["B1", "B2"])
    assert res.components_var.sum() == pytest.approx(1_620_113.82, abs=0.01)
    # Euler: unit k's share of the VaR is e_k (Sigma e)_k / (e' Sigma e)
    share1 = 10e6 * (HULL_COV @ np.array([10e6, 5e6]))[0] / (np.array([10e6, 5e6]) @ HULL_COV @ np.array([10e6, 5e6]))
    assert res.components_var[0] == pytest.approx(res.total.var * share1)


def test_covariances() -> None:
    r = np.array([[0.01, 0.02], [-0.01, 0.0], [0.02, -0.02]])
    assert np.allclose(sample_covariance(r), np.cov(r, rowvar=False))
    lam = 0.5
    w = np.array([0.25, 0.5, 1.0]) * (1 - lam)
    w /= w.sum()
    assert np.allclose(ewma_covariance(r, lam), (r * w[:, None]).T @ r)


def test_monte_carlo_is_seeded_and_matches_parametric_for_normal() -> None:
    a = monte_carlo_var(HULL_EXPOSURES, HULL_COV, 0.99, paths=200_000, seed=7, horizon_days=10)
    b = monte_carlo_var(HULL_EXPOSURES, HULL_COV, 0.99, paths=200_000, seed=7, horizon_days=10)
    assert a == b
    assert a.var == pytest.approx(1_620_114, rel=0.02)


def test_student_t_paths_have_the_covariance_and_fatter_tails() -> None:
    sim = simulate_returns(HULL_COV, 200_000, seed=3, distribution="STUDENT_T", dof=5)
    assert np.allclose(np.cov(sim, rowvar=False), HULL_COV, rtol=0.05)
    normal = monte_carlo_var(HULL_EXPOSURES, HULL_COV, 0.99, paths=100_000, seed=3)
    fat = monte_carlo_var(HULL_EXPOSURES, HULL_COV, 0.99, paths=100_000, seed=3, distribution="STUDENT_T", dof=4)
    assert fat.es > normal.es
    with pytest.raises(BadInputError):
        simulate_returns(HULL_COV, 10, distribution="CAUCHY")


def test_incremental_var_from_pnl() -> None:
    port = np.array([-10.0, -5.0, 0.0, 5.0])
    hedge = np.array([8.0, 1.0, 0.0, -1.0])
    res = incremental_var_from_pnl(port, hedge, 0.75)  # m = 1: the worst loss
    assert res.var_before == 10.0
    assert res.var_after == 4.0  # portfolio + hedge: -2, -4, 0, 4
    assert res.incremental_var == -6.0


def test_factor_loadings_reproduce_the_covariances() -> None:
    r = np.random.default_rng(5).normal(0, 0.01, (30, 50))  # fewer observations than factors
    b = factor_loading(returns=r, weights=ewma_weights(30, 0.94))
    assert np.allclose(b.T @ b, ewma_covariance(r, 0.94))
    assert np.allclose(factor_loading(returns=r).T @ factor_loading(returns=r), sample_covariance(r))
    e = factor_loading(HULL_COV)
    assert np.allclose(e.T @ e, HULL_COV)
    sim = simulate_returns(None, 100_000, seed=1, loading=factor_loading(returns=r[:, :3]))
    assert np.allclose(np.cov(sim, rowvar=False), sample_covariance(r[:, :3]), rtol=0.05, atol=1e-7)


def test_empirical_tail_is_a_partial_sort_with_stable_ties() -> None:
    pnl = np.array([-1.0, -5.0, -5.0, 3.0, -2.0])
    res = component_var(np.column_stack([pnl, np.zeros(5)]), 0.6)  # m = 2: VaR = 2nd worst = 5
    assert res.total.var == 5.0
    assert res.var_scenario == 2  # ties ordered by scenario index: 1 then 2
    assert res.total.es == 5.0

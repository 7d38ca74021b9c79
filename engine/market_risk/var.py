"""Value at risk and expected shortfall: estimators, Euler components, incremental VaR.

Conventions (also in the README, section market-risk):

- P&L is profit (negative = loss); VaR and ES are reported as positive losses.
- Historical / Monte Carlo (empirical) estimators over n scenarios at confidence c: with
  ``m = n * (1 - c)`` tail scenarios, VaR is the ``ceil(m)``-th worst loss and ES is the
  Acerbi-Tasche tail mean ``(sum of the floor(m) worst losses + (m - floor(m)) * the next
  one) / m`` (the mean of the m worst losses when m is a whole number).
  For 500 scenarios at 99%: VaR = 5th worst loss, ES = mean of the 5 worst.
- Parametric (delta-normal): ``VaR = z_c * sigma * sqrt(h) - mu * h`` and
  ``ES = sigma * sqrt(h) * phi(z_c) / (1 - c) - mu * h``; ``sigma = sqrt(e' Sigma e)``.
- Component VaR (Euler): for empirical estimators, each unit's loss in the VaR scenario
  (the ES components are the units' mean losses over the tail, with the same weights), so
  components add up exactly to the total; parametric: ``z * e_k' Sigma e / sigma``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import numpy as np
from scipy import linalg, stats

from engine.errors import BadInputError

log = logging.getLogger(__name__)

DISTRIBUTIONS = ("NORMAL", "STUDENT_T")


@dataclass(frozen=True)
class VarEs:
    """VaR and ES (positive losses) at ``confidence``; n_scenarios 0 for analytical figures."""

    var: float
    es: float
    confidence: float
    n_scenarios: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_confidence(confidence: float) -> float:
    c = float(confidence)
    if not 0.0 < c < 1.0:
        raise BadInputError("VaR confidence must be strictly between 0 and 1", found=repr(confidence))
    return c


def tail_size(n: int, confidence: float) -> float:
    """m = n * (1 - c), rounded to 9 decimals so that 500 * (1 - 0.99) is exactly 5."""
    return round(n * (1.0 - _check_confidence(confidence)), 9)


def empirical_var_es(pnl: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Column-wise empirical VaR and ES of a (S,) or (S, K) P&L array.

    Returns (var, es, var_scenario, tail_weights): the VaR scenario index per column and the
    (S, K) tail weights w such that ``es = (w * loss).sum(0)`` (weights sum to 1 per column).
    """
    p = np.asarray(pnl, dtype=float)
    one_d = p.ndim == 1
    if one_d:
        p = p[:, None]
    n = p.shape[0]
    if n == 0:
        raise BadInputError("cannot compute VaR on an empty P&L vector")
    m = tail_size(n, confidence)
    if m <= 0:
        raise BadInputError(f"confidence {confidence} leaves no tail with {n} scenarios")
    k = min(max(math.ceil(m), 1), n)  # VaR order statistic (1 = worst)
    fl = int(math.floor(m))
    kk = min(n, max(k, fl + 1))  # the worst kk scenarios carry the VaR and the ES weights
    loss = -p
    # partial sort: only the tail is ordered (worst first, ties by scenario index)
    part = np.sort(np.argpartition(-loss, kk - 1, axis=0)[:kk], axis=0) if kk < n else np.broadcast_to(
        np.arange(n)[:, None], p.shape
    )
    top_order = np.argsort(-np.take_along_axis(loss, part, axis=0), axis=0, kind="stable")
    order = np.take_along_axis(part, top_order, axis=0)  # (kk, K) scenario indices, worst first
    cols = np.arange(p.shape[1])
    var = loss[order[k - 1], cols]
    rank_w = np.zeros(kk)
    rank_w[: min(fl, kk)] = 1.0
    if fl < kk:
        rank_w[fl] = m - fl
    rank_w /= m
    weights = np.zeros_like(p)
    np.put_along_axis(weights, order, np.broadcast_to(rank_w[:, None], order.shape), axis=0)
    es = (weights * loss).sum(axis=0)
    if one_d:
        return var[:1], es[:1], order[k - 1, :1], weights
    return var, es, order[k - 1], weights


def historical_var(pnl_vector: np.ndarray | list[float], confidence: float) -> VarEs:
    """VaR and ES of a vector of scenario P&L (historical simulation or Monte Carlo).

    >>> historical_var([-10.0, 5.0, -3.0, 2.0], 0.75).var
    10.0
    """
    p = np.asarray(pnl_vector, dtype=float).ravel()
    var, es, _, _ = empirical_var_es(p, confidence)
    return VarEs(float(var[0]), float(es[0]), float(confidence), int(p.size))


def distribution_var_es(loss_distribution: Any, confidence: float) -> VarEs:
    """VaR and ES of a continuous LOSS distribution (a frozen ``scipy.stats`` distribution).

    VaR is the c-quantile of the loss; ES is E[L | L >= VaR].
    """
    c = _check_confidence(confidence)
    var = float(loss_distribution.ppf(c))
    es = float(loss_distribution.expect(lambda x: x, lb=var, conditional=True))
    return VarEs(var, es, c, 0)


@dataclass(frozen=True)
class ParametricVar:
    """Delta-normal VaR/ES (arrays when several portfolios were given)."""

    var: Any
    es: Any
    sigma: Any  # standard deviation of the horizon P&L
    z: float
    confidence: float
    horizon_days: int

    def to_dict(self) -> dict[str, Any]:
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in asdict(self).items()}


def parametric_var(
    exposures: np.ndarray | list[float],
    cov: np.ndarray | list[list[float]],
    confidence: float,
    horizon_days: int = 1,
    *,
    z: float | None = None,
    mean: np.ndarray | list[float] | None = None,
) -> ParametricVar:
    """Delta-normal VaR and ES.

    ``exposures``: (F,) or (F, K) base-currency exposures to the factors' returns (K
    portfolios); ``cov``: (F, F) covariance of one-day returns; ``z`` overrides the normal
    quantile (e.g. 2.33); ``mean``: (F,) mean one-day returns (default 0).

    Hull's example: $10m and $5m, daily vols 2% and 1%, correlation 0.3, 10 days, 99%:
    ``parametric_var([10e6, 5e6], cov, 0.99, 10).var`` = 1,620,114.
    """
    c = _check_confidence(confidence)
    e = np.asarray(exposures, dtype=float)
    s = np.asarray(cov, dtype=float)
    one_d = e.ndim == 1
    e2 = e[:, None] if one_d else e
    if s.shape != (e2.shape[0], e2.shape[0]):
        raise BadInputError("covariance shape does not match the exposures", expected=str((e2.shape[0],) * 2), found=str(s.shape))
    zq = float(stats.norm.ppf(c)) if z is None else float(z)
    variance = ((s @ e2) * e2).sum(axis=0)
    sigma = np.sqrt(np.maximum(variance, 0.0) * horizon_days)
    mu = (np.asarray(mean, dtype=float) @ e2) * horizon_days if mean is not None else np.zeros(e2.shape[1])
    var = zq * sigma - mu
    es = sigma * float(stats.norm.pdf(zq)) / (1.0 - c) - mu
    if one_d:
        return ParametricVar(float(var[0]), float(es[0]), float(sigma[0]), zq, c, int(horizon_days))
    return ParametricVar(var, es, sigma, zq, c, int(horizon_days))


def sample_covariance(returns: np.ndarray) -> np.ndarray:
    """Sample covariance (demeaned, n - 1) of (T, F) returns."""
    r = np.asarray(returns, dtype=float)
    if r.shape[0] < 2:
        return np.zeros((r.shape[1], r.shape[1]))
    return np.atleast_2d(np.cov(r, rowvar=False))


def ewma_covariance(returns: np.ndarray, lam: float = 0.94) -> np.ndarray:
    """RiskMetrics EWMA covariance of (T, F) returns (zero mean; newest row weighs most).

    Weights ``(1 - lam) * lam**(T-1-t)`` normalised to sum to one.
    """
    r = np.asarray(returns, dtype=float)
    t = r.shape[0]
    if t == 0:
        return np.zeros((r.shape[1], r.shape[1]))
    w = ewma_weights(t, lam)
    return (r * w[:, None]).T @ r


def ewma_weights(t: int, lam: float = 0.94) -> np.ndarray:
    """EWMA observation weights, oldest first: ``(1 - lam) * lam**(t-1-i)``, normalised."""
    if not 0.0 < lam < 1.0:
        raise BadInputError("EWMA lambda must be strictly between 0 and 1", found=repr(lam))
    w = (1.0 - lam) * lam ** np.arange(t - 1, -1, -1, dtype=float)
    return np.asarray(w / w.sum())


def factor_loading(cov: np.ndarray | None = None, *, returns: np.ndarray | None = None, weights: np.ndarray | None = None) -> np.ndarray:
    """A (k, F) matrix B with ``B.T @ B`` equal to the covariance, for simulation.

    From ``returns`` (T, F) and observation ``weights`` (summing to one; default the sample
    covariance's ``1/(T-1)`` on demeaned returns; EWMA weights are used on raw returns), B is
    the weighted return matrix itself (k = T): exact, no decomposition, and cheaper than a
    (F, F) factor when there are more factors than observations. From ``cov``, B is
    ``sqrt(lambda) V'`` of its eigen-decomposition (negative eigenvalues clipped: any PSD input).
    """
    if returns is not None:
        r = np.asarray(returns, dtype=float)
        if weights is None:
            t = r.shape[0]
            return (r - r.mean(axis=0)) / math.sqrt(max(t - 1, 1))
        return r * np.sqrt(np.asarray(weights, dtype=float))[:, None]
    s = np.atleast_2d(np.asarray(cov, dtype=float))
    if s.size == 0:
        return np.zeros((0, s.shape[0]))
    lam, vec = linalg.eigh((s + s.T) / 2.0)
    return np.sqrt(np.clip(lam, 0.0, None))[:, None] * vec.T


def simulate_returns(
    cov: np.ndarray | None,
    paths: int,
    *,
    seed: int | None = 0,
    distribution: str = "NORMAL",
    dof: float = 5.0,
    loading: np.ndarray | None = None,
) -> np.ndarray:
    """(paths, F) simulated factor returns with covariance ``cov`` (zero mean), seeded.

    NORMAL: multivariate normal ``Z @ B`` (``B = factor_loading(cov)`` unless ``loading`` is
    given). STUDENT_T: multivariate Student-t with ``dof`` degrees of freedom, scaled so that its
    covariance is ``cov``: ``Z @ B * sqrt((dof - 2) / W)``, W ~ chi-squared(dof) per path.
    Draws from ``scipy.stats`` with a ``numpy.random.default_rng(seed)`` generator.
    """
    dist = distribution.upper()
    if dist not in DISTRIBUTIONS:
        raise BadInputError("unknown Monte Carlo distribution", expected=" | ".join(DISTRIBUTIONS), found=repr(distribution))
    if dist == "STUDENT_T" and dof <= 2:
        raise BadInputError("Student-t degrees of freedom must exceed 2 (finite variance)", found=repr(dof))
    b = factor_loading(cov) if loading is None else np.asarray(loading, dtype=float)
    rng = np.random.default_rng(seed)
    k, f = b.shape
    if f == 0 or k == 0:
        return np.zeros((paths, f))
    z = stats.norm.rvs(size=(paths, k), random_state=rng)
    out = z @ b
    if dist == "STUDENT_T":
        w = stats.chi2.rvs(dof, size=paths, random_state=rng)
        out *= np.sqrt((dof - 2.0) / w)[:, None]
    return np.asarray(out, dtype=float)


@dataclass(frozen=True)
class MonteCarloVar:
    var: float
    es: float
    confidence: float
    paths: int
    distribution: str
    seed: int | None
    horizon_days: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def monte_carlo_var(
    exposures: np.ndarray | list[float],
    cov: np.ndarray | list[list[float]],
    confidence: float,
    *,
    paths: int = 10_000,
    seed: int | None = 0,
    distribution: str = "NORMAL",
    dof: float = 5.0,
    horizon_days: int = 1,
    gammas: np.ndarray | list[float] | None = None,
) -> MonteCarloVar:
    """Monte Carlo VaR/ES of a delta(-gamma) portfolio: simulate factor returns over the
    horizon (covariance ``cov * horizon_days``), P&L = ``R @ e + 0.5 * R**2 @ gammas``."""
    e = np.asarray(exposures, dtype=float).ravel()
    r = simulate_returns(np.asarray(cov, dtype=float) * horizon_days, paths, seed=seed, distribution=distribution, dof=dof)
    pnl = r @ e
    if gammas is not None:
        pnl = pnl + 0.5 * (r * r) @ np.asarray(gammas, dtype=float).ravel()
    res = historical_var(pnl, confidence)
    return MonteCarloVar(res.var, res.es, res.confidence, int(paths), distribution.upper(), seed, int(horizon_days))


@dataclass(frozen=True)
class ComponentVar:
    """Euler allocation: ``components_var.sum() == total.var`` (and the same for ES)."""

    total: VarEs
    keys: tuple[str, ...]
    components_var: np.ndarray
    components_es: np.ndarray
    var_scenario: int | None  # the scenario whose loss is the VaR (empirical estimators)

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total.to_dict(),
            "components": [
                {"key": k, "var": float(v), "es": float(s)}
                for k, v, s in zip(self.keys, self.components_var, self.components_es, strict=True)
            ],
            "var_scenario": self.var_scenario,
        }


def component_var(
    pnl_by_unit: np.ndarray,
    confidence: float,
    keys: tuple[str, ...] | list[str] | None = None,
) -> ComponentVar:
    """Euler component VaR/ES of a portfolio whose scenario P&L is split into units.

    ``pnl_by_unit``: (S, K) scenario P&L per unit (book, desk, position...). The total is
    the row sum. Each unit's component VaR is its loss in the total's VaR scenario; its
    component ES its weighted loss over the total's tail.
    """
    p = np.asarray(pnl_by_unit, dtype=float)
    if p.ndim != 2:
        raise BadInputError("component_var needs a (scenarios x units) P&L matrix", found=f"{p.ndim} dimensions")
    total = p.sum(axis=1)
    var, es, idx, w = empirical_var_es(total, confidence)
    comp_var = -p[int(idx[0])]
    comp_es = -(w[:, :1] * p).sum(axis=0)
    names = tuple(keys) if keys is not None else tuple(str(i) for i in range(p.shape[1]))
    return ComponentVar(VarEs(float(var[0]), float(es[0]), float(confidence), p.shape[0]), names, comp_var, comp_es, int(idx[0]))


def parametric_component_var(
    exposures: np.ndarray,
    cov: np.ndarray,
    confidence: float,
    horizon_days: int = 1,
    keys: tuple[str, ...] | list[str] | None = None,
    *,
    z: float | None = None,
) -> ComponentVar:
    """Euler components of delta-normal VaR/ES: ``exposures`` is (F, K), one column per unit."""
    e = np.asarray(exposures, dtype=float)
    s = np.asarray(cov, dtype=float)
    total = parametric_var(e.sum(axis=1), s, confidence, horizon_days, z=z)
    sig1 = total.sigma / math.sqrt(horizon_days) if horizon_days else 0.0
    if sig1 > 0:
        marginal = (s @ e.sum(axis=1)) / sig1  # d sigma_1day / d e
        share = marginal @ e / sig1  # fraction of sigma per unit (sums to 1)
    else:
        share = np.zeros(e.shape[1])
    names = tuple(keys) if keys is not None else tuple(str(i) for i in range(e.shape[1]))
    return ComponentVar(
        VarEs(float(total.var), float(total.es), float(confidence), 0), names, total.var * share, total.es * share, None
    )


@dataclass(frozen=True)
class IncrementalVar:
    """VaR/ES of the portfolio before and after adding a trade (positive losses)."""

    var_before: float
    var_after: float
    incremental_var: float
    es_before: float
    es_after: float
    incremental_es: float
    confidence: float
    n_scenarios: int
    method: str = "HISTORICAL"
    as_of: date | None = None
    details: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["as_of"] = self.as_of.isoformat() if self.as_of else None
        return d


def incremental_var_from_pnl(portfolio_pnl: np.ndarray, trade_pnl: np.ndarray, confidence: float) -> IncrementalVar:
    """Incremental VaR/ES of adding a trade, from the two scenario P&L vectors."""
    p = np.asarray(portfolio_pnl, dtype=float).ravel()
    t = np.asarray(trade_pnl, dtype=float).ravel()
    before = historical_var(p, confidence)
    after = historical_var(p + t, confidence)
    return IncrementalVar(
        before.var, after.var, after.var - before.var, before.es, after.es, after.es - before.es, float(confidence), int(p.size)
    )


def incremental_var(cfg: Any, trade: Mapping[str, Any], as_of: date | str | None = None) -> IncrementalVar:
    """Incremental historical VaR of a proposed trade on the firm's portfolio in the store.

    ``trade``: ``instrument_id`` and signed ``quantity`` (BUY > 0), optional ``book_id``,
    ``price`` (default: the latest close on or before ``as_of``) and, for options,
    ``option_type``/``strike``/``expiry_years``/``volatility``/``underlying_id``/
    ``underlying_price``. Reads the published snapshot (``store.connect_reader``); as_of
    defaults to the latest date with VaR results. Confidence: ``market_risk.incremental_confidence``.
    """
    from engine.market_risk.step import incremental_var_from_store  # the store reader side

    return incremental_var_from_store(cfg, trade, as_of)

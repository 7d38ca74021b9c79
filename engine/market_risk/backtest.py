"""VaR backtesting: Kupiec's proportion-of-failures test, Christoffersen's independence and
conditional-coverage tests, and the Basel (1996) traffic light.

An exception is a day whose loss exceeds the VaR computed the day before:
``-pnl[t+1] > var[t]``. ``p`` is the expected exception rate, ``1 - confidence``.
Likelihood ratios are asymptotically chi-squared (1 degree of freedom for POF and
independence, 2 for conditional coverage); p-values from ``scipy.stats.chi2``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats
from scipy.special import xlogy

from engine.errors import BadInputError

log = logging.getLogger(__name__)

#: Basel Committee (1996), "Supervisory framework for the use of backtesting in conjunction
#: with the internal models approach", Table 2: plus factor by number of exceptions in 250
#: observations at 99% (yellow zone); green 0-4 -> 0, red 10+ -> 1.
BASEL_PLUS_FACTORS = {5: 0.40, 6: 0.50, 7: 0.65, 8: 0.75, 9: 0.85}


def _loglik(n: int, x: int, p: float) -> float:
    return float(xlogy(n - x, 1.0 - p) + xlogy(x, p))


def _check(n: int, x: int, p: float) -> None:
    if n <= 0 or x < 0 or x > n:
        raise BadInputError("backtest counts must satisfy 0 <= exceptions <= observations > 0", found=f"n={n}, x={x}")
    if not 0.0 < p < 1.0:
        raise BadInputError("expected exception rate p must be in (0, 1)", found=repr(p))


@dataclass(frozen=True)
class KupiecResult:
    n: int
    exceptions: int
    p: float
    lr: float
    p_value: float

    @property
    def expected(self) -> float:
        return self.n * self.p

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "expected": self.expected}


def kupiec_pof(n: int, x: int, p: float) -> KupiecResult:
    """Kupiec (1995) proportion-of-failures test: ``x`` exceptions in ``n`` observations when
    the expected rate is ``p``. ``kupiec_pof(1043, 57, 0.05)`` -> LR 0.46147, p-value 0.49694."""
    _check(n, x, p)
    lr = -2.0 * (_loglik(n, x, p) - _loglik(n, x, x / n))
    lr = max(lr, 0.0)
    return KupiecResult(int(n), int(x), float(p), lr, float(stats.chi2.sf(lr, 1)))


@dataclass(frozen=True)
class ChristoffersenResult:
    n00: int
    n01: int
    n10: int
    n11: int
    p: float
    pof_lr: float
    ind_lr: float
    ind_p_value: float
    cc_lr: float
    cc_p_value: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def transition_counts(exceptions: Sequence[bool] | np.ndarray) -> tuple[int, int, int, int]:
    """(n00, n01, n10, n11): day-to-day transitions of the exception indicator (nij: i then j)."""
    e = np.asarray(exceptions, dtype=bool)
    a, b = e[:-1], e[1:]
    return (int(np.sum(~a & ~b)), int(np.sum(~a & b)), int(np.sum(a & ~b)), int(np.sum(a & b)))


def christoffersen_from_counts(
    n00: int, n01: int, n10: int, n11: int, p: float, *, n: int | None = None, x: int | None = None
) -> ChristoffersenResult:
    """Christoffersen (1998) independence and conditional-coverage tests from transition counts.

    The conditional-coverage LR is Kupiec's POF LR plus the independence LR; the POF part uses
    ``n`` observations with ``x`` exceptions (default: from the transition counts).
    With counts 932/53/53/4 and the POF of 1043 observations, 57 exceptions, p = 0.05:
    independence LR 0.25866 (p 0.61104), conditional coverage LR 0.72013 (p 0.69763).
    """
    n_obs = n if n is not None else n00 + n01 + n10 + n11
    x_obs = x if x is not None else n01 + n11
    _check(n_obs, x_obs, p)
    pi01 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi11 = n11 / (n10 + n11) if n10 + n11 else 0.0
    pi = (n01 + n11) / (n00 + n01 + n10 + n11) if (n00 + n01 + n10 + n11) else 0.0
    l_restricted = xlogy(n00 + n10, 1.0 - pi) + xlogy(n01 + n11, pi)
    l_unrestricted = xlogy(n00, 1.0 - pi01) + xlogy(n01, pi01) + xlogy(n10, 1.0 - pi11) + xlogy(n11, pi11)
    ind = max(float(-2.0 * (l_restricted - l_unrestricted)), 0.0)
    pof = kupiec_pof(n_obs, x_obs, p).lr
    cc = pof + ind
    return ChristoffersenResult(
        int(n00), int(n01), int(n10), int(n11), float(p), pof, ind,
        float(stats.chi2.sf(ind, 1)), cc, float(stats.chi2.sf(cc, 2)),
    )


def christoffersen(exceptions: Sequence[bool] | np.ndarray, p: float) -> ChristoffersenResult:
    """Christoffersen tests on a sequence of daily exception indicators (oldest first)."""
    e = np.asarray(exceptions, dtype=bool)
    return christoffersen_from_counts(*transition_counts(e), p, n=int(e.size), x=int(e.sum()))


@dataclass(frozen=True)
class TrafficLight:
    exceptions: int
    n: int
    p: float
    zone: str  # GREEN | YELLOW | RED
    plus_factor: float
    cumulative_probability: float  # P(X <= exceptions), X ~ Binomial(n, p)

    @property
    def multiplier(self) -> float:
        """The Basel market-risk capital multiplier: 3 + plus factor."""
        return 3.0 + self.plus_factor

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "multiplier": self.multiplier}


def traffic_light(exceptions: int, n: int = 250, p: float = 0.01) -> TrafficLight:
    """Basel traffic-light zone and plus factor.

    Zones follow the Basel definition by cumulative binomial probability: green below 95%,
    yellow below 99.99%, red from there; for 250 observations at 99% that is green 0-4,
    yellow 5-9, red 10+. Plus factors are Basel's table for 250 observations (0.40, 0.50,
    0.65, 0.75, 0.85 for 5..9; 1.00 in red); for another n the exceptions are first scaled to
    250 observations (``floor(x * 250 / n)``), an approximation Basel leaves to supervisors.
    No exception is always green (with very few observations P(X <= 0) alone exceeds 95%).
    """
    _check(n, exceptions, p)
    cum = float(stats.binom.cdf(exceptions, n, p))
    # the zone boundaries from the binomial quantiles (exact integer thresholds, no float noise)
    yellow_from = int(stats.binom.ppf(0.95, n, p))
    red_from = int(stats.binom.ppf(0.9999, n, p))
    if stats.binom.cdf(yellow_from, n, p) < 0.95:
        yellow_from += 1
    if stats.binom.cdf(red_from, n, p) < 0.9999:
        red_from += 1
    zone = "GREEN" if exceptions < yellow_from else ("YELLOW" if exceptions < red_from else "RED")
    if exceptions == 0:  # with few observations P(X <= 0) alone can pass 95%: no exception is green
        zone = "GREEN"
    x250 = exceptions if n == 250 else int(np.floor(exceptions * 250 / n))
    if zone == "GREEN":
        plus = 0.0
    elif zone == "RED":
        plus = 1.0
    else:
        plus = BASEL_PLUS_FACTORS.get(x250, 0.0 if x250 < 5 else 0.85)
    return TrafficLight(int(exceptions), int(n), float(p), zone, float(plus), cum)


@dataclass(frozen=True)
class BacktestSummary:
    n_obs: int
    exceptions: int
    expected_exceptions: float
    kupiec: KupiecResult | None
    christoffersen: ChristoffersenResult | None
    traffic_light: TrafficLight | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_obs": self.n_obs,
            "exceptions": self.exceptions,
            "expected_exceptions": self.expected_exceptions,
            "kupiec": self.kupiec.to_dict() if self.kupiec else None,
            "christoffersen": self.christoffersen.to_dict() if self.christoffersen else None,
            "traffic_light": self.traffic_light.to_dict() if self.traffic_light else None,
        }


def exceptions_of(var: np.ndarray, pnl: np.ndarray) -> np.ndarray:
    """Exception flags: the loss (-pnl) exceeds the VaR (both aligned to the P&L day)."""
    return -np.asarray(pnl, dtype=float) > np.asarray(var, dtype=float)


def summarise(exceptions: Sequence[bool] | np.ndarray, confidence: float) -> BacktestSummary:
    """All the statistics of a sequence of exception flags (oldest first)."""
    e = np.asarray(exceptions, dtype=bool)
    p = 1.0 - float(confidence)
    n, x = int(e.size), int(e.sum())
    if n == 0:
        return BacktestSummary(0, 0, 0.0, None, None, None)
    chris = christoffersen(e, p) if n >= 2 else None
    return BacktestSummary(n, x, n * p, kupiec_pof(n, x, p), chris, traffic_light(x, n, p))


def rolling_var(pnl: np.ndarray, window: int, confidence: float) -> np.ndarray:
    """VaR for each day t >= window from the ``window`` P&L values before it (vectorised).

    Returns an array of len(pnl) - window: element i is the VaR of the scenarios
    ``pnl[i : i + window]``, to be compared with ``pnl[i + window]``.
    """
    from engine.market_risk.var import empirical_var_es

    p = np.asarray(pnl, dtype=float)
    if p.size <= window:
        return np.zeros(0)
    windows = np.lib.stride_tricks.sliding_window_view(p[:-1], window)  # (n_obs, window)
    var, _, _, _ = empirical_var_es(windows.T, confidence)
    return var

"""The market-risk computations of one as-of date on in-memory inputs (no store access).

:func:`compute_var_tables` produces the rows of ``out_var`` and ``out_var_components`` for
every configured method, confidence and horizon, for the firm, each desk and each book;
:func:`current_portfolio_backtest` the ``CURRENT_PORTFOLIO`` backtest. Loops here run over
configuration items (methods, confidences, scalings), never over positions or scenarios.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import polars as pl

from engine.market_risk import backtest as bt
from engine.market_risk.factors import FactorHistory, returns
from engine.market_risk.portfolio import Sensitivities
from engine.market_risk.scenarios import historical_scenarios
from engine.market_risk.settings import MarketRiskSettings
from engine.market_risk.var import (
    component_var,
    empirical_var_es,
    ewma_covariance,
    ewma_weights,
    factor_loading,
    parametric_component_var,
    parametric_var,
    sample_covariance,
    simulate_returns,
)

log = logging.getLogger(__name__)

VAR_SCHEMA = {
    "level": pl.Utf8, "key": pl.Utf8, "method": pl.Utf8, "model": pl.Utf8, "confidence": pl.Float64,
    "horizon_days": pl.Int32, "scaling": pl.Utf8, "var": pl.Float64, "es": pl.Float64,
    "n_scenarios": pl.Int32, "n_positions": pl.Int32,
}
COMPONENT_SCHEMA = {
    "level": pl.Utf8, "key": pl.Utf8, "desk": pl.Utf8, "method": pl.Utf8, "model": pl.Utf8,
    "confidence": pl.Float64, "horizon_days": pl.Int32, "scaling": pl.Utf8, "component_var": pl.Float64,
    "component_es": pl.Float64, "pct_of_var": pl.Float64, "standalone_var": pl.Float64,
}


class _Levels:
    """Firm, desk and book columns of a by-book matrix, side by side."""

    def __init__(self, sens: Sensitivities) -> None:
        self.sens = sens
        self.desks, self.onehot = sens.desks()
        self.levels = ["FIRM"] + ["DESK"] * len(self.desks) + ["BOOK"] * len(sens.groups)
        self.keys = ["FIRM", *self.desks, *sens.groups]
        book_desk = dict(zip(sens.groups, sens.group_desks, strict=True))
        self.book_desks = [book_desk[b] for b in sens.groups]

    def stack(self, by_book: np.ndarray) -> np.ndarray:
        """(X, G) -> (X, 1 + D + G): firm, desks, books."""
        return np.hstack([by_book.sum(axis=1, keepdims=True), by_book @ self.onehot, by_book])


def _var_frame(lv: _Levels, method: str, model: str, conf: float, horizon: int, scaling: str | None,
               var: np.ndarray, es: np.ndarray, n_scen: int | None) -> pl.DataFrame:
    k = len(lv.keys)
    return pl.DataFrame(
        {
            "level": lv.levels, "key": lv.keys, "method": [method] * k, "model": [model] * k,
            "confidence": [conf] * k, "horizon_days": [horizon] * k, "scaling": [scaling] * k,
            "var": var, "es": es, "n_scenarios": [n_scen] * k, "n_positions": [lv.sens.n_positions] * k,
        },
        schema=VAR_SCHEMA,
    )


def _component_frame(lv: _Levels, method: str, model: str, conf: float, horizon: int, scaling: str | None,
                     books: tuple[np.ndarray, np.ndarray, np.ndarray], desks: tuple[np.ndarray, np.ndarray, np.ndarray],
                     total_var: float) -> pl.DataFrame:
    parts = []
    for level, keys, desk_col, (cv, ce, alone) in (
        ("DESK", list(lv.desks), list(lv.desks), desks),
        ("BOOK", list(lv.sens.groups), lv.book_desks, books),
    ):
        k = len(keys)
        parts.append(
            pl.DataFrame(
                {
                    "level": [level] * k, "key": keys, "desk": desk_col, "method": [method] * k, "model": [model] * k,
                    "confidence": [conf] * k, "horizon_days": [horizon] * k, "scaling": [scaling] * k,
                    "component_var": cv, "component_es": ce,
                    "pct_of_var": cv / total_var if total_var else np.full(k, np.nan),
                    "standalone_var": alone,
                },
                schema=COMPONENT_SCHEMA,
            )
        )
    return pl.concat(parts)


def _horizons(s: MarketRiskSettings) -> list[tuple[int, str | None]]:
    return [(1, None)] + [(s.horizon_days, sc) for sc in s.scalings]


def _empirical(lv: _Levels, method: str, model: str, s: MarketRiskSettings,
               pnl_1d: np.ndarray, pnl_h: np.ndarray | None) -> tuple[list[pl.DataFrame], list[pl.DataFrame]]:
    """VaR/ES and Euler components from scenario P&L by book (historical or Monte Carlo)."""
    var_parts: list[pl.DataFrame] = []
    comp_parts: list[pl.DataFrame] = []
    for horizon, scaling in _horizons(s):
        if scaling == "OVERLAPPING":
            if pnl_h is None or pnl_h.shape[0] == 0:
                continue
            pnl, scale = pnl_h, 1.0
        else:
            pnl, scale = pnl_1d, math.sqrt(horizon) if scaling == "SQRT" else 1.0
        stacked = lv.stack(pnl)
        by_desk = pnl @ lv.onehot
        for conf in s.confidences:
            var, es, _, _ = empirical_var_es(stacked, conf)
            var_parts.append(_var_frame(lv, method, model, conf, horizon, scaling, var * scale, es * scale, pnl.shape[0]))
            cb = component_var(pnl, conf)
            cd = component_var(by_desk, conf)
            n_d = len(lv.desks)
            comp_parts.append(
                _component_frame(
                    lv, method, model, conf, horizon, scaling,
                    (cb.components_var * scale, cb.components_es * scale, var[1 + n_d:] * scale),
                    (cd.components_var * scale, cd.components_es * scale, var[1:1 + n_d] * scale),
                    float(var[0] * scale),
                )
            )
    return var_parts, comp_parts


def covariance(r: np.ndarray, s: MarketRiskSettings) -> np.ndarray:
    return ewma_covariance(r, s.ewma_lambda) if s.covariance == "EWMA" else sample_covariance(r)


def loading(r: np.ndarray, cov: np.ndarray, s: MarketRiskSettings) -> np.ndarray:
    """The Monte Carlo factor loading of the configured covariance: the weighted returns when
    there are fewer observations than factors (cheaper, exact), else an eigen-factor of cov."""
    if r.shape[0] < r.shape[1]:
        w = ewma_weights(r.shape[0], s.ewma_lambda) if s.covariance == "EWMA" else None
        return factor_loading(returns=r, weights=w)
    return factor_loading(cov)


def compute_var_tables(sens: Sensitivities, history: FactorHistory, s: MarketRiskSettings) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, Any]]:
    """``out_var`` and ``out_var_components`` rows (without as_of/run_id) and a summary."""
    lv = _Levels(sens)
    scen_1d = historical_scenarios(history, s.history_days, 1)
    scen_h = historical_scenarios(history, s.history_days, s.horizon_days)
    r1 = scen_1d.align(sens.factor_ids)
    rh = scen_h.align(sens.factor_ids)
    var_parts: list[pl.DataFrame] = []
    comp_parts: list[pl.DataFrame] = []
    summary: dict[str, Any] = {"scenarios": scen_1d.n, "overlapping_scenarios": scen_h.n, "factors": sens.n_factors}
    if scen_1d.n < 2:
        log.warning("market risk: only %d historical scenarios; VaR not computed", scen_1d.n)
        summary["note"] = "not enough price history for VaR"
        return pl.DataFrame(schema=VAR_SCHEMA), pl.DataFrame(schema=COMPONENT_SCHEMA), summary

    if "HISTORICAL" in s.methods:
        pnl_1d = sens.pnl(r1)
        pnl_h = sens.pnl(rh) if scen_h.n else None
        v, c = _empirical(lv, "HISTORICAL", "FULL_REVAL", s, pnl_1d, pnl_h)
        var_parts += v
        comp_parts += c

    cov_1d = covariance(r1, s)
    cov_h = covariance(rh, s) if scen_h.n >= 2 else None
    if "PARAMETRIC" in s.methods:
        e_books = sens.exposures()
        e_all = lv.stack(e_books)
        e_desks = e_books @ lv.onehot
        for horizon, scaling in _horizons(s):
            if scaling == "OVERLAPPING":
                if cov_h is None:
                    continue
                cov, h_eff = cov_h, 1
            else:
                cov, h_eff = cov_1d, horizon
            for conf in s.confidences:
                pv = parametric_var(e_all, cov, conf, h_eff)
                var_parts.append(_var_frame(lv, "PARAMETRIC", s.covariance, conf, horizon, scaling, pv.var, pv.es, None))
                cb = parametric_component_var(e_books, cov, conf, h_eff)
                cd = parametric_component_var(e_desks, cov, conf, h_eff)
                n_d = len(lv.desks)
                comp_parts.append(
                    _component_frame(
                        lv, "PARAMETRIC", s.covariance, conf, horizon, scaling,
                        (cb.components_var, cb.components_es, pv.var[1 + n_d:]),
                        (cd.components_var, cd.components_es, pv.var[1:1 + n_d]),
                        float(pv.var[0]),
                    )
                )

    if "MONTE_CARLO" in s.methods:
        b_1d = loading(r1, cov_1d, s)
        b_h = loading(rh, cov_h, s) if cov_h is not None and "OVERLAPPING" in s.scalings else None
        for i, dist in enumerate(s.mc_distributions):
            sim_1d = simulate_returns(None, s.mc_paths, seed=s.mc_seed + i, distribution=dist, dof=s.mc_dof, loading=b_1d)
            sim_h = (
                simulate_returns(None, s.mc_paths, seed=s.mc_seed + 100 + i, distribution=dist, dof=s.mc_dof, loading=b_h)
                if b_h is not None
                else None
            )
            v, c = _empirical(lv, "MONTE_CARLO", dist, s, sens.pnl(sim_1d), sens.pnl(sim_h) if sim_h is not None else None)
            var_parts += v
            comp_parts += c
        summary["mc_paths"] = s.mc_paths

    var_df = pl.concat(var_parts) if var_parts else pl.DataFrame(schema=VAR_SCHEMA)
    comp_df = pl.concat(comp_parts) if comp_parts else pl.DataFrame(schema=COMPONENT_SCHEMA)
    return var_df, comp_df, summary


BACKTEST_SCHEMA = {
    "basis": pl.Utf8, "obs_date": pl.Date, "var_date": pl.Date, "method": pl.Utf8, "confidence": pl.Float64,
    "var": pl.Float64, "hypothetical_pnl": pl.Float64, "actual_pnl": pl.Float64,
    "hyp_exception": pl.Boolean, "actual_exception": pl.Boolean,
}
SUMMARY_SCHEMA = {
    "basis": pl.Utf8, "pnl_type": pl.Utf8, "method": pl.Utf8, "confidence": pl.Float64, "n_obs": pl.Int32,
    "exceptions": pl.Int32, "expected_exceptions": pl.Float64, "kupiec_lr": pl.Float64, "kupiec_pvalue": pl.Float64,
    "christoffersen_ind_lr": pl.Float64, "christoffersen_ind_pvalue": pl.Float64, "christoffersen_cc_lr": pl.Float64,
    "christoffersen_cc_pvalue": pl.Float64, "zone": pl.Utf8, "plus_factor": pl.Float64, "cumulative_probability": pl.Float64,
}


def summary_row(basis: str, pnl_type: str, method: str, confidence: float, exceptions: Iterable[bool]) -> dict[str, Any] | None:
    """One ``out_backtest_summary`` row for a sequence of exception flags (None if empty)."""
    summ = bt.summarise(np.asarray(list(exceptions), dtype=bool), confidence)
    if summ.n_obs == 0:
        return None
    k, ch, tl = summ.kupiec, summ.christoffersen, summ.traffic_light
    return {
        "basis": basis, "pnl_type": pnl_type, "method": method, "confidence": confidence, "n_obs": summ.n_obs,
        "exceptions": summ.exceptions, "expected_exceptions": summ.expected_exceptions,
        "kupiec_lr": k.lr if k else None, "kupiec_pvalue": k.p_value if k else None,
        "christoffersen_ind_lr": ch.ind_lr if ch else None, "christoffersen_ind_pvalue": ch.ind_p_value if ch else None,
        "christoffersen_cc_lr": ch.cc_lr if ch else None, "christoffersen_cc_pvalue": ch.cc_p_value if ch else None,
        "zone": tl.zone if tl else None, "plus_factor": tl.plus_factor if tl else None,
        "cumulative_probability": tl.cumulative_probability if tl else None,
    }


def current_portfolio_backtest(sens: Sensitivities, history: FactorHistory, s: MarketRiskSettings) -> tuple[pl.DataFrame, dict[str, Any] | None]:
    """Today's portfolio held constant: each of the last ``backtest_window`` days' hypothetical
    P&L against the historical VaR from the days before it.

    The VaR window is ``min(history_days, max(available - window, min_var_window))`` returns,
    so that a short history still yields a full 250-day backtest when it can.
    """
    firm = sens.total()
    r = returns(history.levels, 1)
    if r.shape[0] == 0:
        return pl.DataFrame(schema=BACKTEST_SCHEMA), None
    lookup = {f: i for i, f in enumerate(history.factor_ids)}
    idx = np.array([lookup.get(f, -1) for f in sens.factor_ids], dtype=np.int64)
    r_al = np.concatenate([r, np.zeros((r.shape[0], 1))], axis=1)[:, np.where(idx >= 0, idx, r.shape[1])]
    pnl = firm.pnl(r_al)[:, 0]
    n = pnl.size
    w = min(s.history_days, max(n - s.backtest_window, s.backtest_min_var_window))
    if n - w < 1 or w < 20:
        return pl.DataFrame(schema=BACKTEST_SCHEMA), None
    var = bt.rolling_var(pnl, w, s.backtest_confidence)  # compared with pnl[w:]
    obs = pnl[w:]
    keep = min(s.backtest_window, obs.size)
    var, obs = var[-keep:], obs[-keep:]
    obs_dates = history.dates[1:][w:][-keep:]
    var_dates = history.dates[:-1][w:][-keep:]
    exc = bt.exceptions_of(var, obs)
    frame = pl.DataFrame(
        {
            "basis": ["CURRENT_PORTFOLIO"] * keep, "obs_date": obs_dates.astype("datetime64[D]"),
            "var_date": var_dates.astype("datetime64[D]"), "method": ["HISTORICAL"] * keep,
            "confidence": [s.backtest_confidence] * keep, "var": var, "hypothetical_pnl": obs,
            "actual_pnl": [None] * keep, "hyp_exception": exc, "actual_exception": [None] * keep,
        },
        schema=BACKTEST_SCHEMA,
    )
    return frame, summary_row("CURRENT_PORTFOLIO", "HYPOTHETICAL", "HISTORICAL", s.backtest_confidence, exc)

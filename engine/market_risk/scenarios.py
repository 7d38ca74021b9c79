"""Scenario sets: historical (daily and overlapping multi-day), stress windows, user shocks.

A :class:`ScenarioSet` is a (scenarios x factors) matrix of relative factor changes with a
name per scenario. Historical scenarios come from a :class:`FactorHistory`; stress windows are
the factors' moves between two past dates; user shocks are relative moves applied to the
factors selected by instrument, sector, currency or asset class (configuration).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from engine.errors import ConfigError
from engine.market_risk.factors import FX_PREFIX, PRICE_PREFIX, FactorHistory, returns

log = logging.getLogger(__name__)

SHOCK_SELECTORS = ("factor", "instrument_id", "sector", "currency", "asset_class")


@dataclass(frozen=True)
class ScenarioSet:
    names: tuple[str, ...]
    factor_ids: tuple[str, ...]
    returns: np.ndarray  # (S, F)
    dates: np.ndarray | None = None  # (S,) scenario end dates (historical)
    meta: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def n(self) -> int:
        return int(self.returns.shape[0])

    def align(self, factor_ids: Sequence[str]) -> np.ndarray:
        """The returns with columns in ``factor_ids`` order (factors not in the set: 0)."""
        lookup = {f: i for i, f in enumerate(self.factor_ids)}
        idx = np.fromiter((lookup.get(f, -1) for f in factor_ids), dtype=np.int64, count=len(factor_ids))
        padded = np.concatenate([self.returns, np.zeros((self.n, 1))], axis=1)
        return padded[:, np.where(idx >= 0, idx, self.returns.shape[1])]


def historical_scenarios(history: FactorHistory, n_scenarios: int, horizon: int = 1) -> ScenarioSet:
    """The last ``n_scenarios`` ``horizon``-day (overlapping) returns of the history."""
    r = returns(history.levels, horizon)
    r = r[-n_scenarios:] if n_scenarios > 0 else r[:0]
    end_dates = history.dates[horizon:][-r.shape[0]:] if r.shape[0] else history.dates[:0]
    names = tuple(str(d) for d in end_dates)
    return ScenarioSet(names, history.factor_ids, r, end_dates)


def window_scenarios(history: FactorHistory, windows: Sequence[Mapping[str, Any]]) -> tuple[ScenarioSet, list[str]]:
    """One scenario per dated stress window ``{name, start, end}``: each factor's relative move
    from its level on ``start`` to ``end`` (last market date on or before each). Windows not
    covered by the history are skipped; their names are returned. Windows given by
    ``worst_days`` instead of dates are left to :func:`worst_window_scenarios`."""
    names: list[str] = []
    meta: list[dict[str, Any]] = []
    starts: list[int] = []
    ends: list[int] = []
    skipped: list[str] = []
    first = history.dates[0] if history.n_dates else None
    for w in windows:  # a handful of configured windows
        name = str(w["name"])
        if "worst_days" in w:
            continue
        start, end = _as_date(w.get("start"), name), _as_date(w.get("end"), name)
        if end <= start:
            raise ConfigError(f"stress window {name!r}: end {end} must be after start {start}")
        i0, i1 = history.date_index(start), history.date_index(end)
        if first is None or start < first.astype(object) or i0 < 0 or i1 <= i0:
            skipped.append(name)
            continue
        names.append(name)
        starts.append(i0)
        ends.append(i1)
        meta.append({
            "window_start": history.dates[i0].astype(object),
            "window_end": history.dates[i1].astype(object),
            "description": w.get("description"),
        })
    if skipped:
        log.warning("stress windows outside the price history, skipped: %s", skipped)
    if not names:
        return ScenarioSet((), history.factor_ids, np.zeros((0, len(history.factor_ids)))), skipped
    lv = history.levels
    with np.errstate(divide="ignore", invalid="ignore"):
        r = lv[np.array(ends)] / lv[np.array(starts)] - 1.0
    r[~np.isfinite(r)] = 0.0
    return ScenarioSet(tuple(names), history.factor_ids, r, None, tuple(meta)), skipped


def worst_window_scenarios(
    history: FactorHistory, windows: Sequence[Mapping[str, Any]], firm_pnl: Callable[[np.ndarray], np.ndarray]
) -> tuple[ScenarioSet, list[str]]:
    """One scenario per ``{name, worst_days: N}`` window: the N-day (overlapping) move in the
    whole history that loses the most for the current portfolio (``firm_pnl`` maps (S, F)
    returns in ``history.factor_ids`` order to (S,) P&L). Too short a history: skipped."""
    names: list[str] = []
    rows: list[np.ndarray] = []
    meta: list[dict[str, Any]] = []
    skipped: list[str] = []
    for w in windows:  # a handful of configured windows
        if "worst_days" not in w:
            continue
        name, days = str(w["name"]), int(w["worst_days"])
        if days < 1:
            raise ConfigError(f"stress window {name!r}: worst_days must be >= 1, found {days}")
        r = returns(history.levels, days)
        if r.shape[0] == 0:
            skipped.append(name)
            continue
        i = int(np.argmin(firm_pnl(r)))
        names.append(name)
        rows.append(r[i])
        meta.append({
            "window_start": history.dates[i].astype(object),
            "window_end": history.dates[i + days].astype(object),
            "description": w.get("description"),
        })
    if not names:
        return ScenarioSet((), history.factor_ids, np.zeros((0, len(history.factor_ids)))), skipped
    return ScenarioSet(tuple(names), history.factor_ids, np.vstack(rows), None, tuple(meta)), skipped


def factor_attributes(factor_ids: Sequence[str], instruments: pl.DataFrame, base_currency: str) -> pl.DataFrame:
    """Attributes of each factor for shock selection: kind (PX | FX), instrument_id, sector,
    currency, asset_class. ``instruments`` has instrument_id, sector, currency, asset_class."""
    f = pl.DataFrame({"factor": list(factor_ids)}, schema={"factor": pl.Utf8})
    f = f.with_columns(
        kind=pl.when(pl.col("factor").str.starts_with(FX_PREFIX)).then(pl.lit("FX")).otherwise(pl.lit("PX")),
        key=pl.col("factor").str.slice(3),
    )
    inst = instruments.select(
        pl.col("instrument_id").cast(pl.Utf8),
        pl.col("sector").cast(pl.Utf8) if "sector" in instruments.columns else pl.lit(None, pl.Utf8).alias("sector"),
        pl.col("currency").cast(pl.Utf8) if "currency" in instruments.columns else pl.lit(None, pl.Utf8).alias("currency"),
        pl.col("asset_class").cast(pl.Utf8) if "asset_class" in instruments.columns else pl.lit(None, pl.Utf8).alias("asset_class"),
    ).unique("instrument_id", keep="first")
    out = f.join(inst, left_on="key", right_on="instrument_id", how="left", maintain_order="left")
    return out.with_columns(
        instrument_id=pl.when(pl.col("kind") == "PX").then(pl.col("key")),
        currency=pl.when(pl.col("kind") == "FX").then(pl.col("key")).otherwise(pl.col("currency")),
    ).select("factor", "kind", "instrument_id", "sector", "currency", "asset_class")


def shock_scenarios(attributes: pl.DataFrame, shocks: Sequence[Mapping[str, Any]]) -> ScenarioSet:
    """One scenario per configured shock ``{name, description, rules=[...]}``.

    A rule selects factors with any of ``factor``, ``instrument_id``, ``sector``, ``currency``,
    ``asset_class`` (all given selectors must match; a value may be a list) and sets
    ``price_shift`` (relative move of the selected instruments' prices) and/or ``fx_shift``
    (relative move of the selected currencies' rates to base; a currency selector picks the
    currency's FX factor, ``fx_shift`` without selector moves every currency). Later rules
    override earlier ones for the same factor.
    """
    factor_ids = tuple(attributes["factor"].to_list())
    rows = np.zeros((len(shocks), len(factor_ids)))
    names: list[str] = []
    meta: list[dict[str, Any]] = []
    is_px = (attributes["kind"] == "PX").to_numpy()
    is_fx = ~is_px
    for s_i, shock in enumerate(shocks):  # configuration items, a handful
        name = str(shock.get("name") or "")
        if not name:
            raise ConfigError("a [[market_risk.shocks]] entry needs a name")
        rules = shock.get("rules") or []
        if not rules:
            raise ConfigError(f"shock {name!r} has no rules")
        for rule in rules:
            unknown = set(rule) - set(SHOCK_SELECTORS) - {"price_shift", "fx_shift"}
            if unknown:
                raise ConfigError(f"shock {name!r}: unknown rule keys {sorted(unknown)}", hint=f"selectors: {SHOCK_SELECTORS}; moves: price_shift, fx_shift")
            px_mask = np.ones(len(factor_ids), dtype=bool)
            fx_mask = np.ones(len(factor_ids), dtype=bool)
            for sel in SHOCK_SELECTORS:
                if sel not in rule:
                    continue
                values = rule[sel] if isinstance(rule[sel], list) else [rule[sel]]
                col = "factor" if sel == "factor" else sel
                m = attributes[col].is_in([str(v) for v in values]).fill_null(False).to_numpy()
                px_mask &= m
                if sel in ("currency", "factor"):
                    fx_mask &= m
                else:
                    fx_mask &= False
            if "price_shift" in rule:
                rows[s_i, px_mask & is_px] = float(rule["price_shift"])
            if "fx_shift" in rule:
                rows[s_i, fx_mask & is_fx] = float(rule["fx_shift"])
        names.append(name)
        meta.append({"window_start": None, "window_end": None, "description": shock.get("description")})
    return ScenarioSet(tuple(names), factor_ids, rows, None, tuple(meta))


def _as_date(value: Any, name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"stress window {name!r}: bad date {value!r}", hint="use ISO dates, e.g. 2020-03-23") from exc


__all__ = [
    "PRICE_PREFIX",
    "ScenarioSet",
    "factor_attributes",
    "historical_scenarios",
    "shock_scenarios",
    "window_scenarios",
    "worst_window_scenarios",
]

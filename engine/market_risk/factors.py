"""Risk factors: price and FX-rate histories as dense (dates x factors) level matrices.

A risk factor is named ``PX:<instrument_id>`` (the instrument's close in mkt_prices) or
``FX:<currency>`` (mkt_fx_rates.rate_to_base, the base-currency value of one unit).
Long rows (date, factor, level) are scattered into a dense numpy array with integer index
arrays (no pivot); gaps are forward-filled; levels before a factor's first observation stay
NaN and give zero returns (the factor is treated as unmoved there).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import polars as pl

from engine import store

log = logging.getLogger(__name__)

PRICE_PREFIX = "PX:"
FX_PREFIX = "FX:"


def price_factor(instrument_id: str) -> str:
    return f"{PRICE_PREFIX}{instrument_id}"


def fx_factor(currency: str) -> str:
    return f"{FX_PREFIX}{currency}"


@dataclass(frozen=True)
class FactorHistory:
    """Levels of the risk factors on a common ascending date grid.

    ``levels[t, f]`` is factor ``factor_ids[f]`` on ``dates[t]`` (forward-filled; NaN before
    the factor's first observation).
    """

    dates: np.ndarray  # datetime64[D], shape (T,)
    factor_ids: tuple[str, ...]  # shape (F,)
    levels: np.ndarray  # float64, shape (T, F)

    @property
    def n_dates(self) -> int:
        return int(self.levels.shape[0])

    def index_of(self, factors: Sequence[str | None]) -> np.ndarray:
        """Column index of each factor id; -1 for None or a factor without history."""
        lookup = {f: i for i, f in enumerate(self.factor_ids)}
        return np.fromiter((lookup.get(f, -1) if f else -1 for f in factors), dtype=np.int64, count=len(factors))

    def tail(self, n_dates: int) -> FactorHistory:
        """The last ``n_dates`` dates."""
        return FactorHistory(self.dates[-n_dates:], self.factor_ids, self.levels[-n_dates:])

    def date_index(self, day: date) -> int:
        """Index of the last date on or before ``day`` (-1 if ``day`` precedes the history)."""
        target = np.array([day], dtype="datetime64[D]")
        return int(np.searchsorted(self.dates, target, side="right")[0]) - 1


def forward_fill(levels: np.ndarray) -> np.ndarray:
    """Forward-fill NaNs down each column (vectorised: running max of the last valid row)."""
    t = levels.shape[0]
    valid = ~np.isnan(levels)
    rows = np.where(valid, np.arange(t)[:, None], 0)
    np.maximum.accumulate(rows, axis=0, out=rows)
    return np.take_along_axis(levels, rows, axis=0)


def scatter_levels(
    long: pl.DataFrame,
    *,
    date_col: str = "obs_date",
    factor_col: str = "factor_id",
    value_col: str = "level",
    factor_ids: Sequence[str] | None = None,
) -> FactorHistory:
    """Scatter long (date, factor, level) rows into a dense forward-filled level matrix.

    ``factor_ids`` fixes the columns (and their order); factors without rows get all-NaN
    columns, rows for other factors are ignored. Duplicate (date, factor) rows: the last wins.
    """
    if factor_ids is None:
        factor_ids = sorted(set(long[factor_col].to_list())) if long.height else []
    ids = tuple(factor_ids)
    if long.height == 0:
        return FactorHistory(np.array([], dtype="datetime64[D]"), ids, np.empty((0, len(ids))))
    days = long[date_col].cast(pl.Date).to_numpy().astype("datetime64[D]")
    grid = np.unique(days)
    di = np.searchsorted(grid, days)
    fi = pl.DataFrame({factor_col: long[factor_col]}).join(
        pl.DataFrame({factor_col: list(ids), "_fi": np.arange(len(ids), dtype=np.int64)}),
        on=factor_col,
        how="left",
        maintain_order="left",
    )["_fi"].fill_null(-1).to_numpy()
    keep = fi >= 0
    levels = np.full((grid.size, len(ids)), np.nan)
    levels[di[keep], fi[keep]] = long[value_col].cast(pl.Float64).to_numpy()[keep]
    return FactorHistory(grid, ids, forward_fill(levels))


def returns(levels: np.ndarray, horizon: int = 1) -> np.ndarray:
    """Relative changes over ``horizon`` rows: ``levels[t+h]/levels[t] - 1`` (overlapping).

    Shape (T - h, F). Undefined returns (missing or non-positive levels) are 0.
    """
    if levels.shape[0] <= horizon:
        return np.zeros((0, levels.shape[1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = levels[horizon:] / levels[:-horizon] - 1.0
    r[~np.isfinite(r)] = 0.0
    return r


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        store.scalar(
            con,
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
            [name],
        )
    )


def load_history(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    instruments: Sequence[str],
    currencies: Sequence[str],
    n_dates: int,
) -> FactorHistory:
    """Levels of ``PX:<instrument>`` and ``FX:<currency>`` factors over the last ``n_dates``
    market dates on or before ``as_of`` (the market dates are those of mkt_prices/mkt_fx_rates)."""
    factor_ids = [price_factor(i) for i in sorted(set(instruments))] + [
        fx_factor(c) for c in sorted(set(currencies))
    ]
    long = store.query_named(
        con,
        "market_risk/factor_history",
        {
            "as_of": as_of,
            "n_dates": int(n_dates),
            "instruments": sorted(set(instruments)) or [""],
            "currencies": sorted(set(currencies)) or [""],
        },
    )
    hist = scatter_levels(long, factor_ids=factor_ids)
    log.debug("factor history: %d dates x %d factors", hist.n_dates, len(hist.factor_ids))
    return hist

"""Stress tests: the P&L of each stress window and user shock for the firm, each desk, each book."""

from __future__ import annotations

import logging

import numpy as np
import polars as pl

from engine.market_risk.portfolio import Sensitivities
from engine.market_risk.scenarios import ScenarioSet

log = logging.getLogger(__name__)


def levels_frame(values: np.ndarray, sens: Sensitivities, row_names: tuple[str, ...]) -> pl.DataFrame:
    """Long frame (row, level, key, value) of a (R, G) by-book matrix, adding desks and firm."""
    desks, onehot = sens.desks()
    by_desk = values @ onehot
    firm = values.sum(axis=1, keepdims=True)
    parts = []
    for level, keys, mat in (("FIRM", ("FIRM",), firm), ("DESK", desks, by_desk), ("BOOK", sens.groups, values)):
        r, k = mat.shape
        parts.append(
            pl.DataFrame(
                {
                    "row": np.repeat(np.array(row_names, dtype=object), k).astype(str) if r else np.array([], dtype=str),
                    "level": [level] * (r * k),
                    "key": np.tile(np.array(keys, dtype=object), r).astype(str) if r else np.array([], dtype=str),
                    "value": mat.ravel(),
                },
                schema={"row": pl.Utf8, "level": pl.Utf8, "key": pl.Utf8, "value": pl.Float64},
            )
        )
    return pl.concat(parts)


def stress_pnl(sens: Sensitivities, scenarios: ScenarioSet, scenario_type: str) -> pl.DataFrame:
    """P&L of each scenario by level: columns scenario, scenario_type, window_start,
    window_end, level, key, pnl, description."""
    if scenarios.n == 0:
        return pl.DataFrame(
            schema={
                "scenario": pl.Utf8, "scenario_type": pl.Utf8, "window_start": pl.Date, "window_end": pl.Date,
                "level": pl.Utf8, "key": pl.Utf8, "pnl": pl.Float64, "description": pl.Utf8,
            }
        )
    pnl = sens.pnl(scenarios.align(sens.factor_ids))
    long = levels_frame(pnl, sens, scenarios.names).rename({"row": "scenario", "value": "pnl"})
    meta = pl.DataFrame(
        {
            "scenario": list(scenarios.names),
            "window_start": [m.get("window_start") for m in scenarios.meta] if scenarios.meta else [None] * scenarios.n,
            "window_end": [m.get("window_end") for m in scenarios.meta] if scenarios.meta else [None] * scenarios.n,
            "description": [m.get("description") for m in scenarios.meta] if scenarios.meta else [None] * scenarios.n,
        },
        schema={"scenario": pl.Utf8, "window_start": pl.Date, "window_end": pl.Date, "description": pl.Utf8},
    )
    return long.join(meta, on="scenario", how="left", maintain_order="left").with_columns(
        scenario_type=pl.lit(scenario_type)
    ).select("scenario", "scenario_type", "window_start", "window_end", "level", "key", "pnl", "description")

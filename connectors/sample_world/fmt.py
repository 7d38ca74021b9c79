"""Exact decimal text from integers, and frames shaped as a canonical table.

Inside the generator every decimal is an integer at a known scale (money in minor units or
1e-4, prices in the instrument's tick scale, rates in 1e-8), so no float rounding reaches a file.
These polars expressions turn them into exact decimal strings.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl

log = logging.getLogger(__name__)

IntOrExpr = int | pl.Expr


#: Decimal scales a per-row ``scale`` expression may take (money 0/2/3, prices 0-5, 4 for
#: custodian amounts with sub-minor-unit noise).
SCALES = (0, 2, 3, 4, 5)


def _decimal_text(value: pl.Expr, scale: int) -> pl.Expr:
    """``value / 10**scale`` as text with exactly ``scale`` decimals, through polars' exact Decimal."""
    if scale == 0:
        return value.cast(pl.String)
    unit = pl.lit(Decimal(1).scaleb(-scale)).cast(pl.Decimal(38, scale))
    return (value.cast(pl.Decimal(38, 0)) * unit).cast(pl.String)


def fixed(value: pl.Expr, scale: IntOrExpr, scales: tuple[int, ...] = SCALES) -> pl.Expr:
    """Decimal text of ``value / 10**scale`` with exactly ``scale`` decimals. ``scale`` is an int or
    a per-row expression whose values are among ``scales``. Nulls stay null.
    ``fixed(12345, 2) -> '123.45'``, ``fixed(-5, 2) -> '-0.05'``."""
    if isinstance(scale, int):
        return _decimal_text(value, scale)
    out: pl.Expr = pl.lit(None, dtype=pl.String)
    for s in reversed(scales):
        out = pl.when(scale == s).then(_decimal_text(value, s)).otherwise(out)
    return out


def trimmed(value: pl.Expr, scale: int) -> pl.Expr:
    """Decimal text with trailing zeros of the fraction removed (``0.04500000 -> 0.045``)."""
    text = fixed(value, scale)
    if scale == 0:
        return text
    return text.str.replace(r"0+$", "").str.replace(r"\.$", "")


def amount4(value4: pl.Expr, minor: pl.Expr) -> pl.Expr:
    """An amount held in 1e-4 units, printed with the currency's minor units when it has no
    finer digits, else with 4 decimals (custodian amounts that carry sub-minor-unit noise)."""
    unit = pl.lit(10, dtype=pl.Int64).pow(4 - minor)
    whole = (value4 % unit) == 0
    return pl.when(whole).then(fixed(value4 // unit, minor)).otherwise(fixed(value4, 4))


def lookup(values: Sequence[Any] | np.ndarray, index: Sequence[int] | np.ndarray, name: str) -> pl.Series:
    """``values[index]`` as a polars Series, gathered natively (``values``: a small reference
    array or sequence; ``index``: integer positions, one per row). Avoids building Python strings
    per row."""
    return pl.Series(name, values).gather(pl.Series(index, dtype=pl.Int64))


@functools.cache
def canonical_columns(table: str) -> tuple[str, ...]:
    """The canonical data columns of ``table`` (DDL order, lineage columns excluded)."""
    from engine.schemas import data_columns

    return tuple(c.name for c in data_columns(table))


def shape(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """Select exactly the canonical columns of ``table`` in DDL order; absent ones are null text."""
    cols = []
    for name in canonical_columns(table):
        if name in frame.columns:
            cols.append(pl.col(name))
        else:
            cols.append(pl.lit(None, dtype=pl.String).alias(name))
    return frame.select(cols)

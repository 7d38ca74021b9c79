"""Positions -> sensitivities, and scenario P&L as matrix products.

Risk model (documented in the README, section market-risk):

- A linear position (anything that is not an option) is fully revalued: under a scenario
  with price return ``r_px`` (factor ``PX:<instrument>``) and FX return ``r_fx`` (factor
  ``FX:<currency>``, none for the base currency) its base-currency P&L is
  ``MV_base * ((1 + r_px) * (1 + r_fx) - 1)``. An instrument without price history carries FX
  risk only.
- An option position is revalued with delta-gamma on its underlying's price factor:
  ``dollar_delta * r + 0.5 * dollar_gamma * r**2`` (Black-Scholes delta and gamma on the
  underlying price, zero rates), plus ``MV_base * r_fx`` for a non-base currency option.

Positions are grouped (by book): linear positions are aggregated into "units", one per
distinct (price factor, FX factor) pair, with a (units x groups) weight matrix built by a
scatter-add (``np.bincount``). The P&L of S scenarios for all groups is then::

    X = (1 + R[:, unit_px]) * (1 + R[:, unit_fx]) - 1        # (S, U)
    P = X @ W_linear + R @ W_first + 0.5 * R**2 @ W_gamma    # (S, G)

No Python loop over positions or scenarios.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import special

from engine.errors import BadInputError

log = logging.getLogger(__name__)

#: Columns a positions frame must have; the others are optional.
REQUIRED_COLUMNS = ("book_id", "instrument_id", "market_value_base")
OPTIONAL_DEFAULTS: dict[str, Any] = {
    "desk": None,
    "currency": None,
    "asset_class": None,
    "sector": None,
    "quantity": 0.0,
    "price_multiplier": 1.0,
    "fx_rate_to_base": 1.0,
    "option_type": None,  # CALL | PUT marks an option position
    "strike": None,
    "expiry_years": None,
    "volatility": None,
    "underlying_id": None,
    "underlying_price": None,
}


def normalise_positions(positions: pl.DataFrame) -> pl.DataFrame:
    """Check the required columns and add the optional ones with their defaults."""
    missing = [c for c in REQUIRED_COLUMNS if c not in positions.columns]
    if missing:
        raise BadInputError(
            "positions frame lacks columns",
            expected=", ".join(REQUIRED_COLUMNS),
            found=", ".join(positions.columns),
        )
    add = [pl.lit(v).alias(c) for c, v in OPTIONAL_DEFAULTS.items() if c not in positions.columns]
    out = positions.with_columns(add) if add else positions
    float_cols = ["market_value_base", "quantity", "price_multiplier", "fx_rate_to_base", "strike", "expiry_years", "volatility", "underlying_price"]
    return out.with_columns(
        [pl.col(c).cast(pl.Float64) for c in float_cols]
        + [pl.col(c).cast(pl.Utf8) for c in ("book_id", "desk", "instrument_id", "currency", "option_type", "underlying_id", "asset_class", "sector")]
    ).with_columns(
        pl.col("desk").fill_null(pl.col("book_id")),
        pl.col("price_multiplier").fill_null(1.0),
        pl.col("fx_rate_to_base").fill_null(1.0),
        pl.col("quantity").fill_null(0.0),
        pl.col("market_value_base").fill_null(0.0),
        pl.col("option_type").str.to_uppercase(),
    )


def required_factors(positions: pl.DataFrame, base_currency: str) -> tuple[list[str], list[str]]:
    """Instrument ids and currencies whose histories the positions need."""
    p = normalise_positions(positions)
    is_opt = p["option_type"].is_not_null()
    instruments = set(p.filter(~is_opt)["instrument_id"].drop_nulls().to_list())
    instruments |= set(p.filter(is_opt)["underlying_id"].drop_nulls().to_list())
    currencies = {c for c in p["currency"].drop_nulls().unique().to_list() if c != base_currency}
    return sorted(instruments), sorted(currencies)


def black_scholes_greeks(
    spot: np.ndarray, strike: np.ndarray, years: np.ndarray, vol: np.ndarray, is_call: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Black-Scholes delta and gamma per unit of underlying (zero rates and dividends).

    Expired options or zero volatility: delta is the intrinsic indicator, gamma 0.
    """
    alive = (years > 0) & (vol > 0) & (spot > 0) & (strike > 0)
    s = np.where(alive, spot, 1.0)
    k = np.where(alive, strike, 1.0)
    t = np.where(alive, years, 1.0)
    v = np.where(alive, vol, 1.0)
    sd = v * np.sqrt(t)
    d1 = (np.log(s / k) + 0.5 * v * v * t) / sd
    nd1 = special.ndtr(d1)
    delta_alive = np.where(is_call, nd1, nd1 - 1.0)
    gamma_alive = np.exp(-0.5 * d1 * d1) / np.sqrt(2 * np.pi) / (s * sd)
    intrinsic = np.where(is_call, (spot > strike).astype(float), -(spot < strike).astype(float))
    return np.where(alive, delta_alive, intrinsic), np.where(alive, gamma_alive, 0.0)


@dataclass(frozen=True)
class Sensitivities:
    """The portfolio's scenario-revaluation weights, grouped (by book).

    Factor index ``len(factor_ids)`` is the zero factor (no risk) used by positions without a
    price or FX factor.
    """

    factor_ids: tuple[str, ...]
    groups: tuple[str, ...]
    group_desks: tuple[str, ...]
    unit_px: np.ndarray  # (U,) factor index of each linear unit's price factor
    unit_fx: np.ndarray  # (U,) factor index of its FX factor
    w_linear: np.ndarray  # (U, G) base-currency market value
    w_first: np.ndarray  # (F+1, G) option dollar deltas and option FX exposure
    w_gamma: np.ndarray  # (F+1, G) option dollar gammas
    n_positions: int

    @property
    def n_factors(self) -> int:
        return len(self.factor_ids)

    def _pad(self, r: np.ndarray) -> np.ndarray:
        if r.shape[-1] != self.n_factors:
            raise ValueError(f"scenario returns have {r.shape[-1]} factors, expected {self.n_factors}")
        return np.concatenate([r, np.zeros(r.shape[:-1] + (1,))], axis=-1)

    def pnl(self, r: np.ndarray) -> np.ndarray:
        """P&L (S, G) of scenario returns ``r`` (S, F) (columns in ``factor_ids`` order)."""
        rz = self._pad(np.atleast_2d(r))
        x = np.take(rz, self.unit_px, axis=1)  # (S, U) price moves of the linear units
        foreign = self.unit_fx != self.n_factors
        if foreign.any():  # (1 + r_px)(1 + r_fx) - 1 = r_px + r_fx (1 + r_px), in place
            fx = np.take(rz, self.unit_fx, axis=1)
            fx *= 1.0 + x
            x += fx
        out = x @ self.w_linear + rz @ self.w_first
        if np.any(self.w_gamma):
            out += 0.5 * (rz * rz) @ self.w_gamma
        return out

    def exposures(self) -> np.ndarray:
        """First-order (delta) exposures (F, G): d P&L / d return of each factor."""
        f1, g = self.n_factors + 1, len(self.groups)
        e = self.w_first.copy()
        e += _scatter(self.unit_px, self.w_linear, f1, g)
        e += _scatter(self.unit_fx, self.w_linear, f1, g)
        return e[:-1]

    def gammas(self) -> np.ndarray:
        """Dollar gammas (F, G)."""
        return self.w_gamma[:-1]

    def desks(self) -> tuple[tuple[str, ...], np.ndarray]:
        """The desks and the (G, D) one-hot matrix mapping groups (books) to desks."""
        desks, inv = np.unique(np.array(self.group_desks, dtype=object).astype(str), return_inverse=True)
        onehot = np.zeros((len(self.groups), desks.size))
        onehot[np.arange(len(self.groups)), inv] = 1.0
        return tuple(desks.tolist()), onehot

    def total(self) -> Sensitivities:
        """The same portfolio as one group (the firm)."""
        return Sensitivities(
            self.factor_ids,
            ("FIRM",),
            ("FIRM",),
            self.unit_px,
            self.unit_fx,
            self.w_linear.sum(axis=1, keepdims=True),
            self.w_first.sum(axis=1, keepdims=True),
            self.w_gamma.sum(axis=1, keepdims=True),
            self.n_positions,
        )


def _scatter(index: np.ndarray, weights: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """out[index[u], g] += weights[u, g] (scatter-add via bincount)."""
    if index.size == 0:
        return np.zeros((rows, cols))
    flat = (index[:, None] * cols + np.arange(cols)[None, :]).ravel()
    return np.bincount(flat, weights=weights.ravel(), minlength=rows * cols).reshape(rows, cols)


def _scatter_pairs(rows_idx: np.ndarray, cols_idx: np.ndarray, values: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """A dense (rows, cols) matrix with out[rows_idx[i], cols_idx[i]] += values[i]."""
    return np.bincount(rows_idx * cols + cols_idx, weights=values, minlength=rows * cols).reshape(rows, cols)


def build_sensitivities(
    positions: pl.DataFrame,
    factor_ids: tuple[str, ...] | list[str],
    *,
    base_currency: str,
    group_col: str = "book_id",
) -> Sensitivities:
    """Sensitivities of ``positions`` to the factors ``factor_ids``, grouped by ``group_col``."""
    p = normalise_positions(positions)
    fids = tuple(factor_ids)
    nf = len(fids)
    lookup = pl.DataFrame({"_f": list(fids), "_i": np.arange(nf, dtype=np.int64)})
    is_opt = p["option_type"].is_not_null()
    p = p.with_columns(
        _px=pl.when(is_opt).then(pl.lit("PX:") + pl.col("underlying_id")).otherwise(pl.lit("PX:") + pl.col("instrument_id")),
        _fx=pl.when(pl.col("currency").is_not_null() & (pl.col("currency") != base_currency)).then(pl.lit("FX:") + pl.col("currency")),
        _grp=pl.col(group_col),
    )
    p = (
        p.join(lookup.rename({"_f": "_px", "_i": "_pxi"}), on="_px", how="left", maintain_order="left")
        .join(lookup.rename({"_f": "_fx", "_i": "_fxi"}), on="_fx", how="left", maintain_order="left")
        .with_columns(pl.col("_pxi").fill_null(nf), pl.col("_fxi").fill_null(nf))
    )
    groups_df = p.group_by("_grp").agg(pl.col("desk").first()).sort("_grp")
    groups = tuple(groups_df["_grp"].to_list())
    desks = tuple(groups_df["desk"].to_list())
    p = p.join(
        groups_df.select("_grp", _gi=pl.int_range(pl.len(), dtype=pl.Int64)), on="_grp", how="left", maintain_order="left"
    )
    g = len(groups)
    opt_mask = p["option_type"].is_not_null().to_numpy()
    gi = p["_gi"].to_numpy()
    pxi = p["_pxi"].to_numpy().astype(np.int64)
    fxi = p["_fxi"].to_numpy().astype(np.int64)
    mv = p["market_value_base"].to_numpy()

    # linear positions: units = distinct (price factor, fx factor) pairs
    lin = ~opt_mask
    key = pxi[lin] * (nf + 1) + fxi[lin]
    ukeys, uinv = np.unique(key, return_inverse=True)
    unit_px = (ukeys // (nf + 1)).astype(np.int64)
    unit_fx = (ukeys % (nf + 1)).astype(np.int64)
    w_linear = _scatter_pairs(uinv, gi[lin], mv[lin], ukeys.size, g)

    # options: delta-gamma on the underlying's price factor, FX on the option's value
    w_first = np.zeros((nf + 1, g))
    w_gamma = np.zeros((nf + 1, g))
    if opt_mask.any():
        o = p.filter(pl.Series(opt_mask))
        spot = o["underlying_price"].fill_null(0.0).to_numpy()
        delta, gamma = black_scholes_greeks(
            spot,
            o["strike"].fill_null(0.0).to_numpy(),
            o["expiry_years"].fill_null(0.0).to_numpy(),
            o["volatility"].fill_null(0.0).to_numpy(),
            (o["option_type"] == "CALL").to_numpy(),
        )
        scale = (o["quantity"] * o["price_multiplier"] * o["fx_rate_to_base"]).to_numpy()
        ogi, opx, ofx = gi[opt_mask], pxi[opt_mask], fxi[opt_mask]
        w_first += _scatter_pairs(opx, ogi, scale * delta * spot, nf + 1, g)
        w_first += _scatter_pairs(ofx, ogi, mv[opt_mask], nf + 1, g)
        w_gamma += _scatter_pairs(opx, ogi, scale * gamma * spot * spot, nf + 1, g)
        w_first[nf] = 0.0
        w_gamma[nf] = 0.0
    return Sensitivities(fids, groups, desks, unit_px, unit_fx, w_linear, w_first, w_gamma, p.height)

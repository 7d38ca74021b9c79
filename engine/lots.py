"""Vectorised lot matching: the open lots and realised P&L of many (book, instrument) groups.

No loop over trades. The trades of every group are laid out one after the other (sorted by
group, then in execution order) and the whole book is matched at once with cumulative
quantities per group:

1. The position path of each group is a segmented cumulative sum of the signed quantities.
   A *segment* runs from a flat point (or a trade that takes the position through zero) to
   the next; no lot survives a flat point, so only each group's last segment holds open lots,
   and a trade that crossed zero opens it with what is left after closing the other side (its
   position after the trade). Within the segment every trade either opens (``|position|``
   grows) or closes.
2. The open lots of that segment follow from the lot method:

   - **FIFO** closes the oldest units first, so the open units are the last ``|P|`` units
     opened: the overlap of each opening piece's range on the cumulative opening axis with the
     window ``(O_end - |P|, O_end]``.
   - **LIFO** is a stack, and a stack's depth is the position level: the units an opening put at
     levels ``(A_before, A_after]`` survive up to the lowest level the position touched after it,
     i.e. the suffix minimum of ``|position|`` (``(A_before, min(A_after, suffix_min)]``).
   - **AVERAGE** keeps one average cost that only openings change; a closing scales the cost of
     every open unit by ``A_after / A_before``, so an opening piece's surviving share is the
     product of those ratios after it (a suffix sum of logarithms, exponentiated).

3. Realised P&L (inception to date) is then an identity, whatever the method:
   ``realised = -(sum of signed consideration) + signed open cost``; the run computes the
   consideration exactly in SQL (DECIMAL) and takes only the open cost from here.

Quantities are integers (DECIMAL quantities times ``10**scale``) so flat points are exact;
unit prices (local currency per unit, ``price * multiplier``) are float64.
Sign conventions: quantity > 0 buys, < 0 sells; open cost is signed like the position
(a short position has a negative open cost: the proceeds of the open short sales).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

log = logging.getLogger(__name__)

FIFO, LIFO, AVERAGE = 0, 1, 2
METHOD_CODES: dict[str, int] = {"FIFO": FIFO, "LIFO": LIFO, "AVERAGE": AVERAGE, "AVG": AVERAGE, "WAC": AVERAGE}

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LotState:
    """Per group (one entry per distinct group id, ascending):

    ``quantity`` signed net quantity (scaled integer units); ``open_cost`` signed cost of the open
    lots in local currency; ``consideration`` signed sum of quantity x unit price of every trade
    (buys positive), float; ``realised`` realised P&L inception to date (float:
    ``open_cost - consideration``).
    """

    group: IntArray
    quantity: IntArray
    open_cost: FloatArray
    consideration: FloatArray
    realised: FloatArray

    def to_frame(self, scale: int = 1) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "gid": self.group,
                "quantity": self.quantity / scale if scale != 1 else self.quantity,
                "open_cost": self.open_cost,
                "consideration": self.consideration / scale if scale != 1 else self.consideration,
                "realised": self.realised / scale if scale != 1 else self.realised,
            }
        )


def method_code(name: str | None, default: str = "FIFO") -> int:
    """The integer code of a lot method name (FIFO, LIFO, AVERAGE); ``None`` gives the default."""
    key = (name or default).strip().upper()
    if key not in METHOD_CODES:
        raise ValueError(f"unknown lot method {name!r}; expected FIFO, LIFO or AVERAGE")
    return METHOD_CODES[key]


def _group_starts(group: IntArray) -> npt.NDArray[np.bool_]:
    first = np.empty(group.shape[0], dtype=bool)
    if group.shape[0]:
        first[0] = True
        np.not_equal(group[1:], group[:-1], out=first[1:])
    return first


def _segmented_cumsum(values: IntArray, first: npt.NDArray[np.bool_]) -> IntArray:
    """Cumulative sum restarting where ``first`` is True. Integer overflow of the global
    running sum is harmless: numpy wraps modulo 2**64 and the difference is exact as long as
    each segment's own sum fits in int64."""
    cs = np.cumsum(values, dtype=np.int64)
    start_idx = np.maximum.accumulate(np.where(first, np.arange(values.shape[0]), 0))
    base = np.where(start_idx > 0, cs[start_idx - 1], 0)
    with np.errstate(over="ignore"):
        return cs - base  # type: ignore[no-any-return]


def match_lots(
    group: npt.ArrayLike,
    quantity: npt.ArrayLike,
    unit_price: npt.ArrayLike,
    method: npt.ArrayLike | int = FIFO,
) -> LotState:
    """Match the lots of every group at once.

    ``group`` (int, non-decreasing), ``quantity`` (signed int, scaled units), ``unit_price``
    (float, local currency per *scaled* unit times the scale, i.e. per unit) and ``method``
    (lot method code per row, constant within a group, or one code for all) are aligned arrays
    sorted by group and then execution order. Returns the state after the last trade of each
    group (:class:`LotState`). Open cost is in currency units when quantities are whole units;
    with scaled quantities divide cost-like outputs by the scale (see :func:`match_lots_scaled`).
    """
    g = np.asarray(group, dtype=np.int64)
    q = np.asarray(quantity, dtype=np.int64)
    u = np.asarray(unit_price, dtype=np.float64)
    n = g.shape[0]
    if q.shape[0] != n or u.shape[0] != n:
        raise ValueError("group, quantity and unit_price must have the same length")
    if n and np.any(g[1:] < g[:-1]):
        raise ValueError("trades must be sorted by group")
    meth = np.broadcast_to(np.asarray(method, dtype=np.int8), (n,))
    if n == 0:
        empty_i = np.zeros(0, dtype=np.int64)
        empty_f = np.zeros(0, dtype=np.float64)
        return LotState(empty_i, empty_i, empty_f, empty_f, empty_f)

    first = _group_starts(g)
    pos_after = _segmented_cumsum(q, first)
    pos_before = pos_after - q
    gidx = np.cumsum(first) - 1  # dense group index per row
    n_groups = int(gidx[-1]) + 1
    last = np.empty(n, dtype=bool)
    last[:-1] = first[1:]
    last[-1] = True
    end_pos = pos_after[last]

    # 1. only each group's last segment (since its last flat point or zero crossing) holds
    #    open lots; a trade that crosses zero opens that segment with what is left after
    #    closing the old side, i.e. with its pos_after
    starts_seg = (pos_before == 0) | ((pos_before > 0) & (pos_after < 0)) | ((pos_before < 0) & (pos_after > 0))
    rows = np.arange(n)
    seg_start = np.maximum.accumulate(np.where(starts_seg, rows, 0))  # a group's first row has pos_before 0
    g_seg_start = seg_start[last]
    idx = np.flatnonzero((rows >= g_seg_start[gidx]) & (end_pos[gidx] != 0))

    open_cost = np.zeros(n_groups, dtype=np.float64)
    if idx.size:
        fg = gidx[idx]
        f_first = idx == g_seg_start[fg]
        f_after = np.abs(pos_after[idx])
        f_before = np.where(f_first, 0, np.abs(pos_before[idx]))
        f_size = np.where(f_first, f_after, np.abs(q[idx]))
        f_open = f_after > f_before
        f_meth = meth[idx]
        a_end = np.abs(end_pos)[fg]

        # FIFO: overlap of each opening piece with the last |P| opened units
        open_size = np.where(f_open, f_size, 0)
        ffirst = _group_starts(fg)
        o_cum = _segmented_cumsum(open_size, ffirst)
        flast = np.empty(idx.size, dtype=bool)
        flast[:-1] = ffirst[1:]
        flast[-1] = True
        o_end = np.zeros(n_groups, dtype=np.int64)
        o_end[fg[flast]] = o_cum[flast]
        lo = o_end[fg] - a_end
        surviving = np.clip(o_cum - np.maximum(o_cum - open_size, lo), 0, None).astype(np.float64)

        # LIFO and AVERAGE need suffix scans within each group's last segment
        if np.any(f_meth != FIFO):
            with np.errstate(divide="ignore"):
                log_ratio = np.where(f_open, 0.0, np.log(f_after / np.maximum(f_before, 1)))
            scans = pl.DataFrame({"g": fg, "a": f_after, "lr": log_ratio}).select(
                pl.col("a").cum_min(reverse=True).over("g").alias("suffix_min"),
                pl.col("lr").cum_sum(reverse=True).over("g").alias("suffix_lr"),
            )
            suffix_min = scans["suffix_min"].to_numpy()
            after_lr = scans["suffix_lr"].to_numpy() - log_ratio  # closings strictly after
            lifo = np.where(f_open, np.clip(suffix_min - f_before, 0, f_size), 0).astype(np.float64)
            avg = np.where(f_open, f_size * np.exp(after_lr), 0.0)
            surviving = np.where(f_meth == LIFO, lifo, np.where(f_meth == AVERAGE, avg, surviving))
        open_cost = (np.bincount(fg, weights=surviving * u[idx], minlength=n_groups) * np.sign(end_pos)).astype(np.float64)

    consideration = np.bincount(gidx, weights=q * u, minlength=n_groups).astype(np.float64)
    return LotState(
        group=g[first],
        quantity=end_pos.astype(np.int64),
        open_cost=open_cost,
        consideration=consideration,
        realised=open_cost - consideration,
    )


def match_lots_scaled(
    group: npt.ArrayLike,
    quantity: npt.ArrayLike,
    unit_price: npt.ArrayLike,
    method: npt.ArrayLike | int = FIFO,
    *,
    scale: int = 1_000_000,
) -> LotState:
    """:func:`match_lots` for quantities given as integers in units of ``1/scale`` (e.g. the
    micro-units of a DECIMAL(24,6)); cost-like outputs are returned in currency units."""
    st = match_lots(group, quantity, unit_price, method)
    return LotState(
        group=st.group,
        quantity=st.quantity,
        open_cost=st.open_cost / scale,
        consideration=st.consideration / scale,
        realised=st.realised / scale,
    )

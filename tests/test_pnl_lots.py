"""Lot matching (engine.lots): the textbook known answer, shorts and flips by hand, and the
vectorised matcher against a plain sequential lot ledger on random books (property test)."""

from __future__ import annotations

from collections import deque

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.lots import AVERAGE, FIFO, LIFO, match_lots, match_lots_scaled, method_code
from engine.pnl import realised_pnl

# buy 100 @ 10, buy 100 @ 30, sell 100 @ 20, buy 100 @ 50, sell 100 @ 30
KNOWN_Q = [100, 100, -100, 100, -100]
KNOWN_P = [10.0, 30.0, 20.0, 50.0, 30.0]


@pytest.mark.parametrize(
    ("method", "realised", "open_cost"),
    [
        (FIFO, 1000.0, 5000.0),  # closes 100@10 (+1000) then 100@30 (0); 100@50 left
        (LIFO, -3000.0, 1000.0),  # closes 100@30 (-1000) then 100@50 (-2000); 100@10 left
        (AVERAGE, -500.0, 3500.0),  # avg 20 -> 0, then avg 35 -> -500; 100 @ 35 left
    ],
)
def test_known_answer_fifo_lifo_average(method: int, realised: float, open_cost: float) -> None:
    st_ = match_lots([7] * 5, KNOWN_Q, KNOWN_P, method)
    assert st_.group.tolist() == [7]
    assert st_.quantity.tolist() == [100]
    assert st_.realised[0] == pytest.approx(realised, abs=1e-9)
    assert st_.open_cost[0] == pytest.approx(open_cost, abs=1e-9)


def test_known_answer_by_book_lot_method() -> None:
    trades = pl.DataFrame(
        {
            "book_id": [b for b in ("F", "L", "A") for _ in range(5)],
            "instrument_id": ["X"] * 15,
            "side": ["BUY", "BUY", "SELL", "BUY", "SELL"] * 3,
            "quantity": [100] * 15,
            "price": KNOWN_P * 3,
            "lot_method": ["FIFO"] * 5 + ["LIFO"] * 5 + ["AVERAGE"] * 5,
        }
    )
    out = realised_pnl(trades).sort("book_id")
    assert dict(zip(out["book_id"], out["realised"], strict=True)) == pytest.approx({"A": -500.0, "F": 1000.0, "L": -3000.0})
    assert dict(zip(out["book_id"], out["avg_cost"], strict=True)) == pytest.approx({"A": 35.0, "F": 50.0, "L": 10.0})


def test_short_position_and_flip_by_hand() -> None:
    # sell 100 @ 50 (short), buy 50 @ 40 (+500), buy 100 @ 30: closes 50 short @ 50 (+1000)
    # and flips to long 50 @ 30
    for method in (FIFO, LIFO, AVERAGE):
        s = match_lots([1, 1, 1], [-100, 50, 100], [50.0, 40.0, 30.0], method)
        assert s.quantity.tolist() == [50]
        assert s.realised[0] == pytest.approx(1500.0)
        assert s.open_cost[0] == pytest.approx(1500.0)


def test_short_lots_fifo_vs_lifo() -> None:
    # short 10 @ 100, short 10 @ 80, buy back 10 @ 90: FIFO closes the 100 (+100), LIFO the 80 (-100)
    q, p = [-10, -10, 10], [100.0, 80.0, 90.0]
    assert match_lots([0] * 3, q, p, FIFO).realised[0] == pytest.approx(100.0)
    assert match_lots([0] * 3, q, p, LIFO).realised[0] == pytest.approx(-100.0)
    assert match_lots([0] * 3, q, p, AVERAGE).realised[0] == pytest.approx(0.0)
    # open short cost is negative (proceeds of the open short sales)
    assert match_lots([0] * 3, q, p, FIFO).open_cost[0] == pytest.approx(-800.0)


def test_flat_then_reopen_does_not_carry_lots() -> None:
    s = match_lots([0] * 4, [10, -10, 5, 5], [1.0, 2.0, 7.0, 9.0], LIFO)
    assert s.realised[0] == pytest.approx(10.0)
    assert s.open_cost[0] == pytest.approx(80.0)


def test_many_groups_at_once_and_scaled_quantities() -> None:
    # 0.5 + 0.25 bought, 0.5 sold, in micro-units: FIFO realised 0.5 * (3 - 2) = 0.5
    g = [1, 1, 1, 2, 2]
    q = [500_000, 250_000, -500_000, 1_000_000, -1_000_000]
    p = [2.0, 4.0, 3.0, 10.0, 12.0]
    s = match_lots_scaled(g, q, p, FIFO, scale=1_000_000)
    assert s.group.tolist() == [1, 2]
    assert s.realised.tolist() == pytest.approx([0.5, 2.0])
    assert s.open_cost.tolist() == pytest.approx([1.0, 0.0])


def test_method_codes_and_bad_input() -> None:
    assert method_code("fifo") == FIFO and method_code(None) == FIFO and method_code("Average") == AVERAGE
    with pytest.raises(ValueError):
        method_code("HIFO")
    with pytest.raises(ValueError):
        match_lots([2, 1], [1, 1], [1.0, 1.0])


def _ledger(qs: list[int], ps: list[float], method: int) -> tuple[float, float, int]:
    """A plain lot ledger, one trade at a time: the reference the matcher must agree with."""
    lots: deque[list[float]] = deque()
    realised = 0.0
    for q, p in zip(qs, ps, strict=True):
        while q and lots and np.sign(lots[0][0]) != np.sign(q):
            if method == AVERAGE:
                tot = sum(lot[0] for lot in lots)
                cost = sum(lot[0] * lot[1] for lot in lots)
                lots = deque([[tot, cost / tot]])
            lot = lots[0] if method != LIFO else lots[-1]
            take = min(abs(q), abs(lot[0])) * np.sign(lot[0])
            realised += take * (p - lot[1])
            lot[0] -= take
            q += take
            if lot[0] == 0:
                lots.popleft() if method != LIFO else lots.pop()
        if q:
            if method == AVERAGE and lots:
                tot = sum(lot[0] for lot in lots)
                cost = sum(lot[0] * lot[1] for lot in lots)
                lots = deque([[tot + q, (cost + q * p) / (tot + q)]])
            else:
                lots.append([q, p])
    return realised, sum(lot[0] * lot[1] for lot in lots), int(sum(lot[0] for lot in lots))


book = st.lists(
    st.tuples(st.integers(0, 3), st.integers(-6, 6).map(lambda x: x * 10), st.integers(1, 99)),
    min_size=1,
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(book, st.lists(st.sampled_from([FIFO, LIFO, AVERAGE]), min_size=4, max_size=4))
def test_matches_a_sequential_ledger(rows: list[tuple[int, int, int]], methods: list[int]) -> None:
    rows = sorted(rows, key=lambda r: r[0])  # stable: keeps execution order within a group
    g = np.array([r[0] for r in rows])
    q = np.array([r[1] for r in rows])
    p = np.array([float(r[2]) for r in rows])
    s = match_lots(g, q, p, np.array(methods)[g])
    for k, gg in enumerate(s.group):
        sel = g == gg
        realised, open_cost, qty = _ledger(list(q[sel]), list(p[sel]), methods[gg])
        assert s.quantity[k] == qty
        assert s.realised[k] == pytest.approx(realised, abs=1e-6)
        assert s.open_cost[k] == pytest.approx(open_cost, abs=1e-6)

"""Positions through the run on inline rows: trade-date vs settlement-date basis, futures
multipliers, bonds clean + accrued, FX forwards at the implied forward, price fallbacks,
live trade versions, lineage to trades. Expected values worked by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine.positions import load_positions, position_trades
from tests.positions_world import fx, insert, make_cfg, prices, read, reference, run, trade

PREV, AS_OF = date(2024, 3, 14), date(2024, 3, 15)


def _positions(cfg, basis: str = "TRADE") -> dict[tuple[str, str], dict]:  # type: ignore[no-untyped-def]
    df = read(cfg, "SELECT * FROM out_positions WHERE as_of = $d AND basis = $b", {"d": AS_OF, "b": basis})
    return {(r["book_id"], r["instrument_id"]): r for r in df.to_dicts()}


def test_positions_by_basis_multiplier_bond_and_forward(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path, positions={"deposit_rates": {"USD": 0.05, "EUR": 0.03}})
    reference(cfg)
    insert(
        cfg,
        "fo_trades",
        [
            trade("T1", "B1", "EQA", "BUY", 300, 10, date(2024, 3, 12), date(2024, 3, 14)),
            trade("T2", "B1", "EQA", "SELL", 100, 12, AS_OF, date(2024, 3, 19)),  # not settled yet
            trade("T3", "B2", "FUT", "BUY", 2, 99, PREV, PREV, currency="EUR"),
            trade("T4", "R1", "UST", "BUY", 1_000_000, 98.5, AS_OF, date(2024, 3, 19)),
            trade("T5", "R1", "EURUSD3M", "BUY", 1_000_000, 1.09, AS_OF, date(2024, 6, 17)),
        ],
    )
    prices(cfg, [("EQA", AS_OF, 15.0), ("FUT", AS_OF, 101.0), ("UST", AS_OF, 99.5)])
    fx(cfg, [("EUR", PREV, 1.08), ("EUR", AS_OF, 1.10)])
    run(cfg, AS_OF)
    tr, st = _positions(cfg, "TRADE"), _positions(cfg, "SETTLE")

    eq = tr[("B1", "EQA")]
    assert float(eq["quantity"]) == 200 and float(eq["market_value_local"]) == 3000.0
    assert float(eq["avg_cost"]) == 10.0 and float(eq["unrealised_local"]) == 1000.0
    assert eq["position_id"] == "B1|EQA" and eq["trader"] == "alice" and eq["desk"] == "EQ"
    assert float(st[("B1", "EQA")]["quantity"]) == 300  # the sell settles on the 19th

    fut = tr[("B2", "FUT")]  # 2 contracts x 101 x 50, EUR at 1.10
    assert float(fut["market_value_local"]) == 10_100.0 and float(fut["market_value_base"]) == 11_110.0
    assert float(fut["avg_cost"]) == 99.0

    bond = tr[("R1", "UST")]  # clean 995,000 + accrued 45,000 x 29/182/2 (15 Feb -> 15 Mar, ACT/ACT)
    assert float(bond["accrued_local"]) == pytest.approx(1_000_000 * 0.045 * 29 / 364, abs=1e-4)
    assert float(bond["market_value_local"]) == pytest.approx(995_000 + 3585.1648, abs=1e-4)
    assert ("R1", "UST") not in st  # settles on the 19th

    fwd = tr[("R1", "EURUSD3M")]  # no close: spot 1.10 x (1 + 5% x 94/360) / (1 + 3% x 94/360)
    f = 1.10 * (1 + 0.05 * 94 / 360) / (1 + 0.03 * 94 / 360)
    assert fwd["price_source"] == "FX_FORWARD" and fwd["currency"] == "USD"
    assert float(fwd["price"]) == pytest.approx(f, abs=1e-9)
    assert float(fwd["market_value_local"]) == pytest.approx(1_000_000 * f, abs=1e-3)
    assert float(fwd["unrealised_local"]) == pytest.approx(1_000_000 * (f - 1.09), abs=1e-3)


def test_price_fallbacks_and_live_versions(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path)
    reference(cfg)
    insert(
        cfg,
        "fo_trades",
        [
            trade("A1", "B1", "EQA", "BUY", 10, 10, date(2024, 3, 1)),
            trade("A1", "B1", "EQA", "BUY", 20, 11, date(2024, 3, 1), version=2, status="AMEND", known_date=date(2024, 3, 4)),
            trade("A2", "B1", "EQA", "BUY", 5, 10, date(2024, 3, 1)),
            trade("A2", "B1", "EQA", "BUY", 5, 10, date(2024, 3, 1), version=2, status="CANCEL", known_date=date(2024, 3, 4)),
            trade("A3", "B1", "EQA", "BUY", 7, 10, date(2024, 3, 1), version=2, status="AMEND", known_date=date(2024, 3, 20)),
            trade("B1", "B1", "EQB", "BUY", 10, 7.5, date(2024, 3, 1)),
        ],
    )
    prices(cfg, [("EQA", date(2024, 3, 11), 12.0)])  # 4 days old on the 15th: STALE
    run(cfg, AS_OF)
    tr = _positions(cfg)
    # A1 as amended (20), A2 cancelled, A3's version 2 is known only on the 20th: not live yet
    assert float(tr[("B1", "EQA")]["quantity"]) == 20
    assert tr[("B1", "EQA")]["price_source"] == "STALE" and tr[("B1", "EQA")]["price_date"] == date(2024, 3, 11)
    assert tr[("B1", "EQB")]["price_source"] == "TRADE" and float(tr[("B1", "EQB")]["market_value_local"]) == 75.0

    lineage = position_trades(cfg, AS_OF, "B1", "EQA")
    assert lineage["trade_id"].to_list() == ["A1"] and lineage["version"].to_list() == [2]
    assert {"batch_id", "src_line", "file_path"} <= set(lineage.columns)
    assert load_positions(cfg, AS_OF).height == 2


def test_rerun_replaces_positions_of_the_date(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path)
    reference(cfg)
    insert(cfg, "fo_trades", [trade("X1", "B1", "EQA", "BUY", 1, 10, PREV)])
    prices(cfg, [("EQA", AS_OF, 10.0)])
    res = run(cfg, AS_OF)
    run(cfg, AS_OF)
    counts = read(cfg, "SELECT basis, count(*) AS n FROM out_positions GROUP BY basis ORDER BY basis")
    assert counts.rows() == [("SETTLE", 1), ("TRADE", 1)]
    assert res.steps["positions"]["positions"] == 1 and res.steps["positions"]["prev_date"] == "2024-03-14"

"""Daily P&L through the end-of-day run on inline rows in a real store: the lot-method known
answer per book, attribution adding up, fees, FX translation, carry over a coupon date, the
P&L check and the front-office P&L reconciliation. Expected values are worked by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.positions_world import fx, insert, make_cfg, one, prices, read, reference, run, trade

D = [date(2024, 3, 11), date(2024, 3, 12), date(2024, 3, 13), date(2024, 3, 14), date(2024, 3, 15)]
PREV, AS_OF = D[3], D[4]


def _known_answer_world(tmp_path: Path):  # type: ignore[no-untyped-def]
    cfg = make_cfg(tmp_path)
    reference(cfg)
    rows = []
    for book in ("B1", "B2", "B3"):  # FIFO, LIFO, AVERAGE
        for k, (side, px) in enumerate([("BUY", 10), ("BUY", 30), ("SELL", 20), ("BUY", 50), ("SELL", 30)]):
            rows.append(trade(f"{book}-{k}", book, "EQA", side, 100, px, D[k]))
    insert(cfg, "fo_trades", rows)
    prices(cfg, [("EQA", PREV, 45.0), ("EQA", AS_OF, 40.0)])
    return cfg


def test_lot_methods_known_answer_through_the_run(tmp_path: Path) -> None:
    cfg = _known_answer_world(tmp_path)
    run(cfg, AS_OF)
    pnl = {r["book_id"]: r for r in read(cfg, "SELECT * FROM out_pnl WHERE as_of = $d", {"d": AS_OF}).to_dicts()}
    assert {b: float(r["realised_itd_local"]) for b, r in pnl.items()} == {"B1": 1000.0, "B2": -3000.0, "B3": -500.0}
    assert {b: r["lot_method"] for b, r in pnl.items()} == {"B1": "FIFO", "B2": "LIFO", "B3": "AVERAGE"}
    # the day's realised: FIFO closes 100@30 (0), LIFO 100@50 (-2000), AVERAGE at 35 (-500)
    assert {b: float(r["realised_local"]) for b, r in pnl.items()} == {"B1": 0.0, "B2": -2000.0, "B3": -500.0}
    # the lot method splits realised/unrealised; the total is the same for all three:
    # MV 200 x 45 = 9,000 -> 100 x 40 = 4,000, cash +3,000: -2,000
    assert {float(r["total_local"]) for r in pnl.values()} == {-2000.0}
    pos = read(cfg, "SELECT book_id, avg_cost, cost_local FROM out_positions WHERE as_of = $d AND basis = 'TRADE' ORDER BY book_id", {"d": AS_OF})
    assert [float(x) for x in pos["avg_cost"]] == [50.0, 10.0, 35.0]
    att = one(cfg, "SELECT * FROM out_pnl_attribution WHERE book_id = 'B1' AND as_of = $d", {"d": AS_OF})
    assert float(att["new_trade_local"]) == -1000.0  # sold 100 @ 30 against the close of 40
    assert float(att["price_move_local"]) == -1000.0  # 200 x (40 - 45)
    assert float(att["total_local"]) == -2000.0
    chk = read(cfg, "SELECT * FROM out_pnl_check WHERE as_of = $d", {"d": AS_OF})
    assert chk["ok"].all() and all(float(x) == 0 for x in chk["difference_local"])


def test_fees_and_fx_translation(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path)
    reference(cfg)
    insert(
        cfg,
        "fo_trades",
        [
            trade("E1", "B1", "EQE", "BUY", 100, 20, PREV, currency="EUR", fees=5),
            trade("E2", "B1", "EQE", "BUY", 50, 22.5, AS_OF, currency="EUR", fees=3),
        ],
    )
    prices(cfg, [("EQE", PREV, 21.0), ("EQE", AS_OF, 22.0)])
    fx(cfg, [("EUR", PREV, 1.08), ("EUR", AS_OF, 1.10)])
    res = run(cfg, AS_OF)
    p = one(cfg, "SELECT * FROM out_pnl WHERE as_of = $d", {"d": AS_OF})
    # MV 2,100 -> 3,300; cash -1,125 - 3 fees: +72 local
    assert float(p["total_local"]) == 72.0
    assert float(p["fees_local"]) == -3.0 and float(p["fees_itd_local"]) == -8.0
    assert float(p["cash_flow_local"]) == -1128.0
    # base: 72 x 1.10 + 2,100 x (1.10 - 1.08) = 79.2 + 42 = 121.2 (= 3,630 - 2,268 - 1,240.8)
    assert float(p["fx_translation_base"]) == 42.0
    assert float(p["total_base"]) == pytest.approx(121.2)
    a = one(cfg, "SELECT * FROM out_pnl_attribution WHERE as_of = $d", {"d": AS_OF})
    assert float(a["new_trade_local"]) == -25.0  # 50 x 22 - 1,125
    assert float(a["price_move_local"]) == 100.0  # 100 x (22 - 21)
    assert float(a["fees_local"]) == -3.0
    parts = ("new_trade_base", "price_move_base", "fx_move_base", "carry_base", "fees_base")
    assert sum(float(a[c]) for c in parts) == pytest.approx(float(a["total_base"]))
    assert float(a["fx_move_base"]) == 42.0
    assert res.steps["pnl"]["check_failures"] == 0


def test_bond_carry_over_a_coupon_date(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path)
    reference(cfg)
    prev, as_of = date(2024, 8, 14), date(2024, 8, 15)  # UST pays 2.25% on 15 Aug
    insert(cfg, "fo_trades", [trade("U1", "R1", "UST", "BUY", 1_000_000, 99, date(2024, 8, 1), accrued_interest=20_893.41)])
    prices(cfg, [("UST", prev, 99.5), ("UST", as_of, 99.5)])
    run(cfg, as_of)
    p = one(cfg, "SELECT * FROM out_pnl WHERE as_of = $d", {"d": as_of})
    # accrued held yesterday: 45,000 x 181/364 = 22,376.3736; today 0 (new period); coupon 22,500
    assert float(p["carry_local"]) == pytest.approx(22_500 - 22_376.3736, abs=1e-4)
    assert float(p["carry_local"]) == pytest.approx(45_000 / 364, abs=1e-4)  # one day of accrual
    assert float(p["unrealised_local"]) == 0.0
    chk = one(cfg, "SELECT * FROM out_pnl_check WHERE as_of = $d", {"d": as_of})
    assert chk["ok"] and float(chk["cash_flow_local"]) == 22_500.0


def test_fo_pnl_reconciliation(tmp_path: Path) -> None:
    cfg = _known_answer_world(tmp_path)
    insert(
        cfg,
        "fo_pnl",
        [
            {"book_id": "B1", "pnl_date": AS_OF, "currency": "USD", "pnl": -2000.4},  # within 1.00
            {"book_id": "B2", "pnl_date": AS_OF, "currency": "USD", "pnl": -1900.0},  # 100 off
            {"book_id": "B9", "pnl_date": AS_OF, "currency": "USD", "pnl": 5.0},  # we have no B9
            {"book_id": "B1", "pnl_date": PREV, "currency": "USD", "pnl": 1.0},  # another date
        ],
    )
    res = run(cfg, AS_OF)
    rec = {r["book_id"]: r for r in read(cfg, "SELECT * FROM out_fo_pnl_recon WHERE as_of = $d", {"d": AS_OF}).to_dicts()}
    assert {b: r["status"] for b, r in rec.items()} == {
        "B1": "MATCH", "B2": "DIFF", "B3": "COMPUTED_ONLY", "B9": "FO_ONLY",
    }
    assert float(rec["B2"]["difference"]) == 100.0
    assert float(rec["B1"]["computed_pnl"]) == -2000.0
    assert res.steps["pnl"]["fo_recon"] == {"COMPUTED_ONLY": 1, "DIFF": 1, "FO_ONLY": 1, "MATCH": 1}


def test_rerun_replaces_the_date_and_later_amendment_restates(tmp_path: Path) -> None:
    cfg = _known_answer_world(tmp_path)
    run(cfg, AS_OF)
    run(cfg, AS_OF)
    assert one(cfg, "SELECT count(*) AS n FROM out_pnl WHERE as_of = $d", {"d": AS_OF})["n"] == 3
    # an amendment of the last FIFO sell known on the date: 100 @ 35 instead of 30
    insert(cfg, "fo_trades", [trade("B1-4", "B1", "EQA", "SELL", 100, 35, D[4], version=2, status="AMEND")])
    run(cfg, AS_OF)
    p = one(cfg, "SELECT * FROM out_pnl WHERE book_id = 'B1' AND as_of = $d", {"d": AS_OF})
    assert float(p["realised_local"]) == 500.0 and float(p["total_local"]) == -1500.0

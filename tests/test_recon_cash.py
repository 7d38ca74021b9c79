"""Cash reconciliation known answers: expected cash per settlement event against statement
entries: matched by reference, without reference (economic), a duplicate and its reversal, a
partial then final settlement, fees ignored, missing and unexpected entries, amount and value-date
differences."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from engine import store
from tests.recon_rows import D, breaks, cash, config, load, run, settlement, trade

Y = D - timedelta(days=1)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    cfg = config(tmp_path_factory.mktemp("recon_cash"))
    q = Decimal
    names = ["1", "2", "3", "4", "5", "6", "7", "8", "9"]
    trades = [trade(f"T{n}") for n in names]
    trades[8] = trade("T9", side="SELL")
    settlements = [settlement(f"S{n}", f"T{n}") for n in names if n not in ("6", "7", "9")]
    settlements += [
        settlement("S7", "T7", status="PARTIAL", settled_quantity=q(60), settled_amount=q("9000.00"), actual_settle_date=Y,
                   known_date=Y),
        settlement("S7", "T7", seq=2, known_date=D),
        settlement("S9", "T9", direction="DELIVER"),
        settlement("S6", "T6", settled_amount=q("14999.99")),    # unique amount: the entry without reference is its
    ]
    m = cash
    movements = [
        m("M1", entry_ref="S1", end_to_end_id="T1"),
        m("M3", entry_ref="S3", amount=q("-15000.02")),
        m("M4", entry_ref="S4", amount=q("-15000.01")),
        m("M5A", entry_ref="S5"), m("M5B", entry_ref="S5"), m("M5C", entry_ref="S5", amount=q("15000.00"), is_reversal=True),
        m("M6", amount=q("-14999.99")),                               # no reference at all: economic pass
        m("M7A", entry_ref="S7", amount=q("-9000.00"), value_date=Y, booking_date=Y, known_date=Y),
        m("M7B", entry_ref="S7", amount=q("-6000.00")),
        m("M8", entry_ref="S8", value_date=Y, booking_date=Y, amount=q("-15000.00")),
        m("M9", entry_ref="S9", amount=q("15000.00")),
        m("FEE", amount=q("-12.50"), bank_tx_code="ACMT/MDOP/CHRG"),  # a fee: not a break
        m("MX", entry_ref="SX", amount=q("-99.00")),                  # names a settlement we do not know
    ]
    load(cfg, trades, settlements, movements)
    result = run(cfg)
    return cfg, result


def cash_breaks(cfg) -> dict[str, tuple[str, ...]]:  # type: ignore[no-untyped-def]
    b = breaks(cfg).filter((pl.col("category") == "CASH") & (pl.col("lifecycle") != "RESOLVED"))
    return {r["anchor"]: (r["break_type"], r["settlement_id"], r["movement_id"]) for r in b.iter_rows(named=True)}


def test_cash_breaks_known_answers(world) -> None:  # type: ignore[no-untyped-def]
    cfg, result = world
    assert cash_breaks(cfg) == {
        "E:S2#1": ("CASH_MISSING", "S2", None),
        "E:S3#1": ("CASH_DMON", "S3", "M3"),
        "E:S8#1": ("CASH_DDAT", "S8", "M8"),
        "C:MX": ("CASH_UNEXPECTED", None, "MX"),
    }
    s = result.steps["cash_reconciliation"]
    assert s["expected"] == 10 and s["movements"] == 13
    assert s["matches_by_pass"]["cash_economic"] == 1


def test_expected_cash_signs_and_events(world) -> None:  # type: ignore[no-untyped-def]
    cfg, _ = world
    with store.connect(cfg, read_only=True) as con:
        e = store.query(con, "SELECT expected_id, amount, value_date, cash_account, match_id FROM out_cash_expected "
                             "WHERE as_of = $d ORDER BY expected_id", {"d": D})
    rows = {r["expected_id"]: r for r in e.iter_rows(named=True)}
    assert rows["S1#1"]["amount"] == Decimal("-15000.00") and rows["S1#1"]["cash_account"] == "CASH-USD-1"
    assert rows["S9#1"]["amount"] == Decimal("15000.00")            # DELIVER: we are paid
    assert (rows["S7#1"]["amount"], rows["S7#1"]["value_date"]) == (Decimal("-9000.00"), Y)
    assert (rows["S7#2"]["amount"], rows["S7#2"]["value_date"]) == (Decimal("-6000.00"), D)
    assert rows["S5#1"]["match_id"] == f"E:S5@{D.isoformat()}"
    assert rows["S6#1"]["match_id"] == "T:S6#1"                      # matched without reference


def test_cash_difference_fields(world) -> None:  # type: ignore[no-untyped-def]
    cfg, _ = world
    b = breaks(cfg).filter(pl.col("anchor") == "E:S3#1").row(0, named=True)
    assert b["amount_fo"] == Decimal("-15000.00") and b["amount_bo"] == Decimal("-15000.02")
    assert b["amount_diff"] == Decimal("-0.02")
    with store.connect(cfg, read_only=True) as con:
        f = store.query(con, "SELECT field, iso_code, fo_value, bo_value FROM out_break_fields WHERE break_id = $b",
                        {"b": b["break_id"]})
    assert f.rows() == [("amount", "DMON", "-15000.0000", "-15000.0200")]


def test_disabled_cash_step(tmp_path: Path) -> None:
    cfg = config(tmp_path, cash={"enabled": False})
    load(cfg, [trade("T1")], [settlement("S1", "T1")])
    r = run(cfg)
    assert r.steps["cash_reconciliation"]["enabled"] is False

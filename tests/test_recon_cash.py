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


@pytest.fixture(scope="module")
def edge_world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The cases that the 1:1 pairing of staging leaves to the full passes, and its rounding: two
    events of one settlement on one value date against one entry, flows netted in one entry
    (aggregate), an entry whose reference and value date repeat (a duplicate and its reversal),
    amounts beyond 64-bit decimals, a settlement with only a later record."""
    cfg = config(tmp_path_factory.mktemp("recon_cash_edges"))
    q = Decimal
    eur = {"currency": "EUR", "account_id": "ACC2"}
    trades = [trade(f"T{n}") for n in ("10", "14")] + [trade(f"T{n}", **eur) for n in ("11", "12")]
    settlements = [
        settlement("S10", "T10", status="PARTIAL", settled_quantity=q(40), settled_amount=q("6000.00"), known_date=Y),
        settlement("S10", "T10", seq=2, known_date=D),                        # the rest, the same value date
        settlement("S11", "T11", **eur), settlement("S12", "T12", **eur),     # paid together, no reference
        settlement("S13", None, direction="DELIVER", amount=q("123456789012345.6750"),
                   settled_amount=q("123456789012345.6750")),                 # rounds to .68 (half away from zero)
        settlement("S14", "T14", settled_amount=q("15000.005")),              # rounds to 15000.01
        settlement("S15", None, seq=2),                                       # only a later record
        settlement("S16", None, amount=q("123456789012345.6650"), settled_amount=q("123456789012345.6650")),
    ]
    m = cash
    movements = [
        m("M10", entry_ref="S10"),
        m("M11", account="CASH-EUR-2", currency="EUR", amount=q("-30000.00")),
        m("M13", entry_ref="S13", amount=q("123456789012345.6800")),
        m("M14A", entry_ref="S14", amount=q("-15000.01")), m("M14B", entry_ref="S14", amount=q("-15000.01")),
        m("M14C", entry_ref="S14", amount=q("15000.01"), is_reversal=True),
        m("M15", entry_ref="S15"),
        m("M16", entry_ref="S16", amount=q("-123456789012345.6500")),        # two cents off
    ]
    load(cfg, trades, settlements, movements)
    return cfg, run(cfg)


def test_cash_edges_known_answers(edge_world) -> None:  # type: ignore[no-untyped-def]
    cfg, result = edge_world
    assert cash_breaks(cfg) == {"E:S16#1": ("CASH_DMON", "S16", "M16")}
    with store.connect(cfg, read_only=True) as con:
        e = store.query(con, "SELECT expected_id, amount, match_id, pass_name FROM out_cash_expected "
                             "WHERE as_of = $d ORDER BY expected_id", {"d": D})
        matches = store.query(con, "SELECT match_id, expected_id, movement_id, is_clean FROM out_cash_matches "
                                   "WHERE as_of = $d ORDER BY ALL", {"d": D})
    rows = {r["expected_id"]: r for r in e.iter_rows(named=True)}
    day = D.isoformat()
    assert (rows["S10#1"]["amount"], rows["S10#2"]["amount"]) == (Decimal("-6000.00"), Decimal("-9000.00"))
    assert rows["S10#1"]["match_id"] == rows["S10#2"]["match_id"] == f"E:S10@{day}"
    assert rows["S11#1"]["match_id"] == rows["S12#1"]["match_id"] == "G:S11#1"
    assert rows["S11#1"]["pass_name"] == "cash_aggregate"
    assert rows["S13#1"]["amount"] == Decimal("123456789012345.68")
    assert rows["S16#1"]["amount"] == Decimal("-123456789012345.67")
    assert rows["S14#1"]["amount"] == Decimal("-15000.01")
    assert rows["S15#2"]["match_id"] == f"E:S15@{day}"
    assert rows["S13#1"]["match_id"] == f"E:S13@{day}" and rows["S13#1"]["pass_name"] == "cash_reference"
    assert matches.filter(pl.col("match_id") == f"E:S14@{day}").rows() == [
        (f"E:S14@{day}", "S14#1", None, True),
        (f"E:S14@{day}", None, "M14A", True), (f"E:S14@{day}", None, "M14B", True), (f"E:S14@{day}", None, "M14C", True),
    ]
    assert matches.filter(pl.col("match_id") == f"E:S13@{day}").rows() == [(f"E:S13@{day}", "S13#1", "M13", True)]
    assert matches.filter(pl.col("match_id") == f"E:S16@{day}").rows() == [(f"E:S16@{day}", "S16#1", "M16", False)]
    s = result.steps["cash_reconciliation"]
    assert s["expected"] == 8 and s["movements"] == 8
    assert s["matches_by_pass"] == {"cash_reference": 5, "cash_economic": 0, "cash_aggregate": 1}


def test_cash_without_reference_pass(tmp_path: Path) -> None:
    """No reference pass: entries are paired on cash account, currency, value date and amount only;
    a window of business days pairs an entry booked a day late (a value-date difference)."""
    passes = [
        {"name": "econ", "method": "economic", "keys": ["cash_account", "currency"], "date_field": "value_date",
         "date_window_bdays": 1, "require": ["amount"]},
    ]
    cfg = config(tmp_path, cash={"passes": passes})
    q = Decimal
    load(cfg, [trade("T1"), trade("T2")],
         [settlement("S1", "T1"), settlement("S2", "T2", settled_amount=q("14000.00"), actual_settle_date=Y)],
         [cash("M1", entry_ref="S1"), cash("M2", amount=q("-14000.00"))])
    r = run(cfg)
    assert cash_breaks(cfg) == {"E:S2#1": ("CASH_DDAT", "S2", "M2")}
    assert r.steps["cash_reconciliation"]["matches_by_pass"] == {"econ": 2}
    with store.connect(cfg, read_only=True) as con:
        e = store.query(con, "SELECT expected_id, match_id FROM out_cash_expected WHERE as_of = $d ORDER BY 1", {"d": D})
    assert e.rows() == [("S1#1", "T:S1#1"), ("S2#1", "T:S2#1")]


@pytest.mark.parametrize(("tolerance", "paired"), [
    ({"minor_units": 0}, False),                       # exact: a cent apart is not a pair
    ({"minor_units": 1}, True),
    ({"minor_units": 0, "abs": 0.005}, False),
    ({"minor_units": 0, "rel": 0.000001}, True),       # 1e-6 x 15000.01 = 0.015
])
def test_cash_economic_amount_tolerance(tmp_path: Path, tolerance: dict[str, float], paired: bool) -> None:
    """The economic pass joins on bands of the amount; every tolerance still decides alone."""
    passes = [{"name": "econ", "method": "economic", "keys": ["cash_account", "currency"], "date_field": "value_date",
               "require": ["amount"]}]
    cfg = config(tmp_path, cash={"passes": passes, "tolerances": {"amount": tolerance}})
    load(cfg, [trade("T1")], [settlement("S1", "T1")], [cash("M1", amount=Decimal("-15000.01"))])
    r = run(cfg)
    assert r.steps["cash_reconciliation"]["matches_by_pass"] == {"econ": int(paired)}
    assert cash_breaks(cfg) == ({} if paired else {"E:S1#1": ("CASH_MISSING", "S1", None)})


def test_cash_step_reuses_the_securities_matching(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A run with both steps matches the securities once: the cash step finds the sides the
    securities step staged instead of reconciling them again."""
    cfg = config(tmp_path)
    load(cfg, [trade("T1")], [settlement("S1", "T1")], [cash("M1", entry_ref="S1")])
    with caplog.at_level("INFO", logger="engine.recon.core"):
        run(cfg)
    assert sum(r.getMessage().startswith("reconciliation {") for r in caplog.records) == 1
    with caplog.at_level("INFO", logger="engine.recon.core"):
        caplog.clear()
        run(cfg, steps=["trades_asof", "cash_reconciliation"])
    assert sum(r.getMessage().startswith("reconciliation {") for r in caplog.records) == 1

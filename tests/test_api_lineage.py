"""Lineage through the Python API on hand-written rows: an exposure to its positions, a break to
its trade versions, settlement records and cash entries with their files and lines; and the
break workflow through the API's bound engine functions."""

from __future__ import annotations

import inspect
from datetime import date, datetime
from decimal import Decimal

import pytest

from engine import store
from engine.api import Actions, Midoffice, open_store
from engine.config import Config
from engine.errors import BadInputError, MidofficeError

D = date(2024, 3, 28)


def _ins(con, table: str, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    groups: dict[tuple[str, ...], list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(r), []).append(r)
    for cols, group in groups.items():
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"  # noqa: S608
        con.executemany(sql, [[r[c] for c in cols] for r in group])


def _position(book: str, desk: str, inst: str, ccy: str, issuer: str | None, mv: str, basis: str = "TRADE") -> dict:
    return {"as_of": D, "run_id": 1, "basis": basis, "position_id": f"{book}|{inst}", "legal_entity_id": "LE1",
            "desk": desk, "book_id": book, "trader": "T" + book, "instrument_id": inst, "asset_class": "EQUITY",
            "currency": ccy, "issuer": issuer, "valuation": "PRICE", "quantity": Decimal("1"),
            "price_source": "CLOSE", "price_multiplier": Decimal("1"), "accrued_local": Decimal("0"),
            "market_value_local": Decimal(mv), "market_value_base": Decimal(mv), "trades": 1}


def _batch(bid: int, path: str) -> dict:
    now = datetime(2024, 3, 28, 18)
    return {"batch_id": bid, "feed": path.rsplit("/", 1)[-1].split(".")[0], "connector": "csv", "file_path": path,
            "file_name": path.rsplit("/", 1)[-1], "checksum_sha256": str(bid) * 64, "file_bytes": 1, "rows_read": 1,
            "rows_loaded": 1, "rows_quarantined": 0, "target_tables": "x", "started_at": now, "finished_at": now}


def _break(break_id: str, kind: str, btype: str, **kw: object) -> dict:
    row = {"as_of": D, "run_id": 1, "break_id": break_id, "category": "MATCHING", "kind": kind,
           "break_type": btype, "side": "BOTH", "lifecycle": "NEW", "anchor": "x", "trade_id": None,
           "settlement_id": None, "movement_id": None, "trade_ids": None, "settlement_ids": None,
           "first_seen": D, "age_days": 0, "age_bucket": "0-1"}
    row.update(kw)
    return row


def build(cfg: Config) -> Config:
    with store.connect(cfg) as con:
        _ins(con, "ops_runs", [{"run_id": 1, "as_of": D, "started_at": datetime(2024, 3, 28, 18), "status": "OK"}])
        _ins(con, "out_positions", [
            _position("B1", "EQ", "I1", "EUR", "ACME", "100"),
            _position("B1", "EQ", "I2", "USD", None, "-40"),
            _position("B2", "EQ", "I1", "EUR", "ACME", "25"),
            _position("B3", "RATES", "I3", "EUR", "GOV", "500"),
            _position("B1", "EQ", "I1", "EUR", "ACME", "90", basis="SETTLE"),  # not an exposure input
        ])
        _ins(con, "out_exposures", [
            {"as_of": D, "run_id": 1, "grouping": "desk+currency", "desk": "EQ", "currency": "EUR", "positions": 2,
             "gross_base": Decimal("125"), "net_base": Decimal("125"), "long_base": Decimal("125"),
             "short_base": Decimal("0"), "share_pct": 18.7, "rank": 2},
            {"as_of": D, "run_id": 1, "grouping": "issuer", "issuer": None, "positions": 1,
             "gross_base": Decimal("40"), "net_base": Decimal("-40"), "long_base": Decimal("0"),
             "short_base": Decimal("-40"), "share_pct": 6.0, "rank": 3},
        ])
        _ins(con, "ops_load_batches", [_batch(1, "/w/trades.csv"), _batch(2, "/w/trades_2.csv"),
                                       _batch(3, "/w/custodian_a.mt"), _batch(4, "/w/camt053.xml")])
        trade = {"book_id": "B1", "instrument_id": "I1", "isin": "I1", "side": "BUY", "price": Decimal("10"),
                 "currency": "EUR", "trade_date": date(2024, 3, 26), "settle_date": date(2024, 3, 28)}
        _ins(con, "fo_trades", [
            {"trade_id": "T1", "version": 1, "status": "NEW", "known_date": date(2024, 3, 26), "quantity": Decimal("100"),
             "net_amount": Decimal("1000"), "batch_id": 1, "src_line": 7, **trade},
            {"trade_id": "T1", "version": 2, "status": "AMEND", "known_date": date(2024, 3, 27), "quantity": Decimal("110"),
             "net_amount": Decimal("1100"), "batch_id": 2, "src_line": 3, **trade},
            {"trade_id": "T1", "version": 3, "status": "AMEND", "known_date": date(2024, 3, 29), "quantity": Decimal("120"),
             "net_amount": Decimal("1200"), "batch_id": 2, "src_line": 9, **trade},   # known after D
            {"trade_id": "T2", "version": 1, "status": "NEW", "known_date": date(2024, 3, 26), "quantity": Decimal("50"),
             "net_amount": Decimal("500"), "batch_id": 1, "src_line": 8, **trade},
        ])
        settle = {"custodian": "CUST_A", "message_type": "MT545", "isin": "I1", "direction": "RECEIVE",
                  "currency": "EUR", "intended_settle_date": date(2024, 3, 28), "batch_id": 3}
        _ins(con, "bo_settlements", [
            {"settlement_id": "S1", "seq": 1, "known_date": date(2024, 3, 27), "quantity": Decimal("100"),
             "amount": Decimal("1000"), "status": "MATCHED", "src_line": 1, **settle},
            {"settlement_id": "S1", "seq": 2, "known_date": date(2024, 3, 28), "quantity": Decimal("100"),
             "amount": Decimal("1000"), "status": "SETTLED", "src_line": 2, **settle},
        ])
        _ins(con, "bo_cash_movements", [
            {"movement_id": "M1", "account": "DE00123", "value_date": D, "amount": Decimal("-77.5"),
             "currency": "EUR", "known_date": D, "batch_id": 4, "src_line": 41},
        ])
        _ins(con, "out_breaks", [
            _break("BRK-Q", "MISMATCH", "DQUA", trade_id="T1", settlement_id="S1", trade_ids=["T1"],
                   settlement_ids=["S1"]),
            _break("BRK-G", "MISMATCH", "DQUA", trade_id="T1", trade_ids=["T1", "T2"], settlement_id="S1"),
            _break("BRK-C", "CASH_UNEXPECTED", "CASH_UNEXPECTED", category="CASH", movement_id="M1", side="BO_ONLY"),
        ])
        _ins(con, "life_breaks", [
            {"break_id": b, "category": cat, "kind": kind, "break_type": bt, "anchor": "x", "first_seen": D,
             "last_seen": D, "days_seen": 1, "status": "OPEN", "updated_run_id": 1}
            for b, cat, kind, bt in (("BRK-Q", "MATCHING", "MISMATCH", "DQUA"), ("BRK-G", "MATCHING", "MISMATCH", "DQUA"),
                                     ("BRK-C", "CASH", "CASH_UNEXPECTED", "CASH_UNEXPECTED"))
        ])
    store.publish(cfg)
    return cfg


@pytest.fixture
def mo(cfg: Config) -> Midoffice:
    return open_store(build(cfg))


def test_positions_default_to_the_trade_date_basis(mo: Midoffice) -> None:
    assert mo.positions().height == 4
    assert mo.positions(basis="SETTLE")["market_value_base"].to_list() == [Decimal("90.0000")]
    assert mo.positions(basis=None).height == 5
    assert mo.positions(desk="EQ", currency=["EUR", "GBP"])["book_id"].to_list() == ["B1", "B2"]


def test_exposure_positions_from_a_row(mo: Midoffice) -> None:
    exp = mo.exposures(grouping="desk+currency")
    assert exp.select("desk", "currency", "gross_base").rows() == [("EQ", "EUR", Decimal("125.0000"))]
    pos = mo.exposure_positions(exp.row(0, named=True))
    assert pos.select("book_id", "instrument_id", "market_value_base").rows() == [
        ("B1", "I1", Decimal("100.0000")), ("B2", "I1", Decimal("25.0000"))]
    assert pos["market_value_base"].sum() == exp["gross_base"][0]  # the exposure adds up its positions


def test_exposure_positions_from_keys_and_null_members(mo: Midoffice) -> None:
    by_keys = mo.exposure_positions(grouping="desk+currency", desk="EQ", currency="EUR")
    assert by_keys["instrument_id"].to_list() == ["I1", "I1"]
    # the issuer grouping's NULL member: positions without an issuer
    none = mo.exposure_positions(mo.exposures(grouping="issuer").row(0, named=True))
    assert none.select("book_id", "instrument_id").rows() == [("B1", "I2")]
    # no grouping: the non-NULL keys given
    assert mo.exposure_positions(book="B1", as_of=D)["instrument_id"].to_list() == ["I1", "I2"]
    firm = mo.exposure_positions(grouping="firm")
    assert firm.select("book_id", "instrument_id").rows() == [("B1", "I1"), ("B1", "I2"), ("B2", "I1"), ("B3", "I3")]
    assert firm["market_value_base"].abs().sum() == Decimal("665")  # the firm's gross
    with pytest.raises(BadInputError, match="unknown exposure key"):
        mo.exposure_positions(grouping="desk", colour="red")


def test_break_lineage_versions_known_on_the_date(mo: Midoffice) -> None:
    df = mo.break_lineage("BRK-Q")
    assert df.select("side", "record_id", "version", "is_current", "quantity", "file_path", "src_line").rows() == [
        ("FO", "T1", 1, False, Decimal("100"), "/w/trades.csv", 7),
        ("FO", "T1", 2, True, Decimal("110"), "/w/trades_2.csv", 3),   # version 3 was not known on D
        ("BO", "S1", 1, False, Decimal("100"), "/w/custodian_a.mt", 1),
        ("BO", "S1", 2, True, Decimal("100"), "/w/custodian_a.mt", 2),
    ]
    assert set(df["break_id"].to_list()) == {"BRK-Q"}
    assert set(df["as_of"].to_list()) == {D}


def test_break_lineage_groups_and_cash(mo: Midoffice) -> None:
    group = mo.break_lineage("BRK-G", as_of=D).filter(is_current=True)
    assert group.select("side", "record_id").rows() == [("FO", "T1"), ("FO", "T2"), ("BO", "S1")]
    cash = mo.break_lineage("BRK-C")
    assert cash.select("side", "record_id", "direction", "amount", "file_name", "src_line").rows() == [
        ("CASH", "M1", "DEBIT", Decimal("-77.5000"), "camt053.xml", 41)]
    assert mo.break_lineage("BRK-NOPE").height == 0
    assert mo.break_lineage("BRK-Q", as_of="2024-01-02").height == 0


def test_break_workflow_through_bound_engine_functions(mo: Midoffice) -> None:
    params = list(inspect.signature(mo.recon.assign).parameters)
    assert params[0] == "break_ids" and "cfg" not in params  # the configuration is bound
    assert mo.recon.assign.__doc__ and "Assign" in mo.recon.assign.__doc__
    result = mo.recon.assign("BRK-Q", actor="alice", assignee="bob")
    assert result.action == "ASSIGN"
    mo.recon.comment(["BRK-Q", "BRK-C"], actor="carol", text="called the custodian")
    history = mo.break_history("BRK-Q")
    assert history.select("event_type", "actor").rows() == [("ASSIGN", "alice"), ("COMMENT", "carol")]
    assert mo.break_history("BRK-C")["event_type"].to_list() == ["COMMENT"]
    mine = mo.breaks(assignee="bob")
    assert mine["break_id"].to_list() == ["BRK-Q"]
    assert mine["status"].to_list() == ["OPEN"]
    assert mo.break_detail("BRK-Q")["break"]["assignee"] == "bob"


def test_actions_of_a_missing_module_say_so(mo: Midoffice) -> None:
    missing = Actions(mo, "engine.not_installed_here", ("list_things",), "imaginary")
    with pytest.raises(MidofficeError, match="not part of this installation"):
        missing.list_things()
    with pytest.raises(AttributeError, match="no 'other'"):
        missing.other  # noqa: B018

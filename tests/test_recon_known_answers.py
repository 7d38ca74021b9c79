"""Known-answer tests of the securities reconciliation: hand-written trades and settlements, one
case per break class and per tolerance edge (just inside, on the boundary, just outside), with
the expected breaks written out by hand."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from engine import store
from tests.recon_rows import (
    CORP,
    EQ,
    GOV,
    JPY_EQ,
    T2,
    D,
    breaks,
    by_trade,
    config,
    fields,
    load,
    run,
    settlement,
    trade,
)

MON = D + timedelta(days=3)   # the business day after D (a Friday)
TUE = D + timedelta(days=4)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One store with every case, reconciled once on D."""
    tmp = tmp_path_factory.mktemp("recon_ka")
    cfg = config(tmp)
    q = Decimal
    trades = [
        trade("T01"),
        trade("T02"), trade("T03"), trade("T04"), trade("T05"), trade("T06"), trade("T07"), trade("T08"),
        trade("T09"), trade("T10"), trade("T11"), trade("T12"), trade("T13"), trade("T14"), trade("T14B"),
        trade("T15"),
        trade("T17", trade_date=D - timedelta(days=6), settle_date=D - timedelta(days=4)),
        trade("T18"), trade("T19", settle_date=D - timedelta(days=1)), trade("T20", settle_date=MON),
        trade("T21"),
        trade("T22A", quantity=q(30), net_amount=q("4500.00"), block_id="BLK22"),
        trade("T22B", quantity=q(20), net_amount=q("3000.00"), block_id="BLK22"),
        trade("T23", account_id="ACC1", quantity=q(77), net_amount=q("11550.00")),
        trade("T24", quantity=q(55), net_amount=q("8250.00")),
        trade("T25"),
        trade("T26", isin=JPY_EQ, currency="JPY", quantity=q(1000), price=q(1500), net_amount=q(1500000), account_id="ACC3"),
        trade("T27", isin=JPY_EQ, currency="JPY", quantity=q(1000), price=q(1500), net_amount=q(1500000), account_id="ACC3"),
        trade("T28"), trade("T28", version=2, status="CANCEL", known_date=D - timedelta(days=1)),
        trade("T29"), trade("T29", version=2, status="CANCEL", known_date=D - timedelta(days=1)),
        trade("T30", instrument_id="FXEURUSD", isin=None, account_id=None),
        trade("T31"),
        trade("T32", isin=GOV, currency="EUR", quantity=q(1000000), price=q("99.5"), net_amount=q("995000.00"), account_id="ACC2",
              settle_date=D - timedelta(days=2)),
        trade("T34"),
        trade("T33", isin=CORP, currency="EUR", quantity=q(500000), price=q("101"), net_amount=q("505000.00"), account_id="ACC2"),
    ]
    s = settlement
    settlements = [
        s("S01", "T01"),
        s("S02", "T02", quantity=q(90), settled_quantity=q(90), amount=q("13500.00")),
        s("S03", "T03", deal_price=q(151)),
        s("S04", "T04", amount=q("15000.02")),
        s("S05", "T05", amount=q("15000.01")),
        s("S06", "T06", amount=q("15000.0049")),
        s("S07", "T07", amount=q("15000.015")),
        s("S08", "T08", currency="EUR"),
        s("S09", "T09", intended_settle_date=MON, status="MATCHED", settled_quantity=q(0), actual_settle_date=None),
        s("S10", "T10", trade_date=T2 - timedelta(days=1)),
        s("S11", "T11", isin=GOV),
        s("S12", "T12", direction="DELIVER"),
        s("S13", "T13", place_of_settlement="CEDELULL"),
        s("S14", "T14", counterparty_id="CP2"),
        s("S14B", "T14B", counterparty_id=None, counterparty_bic="BRKOUS33XXX"),
        s("S16", "ZZZ", quantity=q(5), amount=q("750.00")),
        s("S17", "T17", trade_date=D - timedelta(days=6), intended_settle_date=D - timedelta(days=4), status="FAILING",
          reason_code="LACK", settled_quantity=q(0), actual_settle_date=None),
        s("S18", "T18", status="PARTIAL", settled_quantity=q(60)),
        s("S19", "T19", intended_settle_date=D - timedelta(days=1), status="MATCHED", settled_quantity=q(0),
          actual_settle_date=None),
        s("S20", "T20", intended_settle_date=MON, status="MATCHED", settled_quantity=q(0), actual_settle_date=None),
        s("S21A", "T21", quantity=q(60), settled_quantity=q(60), amount=q("9000.00")),
        s("S21B", "T21", quantity=q(40), settled_quantity=q(40), amount=q("6000.00")),
        s("S22", "BLK22", quantity=q(50), settled_quantity=q(50), amount=q("7500.00")),
        s("S23", None, quantity=q(77), settled_quantity=q(77), amount=q("11550.00")),
        s("S24", None, quantity=q(56), settled_quantity=q(56), amount=q("8400.00")),
        s("S25", "T25", quantity=q(90), settled_quantity=q(90), deal_price=q(151), amount=q("13590.00")),
        s("S26", "T26", isin=JPY_EQ, currency="JPY", quantity=q(1000), settled_quantity=q(1000), deal_price=q(1500),
          amount=q(1500001), account_id="ACC3", custodian="CUST_C"),
        s("S27", "T27", isin=JPY_EQ, currency="JPY", quantity=q(1000), settled_quantity=q(1000), deal_price=q(1500),
          amount=q(1500002), account_id="ACC3", custodian="CUST_C"),
        s("S28", "T28"),
        s("S29", "T29", status="CANCELLED"),
        s("S31", "T31", status="MATCHED", settled_quantity=q(0), actual_settle_date=None),
        s("S31", "T31", seq=2, known_date=D),
        s("S31", "T31", seq=3, known_date=MON, status="FAILING", reason_code="CLAC"),
        s("S32", "T32", isin=GOV, currency="EUR", quantity=q(1000000), deal_price=q("99.5"), amount=q("995000.00"),
          account_id="ACC2", custodian="CUST_B", status="FAILING", reason_code="CLAC", settled_quantity=q(0),
          intended_settle_date=D - timedelta(days=2), actual_settle_date=None),
        s("S34A", "T34"), s("S34B", "T34"),          # the custodian settled the same trade twice
        s("S33", "T33", isin=CORP, currency="EUR", quantity=q(500000), deal_price=q("101"), amount=q("505000.00"),
          account_id="ACC2", custodian="CUST_B", status="FAILING", reason_code="MONY", settled_quantity=q(0),
          intended_settle_date=D, actual_settle_date=None),
    ]
    load(cfg, trades, settlements)
    with store.connect(cfg) as con:
        con.executemany("INSERT INTO mkt_prices VALUES (?, ?, ?, NULL, NULL)", [
            [EQ, date(2024, 3, 1), 150], [GOV, date(2024, 3, 13), 99.0], [GOV, date(2024, 3, 14), 100.0]])
    result = run(cfg)
    return cfg, result


def test_every_class_on_its_case(world) -> None:  # type: ignore[no-untyped-def]
    cfg, _ = world
    got = by_trade(breaks(cfg))
    expected = {
        "T02": ["DQUA"], "T03": ["DDEA"], "T04": ["DMON"], "T07": ["DMON"], "T08": ["NCRR"],
        "T09": ["DDAT"], "T10": ["DTRD"], "T11": ["DSEC"], "T12": ["DELN"], "T13": ["DEPT"], "T14": ["ICAG"],
        "T15": ["CMIS_FO_ONLY"], "S:S16": ["CMIS_BO_ONLY"], "T17": ["FAILING"], "T18": ["PARTIAL"],
        "T19": ["PENDING_PAST_ISD"], "T24": ["CMIS_FO_ONLY"], "S:S24": ["CMIS_BO_ONLY"], "T25": ["DQUA"],
        "T27": ["DMON"], "S:S28": ["CMIS_BO_ONLY"], "T32": ["FAILING"], "T33": ["FAILING"],
        "T34": ["DQUA"],   # an exact duplicate settlement: 200 settled against 100 traded
    }
    # T09's settlement is pending with a future ISD: a DDAT break, no settlement break
    assert got == expected


def test_clean_cases_and_tolerance_edges_have_no_break(world) -> None:  # type: ignore[no-untyped-def]
    cfg, _ = world
    got = by_trade(breaks(cfg))
    for clean in ("T01", "T05", "T06", "T14B", "T20", "T21", "T22A", "T22B", "T23", "T26", "T29", "T30", "T31"):
        assert clean not in got, clean


def test_fields_list_fo_bo_and_difference(world) -> None:  # type: ignore[no-untyped-def]
    cfg, _ = world
    b = breaks(cfg).filter(pl.col("category") == "MATCHING")
    t25 = b.filter(pl.col("trade_id") == "T25").row(0, named=True)
    assert t25["fields"] == "quantity,price,amount" and t25["n_fields"] == 3
    f = fields(cfg, t25["break_id"])
    assert f["field"].to_list() == ["quantity", "price", "amount"]
    assert f["iso_code"].to_list() == ["DQUA", "DDEA", "DMON"]
    assert [Decimal(x) for x in f["fo_value"].to_list()] == [Decimal(100), Decimal(150), Decimal("15000.00")]
    assert [Decimal(x) for x in f["bo_value"].to_list()] == [Decimal(90), Decimal(151), Decimal("13590.00")]
    assert [x for x in f["diff_num"].to_list()] == [Decimal(-10), Decimal(1), Decimal("-1410.00")]
    t09 = b.filter(pl.col("trade_id") == "T09").row(0, named=True)
    f9 = fields(cfg, t09["break_id"])
    assert f9["field"].to_list() == ["settle_date"] and f9["diff_num"].to_list() == [Decimal(1)]
    assert f9["difference"].to_list() == ["1 business day(s)"]
    t04 = b.filter(pl.col("trade_id") == "T04").row(0, named=True)
    assert t04["amount_diff"] == Decimal("0.02") and t04["iso_code"] == "DMON"


def test_rounding_half_away_from_zero_before_compare(world) -> None:  # type: ignore[no-untyped-def]
    cfg, _ = world
    t07 = breaks(cfg).filter((pl.col("trade_id") == "T07") & (pl.col("category") == "MATCHING")).row(0, named=True)
    assert t07["amount_bo"] == Decimal("15000.02")   # 15000.015 -> 15000.02, 2 minor units off


def test_settlement_states(world) -> None:  # type: ignore[no-untyped-def]
    cfg, _ = world
    b = breaks(cfg).filter(pl.col("category") == "SETTLEMENT")
    rows = {r["trade_id"]: r for r in b.iter_rows(named=True)}
    assert rows["T18"]["remaining_quantity"] == Decimal(40) and rows["T18"]["settled_quantity"] == Decimal(60)
    assert rows["T17"]["reason_code"] == "LACK" and rows["T17"]["iso_code"] == "LACK"
    assert rows["T19"]["days_past_isd"] == 1
    assert rows["T17"]["days_past_isd"] == 4 and rows["T17"]["days_failing"] == 5


def test_latest_known_settlement_state_is_used(world) -> None:  # type: ignore[no-untyped-def]
    cfg, _ = world
    # S31: MATCHED (seq 1), SETTLED (seq 2, known D), FAILING (seq 3, known after D): clean on D
    assert "T31" not in by_trade(breaks(cfg))


def test_csdr_penalties_known_answers(world) -> None:  # type: ignore[no-untyped-def]
    cfg, _ = world
    b = breaks(cfg).filter(pl.col("category") == "SETTLEMENT")
    rows = {r["trade_id"]: r for r in b.iter_rows(named=True)}
    # T17: 100 liquid shares at a close of 150 (latest known), ISD Mon 11th to Fri 15th = 5 business days,
    # 1.0 bp a day: 100 x 150 x 0.0001 x 5 = 7.50 USD, we lack the securities (LACK): we pay
    assert rows["T17"]["penalty_ccy"] == Decimal("7.50") and rows["T17"]["penalty_payer"] == "US"
    assert rows["T17"]["penalty_rate_bp"] == Decimal("1.0")
    # T32: 1,000,000 nominal Bund, ISD Wed 13th: closes 99.0 (13th), 100.0 (14th), 100.0 (15th, last known)
    # x 0.01 (percent of par) x 0.10 bp: 99 + 100 + 100 = 299 -> 1e6 x 2.99 x 0.00001 = 29.90 EUR,
    # the counterparty lacks securities (CLAC): they pay; 29.90 EUR x 1.1 = 32.89 USD
    assert rows["T32"]["penalty_ccy"] == Decimal("29.90") and rows["T32"]["penalty_payer"] == "COUNTERPARTY"
    assert rows["T32"]["penalty_base"] == Decimal("32.89") and rows["T32"]["days_failing"] == 3
    # T33: lack of cash (MONY) on ISD = D: 505,000 EUR x 1.10 bp x 1 day = 55.55 EUR, we pay
    assert rows["T33"]["penalty_ccy"] == Decimal("55.55") and rows["T33"]["penalty_payer"] == "US"
    assert rows["T33"]["days_failing"] == 1


def test_matches_by_pass(world) -> None:  # type: ignore[no-untyped-def]
    cfg, result = world
    by_pass = result.steps["reconciliation"]["matches_by_pass"]
    assert by_pass["block"] == 1 and by_pass["economic"] == 1
    with store.connect(cfg, read_only=True) as con:
        m = store.query(con, "SELECT match_id, method, trade_id, settlement_id, n_trades, n_settlements, is_clean "
                             "FROM out_recon_matches WHERE as_of = $d", {"d": D})
    one_to_many = m.filter(pl.col("match_id") == "T:T21")
    assert one_to_many["n_settlements"].to_list() == [2, 2, 2] and one_to_many["method"][0] == "REFERENCE"
    block = m.filter(pl.col("match_id") == "B:BLK22")
    assert sorted(block["trade_id"].drop_nulls().to_list()) == ["T22A", "T22B"] and block["is_clean"].all()
    eco = m.filter(pl.col("match_id") == "T:T23").row(0, named=True)
    assert eco["settlement_id"] == "S23" and eco["method"] == "ECONOMIC"
    assert m.filter(pl.col("match_id") == "T:T05")["is_clean"].to_list() == [True]   # within tolerance
    # the reference join writes only the pairs that need a look; the persisted matches still hold
    # every reference match once: the exactly equal pairs (T01), a pair whose only issue is its
    # settlement state (T32 failing), a pair with a field out of tolerance (T03), the 1:N group
    ref = m.filter(pl.col("method") == "REFERENCE")
    assert ref["match_id"].n_unique() == by_pass["reference"]
    assert ref.filter(pl.col("n_settlements") == 1)["trade_id"].is_duplicated().sum() == 0
    pairs = {r["trade_id"]: (r["settlement_id"], r["is_clean"]) for r in ref.filter(pl.col("n_settlements") == 1).iter_rows(named=True)}
    assert pairs["T01"] == ("S01", True) and pairs["T32"] == ("S32", True) and pairs["T03"] == ("S03", False)


def test_suggestions_pair_the_near_miss(world) -> None:  # type: ignore[no-untyped-def]
    cfg, _ = world
    with store.connect(cfg, read_only=True) as con:
        s = store.query(con, "SELECT * FROM out_suggestions WHERE as_of = $d AND record_id = 'T24' ORDER BY rank", {"d": D})
    best = s.row(0, named=True)
    assert best["candidate_id"] == "S24" and best["rank"] == 1
    assert "quantity" in best["differing_fields"] and 0 < best["score"] <= 1


def _cases(tmp_path: Path, cases: dict[str, tuple[dict, dict]], **recon: object) -> dict[str, list[str]]:  # type: ignore[type-arg]
    """One store with one trade/settlement pair per case (trade id = case name); breaks per case."""
    cfg = config(tmp_path, **recon)
    load(cfg, [trade(k, **fo) for k, (fo, _) in cases.items()],
         [settlement(f"S{k}", k, **bo) for k, (_, bo) in cases.items()])
    run(cfg, steps=["trades_asof", "reconciliation"])
    got = by_trade(breaks(cfg))
    return {k: got.get(k, []) for k in cases}


def test_price_relative_tolerance_edges(tmp_path: Path) -> None:
    got = _cases(tmp_path, {
        "INSIDE": ({}, {"deal_price": Decimal("150.1499999")}),     # just inside 0.1% of the FO price
        "BOUNDARY": ({}, {"deal_price": Decimal("150.15")}),        # on the boundary: inside
        "OUTSIDE": ({}, {"deal_price": Decimal("150.1500001")}),    # just outside
    }, tolerances={"price": {"rel": 0.001, "base": "fo"}})
    assert got == {"INSIDE": [], "BOUNDARY": [], "OUTSIDE": ["DDEA"]}


def test_quantity_absolute_tolerance_edges(tmp_path: Path) -> None:
    def qty(x: str) -> tuple[dict, dict]:  # type: ignore[type-arg]
        return {}, {"quantity": Decimal(x), "settled_quantity": Decimal(x)}
    got = _cases(tmp_path, {"INSIDE": qty("100.999999"), "BOUNDARY": qty("101"), "OUTSIDE": qty("101.000001")},
                 tolerances={"quantity": {"abs": 1}})
    assert got == {"INSIDE": [], "BOUNDARY": [], "OUTSIDE": ["DQUA"]}


def test_settlement_date_window_in_business_days(tmp_path: Path) -> None:
    # Friday -> Monday is 1 business day (inside a 1-day window); Friday -> Tuesday is 2
    pending = {"status": "MATCHED", "settled_quantity": Decimal(0), "actual_settle_date": None}
    got = _cases(tmp_path, {"MON": ({}, {"intended_settle_date": MON, **pending}),
                            "TUE": ({}, {"intended_settle_date": TUE, **pending})},
                 tolerances={"settle_date": {"bdays": 1}})
    assert got == {"MON": [], "TUE": ["DDAT"]}


@pytest.mark.parametrize(("base", "expected"), [
    ("max", {"UP": [], "DOWN": []}),            # symmetric (the default): both inside
    ("fo", {"UP": ["DDEA"], "DOWN": []}),       # relative to one side only: not symmetric
])
def test_relative_base_symmetric_by_default(tmp_path: Path, base: str, expected: dict[str, list[str]]) -> None:
    got = _cases(tmp_path, {"UP": ({"price": Decimal(100)}, {"deal_price": Decimal("111.11")}),
                            "DOWN": ({"price": Decimal("111.11")}, {"deal_price": Decimal(100)})},
                 tolerances={"price": {"rel": 0.1, "base": base}})
    assert got == expected


def test_amount_tolerance_in_minor_units_of_yen(world) -> None:  # type: ignore[no-untyped-def]
    cfg, _ = world
    got = by_trade(breaks(cfg))
    assert "T26" not in got and got["T27"] == ["DMON"]   # 1 yen inside, 2 yen outside


def test_economic_matches_equal_skip_the_field_look_but_keep_their_breaks(tmp_path: Path) -> None:
    """1:1 matches of the economic pass (no reference): one exactly equal and settled (no break, a
    clean match), one exactly equal but failing (a settlement break of the economic pass, read
    straight from the two records), one with a deal price the custodian shows differently (a
    DDEA mismatch: unequal signatures, so compared field by field)."""
    cfg = config(tmp_path)
    q = Decimal
    trades = [trade(f"TE{i}", quantity=q(10 + i), net_amount=q(150 * (10 + i))) for i in (1, 2, 3)]
    settlements = [
        settlement("SE1", None, quantity=q(11), settled_quantity=q(11), amount=q(1650), settled_amount=q(1650)),
        settlement("SE2", None, quantity=q(12), settled_quantity=q(0), amount=q(1800), settled_amount=q(0),
                   status="FAILING", reason_code="LACK", actual_settle_date=None),
        settlement("SE3", None, quantity=q(13), settled_quantity=q(13), amount=q(1950), settled_amount=q(1950),
                   deal_price=q(151)),
    ]
    load(cfg, trades, settlements)
    result = run(cfg)
    assert result.steps["reconciliation"]["matches_by_pass"].get("economic") == 3
    b = breaks(cfg)
    assert by_trade(b) == {"TE2": ["FAILING"], "TE3": ["DDEA"]}
    row = {r["trade_id"]: r for r in b.iter_rows(named=True)}
    assert (row["TE2"]["pass_name"], row["TE2"]["settlement_id"], row["TE2"]["reason_code"]) == ("economic", "SE2", "LACK")
    assert (row["TE3"]["pass_name"], row["TE3"]["settlement_id"]) == ("economic", "SE3")
    assert fields(cfg, row["TE3"]["break_id"])["field"].to_list() == ["price"]
    with store.connect(cfg, read_only=True) as con:
        clean = dict(con.execute("SELECT trade_id, is_clean FROM out_recon_matches WHERE as_of = ? AND pass_name = 'economic'", [D]).fetchall())
    assert clean == {"TE1": True, "TE2": True, "TE3": False}

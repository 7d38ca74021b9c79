"""Every real MT54x sample in ../shared/samples/mt54x: canonical values checked field by field
against values read from the message by hand, or the quarantine reason naming its fault; then the
same files through the loader (rows read = loaded + quarantined, reasons stored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.loader import load_file
from connectors.swift_mt import MtConnector
from engine import store
from engine.config import load_config

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples" / "mt54x"

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples not present")


@pytest.fixture()
def cfg(tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_config(overrides={"store": {"path": str(tmp_path / "s.duckdb"),
                                            "published_path": str(tmp_path / "p.duckdb"),
                                            "workflow_path": str(tmp_path / "w.duckdb")}})


def _instr(seme, prep, receiver, mt, acct, cp, pset, isin, qty, amt, ccy, trad, price, sett):  # type: ignore[no-untyped-def]
    direction = "RECEIVE" if mt in ("MT540", "MT541") else "DELIVER"
    return {"settlement_id": seme, "trade_ref": seme, "src_ref": seme, "known_date": prep, "custodian": receiver,
            "message_type": mt, "account_id": acct, "counterparty_bic": cp, "place_of_settlement": pset,
            "isin": isin, "direction": direction, "payment": "APMT", "quantity": qty, "amount": amt,
            "currency": ccy, "trade_date": trad, "deal_price": price, "intended_settle_date": sett,
            "status": "PENDING", "reason_code": None, "settled_quantity": None, "actual_settle_date": None}


#: file -> expected canonical values (read from the message by hand)
EXPECTED: dict[str, list[dict[str, object]]] = {
    # {2:I541FOOOFRPPXXXXN}: receiver FOOOFRPP + branch XXX; :16S:TRADFOO -> quarantined (below)
    "prowide-core_MT541_parsertest_2.fin": [_instr(
        "2002071500000614", "2002-07-15", "FOOOFRPPXXX", "MT541", "123456789", "FOOOFRPP", "SICVFRPP",
        "FR1234567890", "321.00", "123456.78", "EUR", "2002-07-13", "22.22", "2002-07-18")],
    "prowide-core_MT541_parsertest_3.fin": [_instr(
        "2007071800000923", "2007-07-18", "FOOOARPPXXX", "MT541", "123456789", "FOOOARPP", "SICVARPP",
        "FR1234567890", "222.22", "123456.78", "EUR", "2007-07-14", "12.34", "2007-07-19")],
    # {2:I541FOOODEFFXCUSN}: LT FOOODEFF X CUS -> BIC11 FOOODEFFCUS; no 97A in the SELL party
    "prowide-core_MT541_parsertest_4.fin": [_instr(
        "2001071800001228", "2001-07-18", "FOOODEFFCUS", "MT541", "123456789", "AAKVDEFF", "AAKVDEFF",
        "DE1234567890", "6666.66", "123456.78", "EUR", "2001-07-13", "8.88", "2001-07-15")],
    # deal price in USD, settlement amount in EUR: the amount's currency is the row's currency
    "prowide-core_MT541_parsertest_5.fin": [_instr(
        "2005071300000248", "2005-07-13", "FOOOUS33AST", "MT541", "123456789", "MSNYUS11", "DTCYUS11",
        "US1234567890", "1234.00", "123456.78", "EUR", "2005-07-08", "18.81", "2005-07-13")],
    "prowide-core_MT543_parsertest_1.fin": [_instr(
        "2008101900002890", "2008-10-19", "FOOODEFFCUS", "MT543", "100948783600", "SSSSNL2A", "FOOVDEFF",
        "US1234567890", "123.45", "1234.56", "EUR", "2008-10-17", "11.11", "2008-10-19")],
    "prowide-core_MT543_parsertest_2.fin": [_instr(
        "2004080300000523", "2004-08-03", "FOOOUKPPXXX", "MT543", "0655015035", "FOOOUKPP", "SICVUKPP",
        "FR1234567890", "1000.00", "11111.00", "EUR", "2004-08-01", "11.11", "2004-08-04")],
    "prowide-core_MT543_parsertest_4.fin": [_instr(
        "2005071400000574", "2005-07-14", "FOOOPRPPXXX", "MT543", "0655015035", "FOOOPRPP", "SICVPRPP",
        "PR1234567890", "500.00", "4999.00", "EUR", "2005-07-13", "9.99", "2005-07-18")],
    "prowide-core_MT543_parsertest_5.fin": [_instr(
        "B070905000173", "2002-09-08", "FOOOUS33AST", "MT543", "096373", "MSNYUS44", "DTCYUS44",
        "CA1234567890", "3666.66", "12345.56", "USD", "2002-09-06", "3.33", "2002-09-09")],
    # cancellation: 23G CANC + PREV; free of payment (MT540); FAMT quantity; output message whose
    # receiver (block 1 AAAAFRPPAGSS) is the account servicer
    "prowide-core_MT540_CANC_cancellation.fin": [{
        "settlement_id": "TFH5436259-999", "trade_ref": "TFH5436259-999", "src_ref": "TFH5436259-999",
        "known_date": "2021-12-16", "custodian": "AAAAFRPPGSS", "message_type": "MT540",
        "account_id": "0528808067001999", "counterparty_bic": "DDDDFRPPHCM", "place_of_settlement": "EEEEFRPPXXX",
        "isin": "FR0099001N99", "direction": "RECEIVE", "payment": "FREE", "quantity": "31000000", "amount": None,
        "currency": None, "trade_date": "2021-12-16", "deal_price": None, "intended_settle_date": "2021-12-16",
        "status": "CANCELLED", "reason_code": None, "settled_quantity": None, "actual_settle_date": None,
    }],
}


def _penalty(miti: str, acct: str, isin: str, qty: str, amt: str, sett: str) -> dict[str, object]:
    return {"settlement_id": miti, "trade_ref": None, "src_ref": "000000000000251C", "known_date": "2021-11-30",
            "custodian": "XXXXXXX0XXX", "message_type": "MT537", "account_id": acct, "isin": isin,
            "direction": "RECEIVE", "payment": "APMT", "quantity": qty, "amount": amt, "currency": "EUR",
            "intended_settle_date": sett, "status": "FAILING", "reason_code": "CLAC"}


# T2S penalties statement: one row per related transaction (TRAN), status SETT//PENF + PENF//CLAC;
# ACOW//NONREF is no reference, so the settlement is the market infrastructure id (MITI)
EXPECTED["prowide-core_MT537_T2S_penalties_PENF_failing.fin"] = [
    _penalty("2111262161218562", "XXXXXXXXXXXXXX1000XX0", "XX000000", "50000000", "1111111", "2021-11-29"),
    _penalty("2111242159118671", "XXXXXXXXXXXXXX1000X0", "XX00000000", "50000000", "111111111.75", "2021-11-25"),
    _penalty("2111242159121848", "XXXXXXXXXXD01000L10", "XX00000000", "50000000", "11111111.15", "2021-11-25"),
    _penalty("2111262161219993", "XXXXXXXXXXXXD01000L10", "XX00000000", "7500000", "11111111.85", "2021-11-29"),
]

#: file -> (rule, words of the reason) for the deliberately broken samples
BROKEN = {
    "prowide-core_MT541_parsertest_1.fin": (
        "unbalanced_sequence",
        ":16S:TRADFOO at line 14 does not close sequence TRADDET opened by :16R:TRADDET at line 7"),
    "prowide-core_MT543_parsertest_3.fin": (
        "invalid_date",
        ":98A::PREP//11111111 (line 5), :98A::TRAD//11111111 (line 8), :98A::SETT//11111111 (line 9)"),
}


def test_every_sample_is_covered() -> None:
    assert sorted(p.name for p in SAMPLES.glob("*.fin")) == sorted([*EXPECTED, *BROKEN])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_loads_to_canonical_values(cfg, name: str) -> None:  # type: ignore[no-untyped-def]
    path = SAMPLES / name
    conn = MtConnector()
    assert conn.identify(path, path.read_bytes()[:65536], cfg) == "mt54x"
    parsed = conn.parse(path, "mt54x", cfg)
    rows = parsed.tables["bo_settlements"].to_dicts()
    assert parsed.quarantine.height == 0
    assert parsed.rows_read == len(rows) == len(EXPECTED[name])
    for got, want in zip(rows, EXPECTED[name], strict=True):
        for col, value in want.items():
            assert got[col] == value, (name, col, got[col], value)
        assert got["src_line"] == 1 and got["_raw"].startswith("{1:")


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_sample_is_quarantined_with_its_fault(cfg, name: str) -> None:  # type: ignore[no-untyped-def]
    parsed = MtConnector().parse(SAMPLES / name, "mt54x", cfg)
    rule, words = BROKEN[name]
    assert parsed.rows_read == 1 and parsed.tables["bo_settlements"].height == 0
    q = parsed.quarantine.row(0, named=True)
    assert q["rule"] == rule and words in q["reason"], q["reason"]
    assert q["line_no"] == 1 and q["target_table"] == "bo_settlements"
    assert q["raw_text"] == (SAMPLES / name).read_text()


def test_samples_through_the_loader(cfg) -> None:  # type: ignore[no-untyped-def]
    """The loader's own checks: the prowide fixtures use made-up ISINs (bad check digits), so their
    rows are quarantined as bad_isin with the ISIN named; nothing is lost."""
    results = {p.name: load_file(cfg, p, publish=False) for p in sorted(SAMPLES.glob("*.fin"))}
    for name, r in results.items():
        assert r.status == "LOADED" and r.rows_read == r.rows_loaded + r.rows_quarantined, name
    assert results["prowide-core_MT537_T2S_penalties_PENF_failing.fin"].rules == {"bad_isin": 4}
    assert results["prowide-core_MT541_parsertest_1.fin"].rules == {"unbalanced_sequence": 1}
    assert results["prowide-core_MT543_parsertest_3.fin"].rules == {"invalid_date": 1}
    with store.connect(cfg, read_only=True) as con:
        q = store.query(con, "SELECT file_path, line_no, rule, reason FROM ops_quarantine WHERE rule = 'bad_isin' "
                             "AND file_path LIKE '%MT541_parsertest_2.fin'")
        assert q.height == 1 and "FR1234567890" in q["reason"][0] and q["line_no"][0] == 1
        total = store.scalar(con, "SELECT sum(rows_read) - sum(rows_loaded) - sum(rows_quarantined) FROM ops_load_batches")
        assert total == 0

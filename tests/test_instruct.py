"""``midoffice instruct``: MT540-543 and sese.023 for the trades due to settle, from a real store;
every MT read back by our parser, every sese.023 valid against its XSD."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from connectors.swift_mt import MtConnector, swift_ref
from engine import store
from engine.cli import app
from engine.cli_instruct import trades_due, write_instructions
from engine.config import load_config

XSD = Path(__file__).resolve().parents[2] / "shared" / "samples" / "xsd"
AS_OF = dt.date(2024, 1, 3)


@pytest.fixture()
def cfg(tmp_path: Path):  # type: ignore[no-untyped-def]
    c = load_config(overrides={"store": {"path": str(tmp_path / "s.duckdb"),
                                         "published_path": str(tmp_path / "p.duckdb"),
                                         "workflow_path": str(tmp_path / "w.duckdb")},
                               "iso20022": {"xsd_dir": str(XSD)}})
    with store.connect(c) as con:
        con.execute("""INSERT INTO ref_instruments (instrument_id, isin, name, asset_class, currency, price_multiplier) VALUES
            ('US0378331005', 'US0378331005', 'APPLE', 'EQUITY', 'USD', 1),
            ('DE0001102580', 'DE0001102580', 'BUND 0 02/32', 'GOVT_BOND', 'EUR', 0.01),
            ('EURUSD', NULL, 'EURUSD spot', 'FX_SPOT', 'USD', 1)""")
        con.execute("""INSERT INTO ref_counterparties (counterparty_id, name, bic) VALUES
            ('CP1', 'Broker One', 'BROKGB2LXXX'), ('CP2', 'Bank Two', 'BANKDEFFXXX')""")
        con.execute("""INSERT INTO ref_accounts (account_id, custodian, custodian_bic, legal_entity_id,
                counterparty_id, place_of_settlement, cash_account, currency) VALUES
            ('CUSTA-LE1-SK101', 'CUST_A', 'CUSAUS33XXX', 'LE1', NULL, NULL, '026012345678', NULL),
            ('CUSTB-LE1-SK102', 'CUST_B', 'CUSBBEBBXXX', 'LE1', NULL, NULL, 'BE71096123456769', NULL),
            ('SSI-CP1-US', 'AGENT_AGNT', 'AGNTUS33XXX', NULL, 'CP1', 'DTCYUS33', 'CP1-USD-1', 'USD'),
            ('SSI-CP1-EU', 'AGENT_AGNT', 'AGNTBEBBXXX', NULL, 'CP1', 'MGTCBEBE', 'CP1-EUR-1', 'EUR'),
            ('SSI-CP2-EU', 'AGENT_BNKD', 'BNKDDEFFXXX', NULL, 'CP2', 'DAKVDEFF', 'CP2-EUR-1', 'EUR')""")
        con.execute("""INSERT INTO fo_trades (trade_id, version, status, known_date, book_id, counterparty_id,
                instrument_id, isin, side, quantity, price, currency, trade_date, settle_date, gross_amount,
                net_amount, account_id) VALUES
            ('T1', 1, 'NEW', '2024-01-02', 'B1', 'CP1', 'US0378331005', 'US0378331005', 'BUY', 250, 189, 'USD',
             '2024-01-02', '2024-01-04', 47250, 47262.5, 'CUSTA-LE1-SK101'),
            ('T2', 1, 'NEW', '2024-01-03', 'B1', 'CP2', 'DE0001102580', NULL, 'SELL', 1000000, 99.5, 'EUR',
             '2024-01-03', '2024-01-05', 995000, 995000, 'CUSTB-LE1-SK102'),
            ('T3', 1, 'NEW', '2024-01-03', 'B1', 'CP1', 'US0378331005', 'US0378331005', 'BUY', 10, 0, 'USD',
             '2024-01-03', '2024-01-05', 0, 0, 'CUSTA-LE1-SK101'),
            ('T4', 1, 'NEW', '2023-12-28', 'B1', 'CP1', 'US0378331005', 'US0378331005', 'BUY', 10, 180, 'USD',
             '2023-12-28', '2024-01-02', 1800, 1800, 'CUSTA-LE1-SK101'),
            ('T5', 1, 'NEW', '2024-01-03', 'B1', 'CP1', 'EURUSD', NULL, 'BUY', 1000000, 1.1, 'USD',
             '2024-01-03', '2024-01-05', 1100000, 1100000, 'CUSTA-LE1-SK101'),
            ('T6', 1, 'NEW', '2024-01-03', 'B1', 'CP1', 'US0378331005', 'US0378331005', 'SELL', 5, 190, 'USD',
             '2024-01-03', '2024-01-05', 950, 950, NULL),
            ('T7', 1, 'NEW', '2024-01-02', 'B1', 'CP1', 'US0378331005', 'US0378331005', 'BUY', 7, 190, 'USD',
             '2024-01-02', '2024-01-04', 1330, 1330, 'CUSTA-LE1-SK101'),
            ('T7', 2, 'CANCEL', '2024-01-03', 'B1', 'CP1', 'US0378331005', 'US0378331005', 'BUY', 7, 190, 'USD',
             '2024-01-02', '2024-01-04', 1330, 1330, 'CUSTA-LE1-SK101'),
            ('T8', 1, 'NEW', '2024-01-02', 'B1', 'CP1', 'US0378331005', 'US0378331005', 'SELL', 100, 190, 'USD',
             '2024-01-02', '2024-01-04', 19000, 19000, 'CUSTA-LE1-SK101'),
            ('T8', 2, 'AMEND', '2024-01-03', 'B1', 'CP1', 'US0378331005', 'US0378331005', 'SELL', 120, 190, 'USD',
             '2024-01-02', '2024-01-04', 22800, 22790, 'CUSTA-LE1-SK101'),
            ('T9', 1, 'NEW', '2024-01-04', 'B1', 'CP1', 'US0378331005', 'US0378331005', 'BUY', 1, 190, 'USD',
             '2024-01-04', '2024-01-08', 190, 190, 'CUSTA-LE1-SK101')""")
    return c


def test_trades_due(cfg) -> None:  # type: ignore[no-untyped-def]
    due = trades_due(cfg, AS_OF)
    # T4 settled before the date, T5 is FX, T7 cancelled, T9 not yet known
    assert due["trade_id"].to_list() == ["T1", "T3", "T8", "T2", "T6"]
    rows = {r["trade_id"]: r for r in due.to_dicts()}
    assert rows["T6"]["skip_reason"] == "the trade names no safekeeping account (account_id)"
    t8 = rows["T8"]
    assert (t8["version"], t8["quantity"], t8["amount"], t8["direction"]) == (2, Decimal("120"), Decimal("22790"), "DELIVER")
    t2 = rows["T2"]
    assert (t2["isin"], t2["quantity_type"], t2["custodian_bic"], t2["place_of_settlement"]) == (
        "DE0001102580", "FAMT", "CUSBBEBBXXX", "DAKVDEFF")
    assert (t2["counterparty_bic"], t2["counterparty_agent_bic"], t2["counterparty_account"]) == (
        "BANKDEFFXXX", "BNKDDEFFXXX", "SSI-CP2-EU")
    assert rows["T1"]["counterparty_agent_bic"] == "AGNTUS33XXX"     # the SSI in the trade's currency
    assert rows["T3"]["payment"] == "FREE"


def test_mt_instructions_read_back(cfg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    res = write_instructions(cfg, trades_due(cfg, AS_OF), "mt", out, AS_OF)
    assert (res.written, res.skipped) == (4, 1)
    assert sorted(f.name for f in res.files) == ["instructions_CUST_A_2024-01-03.fin", "instructions_CUST_B_2024-01-03.fin"]
    assert {(r["custodian"], r["message_type"]): r["messages"] for r in res.by_custodian} == {
        ("CUST_A", "MT540"): 1, ("CUST_A", "MT541"): 1, ("CUST_A", "MT543"): 1, ("CUST_B", "MT543"): 1}
    got = {}
    for f in res.files:
        parsed = MtConnector().parse(f, "mt54x", cfg)
        assert parsed.quarantine.height == 0
        got.update({r["trade_ref"]: r for r in parsed.tables["bo_settlements"].to_dicts()})
    t1, t2, t3, t8 = got["T1"], got["T2"], got["T3"], got["T8"]
    assert (t1["message_type"], t1["direction"], t1["payment"], t1["status"]) == ("MT541", "RECEIVE", "APMT", "PENDING")
    assert (t1["isin"], t1["quantity"], t1["amount"], t1["currency"], t1["deal_price"]) == (
        "US0378331005", "250", "47262.5", "USD", "189")
    assert (t1["trade_date"], t1["intended_settle_date"], t1["known_date"]) == ("2024-01-02", "2024-01-04", "2024-01-03")
    assert (t1["account_id"], t1["custodian"], t1["counterparty_bic"], t1["place_of_settlement"]) == (
        "CUSTA-LE1-SK101", "CUST_A", "BROKGB2LXXX", "DTCYUS33")
    assert (t2["message_type"], t2["quantity"], t2["amount"], t2["custodian"]) == ("MT543", "1000000", "995000", "CUST_B")
    assert ":36B::SETT//FAMT/1000000," in (out / "instructions_CUST_B_2024-01-03.fin").read_text()
    assert (t3["message_type"], t3["payment"], t3["amount"]) == ("MT540", "FREE", None)
    assert (t8["message_type"], t8["quantity"]) == ("MT543", "120")
    manifest = (out / "instructions_2024-01-03.csv").read_text().splitlines()
    assert manifest[0] == "trade_id,version,custodian,status,message_type,reference,file,reason"
    assert any(line.startswith("T6,1,,SKIPPED") for line in manifest)
    assert swift_ref("T1") == "T1"
    # the same date again writes the same bytes
    before = {f.name: f.read_bytes() for f in res.files}
    write_instructions(cfg, trades_due(cfg, AS_OF), "mt", out, AS_OF)
    assert before == {f.name: f.read_bytes() for f in res.files}


@pytest.mark.skipif(not (XSD / "sese.023.001.12.xsd").is_file(), reason="XSDs not present")
@pytest.mark.parametrize("version", ["sese.023.001.11", "sese.023.001.12"])
def test_sese_instructions_valid_against_xsd(cfg, tmp_path: Path, version: str) -> None:  # type: ignore[no-untyped-def]
    c = cfg.with_overrides({"iso20022": {"sese023_version": version}})
    res = write_instructions(c, trades_due(c, AS_OF), "sese", tmp_path / "out", AS_OF)
    assert (res.written, res.skipped, len(res.files)) == (4, 1, 4)
    schema = etree.XMLSchema(etree.parse(str(XSD / f"{version}.xsd")))
    for f in res.files:
        assert schema.validate(etree.parse(str(f))), (f, schema.error_log)
    doc = etree.parse(str(next(f for f in res.files if "T2" in f.name)))
    ns = {"s": f"urn:iso:std:iso:20022:tech:xsd:{version}"}
    assert doc.findtext(".//s:TxId", namespaces=ns) == "T2"
    assert doc.findtext(".//s:SctiesMvmntTp", namespaces=ns) == "DELI"
    assert doc.findtext(".//s:SttlmQty/s:Qty/s:FaceAmt", namespaces=ns) == "1000000"
    assert doc.find(".//s:SttlmAmt/s:Amt", namespaces=ns).get("Ccy") == "EUR"
    assert doc.findtext(".//s:SttlmAmt/s:CdtDbtInd", namespaces=ns) == "CRDT"
    assert doc.findtext(".//s:RcvgSttlmPties/s:Pty1/s:Id/s:AnyBIC", namespaces=ns) == "BNKDDEFFXXX"
    assert doc.findtext(".//s:RcvgSttlmPties/s:Pty2/s:Id/s:AnyBIC", namespaces=ns) == "BANKDEFFXXX"


def test_cli(cfg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    for key, value in (("STORE__PATH", cfg.get("store.path")), ("STORE__PUBLISHED_PATH", cfg.get("store.published_path")),
                       ("STORE__WORKFLOW_PATH", cfg.get("store.workflow_path")), ("ISO20022__XSD_DIR", str(XSD))):
        monkeypatch.setenv(f"MIDOFFICE_{key}", str(value))
    runner = CliRunner()
    out = tmp_path / "cli_out"
    r = runner.invoke(app, ["instruct", "--as-of", "2024-01-03", "--format", "sese", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "4 instructions" in r.output and "1 trades skipped" in r.output
    assert len(list(out.glob("sese.023.001.12_*.xml"))) == 4
    r = runner.invoke(app, ["instruct", "--as-of", "2024-13-03", "--out", str(out)])
    assert r.exit_code != 0

"""ISO 20022 sese connector and writers: sese.023/024/025 with and without AppHdr/envelope, every
status of sese.024, partial settlement, XSD validation, and bad input (truncated XML, wrong root)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from lxml import etree

from connectors.iso20022 import (
    SESE024_STATUS,
    SeseConnector,
    sese023_document,
    sese024_document,
    validate_tree,
    write_settlements_sese,
    write_xml,
)
from engine.config import load_config
from engine.errors import BadInputError

XSD = Path(__file__).resolve().parents[2] / "shared" / "samples" / "xsd"
needs_xsd = pytest.mark.skipif(not (XSD / "sese.024.001.13.xsd").is_file(), reason="XSDs not present")


@pytest.fixture()
def cfg(tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_config(overrides={"store": {"path": str(tmp_path / "s.duckdb"),
                                            "published_path": str(tmp_path / "p.duckdb"),
                                            "workflow_path": str(tmp_path / "w.duckdb")},
                                  "iso20022": {"xsd_dir": str(XSD)}})


BASE = dict(settlement_id="S0001", trade_ref="T0001", known_date="2024-01-05", isin="US0378331005",
            direction="RECEIVE", payment="APMT", quantity="100", settled_quantity=None, amount="15000.50",
            settled_amount=None, currency="USD", trade_date="2024-01-03", deal_price="150.005",
            intended_settle_date="2024-01-05", actual_settle_date=None, account_id="ACC-1",
            counterparty_bic="BANKGB2LXXX", place_of_settlement="DTCYUS33XXX", status="MATCHED",
            reason_code=None, reason_text=None, seq=1)


@needs_xsd
def test_writer_round_trip_every_status(cfg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [
        BASE,
        {**BASE, "seq": 2, "status": "FAILING", "reason_code": "LACK", "reason_text": "Lack of securities"},
        {**BASE, "known_date": "2024-01-08", "status": "PARTIAL", "settled_quantity": "60",
         "settled_amount": "9000.30", "actual_settle_date": "2024-01-08"},
        {**BASE, "known_date": "2024-01-09", "status": "SETTLED", "settled_quantity": "100",
         "settled_amount": "15000.50", "actual_settle_date": "2024-01-09"},
        {**BASE, "settlement_id": "S0002", "trade_ref": "T0002", "direction": "DELIVER", "payment": "FREE",
         "amount": None, "currency": None, "status": "UNMATCHED", "reason_code": "CMIS"},
        {**BASE, "settlement_id": "S0003", "status": "CANCELLED", "reason_code": "CANI"},
        {**BASE, "settlement_id": "S0004", "status": "PENDING", "reason_code": "ZZZZ"},   # not an ISO code: Prtry
        {**BASE, "settlement_id": "S0005", "status": "PENDING"},                          # NoSpcfdRsn
        {**BASE, "settlement_id": "S0006", "status": "REJECTED", "reason_code": "SAFE"},
        {**BASE, "settlement_id": "S0007", "status": "MATCHED", "reason_code": "MACH"},
    ]
    path = tmp_path / "cust_b_2024-01-09.xml"
    n = write_settlements_sese(pl.DataFrame(rows), path, custodian_bic="CUSBBEBBXXX", our_bic="MIDOUS33XXX", cfg=cfg)
    assert n == len(rows)
    parsed = SeseConnector().parse(path, "sese", cfg)
    assert parsed.quarantine.height == 0 and not parsed.warnings   # every document valid against its XSD
    got = parsed.tables["bo_settlements"]
    assert got["message_type"].to_list() == ["sese.024"] * 2 + ["sese.025"] * 2 + ["sese.024"] * 6
    assert got["status"].to_list() == [r["status"] for r in rows]
    assert got["reason_code"].to_list() == [r["reason_code"] for r in rows]
    assert got["reason_text"][1] == "Lack of securities"
    assert got["custodian"].unique().to_list() == ["CUST_B"]
    assert got["settlement_id"].to_list()[:4] == ["S0001"] * 4 and got["trade_ref"][0] == "T0001"
    p = got.row(2, named=True)
    assert (p["settled_quantity"], p["quantity"], p["settled_amount"], p["amount"]) == ("60", "100", "9000.3", "15000.5")
    assert (p["actual_settle_date"], p["deal_price"], p["known_date"]) == ("2024-01-08", "150.005", "2024-01-08")
    assert got["direction"][4] == "DELIVER" and got["payment"][4] == "FREE" and got["amount"][4] is None
    seqs = got["seq"].to_list()[:4]
    assert seqs == sorted(seqs)
    assert len(set(got["src_line"].to_list())) == len(rows)     # each document's own line


@needs_xsd
@pytest.mark.parametrize("version", ["sese.023.001.11", "sese.023.001.12"])
def test_sese023_without_header_or_envelope(cfg, tmp_path: Path, version: str) -> None:  # type: ignore[no-untyped-def]
    doc = sese023_document({**BASE, "settlement_id": "T0001"}, version)
    assert validate_tree(doc, version, cfg) == []
    path = tmp_path / "instr.xml"
    write_xml(doc, path)
    parsed = SeseConnector().parse(path, "sese", cfg)
    r = parsed.tables["bo_settlements"].row(0, named=True)
    assert (r["message_type"], r["settlement_id"], r["trade_ref"], r["status"]) == ("sese.023", "T0001", "T0001", "PENDING")
    assert (r["quantity"], r["amount"], r["currency"], r["deal_price"]) == ("100", "15000.5", "USD", "150.005")
    assert r["custodian"] == "UNKNOWN" and any("no AppHdr" in w for w in parsed.warnings)
    assert (r["counterparty_bic"], r["place_of_settlement"]) == ("BANKGB2LXXX", "DTCYUS33XXX")


def test_status_advice_without_transaction_details_is_quarantined(cfg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    doc = sese024_document({**BASE, "status": "FAILING", "reason_code": "LACK"}, cfg)
    ns = doc.nsmap[None]
    body = doc[0]
    body.remove(body.find(f"{{{ns}}}TxDtls"))
    path = tmp_path / "s24.xml"
    write_xml(doc, path)
    parsed = SeseConnector().parse(path, "sese", cfg)
    assert parsed.rows_read == 1
    q = parsed.quarantine.row(0, named=True)
    assert q["rule"] == "missing_field" and "TxDtls" in q["reason"] and q["record_ref"] == "T0001"


def test_invalid_document_can_be_loaded_with_a_warning(cfg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    doc = sese023_document({**BASE, "settlement_id": "T0001"})
    etree.SubElement(doc[0], f"{{{doc.nsmap[None]}}}Unexpected").text = "x"
    path = tmp_path / "bad.xml"
    write_xml(doc, path)
    strict = SeseConnector().parse(path, "sese", cfg)
    assert strict.quarantine["rule"].to_list() == ["schema_invalid"] and "Unexpected" in strict.quarantine["reason"][0]
    lax = SeseConnector().parse(path, "sese", cfg.with_overrides({"iso20022": {"on_invalid": "warn"}}))
    assert lax.tables["bo_settlements"].height == 1 and any("not valid" in w for w in lax.warnings)


def test_missing_xsd_dir_skips_validation_with_a_warning(cfg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "instr.xml"
    write_xml(sese023_document({**BASE, "settlement_id": "T0001"}), path)
    c = cfg.with_overrides({"iso20022": {"xsd_dir": str(tmp_path / "nowhere")}})
    parsed = SeseConnector().parse(path, "sese", c)
    assert parsed.tables["bo_settlements"].height == 1
    assert any("no XSD for sese.023.001.12" in w for w in parsed.warnings)


def test_status_table_is_complete() -> None:
    assert set(SESE024_STATUS.values()) == {"PENDING", "MATCHED", "UNMATCHED", "REJECTED", "CANCELLED", "FAILING"}


def test_bad_input(cfg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "good.xml"
    write_xml(sese023_document({**BASE, "settlement_id": "T0001"}), good)
    text = good.read_text()
    truncated = tmp_path / "truncated.xml"
    truncated.write_text(text[: len(text) // 2])
    conn = SeseConnector()
    assert conn.identify(truncated, truncated.read_bytes(), cfg) == "sese"   # recognised by content...
    with pytest.raises(BadInputError, match="not well-formed XML") as e:   # ...refused as unreadable
        conn.parse(truncated, "sese", cfg)
    assert "truncated.xml" in str(e.value) and e.value.line is not None
    wrong = tmp_path / "wrong_root.xml"
    wrong.write_text('<Report xmlns="urn:example"><Note>urn:iso:std:iso:20022:tech:xsd:sese.025.001.12</Note></Report>')
    assert conn.identify(wrong, wrong.read_bytes(), cfg) == "sese"
    with pytest.raises(BadInputError, match="no ISO 20022 sese") as e:
        conn.parse(wrong, "sese", cfg)
    assert "root <Report>" in str(e.value)
    empty = tmp_path / "empty.xml"
    empty.write_text("")
    with pytest.raises(BadInputError, match="empty"):
        conn.parse(empty, "sese", cfg)
    bom = tmp_path / "bom.xml"
    bom.write_bytes(b"\xef\xbb\xbf" + good.read_bytes())
    assert conn.identify(bom, bom.read_bytes(), cfg) == "sese"
    assert conn.parse(bom, "sese", cfg).tables["bo_settlements"].height == 1
    camt = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"/>'
    assert conn.identify(tmp_path / "c.xml", camt, cfg) is None
    assert conn.identify(tmp_path / "c.csv", b"a,b\nurn:iso:std:iso:20022:tech:xsd:sese.025.001.1,2\n", cfg) is None


@needs_xsd
def test_files_of_a_load_are_validated_and_committed_together(cfg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """sese's loader hook only reads reference data, so a load's sese files form one group:
    one validation pass and one transaction (the batches share their start time), each file
    keeping its own batch and counts."""
    from connectors import loader
    from engine import store

    day1 = tmp_path / "cust_b_2024-01-05.xml"
    day2 = tmp_path / "cust_b_2024-01-08.xml"
    write_settlements_sese(pl.DataFrame([BASE]), day1, custodian_bic="CUSBBEBBXXX", our_bic="MIDOUS33XXX", cfg=cfg)
    write_settlements_sese(pl.DataFrame([{**BASE, "known_date": "2024-01-08", "seq": 2, "status": "SETTLED",
                                          "settled_quantity": "100", "settled_amount": "15000.50",
                                          "actual_settle_date": "2024-01-08"},
                                         {**BASE, "settlement_id": "S0002", "trade_ref": "T0002"}]),
                           day2, custodian_bic="CUSBBEBBXXX", our_bic="MIDOUS33XXX", cfg=cfg)
    report = loader.load_paths(cfg, [day1, day2], publish=False)
    assert [r.status for r in report.batches] == ["LOADED", "LOADED"]
    with store.connect(cfg, read_only=True) as con:
        rows = con.sql("SELECT file_name, rows_read, rows_loaded + rows_quarantined, started_at "
                       "FROM ops_load_batches ORDER BY batch_id").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [(day1.name, 1, 1), (day2.name, 2, 2)]
    assert rows[0][3] == rows[1][3]

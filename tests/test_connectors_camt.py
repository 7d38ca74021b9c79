"""camt connector and writer: batch entries with several transaction details, reversals, debit
entries negative, balances kept and checked, entries not booked, bad input."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from connectors.camt import CamtConnector, write_cash_camt053
from engine.config import load_config
from engine.errors import BadInputError

XSD = Path(__file__).resolve().parents[2] / "shared" / "samples" / "xsd"


@pytest.fixture()
def cfg(tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_config(overrides={"store": {"path": str(tmp_path / "s.duckdb"),
                                            "published_path": str(tmp_path / "p.duckdb"),
                                            "workflow_path": str(tmp_path / "w.duckdb")},
                                  "iso20022": {"xsd_dir": str(XSD)}})


NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.13"


def _stmt(entries: str, opening: str = "1000.00", closing: str = "1150.00", closing_ind: str = "CRDT") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{NS}"><BkToCstmrStmt>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>2024-01-05T18:00:00</CreDtTm></GrpHdr>
<Stmt><Id>ST-1</Id><Acct><Id><IBAN>GB33BUKB20201555555555</IBAN></Id><Ccy>GBP</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="GBP">{opening}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-01-05</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="GBP">{closing}</Amt><CdtDbtInd>{closing_ind}</CdtDbtInd><Dt><Dt>2024-01-05</Dt></Dt></Bal>
{entries}
</Stmt></BkToCstmrStmt></Document>
"""


def _entry(amount: str, ind: str, details: str = "", status: str = "BOOK", rvsl: bool = False, ref: str = "E1") -> str:
    return (f"<Ntry><NtryRef>{ref}</NtryRef><Amt Ccy=\"GBP\">{amount}</Amt><CdtDbtInd>{ind}</CdtDbtInd>"
            + ("<RvslInd>true</RvslInd>" if rvsl else "")
            + f"<Sts><Cd>{status}</Cd></Sts><BookgDt><Dt>2024-01-05</Dt></BookgDt><ValDt><Dt>2024-01-05</Dt></ValDt>"
            "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
            + (f"<NtryDtls>{details}</NtryDtls>" if details else "") + "</Ntry>")


def _tx(e2e: str, amount: str, ind: str, name: str = "") -> str:
    party = "Dbtr" if ind == "CRDT" else "Cdtr"
    rel = f"<RltdPties><{party}><Pty><Nm>{name}</Nm></Pty></{party}></RltdPties>" if name else ""
    return (f"<TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs><Amt Ccy=\"GBP\">{amount}</Amt>"
            f"<CdtDbtInd>{ind}</CdtDbtInd>{rel}<AddtlTxInf>pay {e2e}</AddtlTxInf></TxDtls>")


def _parse(tmp_path: Path, cfg, xml: str):  # type: ignore[no-untyped-def]
    p = tmp_path / "stmt.xml"
    p.write_text(xml)
    r = CamtConnector().parse(p, "camt", cfg)
    assert r.rows_read == r.candidate_rows() + r.quarantine.height
    return r


def test_batch_entry_with_several_details(cfg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    batch = _entry("150.00", "CRDT", _tx("T1", "100.00", "CRDT", "ACME LTD") + _tx("T2", "80.00", "CRDT")
                   + _tx("T3", "30.00", "DBIT", "FEES PLC"))
    r = _parse(tmp_path, cfg, _stmt(batch))
    m = r.tables["bo_cash_movements"]
    assert r.quarantine.height == 0 and not [w for w in r.warnings if "not validated" not in w]
    assert m["movement_id"].to_list() == [f"GB33BUKB20201555555555/ST-1/1/{i}" for i in (1, 2, 3)]
    assert m["amount"].to_list() == ["100.00", "80.00", "-30.00"]          # the debit detail negative
    assert m["end_to_end_id"].to_list() == ["T1", "T2", "T3"]
    assert m["counterparty_name"].to_list() == ["ACME LTD", None, "FEES PLC"]
    assert m["bank_tx_code"].unique().to_list() == ["PMNT/RCDT/ESCT"]
    assert m["entry_ref"].unique().to_list() == ["E1"]
    assert (m["value_date"][0], m["booking_date"][0], m["known_date"][0]) == ("2024-01-05", "2024-01-05", "2024-01-05")
    b = r.tables["bo_cash_balances"]
    assert b["balance_type"].to_list() == ["OPBD", "CLBD"] and b["amount"].to_list() == ["1000.00", "1150.00"]


def test_reversal_debit_and_entry_without_details(cfg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    entries = (_entry("200.00", "CRDT", ref="E1") + _entry("200.00", "DBIT", rvsl=True, ref="E2")
               + _entry("150.00", "CRDT", _tx("T9", "150.00", "CRDT"), ref="E3"))
    r = _parse(tmp_path, cfg, _stmt(entries))
    m = r.tables["bo_cash_movements"]
    assert m["amount"].to_list() == ["200.00", "-200.00", "150.00"]
    assert m["is_reversal"].to_list() == [False, True, False]
    assert m["movement_id"].to_list()[:2] == ["GB33BUKB20201555555555/ST-1/1/0", "GB33BUKB20201555555555/ST-1/2/0"]


def test_faults_are_quarantined_per_entry(cfg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    entries = (_entry("150.00", "CRDT", _tx("T1", "100.00", "CRDT") + _tx("T2", "40.00", "CRDT"), ref="BAD")
               + _entry("75.00", "CRDT", status="PDNG", ref="PEND")
               + _entry("150.00", "CRDT", ref="OK"))
    r = _parse(tmp_path, cfg, _stmt(entries))
    q = r.quarantine.to_dicts()
    assert [x["rule"] for x in q] == ["batch_mismatch", "entry_not_booked"]
    assert "add up to 140.00, the entry says 150.00 GBP" in q[0]["reason"] and q[0]["record_ref"] == "BAD"
    assert "'PDNG' is not booked" in q[1]["reason"] and q[1]["raw_text"].startswith("<Ntry")
    assert r.tables["bo_cash_movements"]["entry_ref"].to_list() == ["OK"]
    assert r.rows_read == 1 + 2 + 2


def test_balance_gap_is_reported(cfg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = _parse(tmp_path, cfg, _stmt(_entry("100.00", "DBIT"), opening="1000.00", closing="950.00"))
    assert any("opening 1000.00 + booked entries -100.00 = 900.00, but the closing balance is 950.00" in w
               for w in r.warnings)
    r = _parse(tmp_path, cfg, _stmt(_entry("1100.00", "DBIT"), opening="1000.00", closing="100.00", closing_ind="DBIT"))
    assert [w for w in r.warnings if "closing" in w] == []
    assert r.tables["bo_cash_balances"]["amount"].to_list() == ["1000.00", "-100.00"]


def test_writer_round_trip(cfg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    frame = pl.DataFrame([
        dict(movement_id="m1", statement_id=None, account="GB33BUKB20201555555555", value_date="2024-01-05",
             booking_date="2024-01-05", amount="-15000.50", currency="GBP", is_reversal=False, end_to_end_id="T0001",
             entry_ref=None, counterparty_name="BROKER LTD", description="DVP T0001", bank_tx_code="SECU/SETT/DVPM",
             known_date="2024-01-05"),
        dict(movement_id="m2", statement_id=None, account="GB33BUKB20201555555555", value_date="2024-01-05",
             booking_date="2024-01-05", amount="700", currency="GBP", is_reversal=False, end_to_end_id="T0002",
             entry_ref="B7", counterparty_name=None, description=None, bank_tx_code="PMNT/RCDT/ESCT",
             known_date="2024-01-05"),
        dict(movement_id="m3", statement_id=None, account="GB33BUKB20201555555555", value_date="2024-01-05",
             booking_date="2024-01-05", amount="300", currency="GBP", is_reversal=False, end_to_end_id="T0003",
             entry_ref="B7", counterparty_name=None, description=None, bank_tx_code="PMNT/RCDT/ESCT",
             known_date="2024-01-05"),
        dict(movement_id="m4", statement_id=None, account="CASH-ACC-9", value_date="2024-01-08",
             booking_date="2024-01-08", amount="-42", currency="USD", is_reversal=True, end_to_end_id=None,
             entry_ref=None, counterparty_name=None, description="reversal", bank_tx_code="NOTPROVIDED",
             known_date="2024-01-08"),
    ])
    path = tmp_path / "cash_2024-01-08.xml"
    closing = write_cash_camt053(frame, path, bank_bic="CUSCGB2LXXX", our_bic="MIDOUS33XXX", cfg=cfg,
                                 opening={"GB33BUKB20201555555555": Decimal("20000")})
    assert closing == {"GB33BUKB20201555555555": Decimal("5999.50"),  # 20000 - 15000.50 + 700 + 300
                       "CASH-ACC-9": Decimal("-42")}
    r = CamtConnector().parse(path, "camt", cfg)
    assert r.quarantine.height == 0 and r.warnings == []       # valid against camt.053.001.13, balanced
    m = r.tables["bo_cash_movements"]
    assert m["amount"].to_list() == ["-15000.50", "700", "300", "-42"]
    assert m["end_to_end_id"].to_list() == ["T0001", "T0002", "T0003", None]
    assert m["entry_ref"].to_list() == [None, "B7", "B7", None]
    assert m["is_reversal"].to_list() == [False, False, False, True]
    assert m["bank_tx_code"].to_list() == ["SECU/SETT/DVPM", "PMNT/RCDT/ESCT", "PMNT/RCDT/ESCT", "NOTPROVIDED"]
    assert m["counterparty_name"][0] == "BROKER LTD"
    b = r.tables["bo_cash_balances"]
    assert b.filter(pl.col("account") == "CASH-ACC-9")["amount"].to_list() == ["0", "-42"]


def test_bad_input(cfg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    xml = _stmt(_entry("150.00", "CRDT"))
    p = tmp_path / "truncated.xml"
    p.write_text(xml[:-80])
    conn = CamtConnector()
    assert conn.identify(p, p.read_bytes(), cfg) == "camt"
    with pytest.raises(BadInputError, match="not well-formed XML"):
        conn.parse(p, "camt", cfg)
    p = tmp_path / "wrong_root.xml"
    p.write_text('<Envelope xmlns="urn:swift:xsd:envelope"><Note>urn:iso:std:iso:20022:tech:xsd:camt.053.001.13</Note></Envelope>')
    with pytest.raises(BadInputError, match="no ISO 20022 camt.053/camt.054 Document") as e:
        conn.parse(p, "camt", cfg)
    assert "root <Envelope>" in str(e.value)
    # a wrong amount in an entry is that entry's fault, not the file's
    r = _parse(tmp_path, cfg.with_overrides({"iso20022": {"on_invalid": "warn"}}),
               _stmt(_entry("1,50", "CRDT", ref="X") + _entry("150.00", "CRDT", ref="Y")))
    assert r.quarantine["rule"].to_list() == ["bad_decimal"] and r.tables["bo_cash_movements"].height == 1
    # against the XSD the same document is invalid as a whole
    r = _parse(tmp_path, cfg, _stmt(_entry("1,50", "CRDT", ref="X")))
    assert r.quarantine["rule"].to_list() == ["schema_invalid"] and r.rows_read == 1
    sese = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:sese.025.001.12"/>'
    assert conn.identify(tmp_path / "s.xml", sese, cfg) is None

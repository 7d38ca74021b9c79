"""The real sese sample in ../shared/samples/iso20022_sese: canonical values field by field (read
from the XML by hand), the missing-XSD warning, XSD validation once the same message declares a
version whose schema is at hand, and the loader's count."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.iso20022 import SeseConnector
from connectors.loader import load_file
from engine.config import load_config

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
SESE = SAMPLES / "iso20022_sese" / "prowide_sese.025.001.09_T2S_with_AppHdr.xml"

pytestmark = pytest.mark.skipif(not SESE.is_file(), reason="../shared/samples not present")


@pytest.fixture()
def cfg(tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_config(overrides={"store": {"path": str(tmp_path / "s.duckdb"),
                                            "published_path": str(tmp_path / "p.duckdb"),
                                            "workflow_path": str(tmp_path / "w.duckdb")},
                                  "iso20022": {"xsd_dir": str(SAMPLES / "xsd")}})


#: read by hand from the file: head.003 RequestPayload > head.001 AppHdr + sese.025.001.09 Document
EXPECTED = {
    "message_type": "sese.025",
    "settlement_id": "FOO",            # no AcctSvcrTxId: the account owner's transaction id
    "trade_ref": "FOO",                # TxIdDtls/AcctOwnrTxId
    "src_ref": "1423905641002",        # AppHdr/BizMsgIdr
    "known_date": "2024-07-17",        # AppHdr/CreDt 2024-07-17T05:27:51Z
    "custodian": "IJKLMNOPXXX",        # AppHdr/Fr/FIId/FinInstnId/BICFI (no mapping configured)
    "direction": "RECEIVE",            # SctiesMvmntTp RECE
    "payment": "APMT",
    "isin": "NL0000009165",
    "trade_date": "2024-07-16",
    "intended_settle_date": "2024-07-17",
    "actual_settle_date": "2024-07-17",   # FctvSttlmDt/Dt/DtTm 2024-07-17T07:26:04.207459
    "settled_quantity": "0",           # SttldQty/Qty/Unit
    "quantity": "0",                   # a full settlement (no PrtlSttlm): the settled quantity
    "settled_amount": "1",             # SttldAmt/Amt Ccy=EUR, DBIT
    "amount": "1",
    "currency": "EUR",
    "account_id": "NECISOGEFRPPAGN000L10",   # QtyAndAcctDtls/SfkpgAcct/Id
    "counterparty_bic": "QRSTUVWYXXX",       # we receive: the delivering side's Pty1
    "place_of_settlement": "HGFEDCBAXXX",    # our (receiving) side's depository
    "status": "SETTLED",               # PrtlSttlmInd PARQ only allows partial settlement
    "reason_code": None,
    "deal_price": None,
    "src_line": 31,                    # line of <Document>
    # seconds from 2000-01-01 to 2024-07-17 05:27:51
    "seq": 8964 * 86400 + 5 * 3600 + 27 * 60 + 51,
}


def test_sample_sese025_field_by_field(cfg) -> None:  # type: ignore[no-untyped-def]
    conn = SeseConnector()
    assert conn.identify(SESE, SESE.read_bytes()[:65536], cfg) == "sese"
    parsed = conn.parse(SESE, "sese", cfg)
    assert parsed.rows_read == 1 and parsed.quarantine.height == 0
    got = parsed.tables["bo_settlements"].row(0, named=True)
    for col, value in EXPECTED.items():
        assert got[col] == value, (col, got[col], value)
    assert any("no XSD for sese.025.001.09" in w for w in parsed.warnings)


@pytest.mark.parametrize("version", ["11", "12"])
def test_sample_validates_against_the_xsd_of_a_version_at_hand(cfg, tmp_path: Path, version: str) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / f"sese025_{version}.xml"
    p.write_text(SESE.read_text().replace("sese.025.001.09", f"sese.025.001.{version}"))
    parsed = SeseConnector().parse(p, "sese", cfg)
    assert parsed.quarantine.height == 0 and not parsed.warnings
    assert parsed.tables["bo_settlements"]["settlement_id"].to_list() == ["FOO"]
    # the same document with a value outside the schema is quarantined with the schema's words
    p.write_text(p.read_text().replace("<SctiesMvmntTp>RECE</SctiesMvmntTp>", "<SctiesMvmntTp>RECV</SctiesMvmntTp>"))
    parsed = SeseConnector().parse(p, "sese", cfg)
    q = parsed.quarantine.row(0, named=True)
    assert parsed.rows_read == 1 and q["rule"] == "schema_invalid"
    assert "SctiesMvmntTp" in q["reason"] and "'RECV'" in q["reason"] and q["line_no"] == 31


def test_sample_through_the_loader(cfg) -> None:  # type: ignore[no-untyped-def]
    r = load_file(cfg, SESE, publish=False)
    assert (r.status, r.rows_read, r.rows_loaded, r.rows_quarantined) == ("LOADED", 1, 1, 0)
    again = load_file(cfg, SESE, publish=False)
    assert again.status == "SKIPPED"

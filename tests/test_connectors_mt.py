"""SWIFT MT54x connector: block and field parser, status mapping, partial settlements, the writer
(round trip), and bad input. Messages are written out by hand here, expected values read from them."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from connectors.swift_mt import (
    STATUS_MAP,
    MtConnector,
    MtError,
    parse_block4,
    parse_blocks,
    parse_text,
    render_message,
    status_fields,
    swift_amount,
    swift_ref,
    write_instructions_mt,
    write_settlements_mt,
)
from engine.config import load_config


@pytest.fixture()
def cfg(tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_config(overrides={"store": {"path": str(tmp_path / "s.duckdb"),
                                            "published_path": str(tmp_path / "p.duckdb"),
                                            "workflow_path": str(tmp_path / "w.duckdb")}})


MT548_PENF = """{1:F01MIDOUS33AXXX0001000123}{2:O5481630240105CUSAUS33AXXX00010045672401051630N}{3:{108:ABC}}{4:
:16R:GENL
:20C::SEME//STAT000123
:23G:INST
:98C::PREP//20240105163000
:16R:LINK
:13A::LINK//541
:20C::RELA//T000042
:16S:LINK
:16R:STAT
:25D::MTCH//MACH
:16S:STAT
:16R:STAT
:25D::SETT//PENF
:16R:REAS
:24B::PENF//LACK
:70D::REAS//Lack of securities
at the delivering party
:16S:REAS
:16S:STAT
:16S:GENL
:16R:SETTRAN
:35B:ISIN US0378331005
APPLE INC
:36B::SETT//UNIT/1500,
:19A::SETT//USD283500,75
:97A::SAFE//CUSTA-LE1-SK101
:22F::SETR//TRAD
:22H::REDE//RECE
:22H::PAYM//APMT
:98A::SETT//20240105
:98A::TRAD//20240103
:16R:SETPRTY
:95P::SELL//BROKGB2LXXX
:16S:SETPRTY
:16R:SETPRTY
:95P::PSET//DTCYUS33XXX
:16S:SETPRTY
:16S:SETTRAN
-}{5:{CHK:123456789ABC}}"""

MT545_PARTIAL = """{1:F01MIDOUS33AXXX0001000124}{2:O5451705240108CUSAUS33AXXX00010045682401081705N}{4:
:16R:GENL
:20C::SEME//CONF000124
:23G:NEWM
:98C::PREP//20240108170500
:16R:LINK
:13A::LINK//541
:20C::RELA//T000042
:16S:LINK
:16S:GENL
:16R:TRADDET
:98A::TRAD//20240103
:98A::SETT//20240105
:98A::ESET//20240108
:90B::DEAL//ACTU/USD189,
:35B:ISIN US0378331005
:16S:TRADDET
:16R:FIAC
:36B::ESTT//UNIT/1000,
:36B::RSTT//UNIT/500,
:97A::SAFE//CUSTA-LE1-SK101
:16S:FIAC
:16R:SETDET
:22F::SETR//TRAD
:22F::PARS//PAIN
:16R:SETPRTY
:95P::SELL//BROKGB2LXXX
:16S:SETPRTY
:16R:AMT
:19A::ESTT//USD189000,5
:19A::RSTT//USD94500,25
:16S:AMT
:16S:SETDET
-}"""


def _parse(text: str, cfg, name: str = "msgs_2024-01-09.fin") -> tuple[pl.DataFrame, pl.DataFrame, int]:  # type: ignore[no-untyped-def]
    p = Path(name)
    r = parse_text(text, p, cfg)
    assert r.rows_read == r.tables["bo_settlements"].height + r.quarantine.height
    return r.tables["bo_settlements"], r.quarantine, r.rows_read


def test_mt548_failing_with_reason(cfg) -> None:  # type: ignore[no-untyped-def]
    rows, q, n = _parse(MT548_PENF, cfg)
    assert q.height == 0 and n == 1
    r = rows.row(0, named=True)
    assert r["message_type"] == "MT548"
    assert r["status"] == "FAILING"          # MTCH//MACH + SETT//PENF: the failing status wins
    assert r["reason_code"] == "LACK"
    assert r["reason_text"] == "Lack of securities at the delivering party"
    assert r["settlement_id"] == "T000042"   # no ASRF: the related instruction
    assert r["trade_ref"] == "T000042"
    assert r["src_ref"] == "STAT000123"
    assert r["custodian"] == "CUST_A"        # CUSAUS33XXX through [swift.custodians]
    assert r["_custodian_bic"] == "CUSAUS33XXX"
    assert (r["direction"], r["payment"]) == ("RECEIVE", "APMT")
    assert (r["isin"], r["quantity"], r["amount"], r["currency"]) == ("US0378331005", "1500", "283500.75", "USD")
    assert (r["trade_date"], r["intended_settle_date"], r["known_date"]) == ("2024-01-03", "2024-01-05", "2024-01-05")
    assert (r["account_id"], r["counterparty_bic"], r["place_of_settlement"]) == (
        "CUSTA-LE1-SK101", "BROKGB2LXXX", "DTCYUS33XXX")
    # seq = seconds from 2000-01-01 to the preparation time 2024-01-05 16:30:00
    assert r["seq"] == 8770 * 86400 + 16 * 3600 + 30 * 60


def test_mt545_partial_settlement(cfg) -> None:  # type: ignore[no-untyped-def]
    rows, q, _ = _parse(MT545_PARTIAL, cfg)
    assert q.height == 0
    r = rows.row(0, named=True)
    assert r["status"] == "PARTIAL"
    assert (r["settled_quantity"], r["quantity"]) == ("1000", "1500")          # ESTT, ESTT + RSTT
    assert (r["settled_amount"], r["amount"]) == ("189000.5", "283500.75")
    assert (r["actual_settle_date"], r["deal_price"]) == ("2024-01-08", "189")
    # the last part of a partial settlement (PARC) is a settlement
    rows2, _, _ = _parse(MT545_PARTIAL.replace("PARS//PAIN", "PARS//PARC"), cfg)
    assert rows2["status"][0] == "SETTLED"
    # status advice then confirmation of the same instruction: same settlement, growing seq
    both, _, _ = _parse(MT548_PENF + "\n" + MT545_PARTIAL, cfg)
    assert both["settlement_id"].to_list() == ["T000042", "T000042"]
    assert both["seq"][0] < both["seq"][1]


@pytest.mark.parametrize(
    ("stat", "expected", "reason"),
    [
        (":25D::IPRC//PACK", "PENDING", None),
        (":25D::MTCH//NMAT\n:16R:REAS\n:24B::NMAT//CMIS\n:16S:REAS", "UNMATCHED", "CMIS"),
        (":25D::IPRC//REJT\n:16R:REAS\n:24B::REJT//SAFE\n:16S:REAS", "REJECTED", "SAFE"),
        (":25D::IPRC//CAND\n:16R:REAS\n:24B::CAND//CANI\n:16S:REAS", "CANCELLED", "CANI"),
        (":25D::SETT//PEND\n:16R:REAS\n:24B::PEND//MONY\n:16S:REAS", "PENDING", "MONY"),
    ],
)
def test_mt548_status_mapping(cfg, stat: str, expected: str, reason: str | None) -> None:  # type: ignore[no-untyped-def]
    old = ":16R:STAT\n:25D::MTCH//MACH\n:16S:STAT\n:16R:STAT\n:25D::SETT//PENF\n:16R:REAS\n:24B::PENF//LACK\n" \
          ":70D::REAS//Lack of securities\nat the delivering party\n:16S:REAS\n:16S:STAT"
    assert old in MT548_PENF
    rows, q, _ = _parse(MT548_PENF.replace(old, f":16R:STAT\n{stat}\n:16S:STAT"), cfg)
    assert q.height == 0
    assert (rows["status"][0], rows["reason_code"][0]) == (expected, reason)


def test_mt548_unknown_status_and_no_direction_are_quarantined(cfg) -> None:  # type: ignore[no-untyped-def]
    _, q, _ = _parse(MT548_PENF.replace("SETT//PENF", "SETT//ZZZZ").replace("MTCH//MACH", "MTCH//XXXX"), cfg)
    assert q["rule"][0] == "unknown_status" and ":25D::SETT//ZZZZ" in q["reason"][0]
    text = MT548_PENF.replace(":22H::REDE//RECE\n", "").replace(":13A::LINK//541\n", "")
    _, q, _ = _parse(text, cfg)
    assert q["rule"][0] == "missing_field" and "REDE" in q["reason"][0]
    # without REDE the linked instruction type says the direction
    rows, _, _ = _parse(MT548_PENF.replace(":22H::REDE//RECE\n", "").replace("LINK//541", "LINK//543"), cfg)
    assert rows["direction"][0] == "DELIVER"


def test_asrf_is_the_settlement_id(cfg) -> None:  # type: ignore[no-untyped-def]
    text = MT548_PENF.replace(":16S:LINK\n", ":16S:LINK\n:16R:LINK\n:20C::ASRF//CUS-99887\n:16S:LINK\n", 1)
    rows, _, _ = _parse(text, cfg)
    assert (rows["settlement_id"][0], rows["trade_ref"][0]) == ("CUS-99887", "T000042")


def test_block_structure_faults_are_named(cfg) -> None:  # type: ignore[no-untyped-def]
    cases = {
        "unbalanced_block": MT548_PENF.replace("{3:{108:ABC}}", "{3:{108:ABC}"),
        "unterminated_block": MT548_PENF.split("\n-}")[0],
        "missing_block": MT548_PENF.replace("{2:O5481630240105CUSAUS33AXXX00010045672401051630N}", ""),
        "bad_header": MT548_PENF.replace("{1:F01MIDOUS33AXXX0001000123}", "{1:F01MIDO}"),
        "unbalanced_sequence": MT548_PENF.replace(":16S:SETPRTY\n:16S:SETTRAN", ":16S:SETTRAN"),
        "invalid_date": MT548_PENF.replace("98A::SETT//20240105", "98A::SETT//20240230"),
        "bad_decimal": MT548_PENF.replace("UNIT/1500,", "UNIT/1500.00"),
        "bad_field": MT548_PENF.replace(":22F::SETR//TRAD", ":22F:SETR TRAD:\n:bad"),
    }
    for rule, text in cases.items():
        _, q, n = _parse(text, cfg)
        assert n == 1 and q["rule"].to_list() == [rule], (rule, q["reason"].to_list())
        assert q["reason"][0].startswith("message 1 (line 1): ")
        assert q["raw_text"][0] == text
    _, q, _ = _parse(cases["unbalanced_sequence"], cfg)
    assert ":16S:SETTRAN at line 38 does not close sequence SETPRTY opened by :16R:SETPRTY at line 36" in q["reason"][0]
    _, q, _ = _parse(cases["invalid_date"], cfg)
    assert ":98A::SETT//20240230 (line 31)" in q["reason"][0]


def test_messages_in_one_file_are_counted_one_by_one(cfg) -> None:  # type: ignore[no-untyped-def]
    broken = MT548_PENF.replace("{3:{108:ABC}}", "{3:{108:ABC}")
    text = "\r\n".join([MT548_PENF, "$", broken, MT545_PARTIAL]).replace("\n", "\r\n")
    rows, q, n = _parse(text, cfg)
    assert n == 3 and rows.height == 2 and q["line_no"].to_list() == [2]
    assert rows["src_line"].to_list() == [1, 3]
    # stray text before the first message is a record of its own
    rows, q, n = _parse("garbage line\n" + MT548_PENF, cfg)
    assert (n, rows.height, q["rule"].to_list()) == (2, 1, ["stray_text"])


def test_unsupported_message_type_is_accounted_for(cfg) -> None:  # type: ignore[no-untyped-def]
    mt950 = render_message("950", "CUSAUS33XXX", "MIDOUS33XXX", [("20", "STMT1"), ("25", "123")])
    _, q, n = _parse(mt950, cfg)
    assert n == 1 and q["rule"][0] == "unsupported_message_type" and "MT950" in q["reason"][0]


def test_block_and_field_primitives() -> None:
    blocks = parse_blocks(MT548_PENF)
    assert list(blocks) == ["1", "2", "3", "4", "5"]
    assert blocks["3"] == "{108:ABC}"
    fields, tree = parse_block4(blocks["4"], 1)
    stat = [f for f in fields if f.tag == "25D"]
    assert [(f.qualifier, f.dss, f.value, f.seq) for f in stat] == [("MTCH", "", "MACH", "STAT"), ("SETT", "", "PENF", "STAT")]
    assert [c.name for c in tree.children] == ["GENL", "SETTRAN"]
    isin = next(f for f in fields if f.tag == "35B")
    assert isin.value == "ISIN US0378331005\nAPPLE INC" and isin.qualifier is None
    with pytest.raises(MtError) as e:
        parse_blocks("{1:F01X}{4:\n:20:X\n-}")
    assert e.value.rule == "missing_block"
    assert len(STATUS_MAP) >= 15


def test_writer_round_trip_every_status(cfg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = dict(settlement_id="S0001", trade_ref="T0001", known_date="2024-01-05", isin="US0378331005",
                direction="RECEIVE", payment="APMT", quantity="100", settled_quantity=None, amount="15000.50",
                settled_amount=None, currency="USD", trade_date="2024-01-03", deal_price="150.005",
                intended_settle_date="2024-01-05", actual_settle_date=None, account_id="ACC-1",
                counterparty_bic="BANKGB2LXXX", place_of_settlement="DTCYUS33XXX", status="MATCHED",
                reason_code=None, reason_text=None, seq=1)
    rows = [
        base,
        {**base, "seq": 2, "status": "FAILING", "reason_code": "LACK", "reason_text": "Lack of securities"},
        {**base, "known_date": "2024-01-08", "status": "PARTIAL", "settled_quantity": "60",
         "settled_amount": "9000.30", "actual_settle_date": "2024-01-08"},
        {**base, "known_date": "2024-01-09", "status": "SETTLED", "settled_quantity": "100",
         "settled_amount": "15000.50", "actual_settle_date": "2024-01-09"},
        {**base, "settlement_id": "S0002", "trade_ref": "T0002", "direction": "DELIVER", "payment": "FREE",
         "amount": None, "currency": None, "status": "UNMATCHED", "reason_code": "CMIS"},
        {**base, "settlement_id": "S0003", "trade_ref": "T0003", "direction": "DELIVER", "status": "CANCELLED",
         "reason_code": "CANI"},
        {**base, "settlement_id": "S0004", "trade_ref": "T0004", "status": "REJECTED", "reason_code": "SAFE"},
        {**base, "settlement_id": "S0005", "trade_ref": "T0005", "status": "PENDING"},
    ]
    path = tmp_path / "cust_a_2024-01-09.fin"
    assert write_settlements_mt(pl.DataFrame(rows), path, custodian_bic="CUSAUS33XXX", our_bic="MIDOUS33XXX") == 8
    back = MtConnector().parse(path, "mt54x", cfg)
    assert back.quarantine.height == 0
    got = back.tables["bo_settlements"]
    assert got["message_type"].to_list() == ["MT548", "MT548", "MT545", "MT545", "MT548", "MT548", "MT548", "MT548"]
    assert got["status"].to_list() == [r["status"] for r in rows]
    assert got["reason_code"].to_list() == [r["reason_code"] for r in rows]
    assert got["settlement_id"].to_list() == [r["settlement_id"] for r in rows]
    assert got["trade_ref"].to_list() == [r["trade_ref"] for r in rows]
    assert got["custodian"].unique().to_list() == ["CUST_A"]
    assert got["settled_quantity"].to_list()[2:4] == ["60", "100"]
    assert got["quantity"].to_list()[2:4] == ["100", "100"]
    assert got["settled_amount"].to_list()[2:4] == ["9000.3", "15000.5"]
    assert got["direction"].to_list()[4:6] == ["DELIVER", "DELIVER"] and got["payment"][4] == "FREE"
    s1 = got.filter(pl.col("settlement_id") == "S0001")["seq"].to_list()
    assert s1 == sorted(s1) and len(set(s1)) == 4   # later records of S0001 sort later


def test_instruction_writer_round_trip(cfg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    rows = [
        dict(settlement_id="T1", trade_ref="T1", direction="RECEIVE", payment="APMT", isin="US0378331005",
             quantity="250", amount="47250.00", currency="USD", trade_date="2024-01-03",
             intended_settle_date="2024-01-05", deal_price="189", account_id="CUSTA-LE1-SK101",
             counterparty_bic="BROKGB2LXXX", counterparty_agent_bic="AGNTUS33XXX", counterparty_account="SSI-CP1-US",
             place_of_settlement="DTCYUS33", custodian_bic="CUSAUS33XXX"),
        dict(settlement_id="T2-A-VERY-LONG-TRADE-ID", trade_ref="T2-A-VERY-LONG-TRADE-ID", direction="DELIVER",
             payment="FREE", isin="DE0001102580", quantity="1000000", quantity_type="FAMT", amount=None,
             currency="EUR", trade_date="2024-01-03", intended_settle_date="2024-01-05", deal_price="99.5",
             account_id="CUSTB-LE1-SK102", counterparty_bic="BANKDEFFXXX", place_of_settlement="DAKVDEFF",
             custodian_bic="CUSBBEBBXXX"),
    ]
    path = tmp_path / "instr.fin"
    write_instructions_mt(rows, path, our_bic="MIDOUS33XXX", when=dt.datetime(2024, 1, 4, 7, 0))
    text = path.read_text()
    assert ":36B::SETT//FAMT/1000000," in text and "{2:I542CUSBBEBBAXXXN}" in text
    back = parse_text(text, path, cfg)
    assert back.quarantine.height == 0
    got = back.tables["bo_settlements"].to_dicts()
    assert [g["message_type"] for g in got] == ["MT541", "MT542"]
    a, b = got
    assert (a["settlement_id"], a["trade_ref"], a["status"], a["custodian"]) == ("T1", "T1", "PENDING", "CUST_A")
    assert (a["quantity"], a["amount"], a["deal_price"], a["currency"]) == ("250", "47250", "189", "USD")
    assert (a["counterparty_bic"], a["place_of_settlement"], a["account_id"]) == ("BROKGB2LXXX", "DTCYUS33", "CUSTA-LE1-SK101")
    assert (a["known_date"], a["intended_settle_date"], a["trade_date"]) == ("2024-01-04", "2024-01-05", "2024-01-03")
    assert b["settlement_id"] == swift_ref("T2-A-VERY-LONG-TRADE-ID") and len(b["settlement_id"]) == 16
    assert (b["direction"], b["payment"], b["quantity"], b["amount"]) == ("DELIVER", "FREE", "1000000", None)


def test_cancellation_appends_to_the_instruction(cfg) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from connectors.swift_mt import instruction_fields

    row = dict(settlement_id="T9", trade_ref="T9", direction="RECEIVE", payment="APMT", isin="US0378331005",
               quantity="1", amount="1", currency="USD", intended_settle_date="2024-01-05", account_id="A",
               custodian_bic="CUSAUS33XXX")
    mt, fields = instruction_fields(row, dt.datetime(2024, 1, 4, 7))
    newm = render_message(mt, "MIDOUS33XXX", "CUSAUS33XXX", fields, io="I")
    canc = newm.replace(":20C::SEME//T9\n:23G:NEWM", ":20C::SEME//C9\n:23G:CANC\n:16R:LINK\n:20C::PREV//T9\n:16S:LINK")
    rows, q, _ = _parse(newm + "\n" + canc, cfg)
    assert q.height == 0
    assert rows["settlement_id"].to_list() == ["T9", "T9"]
    assert rows["status"].to_list() == ["PENDING", "CANCELLED"]
    assert rows["seq"][0] < rows["seq"][1]
    _, q, _ = _parse(canc.replace(":16R:LINK\n:20C::PREV//T9\n:16S:LINK\n", ""), cfg)
    assert q["rule"][0] == "missing_field" and "PREV" in q["reason"][0]


def test_identify(cfg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    c = MtConnector()
    assert c.identify(tmp_path / "x.txt", MT548_PENF.encode(), cfg) == "mt54x"
    assert c.identify(tmp_path / "x", b"\xef\xbb\xbf\r\n" + MT545_PARTIAL.encode(), cfg) == "mt54x"
    mt950 = render_message("950", "CUSAUS33XXX", "MIDOUS33XXX", [("20", "STMT1")])
    assert c.identify(tmp_path / "x.fin", mt950.encode(), cfg) is None
    assert c.identify(tmp_path / "x.fin", b"trade_id,quantity\n1,2\n", cfg) is None
    assert c.identify(tmp_path / "x.fin", b"", cfg) is None


def test_bad_files(cfg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from engine.errors import BadInputError

    p = tmp_path / "empty.fin"
    p.write_text("  \n")
    with pytest.raises(BadInputError, match="no SWIFT FIN message"):
        MtConnector().parse(p, "mt54x", cfg)
    # truncated file: the last message has no end of block 4
    p = tmp_path / "trunc.fin"
    p.write_text(MT548_PENF + "\n" + MT545_PARTIAL[:400])
    r = MtConnector().parse(p, "mt54x", cfg)
    assert r.rows_read == 2 and r.quarantine["rule"].to_list() == ["unterminated_block"]
    # latin-1 bytes in a narrative do not stop the file
    p = tmp_path / "latin1.fin"
    p.write_bytes(MT548_PENF.replace("Lack of securities", "Manque de titres: société").encode("latin-1"))
    r = MtConnector().parse(p, "mt54x", cfg)
    assert r.tables["bo_settlements"]["reason_text"][0].startswith("Manque de titres: société")


def test_swift_number_formats() -> None:
    assert swift_amount("1234.50") == "1234,5"
    assert swift_amount(100) == "100,"
    assert swift_amount("-0.25") == "0,25"
    assert swift_ref("T0001") == "T0001"
    assert swift_ref("a//b") != "a//b" and len(swift_ref("a//b")) == 16
    mt, fields = status_fields(dict(settlement_id="S", trade_ref="T", direction="DELIVER", payment="APMT",
                                    status="FAILING", reason_code="CLAC", isin="US0378331005", quantity="1",
                                    intended_settle_date="2024-01-05"), "REF1", __import__("datetime").datetime(2024, 1, 5))
    assert mt == "548" and ("24B", ":PENF//CLAC") in fields and ("22H", ":REDE//DELI") in fields


def test_load_names_custodian_and_counterparty_from_reference_data(cfg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from connectors.loader import load_file
    from engine import store

    with store.connect(cfg) as con:
        con.execute("INSERT INTO ref_accounts (account_id, custodian, custodian_bic) VALUES ('ZZ-1', 'ZED_BANK', 'ZZZZUS33XXX')")
        con.execute("INSERT INTO ref_counterparties (counterparty_id, name, bic) VALUES ('CP7', 'Broker', 'BROKGB2LXXX')")
    p = tmp_path / "zed_2024-01-05.fin"
    p.write_text(MT548_PENF.replace("CUSAUS33AXXX", "ZZZZUS33AXXX"))
    r = load_file(cfg, p, publish=False)
    assert (r.rows_loaded, r.rows_quarantined) == (1, 0)
    with store.connect(cfg, read_only=True) as con:
        got = store.query(con, "SELECT custodian, counterparty_id, counterparty_bic, settled_quantity FROM bo_settlements")
    assert got.to_dicts() == [{"custodian": "ZED_BANK", "counterparty_id": "CP7", "counterparty_bic": "BROKGB2LXXX",
                               "settled_quantity": __import__("decimal").Decimal("0")}]

"""FIX connector on synthetic logs built with simplefix: framing, integrity checks, trade events,
versions through ExecRefID, duplicates, order-level aggregation, and loading through the loader."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import simplefix
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors import fix, loader
from connectors.fix import FixConnector, FixOptions, encode_messages, parse_text
from engine import store
from tests.conftest import make_config
from tests.connectors_fixlog import fill, msg, write_log

FEEDS = {"fix": {"books": {"ACC1": "EQ_CASH"}, "default_book": "FIX_UNALLOCATED"}}


def _cfg(tmp_path: Path, **fix_overrides: object):
    feeds = {"fix": {**FEEDS["fix"], **fix_overrides}}
    return make_config(tmp_path, feeds=feeds)


def _parse(messages: list[bytes], **opts: object):
    text = b"\n".join(messages).decode()
    return parse_text(text, "fix", FixOptions(**opts))  # type: ignore[arg-type]


def _trades(cfg) -> list[dict]:
    with store.connect(cfg) as con:
        return store.query(
            con,
            "SELECT trade_id, version, status, book_id, instrument_id, isin, side, CAST(quantity AS VARCHAR) AS quantity, "
            "CAST(price AS VARCHAR) AS price, currency, CAST(trade_date AS VARCHAR) AS trade_date, "
            "CAST(known_date AS VARCHAR) AS known_date, order_id, exec_id, src_line FROM fo_trades ORDER BY trade_id, version",
        ).to_dicts()


def _quarantine(cfg) -> list[dict]:
    with store.connect(cfg) as con:
        return store.query(
            con, "SELECT line_no, record_ref, rule, reason, raw_text FROM ops_quarantine ORDER BY batch_id, line_no"
        ).to_dicts()


# --- encoding and framing -----------------------------------------------------------------------


def test_vectorised_encoder_agrees_with_simplefix() -> None:
    frame = pl.DataFrame({"mt": ["8", "AE"], "s": ["BRKA", "VENUE"], "x": ["E1", None], "q": ["100", "5.5"]})
    ours = encode_messages(frame, [(35, "mt"), (49, "s"), (17, "x"), (32, "q")]).to_list()
    assert ours[0].encode() == msg([(35, "8"), (49, "BRKA"), (17, "E1"), (32, "100")])
    assert ours[1].encode() == msg([(35, "AE"), (49, "VENUE"), (32, "5.5")])


def test_pipe_delimited_with_log_prefixes_and_crlf(tmp_path) -> None:
    m1, m2 = fill("E1"), fill("E2", qty="50", px="10.5", side="2")
    text = (
        b"2026-01-05 10:00:00.123 INFO outgoing: " + m1.replace(b"\x01", b"|") + b"\r\n"
        + b"session started\r\n\r\n"
        + b"incoming: " + m2.replace(b"\x01", b"|")[:-1] + b"\r\n"  # no final delimiter
    ).decode()
    p = parse_text(text, "fix", FixOptions())
    rows = p.tables["fo_trades"].sort("trade_id")
    assert p.quarantine.height == 0
    assert rows.select("trade_id", "side", "quantity", "price", "src_line").rows() == [
        ("E1", "BUY", "100", "10", 1),
        ("E2", "SELL", "50", "10.5", 4),
    ]
    assert rows["_raw"][0].startswith("8=FIX.4.4|9=")
    assert "1 non-blank lines carry no FIX message" in p.warnings


def test_several_messages_on_one_line_and_session_messages_are_counted() -> None:
    logon = msg([(35, "A"), (49, "BRKA"), (56, "MIDO"), (34, "1"), (98, "0"), (108, "30")])
    ack = msg([(35, "8"), (49, "BRKA"), (56, "MIDO"), (17, "A1"), (37, "O1"), (150, "0"), (39, "0"), (54, "1"), (55, "X")])
    p = parse_text((logon + ack + fill("E1")).decode() + "\n", "fix", FixOptions())
    assert p.tables["fo_trades"]["trade_id"].to_list() == ["E1"]
    assert p.rows_read == 1
    assert any("2 messages carry no trade" in w and "35=A (Logon)" in w and "ExecType 0 (New)" in w for w in p.warnings)


def test_bad_checksum_and_body_length_are_quarantined_with_both_numbers() -> None:
    good = fill("E1")
    bad_cs = good[:-4] + b"000\x01"
    computed = good[-4:-1].decode()
    longer = fill("E2").replace(b"9=", b"9=1", 1)  # BodyLength off, checksum now wrong as well
    p = _parse([bad_cs, longer])
    q = p.quarantine.sort("line_no")
    assert q["rule"].to_list() == ["bad_checksum", "bad_checksum"]
    assert f"CheckSum (10) says '000' but the message's bytes sum to {computed}" in q["reason"][0]
    assert "BodyLength (9) says '1" in q["reason"][1] and "but the body has" in q["reason"][1]
    assert p.tables["fo_trades"].height == 0
    relaxed = _parse([bad_cs], verify_checksum=False, verify_body_length=False)
    assert relaxed.tables["fo_trades"]["trade_id"].to_list() == ["E1"]


def test_truncated_and_malformed_messages_name_their_fault() -> None:
    good = fill("E1")
    truncated = fill("E2")[:70]
    no_equals = fill("E3").replace(b"\x0155=AAPL", b"\x01AAPL")
    p = _parse([good, no_equals, truncated])
    q = {r["line_no"]: r for r in p.quarantine.to_dicts()}
    assert q[2]["rule"] == "malformed" and "'AAPL" in q[2]["reason"] and "no '='" in q[2]["reason"]
    assert q[3]["rule"] == "truncated" and "no CheckSum (10)" in q[3]["reason"]
    assert p.tables["fo_trades"]["trade_id"].to_list() == ["E1"]


def test_raw_data_field_with_embedded_soh_goes_through_simplefix() -> None:
    m = simplefix.FixMessage()
    for tag, value in [(8, "FIX.4.4"), (35, "8"), (49, "BRKA"), (56, "MIDO"), (52, "20260105-10:00:00"), (17, "E9"),
                       (37, "O9"), (54, "2"), (55, "MSFT"), (32, "7"), (31, "400.5"), (150, "F")]:
        m.append_pair(tag, value)
    m.append_data(95, 96, b"x\x0131=999\x01y")  # a raw field that contains SOH and a fake LastPx
    p = _parse([m.encode()])
    row = p.tables["fo_trades"].row(0, named=True)
    assert (row["trade_id"], row["side"], row["quantity"], row["price"]) == ("E9", "SELL", "7", "400.5")


def test_missing_tags_bad_values_and_unmapped_side() -> None:
    no_side = msg([(35, "8"), (49, "B"), (56, "M"), (17, "E1"), (150, "F"), (32, "1"), (31, "2"), (55, "X"), (60, "20260105-10:00:00")])
    bad_date = fill("E2", day="20261341")
    bad_qty = fill("E3", qty="1O0")
    cross = fill("E4", side="8")
    p = _parse([no_side, bad_date, bad_qty, cross])
    q = {r["line_no"]: r for r in p.quarantine.to_dicts()}
    assert q[1]["rule"] == "missing_tag" and "Side (54)" in q[1]["reason"]
    assert q[2]["rule"] == "bad_date" and "SendingTime (52) '20261341-10:00:00.000' is not a valid date" in q[2]["reason"]
    assert "TransactTime (60)" in q[2]["reason"]
    assert q[3]["rule"] == "bad_number" and "LastQty (32) '1O0'" in q[3]["reason"]
    assert q[4]["rule"] == "unmapped_side" and "'8' (Cross)" in q[4]["reason"]


# --- versions and duplicates ----------------------------------------------------------------------


@pytest.mark.parametrize("style", ["4.4", "4.2"])
def test_correction_and_cancel_make_new_versions(style: str) -> None:
    if style == "4.4":
        correct = fill("E2", ref="E1", exec_type="G", qty="90", px="10.1", day="20260106")
        cancel = msg([(35, "8"), (49, "BRKA"), (56, "MIDO"), (52, "20260107-09:00:00"), (17, "E3"), (19, "E2"), (150, "H")])
        first = fill("E1")
    else:
        first = fill("E1", begin="FIX.4.2", exec_type="2", trans_type="0")
        correct = fill("E2", ref="E1", exec_type="2", trans_type="2", qty="90", px="10.1", day="20260106", begin="FIX.4.2")
        cancel = msg([(35, "8"), (49, "BRKA"), (56, "MIDO"), (52, "20260107-09:00:00"), (17, "E3"), (19, "E2"),
                      (20, "1"), (150, "1")], "FIX.4.2")
    p = _parse([first, correct, cancel])
    assert p.quarantine.height == 0
    rows = p.tables["fo_trades"].sort("version")
    assert rows.select("trade_id", "version", "status", "quantity", "price", "known_date", "trade_date", "side", "exec_id").rows() == [
        ("E1", 1, "NEW", "100", "10", "2026-01-05", "2026-01-05", "BUY", "E1"),
        ("E1", 2, "AMEND", "90", "10.1", "2026-01-06", "2026-01-05", "BUY", "E2"),
        ("E1", 3, "CANCEL", "90", "10.1", "2026-01-07", "2026-01-05", "BUY", "E3"),
    ]


def test_duplicates_possdup_resend_and_reused_exec_id() -> None:
    first = fill("E1")
    resend = fill("E1", extra=[(43, "Y")])
    reused = fill("E1", qty="5")
    fresh_possdup = fill("E2", extra=[(43, "Y")])
    other_session = fill("E1", sender="BRKB")
    p = _parse([first, resend, reused, fresh_possdup, other_session])
    q = {r["line_no"]: r for r in p.quarantine.to_dicts()}
    assert q[2]["rule"] == "possible_duplicate" and "already received at line 1" in q[2]["reason"]
    assert q[3]["rule"] == "duplicate_exec_id" and "ExecID (17) 'E1' from BRKA>MIDO reused: first used at line 1" in q[3]["reason"]
    assert sorted(p.tables["fo_trades"]["src_line"].to_list()) == [1, 4, 5]


def test_order_aggregation_with_correction_and_bust() -> None:
    fills = [
        fill("F1", qty="100", px="10"),
        fill("F2", qty="50", px="10.3"),
        fill("F3", qty="50", px="10.6"),
        fill("F4", ref="F2", exec_type="G", qty="40", px="10.3", day="20260106"),
        msg([(35, "8"), (49, "BRKA"), (56, "MIDO"), (52, "20260107-09:00:00"), (17, "F5"), (19, "F3"), (150, "H")]),
        fill("G1", order_id="O2", qty="3", px="99", side="2"),
    ]
    p = _parse(fills, aggregate="order")
    rows = p.tables["fo_trades"].sort("trade_id", "version")
    # hand-computed volume-weighted prices: 2045/200, 1942/190, 1412/140
    assert rows.select("trade_id", "version", "status", "quantity", "price", "known_date").rows() == [
        ("O1", 1, "NEW", "200.000000", "10.2250000000", "2026-01-05"),
        ("O1", 2, "AMEND", "190.000000", "10.2210526316", "2026-01-06"),
        ("O1", 3, "AMEND", "140.000000", "10.0857142857", "2026-01-07"),
        ("O2", 1, "NEW", "3.000000", "99.0000000000", "2026-01-05"),
    ]
    assert "5 fills aggregated into 2 orders" not in p.warnings  # 4 fills, 2 orders
    assert "4 fills aggregated into 2 orders" in p.warnings


# --- through the loader ---------------------------------------------------------------------------


def test_load_maps_books_and_instruments_and_conserves_rows(tmp_path) -> None:
    cfg = _cfg(tmp_path, instruments={"ES": "ESH6"})
    log = write_log(tmp_path / "drop.log", [
        fill("E1"),
        fill("E2", account="ZZZ", symbol="ES", isin=None, currency=None),
        fill("E3")[:-4] + b"999\x01",
    ])
    b = loader.load_file(cfg, log)
    assert (b.connector, b.feed, b.rows_read, b.rows_loaded, b.rows_quarantined) == ("fix", "fix", 3, 2, 1)
    t = {r["trade_id"]: r for r in _trades(cfg)}
    assert (t["E1"]["book_id"], t["E1"]["instrument_id"], t["E1"]["isin"], t["E1"]["currency"]) == (
        "EQ_CASH", "US0378331005", "US0378331005", "USD")
    assert (t["E2"]["book_id"], t["E2"]["instrument_id"], t["E2"]["isin"], t["E2"]["currency"]) == (
        "FIX_UNALLOCATED", "ESH6", None, "USD")
    assert any("ZZZ" in w for w in b.warnings)
    assert _quarantine(cfg)[0]["rule"] == "bad_checksum"


def test_correction_of_a_trade_from_an_earlier_file_gets_the_next_version(tmp_path) -> None:
    cfg = _cfg(tmp_path)
    day1 = write_log(tmp_path / "day1.log", [fill("E1", qty="100", px="10")])
    day2 = write_log(tmp_path / "day2.log", [
        fill("E2", ref="E1", exec_type="G", qty="80", px="10", day="20260106"),
        msg([(35, "8"), (49, "BRKA"), (56, "MIDO"), (52, "20260107-09:00:00"), (17, "E3"), (19, "E2"), (150, "H")]),
        msg([(35, "8"), (49, "BRKA"), (56, "MIDO"), (52, "20260107-09:00:00"), (17, "E4"), (19, "NOPE"), (150, "H")]),
    ])
    loader.load_file(cfg, day1)
    b = loader.load_file(cfg, day2)
    assert (b.rows_read, b.rows_loaded, b.rows_quarantined) == (3, 2, 1)
    rows = [(r["trade_id"], r["version"], r["status"], r["quantity"], r["trade_date"], r["known_date"], r["book_id"])
            for r in _trades(cfg)]
    assert rows == [
        ("E1", 1, "NEW", "100.000000", "2026-01-05", "2026-01-05", "EQ_CASH"),
        ("E1", 2, "AMEND", "80.000000", "2026-01-05", "2026-01-06", "EQ_CASH"),
        ("E1", 3, "CANCEL", "80.000000", "2026-01-05", "2026-01-07", "EQ_CASH"),
    ]
    q = _quarantine(cfg)
    assert q[0]["rule"] == "unknown_trade_reference" and "'NOPE'" in q[0]["reason"] and q[0]["line_no"] == 3


def test_order_mode_cannot_amend_an_order_from_another_file(tmp_path) -> None:
    p = _parse([fill("X2", ref="X1", exec_type="G")], aggregate="order")
    assert p.quarantine["rule"].to_list() == ["unknown_trade_reference"]
    assert 'aggregate = "fill"' in p.quarantine["reason"][0]


def test_identify_by_content_and_sender(tmp_path) -> None:
    cfg = make_config(tmp_path, feeds={"fix_brkb": {"table": "fo_trades", "format": "fix", "match_sender": ["BRKB"]}})
    conn = FixConnector()
    a = write_log(tmp_path / "a.txt", [fill("E1")], delimiter=b"|", prefix=b"outgoing: ")
    b = write_log(tmp_path / "b.csv", [fill("E1", sender="BRKB")])
    assert conn.identify(a, a.read_bytes(), cfg) == "fix"
    assert conn.identify(b, b.read_bytes(), cfg) == "fix_brkb"
    assert conn.identify(a, b"trade_id,side\nT1,BUY\n", cfg) is None
    assert loader.identify(cfg, b)[0].name == "fix"  # a FIX log named .csv is still FIX


def test_simplefix_parser_gives_the_same_rows(tmp_path) -> None:
    messages = [fill("E1"), fill("E2", ref="E1", exec_type="G", qty="5"), fill("E3")[:-4] + b"000\x01", fill("E4")[:60]]
    a, b = _parse(messages), _parse(messages, parser="simplefix")
    assert a.tables["fo_trades"].equals(b.tables["fo_trades"])
    assert a.quarantine.equals(b.quarantine)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(min_value=0, max_value=200), flip=st.integers(min_value=0, max_value=200), byte=st.integers(0, 255))
def test_damaged_messages_never_crash_and_are_accounted_for(cut: int, flip: int, byte: int) -> None:
    """Every trade-type message is a candidate row or a quarantined record, however damaged."""
    good = fill("E1")
    damaged = bytearray(fill("E2"))
    if flip < len(damaged):
        damaged[flip] = byte if byte not in (10, 13) else 32
    damaged = bytes(damaged[: max(cut, 1)] if cut < len(damaged) else damaged)
    text = (good + b"\n" + damaged + b"\n").decode("latin-1")
    p = parse_text(text, "fix", FixOptions(), encoding="latin-1")
    assert p.rows_read == p.tables["fo_trades"].height + p.quarantine.height
    assert "E1" in p.tables["fo_trades"]["trade_id"].to_list()
    assert p.rows_read <= 2 or any("carry no trade" in w for w in p.warnings) or p.rows_read == 2


def test_tags_map_is_complete() -> None:
    assert fix.TAGS["exec_ref_id"] == 19 and fix.TAGS["last_qty"] == 32 and fix.TAGS["trade_report_ref_id"] == 572


def test_trade_id_1003_names_the_trade_and_a_correction_of_a_quarantined_fill_says_so() -> None:
    first = fill("X1", extra=[(1003, "T42")])
    corr = fill("X2", ref="X1", exec_type="G", qty="60", extra=[(1003, "T42")])
    p = _parse([first, corr])
    assert p.tables["fo_trades"].select("trade_id", "version", "status", "exec_id").rows() == [
        ("T42", 1, "NEW", "X1"), ("T42", 2, "AMEND", "X2")]
    broken = fill("Y1")[:-4] + b"000\x01"
    p = _parse([broken, fill("Y2", ref="Y1", exec_type="G")])
    q = p.quarantine.sort("line_no")
    assert q["rule"].to_list() == ["bad_checksum", "unknown_trade_reference"]
    assert q["reason"][1] == "correction refers to 'Y1', whose message (line 1) was quarantined"

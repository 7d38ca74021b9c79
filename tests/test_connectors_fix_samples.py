"""Every FIX sample in ../shared/samples/fix/ loads to canonical values read from the messages by
hand, or is quarantined with a reason naming its fault. Expected values below were read off the
raw messages (tag by tag), not produced by the code."""

from __future__ import annotations

import json

import pytest

from connectors import loader
from engine import store
from engine.errors import UnknownFormatError
from tests.conftest import make_config
from tests.connectors_fixlog import fill, write_log

FIX_FEED = {"books": {"AA1": "LIFFE_BOOK"}, "default_book": "FIX_UNALLOCATED"}
COLS = ("trade_id", "version", "status", "known_date", "book_id", "instrument_id", "isin", "side", "quantity",
        "price", "currency", "trade_date", "order_id", "exec_id", "source_system", "src_line")


@pytest.fixture
def fix_dir(samples):
    return samples / "fix"


def _cfg(tmp_path, **extra):
    return make_config(tmp_path, feeds={"fix": {**FIX_FEED, **extra}})


def _rows(cfg, batch_id):
    with store.connect(cfg) as con:
        return store.query(
            con,
            "SELECT trade_id, version, status, CAST(known_date AS VARCHAR) AS known_date, book_id, instrument_id, isin, "
            "side, CAST(quantity AS VARCHAR) AS quantity, CAST(price AS VARCHAR) AS price, currency, "
            "CAST(trade_date AS VARCHAR) AS trade_date, order_id, exec_id, source_system, src_line "
            "FROM fo_trades WHERE batch_id = ? ORDER BY src_line, trade_id",
            [batch_id],
        ).rows()


def _quarantine(cfg, batch_id):
    with store.connect(cfg) as con:
        return store.query(
            con,
            "SELECT line_no, record_ref, rule, reason, raw_text FROM ops_quarantine WHERE batch_id = ? "
            "ORDER BY line_no, record_ref",
            [batch_id],
        ).to_dicts()


def test_spec_examples_each_message_loads_or_names_its_fault(tmp_path, fix_dir) -> None:
    cfg = _cfg(tmp_path)
    b = loader.load_file(cfg, fix_dir / "nyse_ccg_spec_examples_logotype_fixparser.soh")
    assert (b.rows_read, b.rows_loaded, b.rows_quarantined) == (16, 5, 11)
    assert _rows(cfg, b.batch_id) == [
        # line 13: 49=ABC 52=20100130-08:00:51.992 55=GLD 48=PL11YA (no 22) 1=AA1 37=ABC1 17=INDNTHDOG
        #          32=25 54=2 150=2 20=0 31=99.06 60=20100130-08:00:52
        ("INDNTHDOG", 1, "NEW", "2010-01-30", "LIFFE_BOOK", "GLD", None, "SELL", "25.000000", "99.0600000000",
         "USD", "2010-01-30", "ABC1", "INDNTHDOG", "FIX ABC", 13),
        ("93OOO", 1, "NEW", "2010-01-30", "LIFFE_BOOK", "GLD", None, "SELL", "25.000000", "99.0600000000",
         "USD", "2010-01-30", "ABC2", "93OOO", "FIX ABC", 14),
        # line 22 (a FIX 4.1 session on one line): 17=2 37=2 55=MSFT 54=1 32=10000 31=12.3 150=2, 52=20121105-23:24:42
        ("2", 1, "NEW", "2012-11-05", "FIX_UNALLOCATED", "MSFT", None, "BUY", "10000.000000", "12.3000000000",
         "USD", "2012-11-05", "2", "2", "FIX EXEC", 22),
        ("4", 1, "NEW", "2012-11-05", "FIX_UNALLOCATED", "ORCL", None, "BUY", "10000.000000", "12.3000000000",
         "USD", "2012-11-05", "4", "4", "FIX EXEC", 22),
        # line 30: 49=TARGET 52=20140228-05:43:27.326 17=6 37=1393566190533 32=125 31=45.67 54=1 55=FIXSPEC 150=2
        ("6", 1, "NEW", "2014-02-28", "FIX_UNALLOCATED", "FIXSPEC", None, "BUY", "125.000000", "45.6700000000",
         "USD", "2014-02-28", "1393566190533", "6", "FIX TARGET", 30),
    ]
    q = [(r["line_no"], r["record_ref"], r["rule"]) for r in _quarantine(cfg, b.batch_id)]
    assert q == [
        (4, "0", "bad_checksum"),            # 10=037, bytes sum to 086
        (6, "1000002", "bad_checksum"),      # 10=051, bytes sum to 170
        (8, "0", "bad_checksum"),            # 10=240, bytes sum to 033
        (15, "124", "missing_tag"),          # TradeCaptureReport without 54 Side
        (17, "00008661533TRLO1-1-1-0", "unknown_trade_reference"),  # 150=H cancel of a trade nobody loaded
        (19, "1698", "missing_tag"),
        (22, "1", "non_positive_quantity"),  # 150=2 with 32=0
        (22, "3", "non_positive_quantity"),
        (22, "5", "non_positive_quantity"),
        (29, "3", "duplicate_key"),          # ExecID 3 again, from another session on line 22
        (37, None, "malformed"),             # the deliberately broken message
    ]
    reasons = {(r["line_no"], r["record_ref"]): r["reason"] for r in _quarantine(cfg, b.batch_id)}
    assert "CheckSum (10) says '037' but the message's bytes sum to 086" in reasons[(4, "0")]
    assert reasons[(15, "124")] == "required Side (54) missing"
    assert "cancel refers to trade '00008661533TRLO1-1-1-0'" in reasons[(17, "00008661533TRLO1-1-1-0")]
    assert "'E" in reasons[(37, None)] and "no '=' separator" in reasons[(37, None)]
    assert any(w.startswith("45 messages carry no trade") for w in b.warnings)


def test_spec_examples_agree_with_the_jsonl_descriptions(tmp_path, fix_dir) -> None:
    """The .jsonl holds the same messages with a human description: every line we load or
    quarantine is described as an execution or trade-capture report (line 22 is a whole session)."""
    jsonl = (fix_dir / "nyse_ccg_spec_examples_logotype_fixparser.jsonl").read_text()
    described = [json.loads(line) for line in jsonl.splitlines()]
    soh_lines = (fix_dir / "nyse_ccg_spec_examples_logotype_fixparser.soh").read_text().splitlines()
    assert [d["fix"] for d in described] == soh_lines
    trade_types = {i for i, d in enumerate(described, 1) if d["description"] in ("ExecutionReport", "TradeCaptureReport")}
    cfg = _cfg(tmp_path)
    b = loader.load_file(cfg, fix_dir / "nyse_ccg_spec_examples_logotype_fixparser.soh")
    ours = {r[-1] for r in _rows(cfg, b.batch_id)} | {r["line_no"] for r in _quarantine(cfg, b.batch_id)}
    assert ours <= trade_types | {22}
    assert trade_types - ours == {2, 28, 32}  # order acknowledgements (150=0): no trade


def test_jsonl_is_refused_naming_the_formats_tried(tmp_path, fix_dir) -> None:
    with pytest.raises(UnknownFormatError, match=r"formats tried: fix \(FIX 4.2/4.4"):
        loader.identify(_cfg(tmp_path), fix_dir / "nyse_ccg_spec_examples_logotype_fixparser.jsonl")


def test_dirty_log_reused_exec_id_and_bad_checksums(tmp_path, fix_dir) -> None:
    cfg = _cfg(tmp_path)
    b = loader.load_file(cfg, fix_dir / "fixsim_hkex_partial_fills_test2.txt")
    assert (b.rows_read, b.rows_loaded, b.rows_quarantined) == (6, 0, 6)
    q = _quarantine(cfg, b.batch_id)
    assert [r["line_no"] for r in q] == [2, 3, 4, 5, 6, 7]
    assert all(r["rule"] == "bad_checksum" and "CheckSum (10) says '226'" in r["reason"] for r in q)
    for r in q[1:]:
        assert "ExecID (17) '2636510780617342000' from FIXSIM>QFSAMPLE reused: first used at line 2" in r["reason"]
    # without checksum checks the reuse alone still quarantines every fill
    cfg2 = _cfg(tmp_path / "relaxed", verify_checksum=False, verify_body_length=False)
    b2 = loader.load_file(cfg2, fix_dir / "fixsim_hkex_partial_fills_test2.txt")
    assert (b2.rows_read, b2.rows_loaded, b2.rows_quarantined) == (5, 0, 5)
    assert {r["rule"] for r in _quarantine(cfg2, b2.batch_id)} == {"duplicate_exec_id"}


def test_partial_fills_log_has_bad_checksums(tmp_path, fix_dir) -> None:
    cfg = _cfg(tmp_path)
    b = loader.load_file(cfg, fix_dir / "fixsim_hkex_partial_fills_test1.txt")
    assert (b.rows_read, b.rows_loaded, b.rows_quarantined) == (4, 0, 4)
    assert [r["rule"] for r in _quarantine(cfg, b.batch_id)] == ["bad_checksum"] * 4


def test_lse_trade_capture_log_with_prefixes(tmp_path, fix_dir) -> None:
    cfg = _cfg(tmp_path)
    b = loader.load_file(cfg, fix_dir / "lse_tradecapture_fix42_with_150H_cancel.txt")
    assert (b.rows_read, b.rows_loaded, b.rows_quarantined) == (3, 0, 3)
    q = _quarantine(cfg, b.batch_id)
    assert [(r["line_no"], r["record_ref"], r["rule"]) for r in q] == [
        (1, "124", "bad_checksum"), (3, "00008661533TRLO1-1-1-0", "bad_checksum"), (5, "1698", "bad_checksum")]
    assert "required Side (54) missing" in q[0]["reason"] and "BodyLength (9) says '179' but the body has 178" in q[0]["reason"]
    assert q[0]["raw_text"].startswith("8=FIX.4.2|9=179|35=AE|")  # the 'outgoing: ' prefix is not part of it
    assert any("3 x 35=AR (TradeCaptureReportAck)" in w for w in b.warnings)


def test_cme_fill_bad_checksum_then_fields_when_checks_are_off(tmp_path, fix_dir) -> None:
    cfg = _cfg(tmp_path)
    b = loader.load_file(cfg, fix_dir / "quickfix_cme_ilink_es_fill_fix42.soh")
    q = _quarantine(cfg, b.batch_id)
    assert (b.rows_loaded, q[0]["rule"]) == (0, "bad_checksum")
    assert "CheckSum (10) says '000' but the message's bytes sum to 102" in q[0]["reason"]
    cfg2 = _cfg(tmp_path / "relaxed", verify_checksum=False)
    b2 = loader.load_file(cfg2, fix_dir / "quickfix_cme_ilink_es_fill_fix42.soh")
    # 17=64485:M:412850TN0031303 37=64227619161 54=1 32=1 31=208700 55=ES 48=147403 (no 22) 75=20150220 1=TEST
    assert _rows(cfg2, b2.batch_id) == [
        ("64485:M:412850TN0031303", 1, "NEW", "2015-02-20", "FIX_UNALLOCATED", "ES", None, "BUY", "1.000000",
         "208700.0000000000", "USD", "2015-02-20", "64227619161", "64485:M:412850TN0031303", "FIX CME", 1)]


def test_execreport_without_lastqty_and_with_a_zero_date(tmp_path, fix_dir) -> None:
    cfg = _cfg(tmp_path)
    b = loader.load_file(cfg, fix_dir / "quickfix_execreport_fix42_mek_kem.soh")
    q = _quarantine(cfg, b.batch_id)
    assert [(r["line_no"], r["record_ref"], r["rule"]) for r in q] == [(1, "2", "missing_tag")]
    assert q[0]["reason"] == (
        "required LastQty (32) missing; TransactTime (60) '00000000-00:00:00' is not a valid date")


def test_corrections_file_checksums_then_correction_and_bust_versions(tmp_path, fix_dir) -> None:
    path = fix_dir / "nyse_ccg_execreports_incl_corrections_logotype_fixparser_tests.soh"
    cfg = _cfg(tmp_path)
    b = loader.load_file(cfg, path)
    assert (b.rows_read, b.rows_loaded, b.rows_quarantined) == (12, 2, 10)
    assert [r["rule"] for r in _quarantine(cfg, b.batch_id)][:7] == ["bad_checksum"] * 7

    # the same messages with the integrity checks off, after the originals they correct were loaded
    cfg2 = _cfg(tmp_path / "relaxed", verify_checksum=False, verify_body_length=False)
    originals = write_log(tmp_path / "originals.log", [
        fill("NF 0039/03022010 001001001", symbol="IOC", isin=None, qty="100", px="49.30", day="20100302",
             order_id="NF 0039/03022010", sender="CCG", account="ABC123ZYX"),
        fill("NF 0644/04022009 001001002", symbol="PAC", isin=None, qty="100", px="16.77", day="20090402",
             order_id="NF 0644/04022009", sender="CCG", account="ABC123ZYX"),
    ])
    loader.load_file(cfg2, originals)
    b2 = loader.load_file(cfg2, path)
    assert (b2.rows_read, b2.rows_loaded, b2.rows_quarantined) == (12, 9, 3)
    rows = {(r[0], r[1]): r for r in _rows(cfg2, b2.batch_id)}
    # line 1: 20=2 (correct) 19=NF 0039/03022010 001001001 17=...001001002 55=IOC 54=1 32=100 31=49.3700
    #         52=20100302- 22:36:15 (a space inside the timestamp) 58=Trade correction
    assert rows[("NF 0039/03022010 001001001", 2)] == (
        "NF 0039/03022010 001001001", 2, "AMEND", "2010-03-02", "FIX_UNALLOCATED", "IOC", None, "BUY", "100.000000",
        "49.3700000000", "USD", "2010-03-02", "NF 0039/03022010", "NF 0039/03022010 001001002", "FIX CCG", 1)
    # line 3: 20=1 (cancel / bust) 19=NF 0644/04022009 001001002 17=...001001003, 52=20090402- 18:20:41
    assert rows[("NF 0644/04022009 001001002", 2)][:4] == ("NF 0644/04022009 001001002", 2, "CANCEL", "2009-04-02")
    # line 4: partial fill 150=1 20=0 54=2 32=100 31=25.4700 55=CVS; line 5: 32=400 31=25.2800
    assert rows[("NF 0568/03252009 001001001", 1)][7:10] == ("SELL", "100.000000", "25.4700000000")
    assert rows[("NF 0568/03252009 002002002", 1)][7:10] == ("SELL", "400.000000", "25.2800000000")
    # line 7: sub-penny fill 31=0.4000 32=1000 55=VOD
    assert rows[("NF 0016/02082010 001001001", 1)][5:10] == ("VOD", None, "BUY", "1000.000000", "0.4000000000")


def test_every_fix_sample_is_accounted_for(tmp_path, fix_dir) -> None:
    """A folder load: every FIX log is loaded (rows read = loaded + quarantined), the JSON file refused."""
    cfg = _cfg(tmp_path)
    report = loader.load_paths(cfg, [fix_dir])
    by_name = {b.path.rsplit("/", 1)[-1]: b for b in report.batches}
    assert by_name["nyse_ccg_spec_examples_logotype_fixparser.jsonl"].status == "REFUSED"
    loaded = [b for b in report.batches if b.status == "LOADED"]
    assert len(loaded) == 7
    assert all(b.rows_read == b.rows_loaded + b.rows_quarantined for b in loaded)


def test_simplefix_for_every_message_gives_identical_results(fix_dir) -> None:
    from connectors.fix import FixOptions, parse_text

    for path in sorted(fix_dir.glob("*")):
        if path.suffix == ".jsonl":
            continue
        text = path.read_text(encoding="utf-8")
        fast, reference = parse_text(text, "fix", FixOptions()), parse_text(text, "fix", FixOptions(parser="simplefix"))
        assert fast.tables["fo_trades"].equals(reference.tables["fo_trades"]), path.name
        assert fast.quarantine.equals(reference.quarantine), path.name
        assert fast.warnings == reference.warnings, path.name

"""Bad input, each with a test: empty files, latin-1 and UTF-8-with-BOM text, truncated files, a
format that does not match the extension, missing or renamed columns, duplicated trade ids, zero
or negative quantities, unknown currency or ISIN, impossible dates, the same file loaded twice,
and a load killed half-way (SIGKILL in the middle of the write transaction)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import simplefix

from connectors import loader
from engine import store
from engine.errors import BadInputError, UnknownFormatError
from tests.conftest import REPO, make_config
from tests.connectors_fixlog import fill, write_log
from tests.test_connectors_xlsx import write_xlsx

BLOTTER_HEADER = "trade_id,version,status,known_date,book_id,trader,instrument_id,side,quantity,price,currency,trade_date\n"
INSTRUMENTS = "instrument_id,isin,name,asset_class,currency\nUS0378331005,US0378331005,Apple,EQUITY,USD\n"


def _counts(cfg) -> tuple[int, int, int]:
    with store.connect(cfg) as con:
        return tuple(
            store.scalar(con, f"SELECT count(*) FROM {t}")  # noqa: S608 - fixed names
            for t in ("fo_trades", "ops_quarantine", "ops_load_batches")
        )


def _rules(cfg) -> list[tuple[int, str]]:
    with store.connect(cfg) as con:
        return con.sql("SELECT line_no, rule FROM ops_quarantine ORDER BY batch_id, line_no").fetchall()


# --- empty, encodings, truncation --------------------------------------------------------------


@pytest.mark.parametrize("name", ["empty.log", "empty.xlsx", "blank.csv"])
def test_empty_files_are_refused(cfg, tmp_path, name) -> None:
    path = tmp_path / name
    path.write_bytes(b"" if name != "blank.csv" else b"\n\n  \n")
    with pytest.raises(BadInputError, match="empty file"):
        loader.load_file(cfg, path)
    assert _counts(cfg) == (0, 0, 0)


def test_latin1_and_bom_blotters_load(cfg, tmp_path) -> None:
    row = "T1,1,NEW,2026-01-05,EQ1,José Müller,US0378331005,BUY,10,1.5,USD,2026-01-05\n"
    latin = tmp_path / "latin.csv"
    latin.write_bytes((BLOTTER_HEADER + row).encode("latin-1"))
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + (BLOTTER_HEADER + row.replace("T1", "T2")).encode("utf-8"))
    report = loader.load_paths(cfg, [latin, bom])
    assert [(b.feed, b.rows_loaded) for b in report.batches] == [("sample_trades", 1), ("sample_trades", 1)]
    with store.connect(cfg) as con:
        assert con.sql("SELECT DISTINCT trader FROM fo_trades").fetchall() == [("José Müller",)]


def test_latin1_and_bom_fix_logs_keep_their_checksums(cfg, tmp_path) -> None:
    # a Text (58) field with latin-1 bytes: the checksum is over those bytes
    m = simplefix.FixMessage()
    for tag, value in [(8, "FIX.4.4"), (35, "8"), (49, "B"), (56, "M"), (52, "20260105-10:00:00"), (17, "L1"), (54, "1"),
                       (55, "AAPL"), (32, "5"), (31, "2"), (150, "F"), (58, "Société Générale".encode("latin-1"))]:
        m.append_pair(tag, value)
    latin = tmp_path / "latin.log"
    latin.write_bytes(m.encode() + b"\n")
    b = loader.load_file(cfg, latin)
    assert (b.rows_loaded, b.rows_quarantined) == (1, 0)
    assert any("latin-1" in w for w in b.warnings)
    bom = write_log(tmp_path / "bom.log", [fill("L2")])
    bom.write_bytes(b"\xef\xbb\xbf" + bom.read_bytes())
    assert loader.load_file(cfg, bom).rows_loaded == 1


def test_truncated_files(cfg, tmp_path) -> None:
    log = write_log(tmp_path / "cut.log", [fill("E1"), fill("E2")])
    log.write_bytes(log.read_bytes()[:-60])  # the second message loses its end
    b = loader.load_file(cfg, log)
    assert (b.rows_loaded, b.rows_quarantined) == (1, 1)
    assert _rules(cfg) == [(2, "truncated")]

    xlsx = write_xlsx(tmp_path / "cut.xlsx", [["X-1", "EQ1", "US0378331005", "B", 1, 1, "USD", "05/01/2026", ""]])
    xlsx.write_bytes(xlsx.read_bytes()[:2000])
    with pytest.raises(UnknownFormatError):
        loader.load_file(cfg, xlsx)

    csv = tmp_path / "cut.csv"
    csv.write_text(BLOTTER_HEADER + "T1,1,NEW,2026-01-05,EQ1,,US0378331005,BUY,10,1.5,USD,2026-01-05\nT2,1,NEW,2026-01-0")
    b = loader.load_file(cfg, csv)
    assert (b.rows_loaded, b.rows_quarantined) == (1, 1)
    assert _rules(cfg)[-1] == (3, "malformed_line")


# --- content, not extension --------------------------------------------------------------------


def test_format_is_recognised_by_content_not_extension(cfg, tmp_path) -> None:
    fix_as_csv = write_log(tmp_path / "trades.csv", [fill("E1")])
    csv_as_xlsx = tmp_path / "blotter.xlsx"
    csv_as_xlsx.write_text(BLOTTER_HEADER + "T1,1,NEW,2026-01-05,EQ1,,US0378331005,BUY,10,1.5,USD,2026-01-05\n")
    xlsx_as_txt = write_xlsx(tmp_path / "blotter.txt",
                             [["X-1", "EQ1", "US0378331005", "B", 1, 1, "USD", "05/01/2026", ""]])
    report = loader.load_paths(cfg, [fix_as_csv, csv_as_xlsx, xlsx_as_txt])
    assert sorted((Path(b.path).name, b.connector, b.rows_loaded) for b in report.batches) == [
        ("blotter.txt", "xlsx", 1), ("blotter.xlsx", "csv", 1), ("trades.csv", "fix", 1)]


def test_missing_and_renamed_columns_are_refused(cfg, tmp_path) -> None:
    missing = tmp_path / "missing.csv"
    missing.write_text(BLOTTER_HEADER.replace("quantity,", "") + "T1,1,NEW,2026-01-05,EQ1,,US0378331005,BUY,1.5,USD,2026-01-05\n")
    with pytest.raises(UnknownFormatError, match="no connector recognises"):
        loader.load_file(cfg, missing)
    renamed = write_xlsx(tmp_path / "renamed.xlsx", [["X-1", "EQ1", "US0378331005", "B", 1, 1, "USD", "05/01/2026", ""]],
                         header=["Trade Ref", "Book", "Instrument", "Side", "Quantity", "Price", "Ccy", "Trade Date", "Settlement Date"])
    with pytest.raises(BadInputError, match=r"expected columns \['B/S'\]"):
        loader.load_file(cfg, renamed)
    assert _counts(cfg) == (0, 0, 0)


# --- bad rows ----------------------------------------------------------------------------------


def test_duplicated_trade_ids_within_and_across_files(cfg, tmp_path) -> None:
    day1 = write_log(tmp_path / "day1.log", [fill("E1"), fill("E1", qty="7")])
    day2 = write_log(tmp_path / "day2.log", [fill("E1", qty="9", day="20260106")])
    loader.load_file(cfg, day1)
    b = loader.load_file(cfg, day2)
    assert b.rows_quarantined == 1
    rules = _rules(cfg)
    assert rules == [(2, "duplicate_exec_id"), (1, "duplicate_key")]
    with store.connect(cfg) as con:
        reason = con.sql("SELECT reason FROM ops_quarantine WHERE rule = 'duplicate_key'").fetchall()[0][0]
    assert "already in the store" in reason


def test_zero_negative_quantities_unknown_currency_and_isin_impossible_dates(cfg, tmp_path) -> None:
    inst = tmp_path / "instruments.csv"
    inst.write_text(INSTRUMENTS)
    log = write_log(tmp_path / "bad.log", [
        fill("Q0", qty="0"),
        fill("QN", qty="-5"),
        fill("CX", currency="XXY"),
        fill("IX", isin="GB0002634946", symbol="BA."),           # a valid ISIN nobody loaded
        fill("DX", extra=[(75, "20260230")]),                    # 30 February
        fill("OK"),
    ])
    report = loader.load_paths(cfg, [inst, log])
    b = report.batches[-1]
    assert (b.rows_read, b.rows_loaded, b.rows_quarantined) == (6, 1, 5)
    assert _rules(cfg) == [(1, "non_positive_quantity"), (2, "non_positive_quantity"), (3, "unknown_currency"),
                           (4, "unknown_instrument"), (5, "bad_date")]
    with store.connect(cfg) as con:
        reasons = [r[0] for r in con.sql("SELECT reason FROM ops_quarantine ORDER BY line_no").fetchall()]
    assert "-5" in reasons[1] and "XXY" in reasons[2] and "GB0002634946" in reasons[3]
    assert reasons[4] == "TradeDate (75) '20260230' is not a valid date"


# --- idempotency and atomicity -------------------------------------------------------------------


def test_same_file_twice_changes_nothing(cfg, tmp_path) -> None:
    log = write_log(tmp_path / "a.log", [fill("E1"), fill("E2")[:-4] + b"000\x01"])
    xlsx = write_xlsx(tmp_path / "b.xlsx", [["X-1", "EQ1", "US0378331005", "B", 1, 1, "USD", "05/01/2026", ""]])
    loader.load_paths(cfg, [log, xlsx])
    before = _counts(cfg)
    again = loader.load_paths(cfg, [tmp_path])
    assert {b.status for b in again.batches} == {"SKIPPED"}
    assert _counts(cfg) == before == (2, 1, 2)


KILLER = """
import sys, time
from connectors import loader
from tests.conftest import make_config
real = loader._validate_and_write
def slow(*args, **kwargs):
    out = real(*args, **kwargs)
    print("IN_TRANSACTION", flush=True)   # rows inserted, batch not committed
    time.sleep(120)
    return out
loader._validate_and_write = slow
from pathlib import Path
cfg = make_config(Path(sys.argv[1]))
loader.load_file(cfg, sys.argv[2])
"""


def test_a_load_killed_half_way_leaves_the_store_as_it_was(tmp_path) -> None:
    cfg = make_config(tmp_path)
    first = write_log(tmp_path / "first.log", [fill("E1")])
    loader.load_file(cfg, first)
    before = _counts(cfg)
    big = write_log(tmp_path / "big.log", [fill(f"K{i}") for i in range(2000)])
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", KILLER, str(tmp_path), str(big)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.strip() == "IN_TRANSACTION", proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
    assert proc.returncode == -signal.SIGKILL
    assert _counts(cfg) == before == (1, 0, 1)
    again = loader.load_file(cfg, big)          # the checksum was never committed: it loads now
    assert (again.status, again.rows_loaded) == ("LOADED", 2000)


def test_polars_frame_of_bad_quantities_is_not_float(tmp_path) -> None:
    """Quantities travel as text to the loader: a long decimal keeps every digit."""
    cfg = make_config(tmp_path)
    log = write_log(tmp_path / "exact.log", [fill("X1", qty="123456789012.123456", px="0.0000000001")])
    loader.load_file(cfg, log)
    with store.connect(cfg) as con:
        got = con.sql("SELECT CAST(quantity AS VARCHAR), CAST(price AS VARCHAR) FROM fo_trades").fetchall()
    assert got == [("123456789012.123456", "0.0000000001")]


def test_cli_loads_a_folder_by_content_and_refuses_the_unknown_file(tmp_path) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    logon = b"8=FIX.4.4\x019=5\x0135=A\x0110=000\x01"  # a session message: counted, not a trade
    write_log(feeds / "drop.txt", [logon, fill("E1"), fill("E2")])
    write_xlsx(feeds / "desk.xlsx", [["X-1", "EQ1", "US0378331005", "B", 1, 1, "USD", "05/01/2026", ""]])
    (feeds / "notes.csv").write_text("hello,world\n1,2\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "MIDOFFICE_STORE__PATH": str(tmp_path / "s.duckdb"),
           "MIDOFFICE_STORE__PUBLISHED_PATH": str(tmp_path / "p.duckdb"),
           "MIDOFFICE_STORE__WORKFLOW_PATH": str(tmp_path / "w.duckdb"), "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, "-m", "engine.cli", "load", str(feeds)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "notes.csv" in proc.stderr and "formats tried: fix" in proc.stderr.replace("\n", " ")
    assert "drop.txt: 1 messages carry no trade (not loaded): 1 x 35=A (Logon)" in proc.stdout
    cfg = make_config(tmp_path)
    cfg = cfg.with_overrides({"store": {"path": str(tmp_path / "s.duckdb")}})
    assert _counts(cfg)[0] == 3  # two FIX fills and one Excel row

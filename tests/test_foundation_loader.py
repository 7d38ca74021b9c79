"""The loader's guarantees: conservation, quarantine with reasons, idempotency, atomicity,
content-based detection and the declarative mapping."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors import loader
from engine import store
from engine.errors import BadInputError, UnknownFormatError
from tests.conftest import make_config

INSTRUMENTS = """instrument_id,isin,name,asset_class,currency,price_multiplier
US0378331005,US0378331005,Apple,EQUITY,USD,1
US5949181045,US5949181045,Microsoft,EQUITY,USD,1
"""
HEADER = "trade_id,version,status,known_date,book_id,instrument_id,side,quantity,price,currency,trade_date,settle_date\n"


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def _counts(cfg) -> tuple[int, int, int]:
    with store.connect(cfg) as con:
        return (
            store.scalar(con, "SELECT count(*) FROM fo_trades"),
            store.scalar(con, "SELECT count(*) FROM ops_quarantine"),
            store.scalar(con, "SELECT count(*) FROM ops_load_batches"),
        )


def test_bad_rows_are_quarantined_with_line_rule_and_raw_text(cfg, tmp_path) -> None:
    inst = _write(tmp_path / "instruments.csv", INSTRUMENTS)
    trades = _write(
        tmp_path / "trades.csv",
        HEADER
        + "T1,1,NEW,2024-01-02,B1,US0378331005,BUY,100,10.5,USD,2024-01-02,2024-01-04\n"
        + "T2,1,NEW,2024-01-02,B1,US0378331005,SELL,-5,10.5,USD,2024-01-02,2024-01-04\n"
        + "T3,1,NEW,2024-01-02,B1,US0378331005,BUY,100,10.5,USD,2024-02-30,2024-03-04\n"
        + "T4,1,NEW,2024-01-02,B1,US0378331005,BUY,100,10.5,XYZ,2024-01-02,2024-01-04\n"
        + "T5,1,NEW,2024-01-02,B1,XS0000000000,BUY,100,10.5,USD,2024-01-02,2024-01-04\n"
        + "T1,1,NEW,2024-01-02,B1,US0378331005,BUY,100,10.5,USD,2024-01-02,2024-01-04\n"
        + "T6,1,NEW,2024-01-02,B1,US0378331005,HOLD,100,10.5,USD,2024-01-02,2024-01-04\n"
        + "T7,1,NEW,2024-01-02,B1,US0378331005,BUY,100,10.5,USD,2024-01-02\n",
    )
    report = loader.load_paths(cfg, [inst, trades])
    b = report.batches[1]
    assert (b.rows_read, b.rows_loaded, b.rows_quarantined) == (8, 1, 7)
    with store.connect(cfg) as con:
        q = {r[0]: r[1:] for r in con.sql(
            "SELECT line_no, rule, reason, raw_text FROM ops_quarantine WHERE target_table = 'fo_trades' ORDER BY line_no"
        ).fetchall()}
    assert q[3][0] == "non_positive_quantity" and "-5" in q[3][1]
    assert q[4][0] == "bad_value" and "2024-02-30" in q[4][1]
    assert q[5][0] == "unknown_currency" and "XYZ" in q[5][1]
    assert q[6][0] == "unknown_instrument" and "XS0000000000" in q[6][1]
    assert q[7][0] == "duplicate_key" and "T1/1" in q[7][1]
    assert q[8][0] == "bad_side" and "HOLD" in q[8][1]
    assert q[9][0] == "malformed_line" and "T7" in q[9][2]
    assert '"trade_id":"T2"' in q[3][2]


def test_same_file_twice_changes_nothing(cfg, tmp_path) -> None:
    inst = _write(tmp_path / "instruments.csv", INSTRUMENTS)
    trades = _write(tmp_path / "t.csv", HEADER + "T1,1,NEW,2024-01-02,B1,US0378331005,BUY,100,10.5,USD,2024-01-02,2024-01-04\n")
    loader.load_paths(cfg, [inst, trades])
    before = _counts(cfg)
    again = loader.load_paths(cfg, [tmp_path])
    assert {b.status for b in again.batches} == {"SKIPPED"}
    assert _counts(cfg) == before


def test_a_failed_load_leaves_the_store_as_it_was(cfg, tmp_path, monkeypatch) -> None:
    inst = _write(tmp_path / "instruments.csv", INSTRUMENTS)
    loader.load_paths(cfg, [inst])
    before = _counts(cfg)
    trades = _write(tmp_path / "t.csv", HEADER + "T1,1,NEW,2024-01-02,B1,US0378331005,BUY,100,10.5,USD,2024-01-02,2024-01-04\n"
                    + "T2,1,NEW,2024-01-02,B1,US0378331005,BUY,0,10.5,USD,2024-01-02,2024-01-04\n")
    real = loader._validate_and_write

    def write_then_die(*args, **kwargs):
        real(*args, **kwargs)  # rows and quarantine inserted ...
        raise RuntimeError("killed after the inserts, before commit")

    monkeypatch.setattr(loader, "_validate_and_write", write_then_die)
    with pytest.raises(RuntimeError):
        loader.load_file(cfg, trades)
    assert _counts(cfg) == before


def test_unknown_and_empty_files_are_refused_with_a_clear_message(cfg, tmp_path) -> None:
    with pytest.raises(BadInputError, match="empty file"):
        loader.load_file(cfg, _write(tmp_path / "empty.csv", ""))
    with pytest.raises(UnknownFormatError, match="formats tried: .*csv"):
        loader.load_file(cfg, _write(tmp_path / "notes.csv", "hello,world\n1,2\n"))


def test_mapping_reads_a_foreign_blotter_without_code(tmp_path) -> None:
    cfg = make_config(
        tmp_path,
        feeds={
            "acme": {
                "table": "fo_trades",
                "format": "csv",
                "date_format": "%d/%m/%Y",
                "decimal_separator": ",",
                "thousands_separator": ".",
                "sign_convention": "signed_quantity",
                "defaults": {"currency": "EUR", "book_id": "ACME-1"},
                "columns": {
                    "trade_id": "Deal Ref", "instrument_id": "Security", "quantity": "Qty",
                    "price": "Px", "trade_date": "Trade Dt", "settle_date": "Value Dt",
                },
            }
        },
    )
    inst = _write(tmp_path / "instruments.csv", INSTRUMENTS.replace(",USD,", ",EUR,"))
    blotter = _write(
        tmp_path / "acme.csv",
        "Deal Ref;Security;Qty;Px;Trade Dt;Value Dt\n"
        "A-1;US0378331005;1.500;101,25;02/01/2024;04/01/2024\n"
        "A-2;US5949181045;-200;99,5;03/01/2024;05/01/2024\n",
        encoding="latin-1",
    )
    report = loader.load_paths(cfg, [inst, blotter])
    assert report.batches[1].feed == "acme" and report.batches[1].rows_loaded == 2
    with store.connect(cfg) as con:
        rows = con.sql(
            "SELECT trade_id, side, quantity, price, currency, book_id, trade_date::VARCHAR, known_date::VARCHAR, "
            "version, status, isin FROM fo_trades ORDER BY trade_id"
        ).fetchall()
    assert [(r[0], r[1], float(r[2]), float(r[3]), r[4], r[5], r[6], r[7], r[8], r[9]) for r in rows] == [
        ("A-1", "BUY", 1500.0, 101.25, "EUR", "ACME-1", "2024-01-02", "2024-01-02", 1, "NEW"),
        ("A-2", "SELL", 200.0, 99.5, "EUR", "ACME-1", "2024-01-03", "2024-01-03", 1, "NEW"),
    ]
    assert rows[0][10] == "US0378331005"  # isin derived from the instrument


def test_missing_required_column_refuses_the_file(cfg, tmp_path) -> None:
    inst = _write(tmp_path / "instruments.csv", INSTRUMENTS.replace("asset_class", "klass"))
    with pytest.raises(UnknownFormatError):
        loader.load_file(cfg, inst)


_cell = st.text(alphabet=string.ascii_letters + string.digits + "-.", max_size=6)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(_cell, st.sampled_from(["BUY", "SELL", "X", ""]), _cell, _cell,
                               st.sampled_from(["2024-01-02", "2024-13-01", "x", ""])), max_size=25))
def test_rows_are_conserved_through_a_load(tmp_path_factory, rows) -> None:
    """For any file: rows read = rows loaded + rows quarantined, in the batch and in the tables."""
    tmp = tmp_path_factory.mktemp("prop")
    cfg = make_config(tmp)
    inst = _write(tmp / "instruments.csv", INSTRUMENTS)
    body = "".join(
        f"{tid},1,NEW,2024-01-02,B1,US0378331005,{side},{qty},{px},USD,{td},\n" for tid, side, qty, px, td in rows
    )
    trades = _write(tmp / "trades.csv", HEADER + body)
    report = loader.load_paths(cfg, [inst, trades])
    b = report.batches[-1]
    assert b.rows_read == len(rows) == b.rows_loaded + b.rows_quarantined
    with store.connect(cfg) as con:
        loaded = store.scalar(con, "SELECT count(*) FROM fo_trades")
        quarantined = store.scalar(con, "SELECT count(*) FROM ops_quarantine WHERE target_table = 'fo_trades'")
        batch = con.sql("SELECT rows_read, rows_loaded, rows_quarantined FROM ops_load_batches ORDER BY batch_id DESC LIMIT 1").fetchall()
    assert (loaded, quarantined) == (b.rows_loaded, b.rows_quarantined)
    assert batch == [(len(rows), loaded, quarantined)]


def test_a_folder_load_refuses_bad_files_and_loads_the_rest(cfg, tmp_path) -> None:
    _write(tmp_path / "instruments.csv", INSTRUMENTS)
    _write(tmp_path / "readme.txt", "not a feed\n")
    report = loader.load_paths(cfg, [tmp_path])
    assert [b.status for b in report.batches] == ["REFUSED", "LOADED"]
    assert "no connector recognises" in report.refused[0].warnings[0]
    assert report.rows_loaded == 2


def test_empty_values_take_the_column_default(cfg, tmp_path) -> None:
    inst = _write(tmp_path / "instruments.csv", INSTRUMENTS)
    trades = _write(
        tmp_path / "t.csv",
        HEADER.strip() + ",fees,accrued_interest\n"
        + "T1,1,NEW,2024-01-02,B1,US0378331005,BUY,100,10.5,USD,2024-01-02,2024-01-04,,\n"
        + "T2,1,NEW,2024-01-02,B1,US0378331005,BUY,100,10.5,USD,2024-01-02,2024-01-04,1.25,\n",
    )
    report = loader.load_paths(cfg, [inst, trades])
    assert report.batches[1].rows_loaded == 2
    with store.connect(cfg) as con:
        rows = con.sql("SELECT trade_id, fees, accrued_interest FROM fo_trades ORDER BY trade_id").fetchall()
    assert [(t, float(f), float(a)) for t, f, a in rows] == [("T1", 0.0, 0.0), ("T2", 1.25, 0.0)]

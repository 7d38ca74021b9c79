"""The Python API (engine.api) on a small store written by hand: filters, dates, output types,
read-only SQL, lineage of a position to its trades, snapshots. Expected rows are written out."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from engine import store
from engine.api import Midoffice, open_store
from engine.config import Config
from engine.errors import BadInputError, StoreError

D1 = date(2024, 3, 27)
D2 = date(2024, 3, 28)


def _ins(con, table: str, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    groups: dict[tuple[str, ...], list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(r), []).append(r)
    for cols, group in groups.items():
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"  # noqa: S608
        con.executemany(sql, [[r[c] for c in cols] for r in group])


def _var_rows() -> list[dict]:
    rows = []
    for as_of, run_id, firm in ((D1, 1, 1100.0), (D2, 2, 1234.5)):
        for level, key, v in (("FIRM", "FIRM", firm), ("DESK", "EQ", 800.0), ("DESK", "RATES", 700.0),
                              ("BOOK", "B1", 600.0), ("BOOK", "B2", 300.0)):
            for method, model in (("HISTORICAL", "FULL_REVAL"), ("PARAMETRIC", "SAMPLE")):
                rows.append({"as_of": as_of, "run_id": run_id, "level": level, "key": key, "method": method,
                             "model": model, "confidence": 0.99, "horizon_days": 1, "scaling": None,
                             "var": v if method == "HISTORICAL" else v * 0.9, "es": v * 1.2,
                             "n_scenarios": 250, "n_positions": 5, "currency": "USD"})
    return rows


def build(cfg: Config) -> Config:
    """Runs on D1 and D2 (and a FAILED run on D2), VaR rows, versioned trades with lineage."""
    with store.connect(cfg) as con:
        now = datetime(2024, 3, 28, 18, 0, 0)
        _ins(con, "ops_load_batches", [
            {"batch_id": 1, "feed": "sample_trades", "connector": "csv", "file_path": "/data/trades.csv",
             "file_name": "trades.csv", "checksum_sha256": "a" * 64, "file_bytes": 100, "rows_read": 5,
             "rows_loaded": 5, "rows_quarantined": 0, "target_tables": "fo_trades", "started_at": now, "finished_at": now},
            {"batch_id": 2, "feed": "sample_trades", "connector": "csv", "file_path": "/data/trades_amend.csv",
             "file_name": "trades_amend.csv", "checksum_sha256": "b" * 64, "file_bytes": 100, "rows_read": 3,
             "rows_loaded": 3, "rows_quarantined": 0, "target_tables": "fo_trades", "started_at": now, "finished_at": now},
        ])
        _ins(con, "ops_runs", [
            {"run_id": 1, "as_of": D1, "started_at": datetime(2024, 3, 27, 18), "status": "OK"},
            {"run_id": 2, "as_of": D2, "started_at": datetime(2024, 3, 28, 18), "status": "OK"},
            {"run_id": 3, "as_of": date(2024, 3, 29), "started_at": datetime(2024, 3, 29, 18), "status": "FAILED"},
        ])
        _ins(con, "out_var", _var_rows())
        trades = [
            # trade_id, version, status, known, book, side, qty, trade_date, settle_date, batch, line
            ("T1", 1, "NEW", "2024-03-25", "B1", "BUY", 100, "2024-03-25", "2024-03-27", 1, 2),
            ("T2", 1, "NEW", "2024-03-25", "B1", "SELL", 30, "2024-03-25", "2024-03-27", 1, 3),
            ("T2", 2, "AMEND", "2024-03-27", "B1", "SELL", 40, "2024-03-25", "2024-03-27", 2, 2),  # amended
            ("T3", 1, "NEW", "2024-03-25", "B1", "BUY", 10, "2024-03-25", "2024-03-27", 1, 4),
            ("T3", 2, "CANCEL", "2024-03-26", "B1", "BUY", 10, "2024-03-25", "2024-03-27", 2, 3),  # cancelled
            ("T4", 1, "NEW", "2024-03-25", "B1", "BUY", 5, "2024-03-25", "2024-03-27", 1, 5),
            ("T4", 2, "AMEND", "2024-03-26", "B2", "BUY", 5, "2024-03-25", "2024-03-27", 2, 4),    # moved to B2
            ("T5", 1, "NEW", "2024-03-28", "B1", "BUY", 7, "2024-03-28", "2024-04-01", 1, 6),      # settles later
        ]
        _ins(con, "fo_trades", [
            {"trade_id": t, "version": v, "status": s, "known_date": date.fromisoformat(k), "book_id": b,
             "instrument_id": "US0378331005", "side": side, "quantity": Decimal(q), "price": Decimal("10"),
             "currency": "USD", "trade_date": date.fromisoformat(td), "settle_date": date.fromisoformat(sd),
             "batch_id": bid, "src_line": line}
            for t, v, s, k, b, side, q, td, sd, bid, line in trades
        ])
    store.publish(cfg)
    return cfg


@pytest.fixture
def mo(cfg: Config) -> Midoffice:
    return open_store(build(cfg))


def test_open_store_without_a_store_says_what_to_do(cfg: Config) -> None:
    with pytest.raises(StoreError, match="no midoffice store") as exc:
        open_store(cfg)
    assert "midoffice demo" in str(exc.value)


def test_open_store_from_environment_and_path(cfg: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    build(cfg)
    monkeypatch.delenv("MIDOFFICE_CONFIG", raising=False)
    monkeypatch.setenv("MIDOFFICE_STORE__PUBLISHED_PATH", str(cfg.published_path))
    monkeypatch.setenv("MIDOFFICE_STORE__PATH", str(cfg.store_path))
    monkeypatch.setenv("MIDOFFICE_STORE__WORKFLOW_PATH", str(cfg.workflow_path))
    assert open_store().latest() == D2
    by_path = open_store(cfg, path=cfg.store_path)
    assert by_path.snapshot_path == Path(cfg.store_path)
    assert by_path.latest() == D2


def test_dates_and_runs(mo: Midoffice) -> None:
    assert mo.as_of_dates() == [D1, D2]  # the FAILED run does not count
    assert mo.latest() == D2
    runs = mo.runs()
    assert runs["run_id"].to_list() == [3, 2, 1]
    assert runs["status"].to_list() == ["FAILED", "OK", "OK"]


def test_default_as_of_is_the_latest_date(mo: Midoffice) -> None:
    df = mo.var(level="FIRM", method="HISTORICAL")
    assert df.select("as_of", "key", "var").rows() == [(D2, "FIRM", 1234.5)]


def test_as_of_range_and_all(mo: Midoffice) -> None:
    firm = {"level": "FIRM", "method": "HISTORICAL"}
    assert mo.var(D1, **firm)["var"].to_list() == [1100.0]
    assert mo.var("2024-03-27", **firm)["var"].to_list() == [1100.0]
    assert mo.var(start=D1, end=D2, **firm)["var"].to_list() == [1100.0, 1234.5]
    assert mo.var(start="2024-03-28", **firm)["var"].to_list() == [1234.5]
    assert mo.var(end="2024-03-27", **firm)["var"].to_list() == [1100.0]
    assert mo.var("all", **firm)["as_of"].to_list() == [D1, D2]
    assert mo.var(date(2024, 1, 2), **firm).height == 0
    with pytest.raises(BadInputError, match="either as_of or start/end"):
        mo.var(D1, start=D1)
    with pytest.raises(BadInputError, match="ISO date"):
        mo.var("28/03/2024")


def test_filters_scalars_lists_and_unknown_columns(mo: Midoffice) -> None:
    desks = mo.var(level="DESK", method="HISTORICAL")
    assert desks.select("key", "var").rows() == [("EQ", 800.0), ("RATES", 700.0)]
    books = mo.var(level="BOOK", key=["B2", "B9"], method=["HISTORICAL", "PARAMETRIC"])
    assert books.select("key", "method", "var").rows() == [("B2", "HISTORICAL", 300.0), ("B2", "PARAMETRIC", 270.0)]
    assert mo.var(confidence=0.95).height == 0
    keys = pl.Series(["EQ", "RATES"])
    assert mo.var(level="DESK", method="HISTORICAL", key=keys).height == 2  # a Series of values
    assert mo.var(level="DESK", method="HISTORICAL", key=keys.to_numpy()).height == 2
    with pytest.raises(BadInputError, match="no column 'desk_name'") as exc:
        mo.var(desk_name="EQ")
    assert "horizon_days" in str(exc.value)  # the message lists the columns


def test_filter_values_are_bound_never_sql(mo: Midoffice) -> None:
    assert mo.var(key="FIRM' OR 1=1 --").height == 0
    assert mo.var(**{"key": ["x", "FIRM\"; DROP TABLE out_var; --"]}).height == 0
    assert mo.var("all").height == 20


def test_columns_limit_and_order(mo: Midoffice) -> None:
    df = mo.var("all", level="DESK", method="HISTORICAL", columns=["as_of", "key", "var"], limit=3)
    assert df.columns == ["as_of", "key", "var"]
    assert df.rows() == [(D1, "EQ", 800.0), (D1, "RATES", 700.0), (D2, "EQ", 800.0)]
    with pytest.raises(BadInputError, match="no column"):
        mo.var(columns=["as_of", "nope"])


def test_pandas_on_request_and_floats(cfg: Config) -> None:
    build(cfg)
    mo = open_store(cfg)
    assert isinstance(mo.var(), pl.DataFrame)
    pdf = mo.var(level="FIRM", pandas=True)
    assert isinstance(pdf, pd.DataFrame)
    assert sorted(pdf["var"].tolist()) == [1111.05, 1234.5]
    assert isinstance(open_store(cfg, pandas=True).var(), pd.DataFrame)
    assert isinstance(open_store(cfg, pandas=True).var(pandas=False), pl.DataFrame)
    trades = mo.table("fo_trades", trade_id="T1", columns=["trade_id", "quantity"])
    assert trades.schema["quantity"] == pl.Decimal(24, 6)  # exact by default
    assert trades["quantity"].to_list() == [Decimal("100.000000")]
    floats = open_store(cfg, floats=True).table("fo_trades", trade_id="T1", columns=["quantity"])
    assert floats.schema["quantity"] == pl.Float64
    assert floats["quantity"].to_list() == [100.0]


def test_generic_table_with_its_own_date_column(mo: Midoffice) -> None:
    df = mo.table("fo_trades", date_column="known_date", start="2024-03-27", columns=["trade_id", "version"])
    assert df.rows() == [("T2", 2), ("T5", 1)]
    assert mo.table("fo_trades", trade="T4", columns=["book_id"])["book_id"].to_list() == ["B1", "B2"]
    with pytest.raises(StoreError, match="no table 'nope'"):
        mo.table("nope")


def test_missing_result_table_names_the_step(cfg: Config) -> None:
    build(cfg)
    with store.connect(cfg, init=False) as con:  # a store written before the P&L step existed
        con.execute("DROP TABLE out_pnl_attribution")
    store.publish(cfg)
    with pytest.raises(StoreError, match="P&L step"):
        open_store(cfg).pnl_attribution()


def test_tables_and_columns(mo: Midoffice) -> None:
    tables = mo.tables()
    counts = dict(zip(tables["table"].to_list(), tables["rows"].to_list(), strict=True))
    assert counts["out_var"] == 20
    assert counts["fo_trades"] == 8
    cols = mo.columns("out_var")
    assert cols["column_name"].to_list()[:4] == ["as_of", "run_id", "level", "key"]
    with pytest.raises(StoreError):
        mo.columns("nope")


def test_sql_is_read_only_and_binds_parameters(mo: Midoffice) -> None:
    df = mo.sql(
        "SELECT key, var FROM out_var WHERE as_of = $d AND level = $lv AND method = 'HISTORICAL' ORDER BY key",
        {"d": D2, "lv": "DESK"},
    )
    assert df.rows() == [("EQ", 800.0), ("RATES", 700.0)]
    assert mo.sql("SELECT count(*) AS n FROM out_var WHERE var > ?", [1000])["n"].to_list() == [3]
    assert mo.sql("DESCRIBE out_var").height == 14
    for bad in ("DELETE FROM out_var", "INSERT INTO out_var SELECT * FROM out_var",
                "CREATE TABLE x AS SELECT 1", "SELECT 1; DELETE FROM out_var", "ATTACH 'x.duckdb' AS x",
                "COPY out_var TO 'x.csv'", "SET threads = 1"):
        with pytest.raises(BadInputError):
            mo.sql(bad)
    with pytest.raises(BadInputError, match="query failed"):
        mo.sql("SELECT * FROM read_csv('/etc/hostname')")
    with pytest.raises(BadInputError, match="query failed"):
        mo.sql("SELECT nope FROM out_var")
    assert mo.tables().filter(pl.col("table") == "out_var")["rows"].to_list() == [20]


def test_position_trades_lineage_follows_versions(mo: Midoffice) -> None:
    # As of D2 in book B1: T1 (v1), T2 (amended to v2), T5 (traded on D2); T3 is cancelled,
    # T4 was moved to book B2 by its second version.
    df = mo.position_trades("B1", "US0378331005", as_of=D2)
    assert df.select("trade_id", "version", "signed_quantity", "file_path", "src_line").rows() == [
        ("T1", 1, Decimal("100"), "/data/trades.csv", 2),
        ("T2", 2, Decimal("-40"), "/data/trades_amend.csv", 2),
        ("T5", 1, Decimal("7"), "/data/trades.csv", 6),
    ]
    # as of 2024-03-26 T2's amendment was not known yet; on settlement-date basis nothing had settled
    early = mo.position_trades("B1", "US0378331005", as_of="2024-03-26")
    assert early.select("trade_id", "version").rows() == [("T1", 1), ("T2", 1)]
    assert mo.position_trades("B1", "US0378331005", as_of="2024-03-26", basis="SETTLE").height == 0
    settled = mo.position_trades("B1", "US0378331005", as_of=D2, basis="SETTLE")
    assert settled["trade_id"].to_list() == ["T1", "T2"]
    moved = mo.position_trades("B2", "US0378331005", as_of=D2)
    assert moved.select("trade_id", "version", "file_path", "src_line").rows() == [("T4", 2, "/data/trades_amend.csv", 4)]


def test_pinned_sees_one_snapshot(cfg: Config) -> None:
    build(cfg)
    mo = open_store(cfg)
    with mo.pinned():
        before = mo.var("all").height
        with store.connect(cfg) as con:
            con.execute("DELETE FROM out_var WHERE as_of = ?", [D1])
        store.publish(cfg)
        assert mo.var("all").height == before  # still the pinned snapshot
    assert mo.var("all").height == before - 10  # a fresh read sees the new publication


def test_workflow_namespaces_list_the_engine_functions(mo: Midoffice) -> None:
    assert {"assign", "resolve", "manual_match", "approve", "export_breaks"} <= set(dir(mo.recon))
    assert {"check_trade", "acknowledge", "approve_temporary_increase"} <= set(dir(mo.limits))
    assert "assign" in repr(mo.recon)
    with pytest.raises(AttributeError, match="no 'drop_everything'"):
        mo.recon.drop_everything  # noqa: B018

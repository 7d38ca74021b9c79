"""The statement runner of the reconciliation: scratch results held as registered Arrow tables."""

from __future__ import annotations

import datetime

import duckdb
import pytest

from engine.recon import sqlrun


def _kind(con: duckdb.DuckDBPyConnection, name: str) -> set[str]:
    tables = {r[0] for r in con.sql("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()}
    views = {r[0] for r in con.sql("SELECT view_name FROM duckdb_views() WHERE temporary").fetchall()}
    return {k for k, names in (("table", tables), ("view", views)) if name in names}


def test_a_scratch_result_is_a_registered_arrow_table_with_the_same_rows_and_types() -> None:
    con = duckdb.connect()
    sql = ("CREATE OR REPLACE TEMP TABLE {t} AS SELECT i, CAST(i AS DECIMAL(24,6)) AS q, 'T' || i AS id, "
           "[CAST(i AS VARCHAR)] AS ids, DATE '2024-03-15' + CAST(i AS INTEGER) AS d FROM range($n) t(i) WHERE i >= $lo")
    sqlrun.execute(con, sql.format(t="tmp_rc_breaks"), {"n": 300_000, "lo": 5, "unused": "x"})
    sqlrun.execute(con, sql.format(t="tmp_plain"), {"n": 300_000, "lo": 5, "unused": "x"})
    assert _kind(con, "tmp_rc_breaks") == {"view"}
    assert _kind(con, "tmp_plain") == {"table"}
    assert con.sql("DESCRIBE tmp_rc_breaks").fetchall() == con.sql("DESCRIBE tmp_plain").fetchall()
    for a, b in (("tmp_rc_breaks", "tmp_plain"), ("tmp_plain", "tmp_rc_breaks")):
        assert con.sql(f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})").fetchall() == [(0,)]  # noqa: S608 - names from the test
    assert con.sql("SELECT count(*), min(d) FROM tmp_rc_breaks").fetchall() == [(299_995, datetime.date(2024, 3, 20))]


def test_a_scratch_result_is_replaced_and_may_read_its_previous_self() -> None:
    con = duckdb.connect()
    sqlrun.execute(con, "CREATE OR REPLACE TEMP TABLE tmp_rc_fd AS SELECT * FROM range(10) t(i)")
    sqlrun.execute(con, "CREATE OR REPLACE TEMP TABLE tmp_rc_fd AS SELECT i * 2 AS i FROM tmp_rc_fd WHERE i < 3")
    assert con.sql("SELECT list(i ORDER BY i) FROM tmp_rc_fd").fetchall() == [([0, 2, 4],)]
    sqlrun.execute(con, "CREATE OR REPLACE TEMP TABLE tmp_rc_fd AS SELECT 7 AS k")
    assert con.sql("SELECT * FROM tmp_rc_fd").fetchall() == [(7,)]


def _threshold(con: duckdb.DuckDBPyConnection) -> str:
    return str(con.sql("SELECT current_setting('checkpoint_threshold')").fetchall()[0][0])


def test_scratch_checkpoints_off_raises_the_threshold_and_restores_it() -> None:
    con = duckdb.connect()
    default = _threshold(con)
    with sqlrun.scratch_checkpoints_off(con):
        assert _threshold(con) == _threshold(duckdb.connect(config={"checkpoint_threshold": sqlrun.SCRATCH_CHECKPOINT_THRESHOLD}))
        assert _threshold(con) != default
    assert _threshold(con) == default


def test_scratch_checkpoints_off_restores_the_threshold_after_an_error() -> None:
    con = duckdb.connect()
    default = _threshold(con)
    with pytest.raises(duckdb.Error), sqlrun.scratch_checkpoints_off(con):
        con.execute("SELECT error('boom')")
    assert _threshold(con) == default

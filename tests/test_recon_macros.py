"""The reconciliation's SQL macros (engine/sql/recon/macros.sql) against the plain expressions
they stand for: the macros take faster paths (64-bit decimals, DOUBLE) that must give exactly
the same result."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pyarrow as pa
import pytest

from engine.recon import sqlrun


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    sqlrun.run_script(c, "recon/macros")
    return c

def _base(con: duckdb.DuckDBPyConnection, amount: str | None, rate: str | None) -> Decimal | None:
    return con.execute("SELECT rc_amount_base(CAST(? AS DECIMAL(28,4)), CAST(? AS DECIMAL(24,12)))",
                       [amount, rate]).fetchall()[0][0]

@pytest.mark.parametrize(("amount", "rate", "expected"), [
    ("100.0001", "0.5", "50.0001"),                 # 50.00005: a tie, half away from zero
    ("-100.0001", "0.5", "-50.0001"),
    ("100.0003", "0.5", "50.0002"),                 # 50.00015
    ("2.5", "0.00002", "0.0001"),                   # 0.00005
    ("1000000.00", "0.006734", "6734.0000"),
    ("12345.67", "149.123456789012", "1841028.9868"),  # 1841028.98677640...

    ("99999999999.9999", "10", "999999999999.9990"),   # 10^12: past the DOUBLE path, exact cast
    ("0", "149.5", "0.0000"),
    ("12.34", "0", "0.0000"),
])
def test_amount_base_known_answers(con: duckdb.DuckDBPyConnection, amount: str, rate: str, expected: str) -> None:
    assert _base(con, amount, rate) == Decimal(expected)

def test_amount_base_null_in_null_out(con: duckdb.DuckDBPyConnection) -> None:
    assert _base(con, None, "1") is None and _base(con, "1", None) is None

def test_amount_base_equals_the_exact_cast_on_ties_and_random_values(con: duckdb.DuckDBPyConnection) -> None:
    rng = random.Random(20261122)
    rows = []
    for _ in range(20000):
        a = Decimal(f"{rng.randint(0, 10 ** rng.randint(1, 11))}.{rng.randint(0, 9999):04d}") * rng.choice((1, -1))
        r = Decimal(f"{rng.randint(0, 10 ** rng.randint(0, 3))}.{rng.randint(0, 10 ** 12 - 1):012d}")
        rows.append((str(a), str(r)))
    for _ in range(5000):  # exact half units, either sign
        a = rng.randint(1, 10 ** 9) * rng.choice((1, -1))
        rows += [(f"{a}.0001", "0.5"), (f"{a}.0002", "0.25"), (f"{a}.0004", "0.125")]
    src = pa.table({"a": [a for a, _ in rows], "r": [r for _, r in rows]})  # noqa: F841 - read by DuckDB
    con.execute("CREATE OR REPLACE TEMP TABLE t AS SELECT CAST(a AS DECIMAL(28,4)) AS a, CAST(r AS DECIMAL(24,12)) AS r FROM src")
    got = con.execute("SELECT a, r, rc_amount_base(a, r) FROM t").fetchall()
    assert len(got) == len(rows)
    for a, r, v in got:  # Python's Decimal as the reference
        assert v == (a * r).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP), (a, r, v)  # ties away from zero
    differ = con.execute("SELECT count(*) FROM t WHERE rc_amount_base(a, r) <> CAST(a * r AS DECIMAL(24,4))").fetchall()[0][0]
    assert differ == 0

@pytest.mark.parametrize("units", [0, 1, 2, 3, 4, 5])
def test_round_minor_equals_round(con: duckdb.DuckDBPyConnection, units: int) -> None:
    values = ["0", "0.5", "-0.5", "1.005", "-1.005", "2.4999", "2.5", "-2.5", "12345678.0050", "-12345678.0050",
              "99999999999999.9999", "100000000000000.5000", "-100000000000000.5000", "123456789012345678.9999"]
    for v in values:
        got, plain = con.execute(
            "SELECT rc_round_minor(CAST(? AS DECIMAL(24,4)), ?), "
            "CAST(round(CAST(? AS DECIMAL(24,4)), least(?, 4)) AS DECIMAL(28,4))", [v, units, v, units]
        ).fetchall()[0]
        assert got == plain, (v, units)

"""Run statistics of the reconciliation (``out_recon_stats``, long format): matches per pass,
auto-match and straight-through rates, breaks by type, age, counterparty and custodian,
penalties, and the seconds each phase took."""

from __future__ import annotations

from datetime import date

import duckdb

from engine import store


def write_stats(con: duckdb.DuckDBPyConnection, as_of: date, run_id: int, scope: str, cats: list[str],
                extra: list[tuple[str, str, str, float]]) -> None:
    """Replace the date's statistics of ``scope`` (RECON | CASH): the break figures from
    out_breaks (recon/stats.sql) plus ``extra`` rows (metric, dimension, value, number)."""
    con.execute("DELETE FROM out_recon_stats WHERE as_of = $as_of AND scope = $scope", {"as_of": as_of, "scope": scope})
    con.execute(
        "INSERT INTO out_recon_stats SELECT $as_of, $run_id, $scope, metric, dimension, dim_value, value "  # noqa: S608 - identifiers from code, values bound
        f"FROM ({store.sql_text('recon/stats').rstrip().rstrip(';')})",
        {"as_of": as_of, "run_id": run_id, "scope": scope, "cats": cats},
    )
    if extra:
        con.executemany(
            "INSERT INTO out_recon_stats VALUES (?, ?, ?, ?, ?, ?, ?)",
            [[as_of, run_id, scope, m, d, v, float(x)] for m, d, v, x in extra],
        )

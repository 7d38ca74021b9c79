"""End to end through the command line, as a newcomer runs it: demo (generate, load, run),
status, a second load that changes nothing, and the exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def test_demo_then_status_reload_and_exit_codes(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "MIDOFFICE_STORE__PATH": str(tmp_path / "store.duckdb"),
        "MIDOFFICE_STORE__PUBLISHED_PATH": str(tmp_path / "published.duckdb"),
        "MIDOFFICE_STORE__WORKFLOW_PATH": str(tmp_path / "workflow.duckdb"),
        "MIDOFFICE_MARKET_RISK__MONTE_CARLO__PATHS": "1000",
        "COLUMNS": "200",
    }
    world = tmp_path / "sample"
    demo = _cli(["demo", "--trades", "600", "--days", "5", "--seed", "3", "--out", str(world)], env, tmp_path)
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "Load summary" in demo.stdout and "End of day 2026-10-30" in demo.stdout
    assert "midoffice dashboard" in demo.stdout

    con = duckdb.connect(str(tmp_path / "store.duckdb"), read_only=True)
    try:
        read, loaded, quarantined, files = con.sql(
            "SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined), count(*) FROM ops_load_batches"
        ).fetchall()[0]
        runs = con.sql("SELECT as_of::VARCHAR, status FROM ops_runs").fetchall()
        trades = con.sql("SELECT count(DISTINCT trade_id) FROM fo_trades").fetchall()[0][0]
        feeds = {r[0] for r in con.sql("SELECT DISTINCT connector FROM ops_load_batches").fetchall()}
        lineage = con.sql(
            "SELECT count(*) FROM fo_trades t LEFT JOIN ops_load_batches b USING (batch_id) "
            "WHERE b.file_path IS NULL OR t.src_line IS NULL"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert read == loaded + quarantined and loaded > 0
    assert runs == [("2026-10-30", "OK")]
    assert trades >= 600
    assert {"csv", "fix", "xlsx", "mt54x", "sese", "camt"} <= feeds  # every format went through its connector
    assert lineage == 0  # every trade traces to its file and line

    status = _cli(["status"], env, tmp_path)
    assert status.returncode == 0 and "fo_trades" in status.stdout

    feed_dirs = [str(p) for p in sorted(world.iterdir()) if p.is_dir() and p.name != "truth"]
    again = _cli(["load", *feed_dirs], env, tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    con = duckdb.connect(str(tmp_path / "store.duckdb"), read_only=True)
    try:
        assert con.sql("SELECT count(*) FROM ops_load_batches").fetchall()[0][0] == files  # nothing changed
    finally:
        con.close()

    truth = _cli(["load", str(world / "truth" / "breaks.csv")], env, tmp_path)
    assert truth.returncode == 2 and "no connector recognises" in truth.stderr

    bad_date = _cli(["run", "--as-of", "2026-02-30"], env, tmp_path)
    assert bad_date.returncode == 2 and "ISO date" in bad_date.stderr and "Traceback" not in bad_date.stderr

    findings = _cli(["run", "--fail-on-breaks"], env, tmp_path)
    assert findings.returncode == 1, findings.stdout[-2000:] + findings.stderr[-2000:]

"""The end-of-day run: as-of trade versions, atomic replacement of a date's results, records."""

from __future__ import annotations

from datetime import date

import pytest

from engine import run as run_mod
from engine import store
from engine.errors import BadInputError, MidofficeError
from engine.run import RunContext, StepResult, run_eod


def _seed(cfg) -> None:
    with store.connect(cfg) as con:
        con.execute(
            "INSERT INTO ref_instruments (instrument_id, isin, name, asset_class, currency) "
            "VALUES ('US0378331005', 'US0378331005', 'Apple', 'EQUITY', 'USD')"
        )
        rows = [
            # trade_id, version, status, known_date, quantity
            ("T1", 1, "NEW", "2024-01-02", 100),
            ("T1", 2, "AMEND", "2024-01-04", 150),   # amended after the first as-of date
            ("T2", 1, "NEW", "2024-01-02", 50),
            ("T2", 2, "CANCEL", "2024-01-03", 50),   # cancelled
            ("T3", 1, "NEW", "2024-01-05", 10),      # not yet known on 2024-01-03
        ]
        for tid, v, st, kd, q in rows:
            con.execute(
                "INSERT INTO fo_trades (trade_id, version, status, known_date, book_id, instrument_id, side, "
                "quantity, price, currency, trade_date) VALUES (?, ?, ?, ?, 'B1', 'US0378331005', 'BUY', ?, 10, "
                "'USD', CAST(? AS DATE))",
                [tid, v, st, kd, q, kd if tid == "T3" else "2024-01-02"],
            )


def _count_step(ctx: RunContext) -> StepResult:
    ctx.con.execute("CREATE TABLE IF NOT EXISTS out_test (as_of DATE, run_id BIGINT, trades BIGINT, qty DECIMAL(24,6))")
    ctx.replace_date("out_test")
    ctx.con.execute(
        "INSERT INTO out_test SELECT ?, ?, count(*), sum(quantity) FROM tmp_trades_asof", [ctx.as_of, ctx.run_id]
    )
    return StepResult(rows_out=1)


def _failing_step(ctx: RunContext) -> StepResult:
    ctx.replace_date("out_test")
    raise RuntimeError("step exploded")


@pytest.fixture
def steps(monkeypatch):
    monkeypatch.setattr(run_mod, "STEPS", {"trades_asof": "engine.trades:step_trades_asof",
                                           "count": "tests.test_foundation_run:_count_step"})
    return run_mod.STEPS


def test_trades_as_known_on_the_date(cfg, steps) -> None:
    _seed(cfg)
    r = run_eod(cfg, "2024-01-03")
    assert r.steps["trades_asof"]["live_trades"] == 1 and r.steps["trades_asof"]["cancelled"] == 1
    r = run_eod(cfg, "2024-01-05")
    with store.connect(cfg) as con:
        got = con.sql("SELECT as_of, trades, qty FROM out_test ORDER BY as_of").fetchall()
    # 2024-01-03: T1 v1 only (T2 cancelled, T3 unknown); 2024-01-05: T1 v2 (150) and T3 (10)
    assert [(d, n, float(q)) for d, n, q in got] == [(date(2024, 1, 3), 1, 100.0), (date(2024, 1, 5), 2, 160.0)]


def test_rerun_replaces_the_date_and_a_failed_run_changes_nothing(cfg, steps, monkeypatch) -> None:
    _seed(cfg)
    run_eod(cfg, "2024-01-05")
    run_eod(cfg, "2024-01-05")
    with store.connect(cfg) as con:
        assert store.scalar(con, "SELECT count(*) FROM out_test") == 1
    monkeypatch.setitem(run_mod.STEPS, "count", "tests.test_foundation_run:_failing_step")
    with pytest.raises(MidofficeError, match="step exploded"):
        run_eod(cfg, "2024-01-05")
    with store.connect(cfg) as con:
        assert store.scalar(con, "SELECT count(*) FROM out_test") == 1  # previous results intact
        runs = con.sql("SELECT status FROM ops_runs ORDER BY run_id").fetchall()
        assert [r[0] for r in runs] == ["OK", "OK", "FAILED"]
        assert store.scalar(con, "SELECT error FROM ops_runs WHERE status = 'FAILED'").endswith("step exploded")


def test_bad_dates_and_steps_are_refused(cfg, steps) -> None:
    with pytest.raises(BadInputError, match="ISO date"):
        run_eod(cfg, "03/01/2024")
    with pytest.raises(BadInputError, match="unknown run step"):
        run_eod(cfg, "2024-01-03", steps=["nope"])

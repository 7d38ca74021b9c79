"""Trade versions as of a date: the live view every engine step reads."""

from __future__ import annotations

from engine import store
from engine.run import RunContext, StepResult


def create_trades_asof(con, as_of) -> None:  # type: ignore[no-untyped-def]
    """Create the temp table ``tmp_trades_asof``: per trade_id the highest version known on or
    before ``as_of``, cancelled trades dropped, trades dated after ``as_of`` dropped."""
    con.execute("DROP TABLE IF EXISTS tmp_trades_asof")
    con.execute(
        "CREATE TEMP TABLE tmp_trades_asof AS "
        "SELECT * FROM (SELECT t.* FROM fo_trades AS t WHERE t.known_date <= $as_of "
        "QUALIFY row_number() OVER (PARTITION BY t.trade_id ORDER BY t.version DESC) = 1) "
        "WHERE status <> 'CANCEL' AND trade_date <= $as_of",
        {"as_of": as_of},
    )


def step_trades_asof(ctx: RunContext) -> StepResult:
    """First step of every run: materialise the live trades for the date (temp table)."""
    create_trades_asof(ctx.con, ctx.as_of)
    n = store.scalar(ctx.con, "SELECT count(*) FROM tmp_trades_asof")
    cancelled = store.scalar(
        ctx.con,
        "SELECT count(*) FROM (SELECT status FROM fo_trades WHERE known_date <= $as_of "
        "QUALIFY row_number() OVER (PARTITION BY trade_id ORDER BY version DESC) = 1) WHERE status = 'CANCEL'",
        {"as_of": ctx.as_of},
    )
    return StepResult(rows_out=int(n or 0), summary={"live_trades": int(n or 0), "cancelled": int(cancelled or 0)})

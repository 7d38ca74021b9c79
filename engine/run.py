"""The end-of-day run for one business date (as_of).

A run executes the registered steps in order inside ONE transaction on the main store, so a
date's results are replaced atomically: either every step's new rows are there, or (on any
failure) the date's previous results are untouched. The run is recorded in ``ops_runs`` and
``ops_run_steps``; the store is then published for readers.

Adding a step is one line in :data:`STEPS`: ``"name": "module:function"``. The function takes a
:class:`RunContext` and returns a :class:`StepResult`. It deletes its own output rows for
``ctx.as_of`` (``ctx.replace_date(table)``) and inserts the new ones with set-based SQL.
"""

from __future__ import annotations

import importlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

from engine import store
from engine.config import Config
from engine.errors import BadInputError, MidofficeError

log = logging.getLogger(__name__)

#: Ordered steps of the end-of-day run. Later issues add their line here.
STEPS: dict[str, str] = {
    "trades_asof": "engine.trades:step_trades_asof",
    "positions": "engine.positions:step_positions",
    "exposures": "engine.exposures:step_exposures",
    "pnl": "engine.pnl:step_pnl",
    "market_risk": "engine.market_risk.step:step_market_risk",
    "counterparty": "engine.counterparty.step:step_saccr",
    "reconciliation": "engine.recon.step:step_reconcile",
    "cash_reconciliation": "engine.recon.step:step_cash",
    # limits must run after positions, exposures, pnl, market_risk and counterparty (it reads
    # their out_* tables for the date: VAR_99_1D from out_var, EAD from out_saccr); keep it last.
    "limits": "engine.limits:step_limits",
}


@dataclass
class RunContext:
    con: duckdb.DuckDBPyConnection
    cfg: Config
    as_of: date
    run_id: int
    results: dict[str, StepResult] = field(default_factory=dict)

    def replace_date(self, table: str, column: str = "as_of") -> None:
        """Delete ``table``'s rows for this run's date (table/column names are code, not input)."""
        self.con.execute(f'DELETE FROM "{table}" WHERE "{column}" = ?', [self.as_of])  # noqa: S608


@dataclass(frozen=True)
class StepResult:
    rows_out: int = 0
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunResult:
    run_id: int
    as_of: date
    status: str
    seconds: float
    steps: dict[str, dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "steps": self.steps,
        }


def _resolve(target: str) -> Callable[[RunContext], StepResult]:
    module, _, func = target.partition(":")
    return getattr(importlib.import_module(module), func)  # type: ignore[no-any-return]


def parse_date(text: str | date) -> date:
    if isinstance(text, date):
        return text
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise BadInputError(
            "bad as-of date", expected="an ISO date like 2024-03-28", found=repr(text)
        ) from exc


def latest_business_date(cfg: Config) -> date | None:
    """The latest date with trades or prices in the store: the natural default as-of date."""
    with store.connect(cfg) as con:
        return store.scalar(
            con,
            "SELECT max(d) FROM (SELECT max(trade_date) AS d FROM fo_trades "
            "UNION ALL SELECT max(known_date) FROM bo_settlements)",
        )


def run_eod(
    cfg: Config,
    as_of: date | str,
    *,
    steps: list[str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    publish: bool = True,
) -> RunResult:
    """Run the end of day for ``as_of``; replace that date's results atomically."""
    as_of = parse_date(as_of)
    names = list(STEPS) if not steps else steps
    unknown = [s for s in names if s not in STEPS]
    if unknown:
        raise BadInputError(f"unknown run step(s) {unknown}", expected=f"one of {list(STEPS)}")
    t0 = time.perf_counter()
    started = datetime.now()
    step_summaries: dict[str, dict[str, Any]] = {}
    with store.connect(cfg) as con:
        run_id = int(store.scalar(con, "SELECT nextval('seq_run_id')"))
        con.execute(
            "INSERT INTO ops_runs (run_id, as_of, started_at, status) VALUES (?, ?, ?, 'RUNNING')",
            [run_id, as_of, started],
        )
        ctx = RunContext(con=con, cfg=cfg, as_of=as_of, run_id=run_id)
        try:
            with store.transaction(con):
                for i, name in enumerate(names):
                    if progress:
                        progress(name, i, len(names))
                    ts = time.perf_counter()
                    result = _resolve(STEPS[name])(ctx)
                    secs = time.perf_counter() - ts
                    ctx.results[name] = result
                    step_summaries[name] = {**result.summary, "seconds": round(secs, 3), "rows_out": result.rows_out}
                    con.execute(
                        "INSERT INTO ops_run_steps VALUES (?, ?, ?, ?, ?, ?)",
                        [run_id, as_of, name, secs, result.rows_out, json.dumps(result.summary, default=str)],
                    )
                    log.info("step %s: %s rows in %.2fs", name, result.rows_out, secs)
        except Exception as exc:
            con.execute(
                "UPDATE ops_runs SET status = 'FAILED', finished_at = ?, error = ? WHERE run_id = ?",
                [datetime.now(), f"{type(exc).__name__}: {exc}", run_id],
            )
            if isinstance(exc, MidofficeError):
                raise
            raise MidofficeError(f"end-of-day run for {as_of} failed in a step: {exc}") from exc
        seconds = time.perf_counter() - t0
        con.execute(
            "UPDATE ops_runs SET status = 'OK', finished_at = ?, summary_json = ? WHERE run_id = ?",
            [datetime.now(), json.dumps(step_summaries, default=str), run_id],
        )
    if progress:
        progress("done", len(names), len(names))
    if publish:
        store.publish(cfg)
    return RunResult(run_id, as_of, "OK", seconds, step_summaries)

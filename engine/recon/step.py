"""End-of-day run steps: ``reconciliation`` (securities) and ``cash_reconciliation``.

Both run inside the run's single transaction on the main store (no BEGIN/COMMIT here). They read
the workflow store at the start (manual matches and unmatches in force) and append the run's
system events (AUTO_RESOLVED / AUTO_REOPENED) at the end, each in one short connection.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import duckdb

from engine import store
from engine.recon import cash, core, lifecycle, sqlrun, suggest, wfstore
from engine.recon.settings import ReconSettings, load_settings
from engine.recon.stats import write_stats
from engine.run import RunContext, StepResult

log = logging.getLogger(__name__)

RECON_CATS = ["MATCHING", "SETTLEMENT"]
CASH_CATS = ["CASH"]


def life_cur_view(con: duckdb.DuckDBPyConnection) -> None:
    """``tmp_life_cur``: today's securities breaks with their penalties, in out_breaks' columns."""
    con.execute(store.sql_text("recon/life_cur"))


def reconcile_for_run(ctx: RunContext, settings: ReconSettings) -> dict[str, Any]:
    """The securities reconciliation of ``ctx.as_of``, persisted; returns the step summary."""
    con, as_of, run_id = ctx.con, ctx.as_of, ctx.run_id
    t0 = time.perf_counter()
    manual, forbidden = wfstore.read_overrides(ctx.cfg)
    t_wf = time.perf_counter() - t0
    outcome = core.reconcile(con, settings, as_of, ctx.cfg.base_currency, manual=manual, forbidden=forbidden)
    t = time.perf_counter()
    suggest.suggest(con, settings)
    t_sugg = time.perf_counter() - t
    t = time.perf_counter()
    ref = core.ref_pass_name(settings) or "reference"
    sqlrun.run_script(con, "recon/persist", {"as_of": as_of, "run_id": run_id, "ref_pass": ref})
    t_persist = time.perf_counter() - t
    t = time.perf_counter()
    life_cur_view(con)
    life = lifecycle.publish(con, settings, as_of, run_id, RECON_CATS, "RECON")
    t_life = time.perf_counter() - t
    # straight-through: trades matched automatically with no break of any kind
    in_breaks = int(store.scalar(
        con,
        "SELECT count(DISTINCT t) FROM (SELECT unnest(trade_ids) AS t FROM tmp_rc_breaks WHERE kind IN ('MISMATCH', 'SETTLEMENT'))",
    ) or 0)
    manual_trades = int(store.scalar(con, "SELECT count(DISTINCT trade_id) FROM tmp_rc_manual") or 0)
    auto = outcome.trades_matched - manual_trades
    n = max(outcome.trades, 1)
    extra: list[tuple[str, str, str, float]] = [
        ("trades", "all", "all", outcome.trades),
        ("settlements", "all", "all", outcome.settlements),
        ("trades_matched", "all", "all", outcome.trades_matched),
        ("settlements_matched", "all", "all", outcome.settlements_matched),
        ("auto_match_rate", "all", "all", auto / n if outcome.trades else 0.0),
        ("stp_rate", "all", "all", max(auto - in_breaks, 0) / n if outcome.trades else 0.0),
    ]
    extra += [("matches", "pass", k, v) for k, v in outcome.matches_by_pass.items()]
    secs = {**outcome.seconds, "workflow_read": t_wf, "suggestions": t_sugg, "persist": t_persist, "lifecycle": t_life}
    t = time.perf_counter()
    write_stats(con, as_of, run_id, "RECON", RECON_CATS, extra + [("seconds", "phase", k, v) for k, v in secs.items()])
    n_res, n_reo = lifecycle.sync_system_events(ctx.cfg, con, as_of, run_id, RECON_CATS, "RECON")
    secs["events"] = time.perf_counter() - t
    return {
        "trades": outcome.trades,
        "settlements": outcome.settlements,
        "matches_by_pass": outcome.matches_by_pass,
        "auto_match_rate": round(auto / n, 4) if outcome.trades else 0.0,
        "stp_rate": round(max(auto - in_breaks, 0) / n, 4) if outcome.trades else 0.0,
        "breaks": sum(outcome.breaks_by_type.values()),
        "breaks_by_type": outcome.breaks_by_type,
        "open_breaks": life.new + life.persisting,
        "new": life.new,
        "persisting": life.persisting,
        "resolved": life.resolved,
        "auto_resolved_events": n_res,
        "auto_reopened_events": n_reo,
        "phase_seconds": {k: round(v, 3) for k, v in secs.items()},
    }


def step_reconcile(ctx: RunContext) -> StepResult:
    """Run step ``reconciliation``: FO trades against BO settlements, breaks and their life."""
    settings = load_settings(ctx.cfg)
    summary = reconcile_for_run(ctx, settings)
    return StepResult(rows_out=int(summary["breaks"]), summary=summary)


def step_cash(ctx: RunContext) -> StepResult:
    """Run step ``cash_reconciliation``: expected cash from settled trades against statements."""
    settings = load_settings(ctx.cfg)
    if not settings.cash.enabled:
        return StepResult(rows_out=0, summary={"enabled": False})
    summary = cash.reconcile_cash_for_run(ctx, settings)
    return StepResult(rows_out=int(summary["breaks"]), summary=summary)

"""Breaks across runs: stable ids, NEW / PERSISTING / RESOLVED, ageing, and the run's system
events in the workflow store.

- A break's id is stable and readable (``'BRK-' + kind code + '-' + anchor record``, e.g.
  ``BRK-MM-T000123``), so the same problem on the same record has the same id every day.
- out_breaks for a date holds the breaks present (NEW or PERSISTING, first_seen carried over
  from the previous run date) and those resolved since the previous run date (RESOLVED).
- life_breaks is refreshed from the out_breaks history of the touched breaks, so a re-run of a
  date gives the same rows.
- System events are state-based: the run appends AUTO_RESOLVED for a break that has gone and
  whose latest system event is not already AUTO_RESOLVED, and AUTO_REOPENED for a break present
  again whose latest system event is AUTO_RESOLVED. Re-running a date with the same data adds
  nothing; a run that failed after writing events is corrected by the next one. Events are only
  written by a run of the latest run date (re-running an older date does not rewrite history).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from engine import store
from engine.config import Config
from engine.recon import sqlrun, wfstore
from engine.recon.settings import ReconSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LifecycleResult:
    new: int
    persisting: int
    resolved: int
    events_resolved: int = 0
    events_reopened: int = 0


def bucket_labels(buckets: tuple[int, int, int]) -> tuple[str, str, str, str]:
    b1, b2, b3 = buckets
    return (f"0-{b1}", f"{b1 + 1}-{b2}", f"{b2 + 1}-{b3}", f">{b3}")


def previous_run_date(con: duckdb.DuckDBPyConnection, as_of: date, scope: str) -> date | None:
    return store.scalar(  # type: ignore[no-any-return]
        con, "SELECT max(as_of) FROM out_recon_stats WHERE scope = $scope AND as_of < $as_of",
        {"scope": scope, "as_of": as_of},
    )


def latest_run_date(con: duckdb.DuckDBPyConnection, scope: str) -> date | None:
    return store.scalar(con, "SELECT max(as_of) FROM out_recon_stats WHERE scope = $scope", {"scope": scope})  # type: ignore[no-any-return]


def publish(con: duckdb.DuckDBPyConnection, settings: ReconSettings, as_of: date, run_id: int,
            cats: list[str], scope: str) -> LifecycleResult:
    """Write out_breaks for the date from ``tmp_life_cur`` and refresh life_breaks."""
    prev = previous_run_date(con, as_of, scope)
    l1, l2, l3, l4 = bucket_labels(settings.age_buckets)
    b1, b2, b3 = settings.age_buckets
    sqlrun.run_script(con, "recon/life_publish", {
        "as_of": as_of, "run_id": run_id, "prev": prev, "cats": cats,
        "b1": b1, "b2": b2, "b3": b3, "l1": l1, "l2": l2, "l3": l3, "l4": l4,
    })
    sqlrun.run_script(con, "recon/life_refresh", {"as_of": as_of, "run_id": run_id, "cats": cats, "scope": scope})
    counts = store.query(
        con,
        "SELECT lifecycle, count(*) AS n FROM out_breaks WHERE as_of = $as_of AND list_contains($cats, category) GROUP BY 1",
        {"as_of": as_of, "cats": cats},
    )
    c = {r["lifecycle"]: int(r["n"]) for r in counts.iter_rows(named=True)}
    return LifecycleResult(c.get("NEW", 0), c.get("PERSISTING", 0), c.get("RESOLVED", 0))


def sync_system_events(cfg: Config, con: duckdb.DuckDBPyConnection, as_of: date, run_id: int,
                       cats: list[str], scope: str) -> tuple[int, int]:
    """Append the run's AUTO_RESOLVED / AUTO_REOPENED events; returns (resolved, reopened)."""
    latest = latest_run_date(con, scope)
    if latest is not None and latest > as_of:
        log.info("run for %s is older than the latest run %s: no system events", as_of, latest)
        return 0, 0
    cur = store.query(
        con,
        "SELECT break_id, lifecycle, kind, anchor, category FROM out_breaks "
        "WHERE as_of = $as_of AND list_contains($cats, category)",
        {"as_of": as_of, "cats": cats},
    )
    cand = cur.select("break_id") if cur.height else pl.DataFrame({"break_id": []}, schema={"break_id": pl.Utf8})

    def compute(state: pl.DataFrame) -> pl.DataFrame:
        con.register("tmp_wf_state", state)
        try:
            return sqlrun.query_script(con, "recon/life_events", {"as_of": as_of, "cats": cats})
        finally:
            con.unregister("tmp_wf_state")

    events = wfstore.sync_events(cfg, cand, compute, as_of, run_id)
    n_res = int(events.filter(pl.col("event_type") == "AUTO_RESOLVED").height) if events.height else 0
    n_reo = events.height - n_res
    log.info("system events for %s: %d resolved, %d reopened", as_of, n_res, n_reo)
    return n_res, n_reo

"""Reads and writes of the break workflow store (``store.workflow_path``).

Every function opens the workflow store for one short transaction and closes it, so that a
person's action and the run's system events never wait long for each other.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import polars as pl

from engine import store
from engine.config import Config
from engine.recon import sqlrun

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "system"
EVENT_COLUMNS = (
    "event_id", "break_id", "event_type", "actor", "at", "payload", "match_id", "related_break_ids",
    "requires_approval", "ref_event_id", "as_of", "run_id",
)


def read_overrides(cfg: Config) -> tuple[list[tuple[str, str | None, str | None]], list[tuple[str, str]]]:
    """Manual matches in force (members) and forbidden pairs (manual unmatches)."""
    with store.connect_workflow(cfg) as con:
        manual = sqlrun.query_script(con, "recon/wf_manual_matches")
        forbidden = sqlrun.query_script(con, "recon/wf_forbidden_pairs")
    m = [(r[0], r[1], r[2]) for r in manual.iter_rows()] if manual.height else []
    f = [(r[0], r[1]) for r in forbidden.iter_rows()] if forbidden.height else []
    return m, f


def sync_events(cfg: Config, candidates: pl.DataFrame, compute: Callable[[pl.DataFrame], pl.DataFrame],
                as_of: date, run_id: int) -> pl.DataFrame:
    """In ONE short connection to the workflow store: read the latest system event of each
    candidate break (and of every break whose latest system event is AUTO_REOPENED), let
    ``compute`` turn that state into the events to append (columns break_id, event_type,
    payload), and append them. Returns the appended events."""
    now = datetime.now()
    with store.connect_workflow(cfg) as con:
        con.register("tmp_wf_cand", candidates.select("break_id"))
        try:
            state = sqlrun.query_script(con, "recon/wf_system_state")
        finally:
            con.unregister("tmp_wf_cand")
        if state.is_empty():
            state = pl.DataFrame(schema={"break_id": pl.Utf8, "last_system_event": pl.Utf8})
        events = compute(state)
        if events.is_empty():
            return events
        con.register("tmp_wf_new", events.select("break_id", "event_type", "payload"))
        try:
            with store.transaction(con):
                con.execute(
                    'INSERT INTO wf_break_events (break_id, event_type, actor, "at", payload, as_of, run_id) '
                    "SELECT break_id, event_type, $actor, $at, payload, $as_of, $run_id FROM tmp_wf_new "
                    "ORDER BY break_id",
                    {"actor": SYSTEM_ACTOR, "at": now, "as_of": as_of, "run_id": run_id},
                )
        finally:
            con.unregister("tmp_wf_new")
    return events


def payload(**values: Any) -> str:
    """A JSON payload with stable key order (dates as ISO text)."""
    return json.dumps({k: v for k, v in values.items() if v is not None}, default=str, sort_keys=True)

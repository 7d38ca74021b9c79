"""Suggested matches: for every unmatched record that is a break, the best few candidates on the
other side with a score and the fields that differ (``tmp_rc_sugg``; see recon/suggest.sql)."""

from __future__ import annotations

import logging

import duckdb

from engine import store
from engine.recon import sqlrun
from engine.recon.settings import ReconSettings

log = logging.getLogger(__name__)


def suggest(con: duckdb.DuckDBPyConnection, settings: ReconSettings) -> int:
    """Create ``tmp_rc_sugg`` from the leftovers of the passes; returns its row count."""
    sqlrun.run_script(con, "recon/suggest", {"k": settings.suggestions_per_record})
    return int(store.scalar(con, "SELECT count(*) FROM tmp_rc_sugg") or 0)

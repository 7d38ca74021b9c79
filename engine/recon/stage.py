"""Stage the two sides of the reconciliation as of a date (scratch tables ``tmp_rc_*``).

- ``tmp_rc_scope``: the asset classes in scope.
- ``tmp_rc_cal``: business-day ordinals (``bd``) for date windows and ageing.
- ``tmp_rc_fo``: view over ``tmp_trades_asof`` (live trades), in-scope only.
- ``tmp_rc_bo``: each settlement's latest state known on the date.
- ``tmp_rc_fx``: each currency's latest rate to the base currency on the date.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import duckdb

from engine.recon import sqlrun
from engine.recon.settings import ReconSettings

log = logging.getLogger(__name__)

CAL_YEARS_BACK = 15
CAL_YEARS_FORWARD = 5


def create_calendar(con: duckdb.DuckDBPyConnection, settings: ReconSettings, as_of: date) -> None:
    """``tmp_rc_cal``: a row per day within 15 years before and 5 after ``as_of``."""
    sqlrun.run_script(
        con,
        "recon/calendar",
        {
            "start": as_of - timedelta(days=365 * CAL_YEARS_BACK),
            "end": as_of + timedelta(days=365 * CAL_YEARS_FORWARD),
            "calendar": settings.calendar,
        },
    )


def stage(con: duckdb.DuckDBPyConnection, settings: ReconSettings, as_of: date) -> None:
    """Create the staging scratch tables."""
    con.execute("CREATE OR REPLACE TEMP TABLE tmp_rc_scope (asset_class VARCHAR)")
    if settings.scope_asset_classes:
        con.executemany("INSERT INTO tmp_rc_scope VALUES (?)", [[a] for a in settings.scope_asset_classes])
    create_calendar(con, settings, as_of)
    sqlrun.run_script(con, "recon/stage_fo")
    sqlrun.run_script(con, "recon/stage_bo", {"as_of": as_of, "ignore": list(settings.ignore_settlement_statuses)})
    sqlrun.run_script(con, "recon/fx", {"as_of": as_of})
    log.info("recon staging as of %s done", as_of)

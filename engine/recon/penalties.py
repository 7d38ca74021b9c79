"""CSDR settlement-fail penalties (Regulation (EU) No 909/2014 art. 7, Delegated Regulation
(EU) 2017/389): an estimate of the cash penalty each failing settlement has accrued.

Daily rate x reference value for every business day from the intended settlement date to the
run date (inclusive) the settlement is still open; rates per instrument type in
``[reconciliation.penalties]`` (1.0 bp liquid shares, 0.5 bp illiquid shares, 0.10 bp sovereign
bonds, 0.20 bp other bonds; lack of cash at a configured rate). The payer follows the reason
code: LACK/MONY (we fail) -> US; CLAC/CMON (the counterparty fails) -> COUNTERPARTY.
"""

from __future__ import annotations

import logging
from datetime import date

import duckdb

from engine.recon import sqlrun
from engine.recon.settings import PenaltySettings

log = logging.getLogger(__name__)


def compute_penalties(con: duckdb.DuckDBPyConnection, pen: PenaltySettings, as_of: date, base_currency: str) -> None:
    """Create ``tmp_rc_pen`` (one row per failing settlement break) from ``tmp_rc_breaks``."""
    if not pen.enabled:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE tmp_rc_pen (break_id VARCHAR, days_failing INTEGER, rate_bp DECIMAL(12,6), "
            "penalty_ccy DECIMAL(24,4), penalty_base DECIMAL(24,4), penalty_payer VARCHAR)"
        )
        return
    sqlrun.run_script(
        con,
        "recon/penalties",
        {
            "as_of": as_of,
            "base": base_currency,
            "cash_codes": list(pen.cash_reason_codes),
            "our_codes": list(pen.our_reason_codes),
            "their_codes": list(pen.counterparty_reason_codes),
            "liquid_bp": pen.liquid_shares_bp,
            "illiquid_bp": pen.illiquid_shares_bp,
            "sovereign_bp": pen.sovereign_bonds_bp,
            "other_bp": pen.other_bonds_bp,
            "cash_bp": pen.lack_of_cash_bp,
        },
    )

"""The reconciliation of one date on one connection: stage, match, classify, price the fails.

:func:`reconcile` leaves its results in scratch tables (``tmp_rc_*``) on the connection; the
run step (:mod:`engine.recon.step`) persists them, and the benchmark times them. Nothing here
begins or commits a transaction.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from engine import store
from engine.recon import classify, passes, penalties, sqlgen, sqlrun, stage
from engine.recon.fields import SETTLE_BIT
from engine.recon.settings import ReconSettings

log = logging.getLogger(__name__)

FIELD_BITS = SETTLE_BIT - 1


@dataclass(frozen=True)
class ReconOutcome:
    """Counts and timings of one reconciliation (the scratch tables hold the rows)."""

    as_of: date
    trades: int
    settlements: int
    matches_by_pass: dict[str, int]
    trades_matched: int
    settlements_matched: int
    breaks_by_type: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "trades": self.trades,
            "settlements": self.settlements,
            "matches_by_pass": self.matches_by_pass,
            "trades_matched": self.trades_matched,
            "settlements_matched": self.settlements_matched,
            "breaks_by_type": self.breaks_by_type,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


def ref_pass_name(settings: ReconSettings) -> str | None:
    ref = next((p for p in settings.passes if p.method == "reference"), None)
    return ref.name if ref else None


def reconcile(
    con: duckdb.DuckDBPyConnection,
    settings: ReconSettings,
    as_of: date,
    base_currency: str,
    *,
    manual: list[tuple[str, str | None, str | None]] | None = None,
    forbidden: list[tuple[str, str]] | None = None,
    staged: bool = False,
    with_penalties: bool = True,
) -> ReconOutcome:
    """Reconcile ``tmp_trades_asof`` against ``bo_settlements`` as of ``as_of``.

    ``manual``: members of active manual matches (match_id, trade_id, settlement_id; one id per
    row); ``forbidden``: (trade_id, settlement_id) pairs a person unmatched. ``staged=True``
    skips staging (the caller created ``tmp_rc_fo``/``tmp_rc_bo``/``tmp_rc_cal``/``tmp_rc_fx``).
    """
    with sqlrun.scratch_checkpoints_off(con):
        return _reconcile(con, settings, as_of, base_currency, manual=manual, forbidden=forbidden,
                          staged=staged, with_penalties=with_penalties)


def _reconcile(
    con: duckdb.DuckDBPyConnection, settings: ReconSettings, as_of: date, base_currency: str, *,
    manual: list[tuple[str, str | None, str | None]] | None, forbidden: list[tuple[str, str]] | None,
    staged: bool, with_penalties: bool,
) -> ReconOutcome:
    secs: dict[str, float] = {}
    t0 = time.perf_counter()
    sqlrun.run_script(con, "recon/macros")
    sqlrun.execute(con, sqlgen.signature_macro(settings.compare))
    if not staged:
        stage.stage(con, settings, as_of)
    secs["stage"] = time.perf_counter() - t0
    t = time.perf_counter()
    passes.load_overrides(con, manual or [], forbidden or [])
    pstats = passes.run_passes(con, settings, as_of)
    secs["passes"] = time.perf_counter() - t
    for k, v in pstats.seconds.items():
        secs[f"pass:{k}"] = v
    t = time.perf_counter()
    ref = ref_pass_name(settings)
    classify.classify(con, settings, as_of, base_currency, ref)
    secs["classify"] = time.perf_counter() - t
    t = time.perf_counter()
    if with_penalties:
        penalties.compute_penalties(con, settings.penalties, as_of, base_currency)
    secs["penalties"] = time.perf_counter() - t
    t = time.perf_counter()
    jc = pstats.join
    counts = store.query(
        con,
        "SELECT (SELECT count(*) FROM tmp_rc_x) AS x_pairs, "
        "(SELECT count(*) - count(DISTINCT trade_id) FROM tmp_rc_x "
        " WHERE trade_id IN (SELECT trade_ref FROM tmp_rc_dupref)) AS dup_extra, "
        "(SELECT count(DISTINCT trade_id) FROM tmp_rc_gm) AS gm_trades, "
        "(SELECT count(DISTINCT settlement_id) FROM tmp_rc_gm) AS gm_settlements",
    ).row(0, named=True)
    total = jc["total"]
    by_pass = store.query(con, "SELECT pass_name, count(DISTINCT match_id) AS n FROM tmp_rc_gm GROUP BY 1")
    matches = {r["pass_name"]: int(r["n"]) for r in by_pass.iter_rows(named=True)}
    hot = jc["pairs"] - int(counts["x_pairs"])
    if ref:
        matches[ref] = matches.get(ref, 0) + hot
    types = store.query(con, "SELECT break_type, count(*) AS n FROM tmp_rc_breaks GROUP BY 1 ORDER BY 1")
    secs["counts"] = time.perf_counter() - t
    secs["total"] = time.perf_counter() - t0
    outcome = ReconOutcome(
        as_of=as_of,
        trades=total - jc["bo_only"] - int(counts["dup_extra"]),
        settlements=total - jc["fo_only"],
        matches_by_pass=matches,
        trades_matched=hot + int(counts["gm_trades"]),
        settlements_matched=hot + int(counts["gm_settlements"]),
        breaks_by_type={r["break_type"]: int(r["n"]) for r in types.iter_rows(named=True)},
        seconds=secs,
    )
    log.info("reconciliation %s", outcome.to_dict())
    return outcome

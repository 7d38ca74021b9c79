"""Cash reconciliation: the cash we expect from settled trades (amount, currency, value date)
against the entries of cash statements (camt.053 / camt.054), with the same pass mechanism.

Expected cash: one flow per settlement event (a custodian record whose settled quantity grew):
the growth of the settled amount, signed (DELIVER +, RECEIVE -), in the settlement currency, on
the actual settlement date, on the cash account of the settlement's safekeeping account. Passes:

1. reference: the entry's reference is the settlement id of the expected flow (the custodian's
   SEME, echoed on the statement), same value date first (1:1; 1:N: a duplicate entry and its
   reversal), then any value date;
2. economic: exact keys (cash account, currency), a value-date window, the amount within
   tolerance; 1:1, mutual best, a few rounds;
3. aggregate: per exact key (cash account, currency, value date) the sums agree (netted).

Breaks (category CASH): CASH_MISSING, CASH_UNEXPECTED, and CASH_NCRR / CASH_DMON / CASH_DDAT for
matches out of tolerance. They share the lifecycle and workflow of the securities breaks.
"""

from __future__ import annotations

import logging
import time
from datetime import date
from typing import Any

import duckdb

from engine import store
from engine.recon import core, lifecycle, sqlgen, sqlrun
from engine.recon.settings import PassSpec, ReconSettings
from engine.recon.sqlgen import Params
from engine.recon.stats import write_stats

log = logging.getLogger(__name__)

CASH_CATS = ["CASH"]


def _remove_matched(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DELETE FROM tmp_cash_lexp WHERE expected_id IN (SELECT expected_id FROM tmp_cash_gm WHERE expected_id IS NOT NULL)")
    con.execute("DELETE FROM tmp_cash_lmov WHERE movement_id IN (SELECT movement_id FROM tmp_cash_gm WHERE movement_id IS NOT NULL)")


def _economic(con: duckdb.DuckDBPyConnection, settings: ReconSettings, spec: PassSpec) -> int:
    params = Params()
    conds = [" AND ".join(f"e.{k} = m.{k}" for k in spec.keys)]
    if spec.date_field:
        if spec.date_window_bdays == 0:
            conds.append("e.value_bd = m.value_bd")     # an equality joins by hash
        else:
            w = params.add("window", spec.date_window_bdays)
            conds.append(f"abs(m.value_bd - e.value_bd) <= {w}")
    if "amount" in spec.require:
        conds.append(sqlgen.within(settings.cash.amount, "e.amount", "m.amount", params, "number",
                                   unit="greatest(e.minor_unit, m.minor_unit)"))
    score = ("CAST(coalesce(abs(m.amount - e.amount), 0) AS DOUBLE) / (1 + abs(CAST(e.amount AS DOUBLE))) "
             "+ coalesce(abs(m.value_bd - e.value_bd), 5) / 10.0 "
             "+ CASE WHEN m.entry_ref IS NOT DISTINCT FROM e.settlement_id THEN -1 ELSE 0 END")
    sql = (f"CREATE OR REPLACE TEMP TABLE tmp_cash_ec AS SELECT e.expected_id, m.movement_id, {score} AS score "  # noqa: S608 - identifiers from code, values bound
           f"FROM tmp_cash_lexp AS e JOIN tmp_cash_lmov AS m ON {' AND '.join(conds)}")
    sqlgen.debug_sql(f"cash economic {spec.name}", sql, params)
    con.execute(sql, dict(params))
    total = 0
    for _ in range(settings.max_rounds):
        con.execute(
            "CREATE OR REPLACE TEMP TABLE tmp_cash_ecm AS SELECT expected_id, movement_id FROM ("
            "SELECT expected_id, movement_id, "
            "row_number() OVER (PARTITION BY expected_id ORDER BY score, movement_id) AS re, "
            "row_number() OVER (PARTITION BY movement_id ORDER BY score, expected_id) AS rm "
            "FROM tmp_cash_ec) WHERE re = 1 AND rm = 1"
        )
        n = int(store.scalar(con, "SELECT count(*) FROM tmp_cash_ecm") or 0)
        if not n:
            break
        total += n
        con.execute(
            "INSERT INTO tmp_cash_gm SELECT 'T:' || expected_id, $p, 'ECONOMIC', expected_id, NULL FROM tmp_cash_ecm "
            "UNION ALL SELECT 'T:' || expected_id, $p, 'ECONOMIC', NULL, movement_id FROM tmp_cash_ecm",
            {"p": spec.name},
        )
        con.execute("DELETE FROM tmp_cash_ec WHERE expected_id IN (SELECT expected_id FROM tmp_cash_ecm) "
                    "OR movement_id IN (SELECT movement_id FROM tmp_cash_ecm)")
    _remove_matched(con)
    return total


def _aggregate(con: duckdb.DuckDBPyConnection, settings: ReconSettings, spec: PassSpec) -> int:
    params = Params()
    keys = ", ".join(spec.keys)
    notnull = " AND ".join(f"{k} IS NOT NULL" for k in spec.keys)
    conds = [" AND ".join(f"ea.{k} = ma.{k}" for k in spec.keys)]
    if "amount" in spec.require:
        conds.append(sqlgen.within(settings.cash.amount, "ea.amount", "ma.amount", params, "number",
                                   unit="greatest(ea.minor_unit, ma.minor_unit)"))
    sql = (
        "CREATE OR REPLACE TEMP TABLE tmp_cash_ag AS "  # noqa: S608 - identifiers from code, values bound
        f"WITH ea AS (SELECT {keys}, count(*) AS n, sum(amount) AS amount, min(expected_id) AS first_id, max(minor_unit) AS minor_unit "
        f"FROM tmp_cash_lexp WHERE {notnull} GROUP BY {keys}), "
        f"ma AS (SELECT {keys}, count(*) AS n, sum(amount) AS amount, max(minor_unit) AS minor_unit FROM tmp_cash_lmov WHERE {notnull} GROUP BY {keys}) "
        f"SELECT {', '.join('ea.' + k for k in spec.keys)}, 'G:' || ea.first_id AS match_id "
        f"FROM ea JOIN ma ON {' AND '.join(conds)} WHERE ea.n + ma.n > 2"
    )
    sqlgen.debug_sql(f"cash aggregate {spec.name}", sql, params)
    con.execute(sql, dict(params))
    n = int(store.scalar(con, "SELECT count(*) FROM tmp_cash_ag") or 0)
    if n:
        j = " AND ".join(f"x.{k} = a.{k}" for k in spec.keys)
        con.execute(
            f"INSERT INTO tmp_cash_gm SELECT a.match_id, $p, 'AGGREGATE', x.expected_id, NULL FROM tmp_cash_lexp x JOIN tmp_cash_ag a ON {j} "  # noqa: S608 - identifiers from code, values bound
            f"UNION ALL SELECT a.match_id, $p, 'AGGREGATE', NULL, x.movement_id FROM tmp_cash_lmov x JOIN tmp_cash_ag a ON {j}",
            {"p": spec.name},
        )
        _remove_matched(con)
    return n


def reconcile_cash(con: duckdb.DuckDBPyConnection, settings: ReconSettings, as_of: date, base_currency: str) -> dict[str, Any]:
    """Cash reconciliation on the securities scratch tables; leaves ``tmp_cash_*``."""
    secs: dict[str, float] = {}
    t = time.perf_counter()
    sqlrun.run_script(con, "recon/cash_stage", {"as_of": as_of})
    secs["stage"] = time.perf_counter() - t
    matches: dict[str, int] = {}
    ref = next((p for p in settings.cash.passes if p.method == "reference"), None)
    t = time.perf_counter()
    if ref is not None:
        sqlrun.run_script(con, "recon/cash_reference", {"pass_name": ref.name})
        matches[ref.name] = int(store.scalar(con, "SELECT count(DISTINCT match_id) FROM tmp_cash_gm") or 0)
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE tmp_cash_gm (match_id VARCHAR, pass_name VARCHAR, method VARCHAR, "
                    "expected_id VARCHAR, movement_id VARCHAR)")
    sqlrun.run_script(con, "recon/cash_leftovers")
    for spec in settings.cash.passes:
        if spec.method == "economic":
            matches[spec.name] = _economic(con, settings, spec)
        elif spec.method == "aggregate":
            matches[spec.name] = _aggregate(con, settings, spec)
    secs["passes"] = time.perf_counter() - t
    t = time.perf_counter()
    tol = settings.cash.amount
    sqlrun.run_script(con, "recon/cash_classify", {
        "as_of": as_of, "amt_abs": tol.abs, "amt_rel": tol.rel, "amt_minor": tol.minor_units,
        "amt_desc": tol.describe("number"), "vd_bdays": settings.cash.value_date.bdays,
        "unexpected_all": not settings.cash.unexpected_requires_reference, "base": base_currency,
    })
    secs["classify"] = time.perf_counter() - t
    counts = store.query(
        con,
        "SELECT (SELECT count(*) FROM tmp_cash_exp) AS expected, (SELECT count(*) FROM tmp_cash_mov) AS movements",
    ).row(0, named=True)
    types = store.query(con, "SELECT break_type, count(*) AS n FROM tmp_cash_breaks GROUP BY 1 ORDER BY 1")
    return {
        "expected": int(counts["expected"]),
        "movements": int(counts["movements"]),
        "matches_by_pass": matches,
        "breaks_by_type": {r["break_type"]: int(r["n"]) for r in types.iter_rows(named=True)},
        "seconds": secs,
    }


def _has_recon_scratch(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(store.scalar(
        con, "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = 'tmp_rc_sbo'"
    ))


def reconcile_cash_for_run(ctx: Any, settings: ReconSettings) -> dict[str, Any]:
    """The cash step of the run: reconcile, persist, lifecycle, statistics, system events."""
    con, as_of, run_id = ctx.con, ctx.as_of, ctx.run_id
    if not _has_recon_scratch(con):  # the securities step did not run in this run: redo its matching
        from engine.recon import wfstore
        manual, forbidden = wfstore.read_overrides(ctx.cfg)
        core.reconcile(con, settings, as_of, ctx.cfg.base_currency, manual=manual, forbidden=forbidden,
                       with_penalties=False)
    t0 = time.perf_counter()
    out = reconcile_cash(con, settings, as_of, ctx.cfg.base_currency)
    t = time.perf_counter()
    sqlrun.run_script(con, "recon/cash_persist", {"as_of": as_of, "run_id": run_id})
    con.execute("CREATE OR REPLACE TEMP VIEW tmp_life_cur AS SELECT * FROM tmp_cash_breaks")
    life = lifecycle.publish(con, settings, as_of, run_id, CASH_CATS, "CASH")
    out["seconds"]["persist_lifecycle"] = time.perf_counter() - t
    n_exp = max(out["expected"], 1)
    matched_exp = int(store.scalar(con, "SELECT count(DISTINCT expected_id) FROM tmp_cash_gm") or 0)
    extra = [
        ("expected", "all", "all", out["expected"]),
        ("movements", "all", "all", out["movements"]),
        ("expected_matched", "all", "all", matched_exp),
        ("auto_match_rate", "all", "all", matched_exp / n_exp if out["expected"] else 0.0),
    ]
    extra += [("matches", "pass", k, v) for k, v in out["matches_by_pass"].items()]
    out["seconds"]["total"] = time.perf_counter() - t0
    extra += [("seconds", "phase", k, v) for k, v in out["seconds"].items()]
    write_stats(con, as_of, run_id, "CASH", CASH_CATS, extra)
    n_res, n_reo = lifecycle.sync_system_events(ctx.cfg, con, as_of, run_id, CASH_CATS, "CASH")
    breaks = sum(out["breaks_by_type"].values())
    return {
        **{k: v for k, v in out.items() if k != "seconds"},
        "breaks": breaks,
        "open_breaks": life.new + life.persisting,
        "new": life.new, "persisting": life.persisting, "resolved": life.resolved,
        "auto_resolved_events": n_res, "auto_reopened_events": n_reo,
        "phase_seconds": {k: round(v, 3) for k, v in out["seconds"].items()},
    }

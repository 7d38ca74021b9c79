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

How it stays fast: staging pairs each expected flow with the one entry that carries its settlement
id on the same value date in a single full outer join, and checks the pair's currency and amount
there (``tmp_cash_ref``, one narrow row per flow or unpaired entry). Nearly every flow is such a
clean 1:1 pair; only the other flows and entries (``tmp_cash_ed`` / ``tmp_cash_md``, read in full)
go through the rest of the reference pass, the other passes and the classification, and their
matches are the only ones stored id by id (``tmp_cash_gmx``). ``tmp_cash_gm`` is a view of every
match's members.
"""

from __future__ import annotations

import logging
import time
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Any

import duckdb

from engine import store
from engine.recon import core, lifecycle, sqlgen, sqlrun
from engine.recon.settings import PassSpec, ReconSettings, Tolerance
from engine.recon.sqlgen import Params
from engine.recon.stats import write_stats

log = logging.getLogger(__name__)

CASH_CATS = ["CASH"]


def _remove_matched(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DELETE FROM tmp_cash_lexp WHERE expected_id IN (SELECT expected_id FROM tmp_cash_gmx WHERE expected_id IS NOT NULL)")
    con.execute("DELETE FROM tmp_cash_lmov WHERE movement_id IN (SELECT movement_id FROM tmp_cash_gmx WHERE movement_id IS NOT NULL)")


def _amount_band(con: duckdb.DuckDBPyConnection, tol: Tolerance) -> int | None:
    """An upper bound of |statement amount - expected amount| for a leftover pair within ``tol``
    (with the largest minor unit among the leftovers), in ten-thousandths, the scale of the
    amounts; None when the tolerance is relative (the bound grows with the amount)."""
    if tol.rel > 0:
        return None
    unit = store.scalar(con, "SELECT max(minor_unit) FROM (SELECT minor_unit FROM tmp_cash_lexp "
                             "UNION ALL SELECT minor_unit FROM tmp_cash_lmov)")
    band = max(tol.abs, tol.minor_units * Decimal(unit or 0))
    return int((band * 10000).to_integral_value(rounding=ROUND_CEILING))


def _economic(con: duckdb.DuckDBPyConnection, settings: ReconSettings, spec: PassSpec) -> int:
    """Pairs leftovers 1:1 on the keys, the value-date window and the amount tolerance (mutual
    best candidates, a few rounds). The join is by hash on the keys, the business day and a band
    of the amount: each expected flow is repeated for every day of the window and for the
    neighbouring amount bands, so that only candidates are compared (with few cash accounts,
    the keys alone would compare nearly every leftover of an account with every other); the
    window and tolerance themselves are still tested on each candidate."""
    params = Params()
    expand, join_cols = "", []   # the expected side repeated, with the business day and amount band to join on
    conds = [" AND ".join(f"e.{k} = m.{k}" for k in spec.keys)]
    if spec.date_field:
        if spec.date_window_bdays == 0:
            conds.append("e.value_bd = m.value_bd")     # an equality joins by hash
        else:
            w = params.add("window", spec.date_window_bdays)
            expand += f" CROSS JOIN range(-{w}, {w} + 1) AS dd(k)"
            join_cols.append("x.value_bd + dd.k AS j_bd")
            conds.append(f"m.value_bd = e.j_bd AND abs(m.value_bd - e.value_bd) <= {w}")
    if "amount" in spec.require:
        band = _amount_band(con, settings.cash.amount)
        if band == 0:
            conds.append("e.amount = m.amount")
        elif band is not None:   # |difference| <= band: the bands (integer division) differ by at most one
            b = params.add("band", band)
            expand += " CROSS JOIN range(-1, 2) AS da(k)"
            join_cols.append(f"CAST(x.amount * 10000 AS HUGEINT) // {b} + da.k AS j_amount")
            conds.append(f"CAST(m.amount * 10000 AS HUGEINT) // {b} = e.j_amount")
        conds.append(sqlgen.within(settings.cash.amount, "e.amount", "m.amount", params, "number",
                                   unit="greatest(e.minor_unit, m.minor_unit)"))
    # materialised, so that the repetition happens before the join and not on its result
    lexp = f"SELECT x.*{''.join(', ' + c for c in join_cols)} FROM tmp_cash_lexp AS x{expand}"  # noqa: S608 - identifiers from code
    score = ("CAST(coalesce(abs(m.amount - e.amount), 0) AS DOUBLE) / (1 + abs(CAST(e.amount AS DOUBLE))) "
             "+ coalesce(abs(m.value_bd - e.value_bd), 5) / 10.0 "
             "+ CASE WHEN m.entry_ref IS NOT DISTINCT FROM e.settlement_id THEN -1 ELSE 0 END")
    sql = (f"CREATE OR REPLACE TEMP TABLE tmp_cash_ec AS WITH e AS MATERIALIZED ({lexp}) "  # noqa: S608 - identifiers from code, values bound
           f"SELECT e.expected_id, m.movement_id, {score} AS score FROM e JOIN tmp_cash_lmov AS m ON {' AND '.join(conds)}")
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
            "INSERT INTO tmp_cash_gmx SELECT 'T:' || expected_id, $p, 'ECONOMIC', expected_id, NULL FROM tmp_cash_ecm "
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
            f"INSERT INTO tmp_cash_gmx SELECT a.match_id, $p, 'AGGREGATE', x.expected_id, NULL FROM tmp_cash_lexp x JOIN tmp_cash_ag a ON {j} "  # noqa: S608 - identifiers from code, values bound
            f"UNION ALL SELECT a.match_id, $p, 'AGGREGATE', NULL, x.movement_id FROM tmp_cash_lmov x JOIN tmp_cash_ag a ON {j}",
            {"p": spec.name},
        )
        _remove_matched(con)
    return n


def _n_matched(con: duckdb.DuckDBPyConnection, column: str) -> int:
    """Distinct matches (``match_id``) or matched flows (``expected_id``) of ``tmp_cash_gm``."""
    n_pairs = store.scalar(con, "SELECT count(*) FROM tmp_cash_ref WHERE pair")
    n_other = store.scalar(con, f"SELECT count(DISTINCT {column}) FROM tmp_cash_gmx")  # noqa: S608 - column from code
    return int(n_pairs or 0) + int(n_other or 0)


def reconcile_cash(con: duckdb.DuckDBPyConnection, settings: ReconSettings, as_of: date, base_currency: str) -> dict[str, Any]:
    """Cash reconciliation on the securities scratch tables; leaves ``tmp_cash_*``."""
    secs: dict[str, float] = {}
    tol = settings.cash.amount
    amounts = {"amt_abs": tol.abs, "amt_rel": tol.rel, "amt_minor": tol.minor_units}
    ref = next((p for p in settings.cash.passes if p.method == "reference"), None)
    t = time.perf_counter()
    sqlrun.run_script(con, "recon/macros")
    sqlrun.run_script(con, "recon/cash_stage", {
        "as_of": as_of, "by_reference": ref is not None, "ref_pass": ref.name if ref else None, **amounts,
    })
    secs["stage"] = time.perf_counter() - t
    matches: dict[str, int] = {}
    t = time.perf_counter()
    if ref is not None:
        sqlrun.run_script(con, "recon/cash_reference", {"pass_name": ref.name})
        matches[ref.name] = _n_matched(con, "match_id")
    sqlrun.run_script(con, "recon/cash_leftovers")
    for spec in settings.cash.passes:
        if spec.method == "economic":
            matches[spec.name] = _economic(con, settings, spec)
        elif spec.method == "aggregate":
            matches[spec.name] = _aggregate(con, settings, spec)
    secs["passes"] = time.perf_counter() - t
    t = time.perf_counter()
    sqlrun.run_script(con, "recon/cash_classify", {
        "as_of": as_of, **amounts, "amt_desc": tol.describe("number"), "vd_bdays": settings.cash.value_date.bdays,
        "unexpected_all": not settings.cash.unexpected_requires_reference, "base": base_currency,
    })
    secs["classify"] = time.perf_counter() - t
    counts = store.query(
        con,
        "SELECT (SELECT count(*) FROM tmp_cash_ref WHERE seq IS NOT NULL) AS expected, "
        "(SELECT count(*) FROM bo_cash_movements WHERE known_date <= $d AND value_date <= $d) AS movements",
        {"d": as_of},
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
    """Did the securities step stage this run's two sides (``tmp_rc_bo``, a temp table; the
    step's later scratch results may be registered Arrow tables, which duckdb_tables() omits)?"""
    return bool(store.scalar(
        con, "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = 'tmp_rc_bo'"
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
    matched_exp = _n_matched(con, "expected_id")
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

"""The matching passes, most precise first; each pass consumes what it matched.

Order: manual matches (from the workflow store) -> the configured passes in order.

The reference pass is the hot path: ONE full outer join of all trades against all settlements
on ``trade_id = trade_ref`` that also flags, per pair, whether any compared field is not exactly
equal (one 64-bit signature of the compared fields per side, computed before the join so that
the join carries two numbers instead of every field) and whether the settlement state is an
issue (failing, partial, pending past its intended settlement date). Nothing else touches every row:
the few pairs with a non-zero mask, the few touched by duplicates, manual matches or manual
unmatches, and the unmatched leftovers are handled by small set-based queries. The join writes
only the rows that need a look: the clean 1:1 pairs, the bulk, are never materialised. Each
settlement is in exactly one row of the join, so they are the settlements in neither
``tmp_rc_pi`` nor ``tmp_rc_x``, each with the trade its reference names.

Scratch tables:
- ``tmp_rc_pi(trade_id, settlement_id, mask, frid, brid)``: the rows of the reference join that
  are not a clean 1:1 pair (one side NULL = unmatched; mask <> 0 = a field not exactly equal or
  a settlement-state issue), with the row ids of the two records in ``tmp_rc_fo``/``tmp_rc_bo``
  so that the records read in full later are fetched by row id rather than by a string key.
- ``tmp_rc_x(trade_id, settlement_id, frid, brid)``: pairs of the reference join taken out of
  the 1:1 set (duplicate references, manual matches, manual unmatches).
- ``tmp_rc_gm(match_id, pass_name, method, trade_id, settlement_id)``: members of every match
  not in the 1:1 reference set, one row per member (the other id NULL).
- ``tmp_rc_gs(match_id, pass_name, trade_id, settlement_id)``: the 1:1 matches of
  the economic pass whose records have equal signatures (``sig`` of ``tmp_rc_nfo``/``nbo``): no
  field can differ, so the classification skips them but for a settlement-state break.
- ``tmp_rc_lfo`` / ``tmp_rc_lbo``: unmatched leftovers with derived columns (rounded amount,
  signed quantity and amount, business-day ordinals).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date

import duckdb

from engine import store
from engine.recon import sqlgen, sqlrun
from engine.recon.fields import BY_NAME, SETTLE_BIT
from engine.recon.settings import PassSpec, ReconSettings
from engine.recon.sqlgen import Params

log = logging.getLogger(__name__)


@dataclass
class PassStats:
    matches: dict[str, int] = field(default_factory=dict)      # pass name -> matches
    records: dict[str, int] = field(default_factory=dict)      # pass name -> trades matched
    seconds: dict[str, float] = field(default_factory=dict)
    join: dict[str, int] = field(default_factory=dict)          # row counts of the reference join


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> int:
    return int(store.scalar(con, sql, params) or 0)


def _exec(con: duckdb.DuckDBPyConnection, label: str, sql: str, params: dict | None = None) -> None:
    sqlgen.debug_sql(label, sql, params)
    sqlrun.execute(con, sql, params)


def load_overrides(con: duckdb.DuckDBPyConnection, manual: list[tuple[str, str | None, str | None]],
                   forbidden: list[tuple[str, str]]) -> None:
    """Scratch tables of the workflow's manual matches (match_id, trade_id, settlement_id: one id
    per member row) and manual unmatches (forbidden trade/settlement pairs)."""
    con.execute("CREATE OR REPLACE TEMP TABLE tmp_rc_manual_raw (match_id VARCHAR, trade_id VARCHAR, settlement_id VARCHAR)")
    con.execute("CREATE OR REPLACE TEMP TABLE tmp_rc_forbid (trade_id VARCHAR, settlement_id VARCHAR)")
    if forbidden:
        con.executemany("INSERT INTO tmp_rc_forbid VALUES (?, ?)", [list(f) for f in forbidden])
    if manual:
        con.executemany("INSERT INTO tmp_rc_manual_raw VALUES (?, ?, ?)", [list(m) for m in manual])
        # a manual match applies only when both of its sides still exist; otherwise it is void
        sqlrun.run_script(con, "recon/manual_members")
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE tmp_rc_manual AS SELECT * FROM tmp_rc_manual_raw")


def reference_join(con: duckdb.DuckDBPyConnection, settings: ReconSettings, as_of: date, enabled: bool) -> None:
    """The hot path: ``tmp_rc_pi``, the rows of the reference join that are not a clean 1:1 pair.

    The clean pairs (the bulk) are not written anywhere: they are the settlements whose row id
    is in neither ``tmp_rc_pi`` nor ``tmp_rc_x`` (each settlement is in exactly one row of the
    join), paired with the trade their reference names; ``recon/persist.sql`` reads them so."""
    if not enabled:
        _exec(con, "pi-none",
              "CREATE OR REPLACE TEMP TABLE tmp_rc_pi AS "
              "SELECT trade_id, CAST(NULL AS VARCHAR) AS settlement_id, 0 AS mask, rowid AS frid, "
              "CAST(NULL AS BIGINT) AS brid FROM tmp_rc_fo "
              "UNION ALL SELECT NULL, settlement_id, 0, NULL, rowid FROM tmp_rc_bo")
        return
    sql = (
        "CREATE OR REPLACE TEMP TABLE tmp_rc_pi AS "  # noqa: S608 - identifiers from code, values bound
        f"SELECT * FROM ({_join_sql(settings)}) AS p "
        "WHERE p.mask <> 0 OR p.trade_id IS NULL OR p.settlement_id IS NULL"
    )
    _exec(con, "pi", sql, {"as_of": as_of})


def _join_sql(settings: ReconSettings, bo_where: str = "", kind: str = "FULL OUTER") -> str:
    """The reference join of ``tmp_rc_fo`` and ``tmp_rc_bo`` on ``trade_id = trade_ref``: the two
    ids, the mask (bit 0: the signatures differ; ``SETTLE_BIT``: the settlement state is an issue;
    0 when a side is missing) and the two row ids; ``bo_where`` filters the settlements joined.
    Binds ``$as_of``."""
    sig = sqlgen.signature(settings.compare)
    return (
        "SELECT f.trade_id, b.settlement_id, "  # noqa: S608 - identifiers from code, values bound
        "CASE WHEN f.trade_id IS NULL OR b.settlement_id IS NULL THEN 0 "
        f"ELSE CAST(f.sig <> b.sig AS INTEGER) | CASE WHEN b.si THEN {SETTLE_BIT} ELSE 0 END END AS mask, "
        "f.rid AS frid, b.rid AS brid "
        f"FROM (SELECT trade_id, rowid AS rid, {sig} AS sig FROM tmp_rc_fo) AS f "
        f"{kind} JOIN (SELECT settlement_id, trade_ref, rowid AS rid, {sig} AS sig, "
        f"{sqlgen.settle_issue('tmp_rc_bo')} AS si FROM tmp_rc_bo {bo_where}) AS b "
        "ON f.trade_id = b.trade_ref"
    )


def join_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts of the reference join without the join: every settlement is in exactly one
    row (paired or alone), and the trades with no settlement add one row each.
    ``total`` rows, ``bo_only`` / ``fo_only`` rows (one side missing), ``pairs``."""
    row = store.query(
        con, "SELECT (SELECT count(*) FROM tmp_rc_bo) AS bo, "
             "(SELECT count(*) FROM tmp_rc_pi WHERE trade_id IS NULL) AS bo_only, "
             "(SELECT count(*) FROM tmp_rc_pi WHERE settlement_id IS NULL) AS fo_only"
    ).row(0, named=True)
    bo, bo_only, fo_only = int(row["bo"]), int(row["bo_only"]), int(row["fo_only"])
    return {"total": bo + fo_only, "bo_only": bo_only, "fo_only": fo_only, "pairs": bo - bo_only}


def find_duplicate_refs(con: duckdb.DuckDBPyConnection, jc: dict[str, int]) -> None:
    """``tmp_rc_dupref(trade_ref, n)``: trades the reference join paired with several
    settlements. Cheap path: the join has exactly as many trade rows as there are trades -> no
    duplicate; else look among the trades whose pairs need a look, and only if they do not
    account for every extra pair, group every settlement by reference."""
    extra = jc["pairs"] + jc["fo_only"] - _count(con, "SELECT count(*) FROM tmp_rc_fo")
    con.execute("DROP TABLE IF EXISTS tmp_rc_dupref_full")
    if extra <= 0:
        con.execute("CREATE OR REPLACE TEMP TABLE tmp_rc_dupref (trade_ref VARCHAR, n BIGINT)")
        return
    sqlrun.run_script(con, "recon/dupref_candidates")
    found = _count(con, "SELECT coalesce(sum(n - 1), 0) FROM tmp_rc_dupref")
    if found < extra:
        log.info("duplicate references beyond the candidates (%d of %d extra pairs): full grouping", found, extra)
        sqlrun.run_script(con, "recon/dupref")
        con.execute("CREATE OR REPLACE TEMP TABLE tmp_rc_dupref_full AS SELECT 1 AS full")


def _full_dupref(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(_count(con, "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = 'tmp_rc_dupref_full'"))


def split_touched(con: duckdb.DuckDBPyConnection, settings: ReconSettings, as_of: date, ref_pass: str | None,
                  jc: dict[str, int]) -> None:
    """Take duplicate references, manual matches and manual unmatches out of the 1:1 set.

    Creates ``tmp_rc_dupref``, ``tmp_rc_x`` and the first rows of ``tmp_rc_gm`` (manual and
    1:N reference groups)."""
    find_duplicate_refs(con, jc)
    has_dup = _count(con, "SELECT count(*) FROM tmp_rc_dupref") > 0
    has_manual = _count(con, "SELECT count(*) FROM tmp_rc_manual") > 0
    has_forbid = _count(con, "SELECT count(*) FROM tmp_rc_forbid") > 0
    full_dup = _full_dupref(con)
    # the trades and settlements whose reference pairs leave the 1:1 set (subqueries of their ids)
    dup_trades = "SELECT trade_ref FROM tmp_rc_dupref"
    trades = [q for q, on in ((dup_trades, has_dup),
                              ("SELECT trade_id FROM tmp_rc_manual WHERE trade_id IS NOT NULL", has_manual),
                              ("SELECT trade_id FROM tmp_rc_forbid", has_forbid)) if on]
    settlements = ["SELECT settlement_id FROM tmp_rc_manual WHERE settlement_id IS NOT NULL"] if has_manual else []
    where = " OR ".join([f"p.trade_id IN ({q})" for q in trades] + [f"p.settlement_id IN ({q})" for q in settlements]) or "FALSE"
    pair = f"p.trade_id IS NOT NULL AND p.settlement_id IS NOT NULL AND ({where})"
    # the pairs that need a look anyway (a duplicated reference's pairs all do) are in tmp_rc_pi
    sql = f"SELECT p.trade_id, p.settlement_id, p.frid, p.brid FROM tmp_rc_pi AS p WHERE {pair}"  # noqa: S608 - identifiers from code
    if ref_pass is not None and (has_manual or has_forbid or full_dup):
        # manual decisions may touch clean pairs, which tmp_rc_pi does not hold (nor does it an
        # exact duplicate's pairs): the reference join again, of the settlements they name only
        # (a semi-join per id column on a few ids, each answered by a filter pushed into the scan)
        by_ref = [q for q in trades if q != dup_trades or full_dup]
        touched = [f"SELECT rowid FROM tmp_rc_bo WHERE trade_ref IN ({' UNION ALL '.join(by_ref)})"]  # noqa: S608 - identifiers from code
        touched += [f"SELECT rowid FROM tmp_rc_bo WHERE settlement_id IN ({q})" for q in settlements]  # noqa: S608 - identifiers from code
        join = _join_sql(settings, bo_where=f"WHERE rowid IN ({' UNION ALL '.join(touched)})", kind="INNER")
        sql += f" UNION SELECT p.trade_id, p.settlement_id, p.frid, p.brid FROM ({join}) AS p WHERE {pair}"  # noqa: S608 - identifiers from code
    _exec(con, "x", f"CREATE OR REPLACE TEMP TABLE tmp_rc_x AS {sql}", {"as_of": as_of})  # noqa: S608 - identifiers from code, values bound
    con.execute(
        "CREATE OR REPLACE TEMP TABLE tmp_rc_gm (match_id VARCHAR, pass_name VARCHAR, method VARCHAR, "
        "trade_id VARCHAR, settlement_id VARCHAR)"
    )
    # 1:1 matches of the later passes whose two records are exactly equal on every compared field
    # (equal signatures, as on the hot path): the classification gives them no field-by-field look
    con.execute(
        "CREATE OR REPLACE TEMP TABLE tmp_rc_gs (match_id VARCHAR, pass_name VARCHAR, trade_id VARCHAR, settlement_id VARCHAR)"
    )
    con.execute("INSERT INTO tmp_rc_gm SELECT match_id, 'manual', 'MANUAL', trade_id, settlement_id FROM tmp_rc_manual")
    if ref_pass is not None:
        sqlrun.run_script(con, "recon/reference_groups", {"pass_name": ref_pass})


def build_leftovers(con: duckdb.DuckDBPyConnection, as_of: date) -> None:
    """``tmp_rc_nfo`` / ``tmp_rc_nbo`` (records read in full later, with their derived columns)
    and ``tmp_rc_lfo`` / ``tmp_rc_lbo`` (records in no match yet)."""
    sqlrun.run_script(con, "recon/need", {"as_of": as_of})
    sqlrun.run_script(con, "recon/leftovers")


def _remove_matched(con: duckdb.DuckDBPyConnection, pass_name: str) -> None:
    """Drop from the leftovers what the pass ``pass_name`` just matched: DELETE when it matched
    a few, re-create the table from what is left when it matched most of it (cheaper)."""
    for table, col in (("tmp_rc_lfo", "trade_id"), ("tmp_rc_lbo", "settlement_id")):
        matched = f"(SELECT {col} FROM tmp_rc_gm WHERE pass_name = $p AND {col} IS NOT NULL)"  # noqa: S608 - identifiers from code
        sql = (f"SELECT (SELECT count(*) FROM {table}) AS left_, "  # noqa: S608 - identifiers from code
               f"(SELECT count(*) FROM tmp_rc_gm WHERE pass_name = $p AND {col} IS NOT NULL) AS matched")  # noqa: S608
        n = store.query(con, sql, {"p": pass_name}).row(0, named=True)
        if not n["matched"]:
            continue
        if 2 * int(n["matched"]) > int(n["left_"]):
            con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {table} AS t "  # noqa: S608
                        f"WHERE NOT EXISTS (SELECT 1 FROM tmp_rc_gm AS g WHERE g.pass_name = $p AND g.{col} = t.{col})",
                        {"p": pass_name})
        else:
            con.execute(f"DELETE FROM {table} WHERE {col} IN {matched}", {"p": pass_name})  # noqa: S608


def block_pass(con: duckdb.DuckDBPyConnection, spec: PassSpec) -> int:
    """Allocations (FO trades sharing a block_id) against a settlement whose reference is the
    block id (N:1, or N:M when the block settles in parts)."""
    before = _count(con, "SELECT count(DISTINCT match_id) FROM tmp_rc_gm")
    sqlrun.run_script(con, "recon/block_pass", {"pass_name": spec.name})
    n = _count(con, "SELECT count(DISTINCT match_id) FROM tmp_rc_gm") - before
    if n:
        _remove_matched(con, spec.name)
    return n


def _key_join(spec: PassSpec) -> str:
    return " AND ".join(f"f.{k} = b.{k}" for k in spec.keys)


def _within_sql(settings: ReconSettings, name: str, params: Params, f: str, b: str) -> str:
    fld = BY_NAME[name]
    tol = settings.tol(name)
    if fld.kind == "money":
        return sqlgen.within(tol, f"{f}.amount_r", f"{b}.amount_r", params, "number",
                             unit=f"greatest({f}.minor_unit, {b}.minor_unit)")
    return sqlgen.within(tol, f"{f}.{name}", f"{b}.{name}", params, fld.kind)


def _score_sql() -> str:
    """Distance between a trade and a settlement: 0 = identical; lower is better."""
    rel = "coalesce(abs({b} - {f}) / nullif(greatest(abs({f}), abs({b})), 0), CASE WHEN {f} IS NULL AND {b} IS NULL THEN 0 ELSE 1 END)"
    parts = [
        rel.format(f="f.quantity", b="b.quantity"),
        rel.format(f="f.amount_r", b="b.amount_r"),
        rel.format(f="f.price", b="b.price"),
        "coalesce(abs(b.settle_bd - f.settle_bd), 5) / 10.0",
        "coalesce(abs(b.trade_bd - f.trade_bd), 5) / 20.0",
        "CASE WHEN f.counterparty_id IS DISTINCT FROM b.counterparty_id THEN 0.05 ELSE 0 END",
        "CASE WHEN f.account_id IS DISTINCT FROM b.account_id THEN 0.05 ELSE 0 END",
        "CASE WHEN f.trade_id = b.trade_ref THEN -1 ELSE 0 END",
    ]
    return "CAST(" + " + ".join(f"CAST({p} AS DOUBLE)" for p in parts) + " AS DOUBLE)"


def economic_pass(con: duckdb.DuckDBPyConnection, settings: ReconSettings, spec: PassSpec) -> int:
    """1:1 on exact keys, a date window and required fields within tolerance; the pairs that
    are each other's best candidate match, for up to ``max_rounds`` rounds."""
    params = Params()
    conds = [_key_join(spec)]
    if spec.date_field:
        col = "settle_bd" if spec.date_field == "settle_date" else "trade_bd"
        if spec.date_window_bdays == 0:
            conds.append(f"f.{col} = b.{col}")        # an equality joins by hash
        else:
            w = params.add("window", spec.date_window_bdays)
            conds.append(f"abs(b.{col} - f.{col}) <= {w}")
    for name in spec.require:
        conds.append(_within_sql(settings, name, params, "f", "b"))
    conds.append("NOT EXISTS (SELECT 1 FROM tmp_rc_forbid x WHERE x.trade_id = f.trade_id AND x.settlement_id = b.settlement_id)")
    conds.append("NOT b.ref_known")
    sql = (
        f"CREATE OR REPLACE TEMP TABLE tmp_rc_ec AS SELECT f.trade_id, b.settlement_id, {_score_sql()} AS score, "  # noqa: S608 - identifiers from code, values bound
        "f.sig = b.sig AS same "
        f"FROM tmp_rc_lfo AS f JOIN tmp_rc_lbo AS b ON {' AND '.join(conds)}"
    )
    _exec(con, f"economic {spec.name}", sql, dict(params))
    total = 0
    for _ in range(settings.max_rounds):
        con.execute(
            "CREATE OR REPLACE TEMP TABLE tmp_rc_ecm AS SELECT trade_id, settlement_id, same FROM ("
            "SELECT trade_id, settlement_id, same, "
            "row_number() OVER (PARTITION BY trade_id ORDER BY score, settlement_id) AS rf, "
            "row_number() OVER (PARTITION BY settlement_id ORDER BY score, trade_id) AS rb "
            "FROM tmp_rc_ec) WHERE rf = 1 AND rb = 1"
        )
        n = _count(con, "SELECT count(*) FROM tmp_rc_ecm")
        if n == 0:
            break
        total += n
        con.execute(
            "INSERT INTO tmp_rc_gm "
            "SELECT 'T:' || trade_id, $p, 'ECONOMIC', trade_id, NULL FROM tmp_rc_ecm "
            "UNION ALL SELECT 'T:' || trade_id, $p, 'ECONOMIC', NULL, settlement_id FROM tmp_rc_ecm",
            {"p": spec.name},
        )
        con.execute(
            "INSERT INTO tmp_rc_gs SELECT 'T:' || trade_id, $p, trade_id, settlement_id FROM tmp_rc_ecm WHERE same",
            {"p": spec.name},
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE tmp_rc_ec AS SELECT * FROM tmp_rc_ec AS e "
            "WHERE NOT EXISTS (SELECT 1 FROM tmp_rc_ecm AS m WHERE m.trade_id = e.trade_id) "
            "AND NOT EXISTS (SELECT 1 FROM tmp_rc_ecm AS m WHERE m.settlement_id = e.settlement_id)"
        )
    if total:
        _remove_matched(con, spec.name)
    return total


def aggregate_pass(con: duckdb.DuckDBPyConnection, settings: ReconSettings, spec: PassSpec) -> int:
    """1:N, N:1 and netted settlements: per exact key, the signed sums of quantity and amount
    of the leftover trades and of the leftover settlements agree within tolerance."""
    params = Params()
    keys = ", ".join(spec.keys)
    notnull = " AND ".join(f"{k} IS NOT NULL" for k in spec.keys)
    conds = [" AND ".join(f"fa.{k} = ba.{k}" for k in spec.keys)]
    for name in spec.require:
        tol = settings.tol(name)
        col = "qty_s" if name == "quantity" else ("amt_s" if name == "amount" else None)
        if col is None:
            continue  # price has no meaningful sum
        conds.append(sqlgen.within(tol, f"fa.{col}", f"ba.{col}", params, "number",
                                   unit="greatest(fa.minor_unit, ba.minor_unit)" if col == "amt_s" else None))
    sql = (
        "CREATE OR REPLACE TEMP TABLE tmp_rc_ag AS "  # noqa: S608 - identifiers from code, values bound
        f"WITH fa AS (SELECT {keys}, count(*) AS n, sum(qty_s) AS qty_s, sum(amt_s) AS amt_s, min(trade_id) AS first_id, max(minor_unit) AS minor_unit "
        f"FROM tmp_rc_lfo WHERE {notnull} GROUP BY {keys}), "
        f"ba AS (SELECT {keys}, count(*) AS n, sum(qty_s) AS qty_s, sum(amt_s) AS amt_s, max(minor_unit) AS minor_unit "
        f"FROM tmp_rc_lbo WHERE {notnull} AND NOT ref_known GROUP BY {keys}) "
        f"SELECT {', '.join('fa.' + k for k in spec.keys)}, 'G:' || fa.first_id AS match_id "
        f"FROM fa JOIN ba ON {' AND '.join(conds)} WHERE fa.n + ba.n > 2"
    )
    _exec(con, f"aggregate {spec.name}", sql, dict(params))
    n = _count(con, "SELECT count(*) FROM tmp_rc_ag")
    if n:
        join_f = " AND ".join(f"f.{k} = a.{k}" for k in spec.keys)
        con.execute(
            f"INSERT INTO tmp_rc_gm SELECT a.match_id, $p, 'AGGREGATE', f.trade_id, NULL FROM tmp_rc_lfo f JOIN tmp_rc_ag a ON {join_f} "  # noqa: S608 - identifiers from code, values bound
            f"UNION ALL SELECT a.match_id, $p, 'AGGREGATE', NULL, f.settlement_id FROM tmp_rc_lbo f JOIN tmp_rc_ag a ON {join_f} "
            "WHERE NOT f.ref_known",
            {"p": spec.name},
        )
        _remove_matched(con, spec.name)
    return n


def run_passes(con: duckdb.DuckDBPyConnection, settings: ReconSettings, as_of: date) -> PassStats:
    """Run every pass; leaves ``tmp_rc_pi``, ``tmp_rc_x``, ``tmp_rc_gm``, ``tmp_rc_lfo``/``lbo``."""
    stats = PassStats()
    ref = next((p for p in settings.passes if p.method == "reference"), None)
    t = time.perf_counter()
    reference_join(con, settings, as_of, ref is not None)
    stats.join = join_counts(con)
    split_touched(con, settings, as_of, ref.name if ref else None, stats.join)
    stats.seconds["reference_join"] = time.perf_counter() - t
    t = time.perf_counter()
    build_leftovers(con, as_of)
    stats.seconds["leftovers"] = time.perf_counter() - t
    for spec in settings.passes:
        t = time.perf_counter()
        if spec.method == "reference":
            continue
        if spec.method == "block":
            stats.matches[spec.name] = block_pass(con, spec)
        elif spec.method == "economic":
            stats.matches[spec.name] = economic_pass(con, settings, spec)
        elif spec.method == "aggregate":
            stats.matches[spec.name] = aggregate_pass(con, settings, spec)
        stats.seconds[spec.name] = time.perf_counter() - t
    return stats

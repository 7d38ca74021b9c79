"""Classification: per-field differences with tolerances, settlement state, and the breaks.

Only matches that may hold a break are looked at field by field: the 1:1 reference pairs with a
non-zero hot-path mask (some field not exactly equal, or a settlement-state issue) and every
match of the other passes. A field not exactly equal but within its tolerance is not a break.

Scratch tables: ``tmp_rc_pc`` (hot pairs to classify), ``tmp_rc_sfo``/``tmp_rc_sbo`` (side
summaries), ``tmp_rc_fd`` (one row per differing field), ``tmp_rc_breaks``.
"""

from __future__ import annotations

import logging
from datetime import date

import duckdb

from engine import store
from engine.recon import sqlgen, sqlrun
from engine.recon.fields import FIELDS, SETTLE_BIT
from engine.recon.settings import ReconSettings
from engine.recon.sqlgen import Params

log = logging.getLogger(__name__)

FIELD_MASK = SETTLE_BIT - 1


def build_candidates(con: duckdb.DuckDBPyConnection) -> None:
    """Hot 1:1 reference pairs that need a look, outside the pairs taken out of the 1:1 set:
    ``tmp_rc_pc`` (some field not exactly equal: compared field by field) and ``tmp_rc_ps``
    (every field equal, only the settlement state is an issue: no field comparison needed)."""
    has_x = bool(store.scalar(con, "SELECT count(*) FROM tmp_rc_x"))
    anti = (
        " AND NOT EXISTS (SELECT 1 FROM tmp_rc_x AS x WHERE x.trade_id = p.trade_id AND x.settlement_id = p.settlement_id)"
        if has_x else ""
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE tmp_rc_pall AS SELECT p.trade_id, p.settlement_id, p.mask FROM tmp_rc_pi AS p "  # noqa: S608 - identifiers from code
        f"WHERE p.mask <> 0 AND p.trade_id IS NOT NULL AND p.settlement_id IS NOT NULL{anti}"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE tmp_rc_pc AS SELECT * FROM tmp_rc_pall WHERE (mask & {FIELD_MASK}) <> 0")  # noqa: S608 - identifiers from code
    con.execute(f"CREATE OR REPLACE TEMP TABLE tmp_rc_ps AS SELECT * FROM tmp_rc_pall WHERE (mask & {FIELD_MASK}) = 0")  # noqa: S608 - identifiers from code


#: Columns of the BO summary that the field differences read.
_SUMMARY_COLS = ("isin", "direction", "currency", "quantity", "price", "amount_r", "settle_date", "trade_date",
                 "place_of_settlement", "counterparty_id", "account_id", "settle_bd", "trade_bd", "minor_unit")


def _field_exprs(settings: ReconSettings, params: Params, fo: str = "f.", bo: str = "b.") -> list[dict[str, str]]:
    """Per compared field, in order of precedence: the out-of-tolerance flag and the expressions
    of its values, with FO columns as ``<fo><col>`` and BO columns as ``<bo><col>``."""
    order = {iso: i for i, iso in enumerate(settings.precedence)}
    out = []
    for i, fld in enumerate(FIELDS):
        if fld.name not in settings.compare:
            continue
        tol = settings.tol(fld.name)
        col = "amount_r" if fld.kind == "money" else fld.name
        f, b = f"{fo}{col}", f"{bo}{col}"
        if fld.kind == "date":
            c = "settle_bd" if fld.name == "settle_date" else "trade_bd"
            fb, bb = f"{fo}{c}", f"{bo}{c}"
            ok = sqlgen.within(tol, fb, bb, params, "date")
            diff, diff_txt = f"{bb} - {fb}", f"CAST({bb} - {fb} AS VARCHAR) || ' business day(s)'"
        elif fld.kind == "text":
            ok = sqlgen.within(tol, f, b, params, "text")
            diff, diff_txt = "NULL", "NULL"
        else:
            unit = f"greatest({fo}minor_unit, {bo}minor_unit)" if fld.kind == "money" else None
            ok = sqlgen.within(tol, f, b, params, "number", unit=unit)
            diff, diff_txt = f"{b} - {f}", f"CAST({b} - {f} AS VARCHAR)"
        guard = f"{f} IS NOT NULL AND {b} IS NOT NULL AND " if fld.optional else ""
        out.append({
            "i": str(i), "order": f"{order.get(fld.iso, len(order)):04d}", "cond": f"{guard}NOT {ok}",
            "fo": f"CAST({f} AS VARCHAR)", "bo": f"CAST({b} AS VARCHAR)", "diff_txt": f"CAST({diff_txt} AS VARCHAR)",
            "diff": f"CAST({diff} AS DECIMAL(38,10))", "name": params.add(f"f{i}_name", fld.name),
            "iso": params.add(f"f{i}_iso", fld.iso), "tol": params.add(f"f{i}_tol", tol.describe(fld.kind)),
            "prec": str(order.get(fld.iso, len(order)) + 1),
        })
    return sorted(out, key=lambda e: e["order"])


def field_diff_sql(settings: ReconSettings) -> tuple[list[str], Params]:
    """Two statements:

    - ``tmp_rc_fdm``: per match with a field out of tolerance: a flag and the FO value, BO value,
      difference per field, the differing fields in order of precedence (comma-separated), the
      break's type (the first of them), their number and a one-line detail; one join of the two
      summaries, no aggregation;
    - ``tmp_rc_fd``: one row per (match, differing field).
    """
    params = Params()
    flags = _field_exprs(settings, params)                   # on the join of the two summaries
    ex = _field_exprs(settings, params, "f.", "f.b_")        # on its result j (BO columns b_<col>)
    if not ex:
        empty = ("CREATE OR REPLACE TEMP TABLE {t} AS SELECT CAST(NULL AS VARCHAR) AS match_id, "
                 "CAST(NULL AS VARCHAR) AS field, CAST(NULL AS VARCHAR) AS iso_code, 0 AS precedence, "
                 "CAST(NULL AS VARCHAR) AS fo_value, CAST(NULL AS VARCHAR) AS bo_value, CAST(NULL AS VARCHAR) AS difference, "
                 "CAST(NULL AS DECIMAL(38,10)) AS diff_num, CAST(NULL AS VARCHAR) AS tolerance, "
                 "CAST(NULL AS VARCHAR) AS fields, 0 AS n_fields, CAST(NULL AS VARCHAR) AS detail WHERE FALSE")
        return [empty.format(t="tmp_rc_fdm"), empty.format(t="tmp_rc_fd")], params
    bad = [f"(f.bad_{e['i']})" for e in ex]
    fields = "concat_ws(',', " + ", ".join(f"CASE WHEN {b} THEN {e['name']} END" for e, b in zip(ex, bad, strict=True)) + ")"
    iso = "coalesce(" + ", ".join(f"CASE WHEN {b} THEN {e['iso']} END" for e, b in zip(ex, bad, strict=True)) + ")"
    n = " + ".join(f"CAST({b} AS INTEGER)" for b in bad)
    detail = "concat_ws('; ', " + ", ".join(
        f"CASE WHEN {b} THEN {e['name']} || ': FO ' || coalesce({e['fo']}, '-') || ' / BO ' || coalesce({e['bo']}, '-') "
        f"|| coalesce(' (' || {e['diff_txt']} || ')', '') END" for e, b in zip(ex, bad, strict=True)) + ")"
    bo_cols = ", ".join(f"b.{c} AS b_{c}" for c in _SUMMARY_COLS)
    fdm = (
        "CREATE OR REPLACE TEMP TABLE tmp_rc_fdm AS "  # noqa: S608 - identifiers from code, values bound
        f"WITH j AS (SELECT f.*, {bo_cols}, "
        + ", ".join(f"coalesce({e['cond']}, FALSE) AS bad_{e['i']}" for e in flags)  # noqa: S608
        + " FROM tmp_rc_sfo AS f JOIN tmp_rc_sbo AS b USING (match_id)) "  # noqa: S608
        f"SELECT f.match_id, {', '.join(f'{b} AS bad_' + e['i'] for e, b in zip(ex, bad, strict=True))}, "
        f"{fields} AS fields, {iso} AS iso_code, CAST({n} AS INTEGER) AS n_fields, {detail} AS detail "
        f"FROM j AS f WHERE {' OR '.join(bad)}"
    )

    def case(key: str, typ: str) -> str:
        arms = " ".join("WHEN " + e["i"] + " THEN " + e[key] for e in ex)
        return f"CAST(CASE f.k {arms} END AS {typ})"

    ks = ", ".join(f"CASE WHEN m.bad_{e['i']} THEN {e['i']} END" for e in ex)
    fd = (
        "CREATE OR REPLACE TEMP TABLE tmp_rc_fd AS "  # noqa: S608 - identifiers from code, values bound
        f"WITH j AS (SELECT f.*, {bo_cols}, unnest(list_filter([{ks}], lambda x: x IS NOT NULL)) AS k "
        "FROM tmp_rc_fdm AS m JOIN tmp_rc_sfo AS f USING (match_id) JOIN tmp_rc_sbo AS b USING (match_id)) "
        f"SELECT f.match_id, {case('name', 'VARCHAR')} AS field, {case('iso', 'VARCHAR')} AS iso_code, "
        f"{case('prec', 'INTEGER')} AS precedence, {case('fo', 'VARCHAR')} AS fo_value, "
        f"{case('bo', 'VARCHAR')} AS bo_value, {case('diff_txt', 'VARCHAR')} AS difference, "
        f"{case('diff', 'DECIMAL(38,10)')} AS diff_num, {case('tol', 'VARCHAR')} AS tolerance FROM j AS f"
    )
    return [fdm, fd], params


def classify(con: duckdb.DuckDBPyConnection, settings: ReconSettings, as_of: date, base_currency: str,
             ref_pass: str | None) -> None:
    """Create ``tmp_rc_pc``, ``tmp_rc_sfo``/``sbo``, ``tmp_rc_fd`` and ``tmp_rc_breaks``."""
    build_candidates(con)
    sqlrun.run_script(con, "recon/summaries", {"as_of": as_of, "ref_pass": ref_pass or "reference"})
    stmts, params = field_diff_sql(settings)
    for sql in stmts:
        sqlgen.debug_sql("field diffs", sql, params)
        sqlrun.execute(con, sql, params)
    sqlrun.run_script(
        con, "recon/breaks",
        {"as_of": as_of, "grace": settings.fo_only_grace_bdays, "base": base_currency, "ref_pass": ref_pass or "reference"},
    )

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
        "CREATE OR REPLACE TEMP TABLE tmp_rc_pall AS SELECT p.trade_id, p.settlement_id, p.mask FROM tmp_rc_p1 AS p "  # noqa: S608 - identifiers from code
        f"WHERE p.mask <> 0 AND p.trade_id IS NOT NULL AND p.settlement_id IS NOT NULL{anti}"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE tmp_rc_pc AS SELECT * FROM tmp_rc_pall WHERE (mask & {FIELD_MASK}) <> 0")  # noqa: S608 - identifiers from code
    con.execute(f"CREATE OR REPLACE TEMP TABLE tmp_rc_ps AS SELECT * FROM tmp_rc_pall WHERE (mask & {FIELD_MASK}) = 0")  # noqa: S608 - identifiers from code


#: Columns of the BO summary that the field differences read.
_SUMMARY_COLS = ("isin", "direction", "currency", "quantity", "price", "amount_r", "settle_date", "trade_date",
                 "place_of_settlement", "counterparty_id", "account_id", "settle_bd", "trade_bd", "minor_unit")


def _field_exprs(settings: ReconSettings, params: Params, fo: str, bo: str) -> list[dict[str, str]]:
    """Per compared field: the out-of-tolerance flag and the value expressions, with the FO
    columns under ``fo.<col>`` and the BO columns under ``<bo><col>`` (``b.`` or ``j.b_``)."""
    out = []
    for i, fld in enumerate(FIELDS):
        if fld.name not in settings.compare:
            continue
        tol = settings.tol(fld.name)
        col = "amount_r" if fld.kind == "money" else fld.name
        f, b = f"{fo}.{col}", f"{bo}{col}"
        if fld.kind == "date":
            c = "settle_bd" if fld.name == "settle_date" else "trade_bd"
            fb, bb = f"{fo}.{c}", f"{bo}{c}"
            ok = sqlgen.within(tol, fb, bb, params, "date")
            diff, diff_txt = f"{bb} - {fb}", f"CAST({bb} - {fb} AS VARCHAR) || ' business day(s)'"
        elif fld.kind == "text":
            ok = sqlgen.within(tol, f, b, params, "text")
            diff, diff_txt = "NULL", "NULL"
        else:
            unit = f"greatest({fo}.minor_unit, {bo}minor_unit)" if fld.kind == "money" else None
            ok = sqlgen.within(tol, f, b, params, "number", unit=unit)
            diff, diff_txt = f"{b} - {f}", f"CAST({b} - {f} AS VARCHAR)"
        guard = f"{f} IS NOT NULL AND {b} IS NOT NULL AND " if fld.optional else ""
        out.append({
            "i": str(i), "flag": f"CASE WHEN {guard}NOT {ok} THEN {i} END",
            "fo": f"CAST({f} AS VARCHAR)", "bo": f"CAST({b} AS VARCHAR)", "diff_txt": diff_txt,
            "diff": f"CAST({diff} AS DECIMAL(38,10))", "name": params.add(f"f{i}_name", fld.name),
            "iso": params.add(f"f{i}_iso", fld.iso), "tol": params.add(f"f{i}_tol", tol.describe(fld.kind)),
        })
    return out


def field_diff_sql(settings: ReconSettings) -> tuple[str, Params]:
    """``tmp_rc_fd``: one row per (match, field) out of tolerance, with both values, the
    difference (BO - FO; business days for dates) and the tolerance in words. One join of the
    two summaries flags the fields out of tolerance; only those are unnested and turned into
    text."""
    params = Params()
    params.add("prec", list(settings.precedence))
    inner = _field_exprs(settings, params, "f", "b.")
    if not inner:
        body = ("SELECT CAST(NULL AS VARCHAR) AS match_id, CAST(NULL AS VARCHAR) AS field, CAST(NULL AS VARCHAR) AS iso_code, "
                "0 AS precedence, CAST(NULL AS VARCHAR) AS fo_value, CAST(NULL AS VARCHAR) AS bo_value, "
                "CAST(NULL AS VARCHAR) AS difference, CAST(NULL AS DECIMAL(38,10)) AS diff_num, "
                "CAST(NULL AS VARCHAR) AS tolerance WHERE FALSE")
        return f"CREATE OR REPLACE TEMP TABLE tmp_rc_fd AS {body}", params
    outer = _field_exprs(settings, Params(), "j", "j.b_")   # same placeholders, bound once in params

    def case(key: str, typ: str) -> str:
        arms = " ".join("WHEN " + e["i"] + " THEN " + e[key] for e in outer)
        return f"CAST(CASE j.i {arms} END AS {typ})"

    body = (
        "WITH j AS (SELECT f.*, "  # noqa: S608 - identifiers from code, values bound
        + ", ".join(f"b.{c} AS b_{c}" for c in _SUMMARY_COLS)
        + f", unnest(list_filter([{', '.join(e['flag'] for e in inner)}], lambda x: x IS NOT NULL)) AS i "  # noqa: S608
        "FROM tmp_rc_sfo AS f JOIN tmp_rc_sbo AS b USING (match_id)) "
        f"SELECT j.match_id, {case('name', 'VARCHAR')} AS field, {case('iso', 'VARCHAR')} AS iso_code, "
        f"CAST(list_position($prec, {case('iso', 'VARCHAR')}) AS INTEGER) AS precedence, "
        f"{case('fo', 'VARCHAR')} AS fo_value, {case('bo', 'VARCHAR')} AS bo_value, "
        f"{case('diff_txt', 'VARCHAR')} AS difference, {case('diff', 'DECIMAL(38,10)')} AS diff_num, "
        f"{case('tol', 'VARCHAR')} AS tolerance FROM j"
    )
    return f"CREATE OR REPLACE TEMP TABLE tmp_rc_fd AS {body}", params


def classify(con: duckdb.DuckDBPyConnection, settings: ReconSettings, as_of: date, base_currency: str,
             ref_pass: str | None) -> None:
    """Create ``tmp_rc_pc``, ``tmp_rc_sfo``/``sbo``, ``tmp_rc_fd`` and ``tmp_rc_breaks``."""
    build_candidates(con)
    sqlrun.run_script(con, "recon/summaries", {"as_of": as_of, "ref_pass": ref_pass or "reference"})
    sql, params = field_diff_sql(settings)
    sqlgen.debug_sql("field diffs", sql, params)
    con.execute(sql, dict(params))
    sqlrun.run_script(
        con, "recon/breaks",
        {"as_of": as_of, "grace": settings.fo_only_grace_bdays, "base": base_currency, "ref_pass": ref_pass or "reference"},
    )

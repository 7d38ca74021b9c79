"""Small SQL builders for the configured parts of the reconciliation (passes, tolerances).

Only identifiers from the code's field catalog (:mod:`engine.recon.fields`) and fixed aliases
are ever written into SQL text; every value (tolerances, dates, lists) is a bound parameter
collected in a :class:`Params` object. Generated SQL is logged at debug level.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from engine.recon.fields import BY_NAME, FIELDS, SETTLE_BIT
from engine.recon.settings import Tolerance

log = logging.getLogger(__name__)

_MAX_MINOR = 4


class Params(dict[str, Any]):
    """Bound parameters of one generated statement; ``add`` returns the placeholder."""

    def add(self, name: str, value: Any) -> str:
        if name in self and self[name] != value:  # pragma: no cover - programming error
            raise ValueError(f"parameter {name} bound twice with different values")
        self[name] = value
        return f"${name}"


def round_minor(expr: str, minor: str) -> str:
    """``expr`` rounded half away from zero to ``minor`` decimals (0..4; DuckDB's round needs a
    constant number of digits, hence the CASE)."""
    arms = " ".join(f"WHEN {m} THEN round({expr}, {m})" for m in range(_MAX_MINOR))
    return f"(CASE {minor} {arms} ELSE round({expr}, {_MAX_MINOR}) END)"


def _base(tol: Tolerance, f: str, b: str) -> str:
    return {
        "max": f"greatest(abs({f}), abs({b}))",
        "min": f"least(abs({f}), abs({b}))",
        "mean": f"((abs({f}) + abs({b})) / 2)",
        "fo": f"abs({f})",
        "bo": f"abs({b})",
    }[tol.base]


def within(tol: Tolerance, f: str, b: str, params: Params, kind: str, unit: str | None = None) -> str:
    """A predicate: FO value ``f`` and BO value ``b`` agree within ``tol`` (NULL-safe: two NULLs
    agree; one NULL does not). For dates ``f``/``b`` must be business-day ordinals; for money
    ``unit`` is the SQL expression of the currency's minor unit (0.01 for USD)."""
    if kind == "date":
        w = params.add(f"tol_{tol.field}_bdays", tol.bdays)
        return f"(({f} IS NULL AND {b} IS NULL) OR abs({b} - {f}) <= {w})"
    if kind == "text":
        return f"({f} IS NOT DISTINCT FROM {b})"
    parts = [f"{f} = {b}"]
    if tol.abs > 0:
        a = params.add(f"tol_{tol.field}_abs", tol.abs)
        parts.append(f"abs({b} - {f}) <= CAST({a} AS DECIMAL(38,10))")
    if tol.minor_units > 0 and unit is not None:
        m = params.add(f"tol_{tol.field}_minor", tol.minor_units)
        parts.append(f"abs({b} - {f}) <= CAST({m} AS DECIMAL(38,10)) * {unit}")
    if tol.rel > 0:
        r = params.add(f"tol_{tol.field}_rel", tol.rel)
        parts.append(f"abs({b} - {f}) <= CAST({r} AS DECIMAL(38,10)) * {_base(tol, f, b)}")
    return f"(({f} IS NULL AND {b} IS NULL) OR coalesce({' OR '.join(parts)}, FALSE))"


def exact_mask(compare: tuple[str, ...], f: str = "f", b: str = "b") -> str:
    """Bit mask of fields whose FO and BO values are not exactly equal (the hot path). A field
    not exactly equal may still be within tolerance; that is decided later on the few rows
    with a non-zero mask. Optional fields with a NULL on either side count as equal."""
    terms = []
    for bit, fld in enumerate(FIELDS):
        if fld.name not in compare:
            continue
        fe, be = f"{f}.{fld.name}", f"{b}.{fld.name}"
        test = f"coalesce({fe} <> {be}, FALSE)" if fld.optional else f"({fe} IS DISTINCT FROM {be})"
        terms.append(f"(CAST({test} AS INTEGER) << {bit})")
    return " | ".join(terms) if terms else "0"


def signature(compare: tuple[str, ...]) -> str:
    """A 64-bit hash of the compared fields of one side (the hot path compares one number per
    pair instead of every field; a pair whose signatures differ is then compared field by field,
    so a hash collision could only hide a difference with probability about 2**-64). Both sides
    must expose the fields with the same types (they come from the canonical tables)."""
    cols = [f.name for f in FIELDS if f.name in compare]
    return f"hash({', '.join(cols)})" if cols else "0"


def signature_macro(compare: tuple[str, ...]) -> str:
    """``rc_sig(<every field of FIELDS>)``: :func:`signature` of one record as a temporary macro,
    so that SQL files can compute it (the compared fields are configuration)."""
    args = ", ".join(f.name for f in FIELDS)
    return f"CREATE OR REPLACE TEMP MACRO rc_sig({args}) AS {signature(compare)}"


def settle_issue(b: str = "b", as_of: str = "$as_of") -> str:
    """TRUE when the back office's state is a settlement break candidate: failing, partially
    settled, or not settled after the intended settlement date."""
    return (
        f"(CASE WHEN {b}.status = 'SETTLED' THEN coalesce({b}.settled_quantity < {b}.quantity, FALSE) "
        f"WHEN {b}.status IN ('FAILING', 'PARTIAL') THEN TRUE "
        f"ELSE coalesce({b}.settle_date < {as_of}, FALSE) END)"
    )


def settle_bit_expr(b: str = "b", as_of: str = "$as_of") -> str:
    return f"(CAST({settle_issue(b, as_of)} AS INTEGER) * {SETTLE_BIT})"


def sql_str_list(values: tuple[str, ...]) -> list[str]:
    return [str(v) for v in values]


def dec(value: Decimal | int | float) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def field_kind(name: str) -> str:
    return BY_NAME[name].kind


def debug_sql(label: str, sql: str, params: dict[str, Any] | None = None) -> None:
    log.debug("recon SQL [%s]: %s params=%s", label, sql, params)

"""Declarative column mapping: a feed's configuration turns a source's columns into canonical ones.

A feed is configured in TOML, so a user loads a new blotter or custodian file without code::

    [feeds.acme_blotter]
    table = "fo_trades"
    format = "csv"                      # csv | xlsx | parquet
    date_format = "%d/%m/%Y"           # strptime format for every DATE column (optional)
    date_formats = { trade_date = "%Y%m%d" }   # per-column override (optional)
    decimal_separator = ","            # optional, default "."
    thousands_separator = "."          # optional
    sign_convention = "side"           # "side" (a side column) | "signed_quantity" (qty < 0 = SELL)
    side_codes = { BUY = ["B", "Buy"], SELL = ["S", "Sell"] }
    defaults = { currency = "EUR", status = "NEW", version = 1 }
    [feeds.acme_blotter.columns]       # canonical = "Source column"
    trade_id = "Deal Ref"
    quantity = "Qty"

Without ``columns`` the mapping is the identity on canonical column names. The mapping is SQL
over a relation whose columns are the source's (all VARCHAR); configured values reach the SQL as
bound parameters, never as text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.errors import BadInputError
from engine.schemas import FALLBACKS, ColumnSpec, data_columns

DEFAULT_SIDE_CODES = {
    "BUY": ["B", "BUY", "1", "BOT", "BOUGHT", "PURCHASE", "P"],
    "SELL": ["S", "SELL", "2", "SLD", "SOLD", "SALE"],
}

_NUMERIC_PREFIXES = ("DECIMAL", "DOUBLE", "FLOAT", "INTEGER", "BIGINT", "SMALLINT", "HUGEINT", "REAL")


def _q(identifier: str) -> str:
    """Quote an identifier (column names come from configuration or the DDL)."""
    return '"' + identifier.replace('"', '""') + '"'


@dataclass(frozen=True)
class Mapping:
    feed: str
    table: str
    source_of: dict[str, str]          # canonical -> source column (only those present)
    missing_required: list[str]        # canonical required columns with no source and no default
    wanted: dict[str, str] = field(default_factory=dict)  # canonical -> configured source column


def resolve(feed: str, feed_cfg: dict[str, Any], header: list[str]) -> Mapping:
    """Which source column feeds each canonical column, given the file's header."""
    table = feed_cfg["table"]
    explicit: dict[str, str] = dict(feed_cfg.get("columns", {}))
    defaults: dict[str, Any] = dict(feed_cfg.get("defaults", {}))
    present = set(header)
    lower = {h.strip().lower(): h for h in header}
    source_of: dict[str, str] = {}
    for col in data_columns(table):
        src = explicit.get(col.name)
        if src is None and not explicit:
            src = col.name
        if src is None:
            continue
        if src in present:
            source_of[col.name] = src
        elif src.strip().lower() in lower:   # tolerate case and surrounding spaces in headers
            source_of[col.name] = lower[src.strip().lower()]
    derived = set(FALLBACKS.get(table, {}))
    if feed_cfg.get("sign_convention") == "signed_quantity":
        derived.add("side")
    missing = [
        c.name
        for c in data_columns(table)
        if c.required and c.name not in source_of and c.name not in defaults and c.name not in derived
    ]
    return Mapping(feed, table, source_of, missing, explicit)


def score(feed_cfg: dict[str, Any], header: list[str], feed: str = "") -> int | None:
    """How well a header fits a feed: None if a required column is missing, else the number
    of canonical columns the header supplies."""
    m = resolve(feed, feed_cfg, header)
    if m.missing_required or not m.source_of:
        return None
    return len(m.source_of)


def require_complete(m: Mapping, path: str, header: list[str]) -> None:
    if m.missing_required:
        raise BadInputError(
            f"file does not have the columns feed '{m.feed}' needs for {m.table}",
            path=path,
            line=1,
            expected=f"columns {[m.wanted.get(c, c) for c in m.missing_required]} (canonical {m.missing_required})",
            found=f"header {header}",
            hint=f"fix the file or the [feeds.{m.feed}.columns] mapping in the configuration",
        )


def select_list(m: Mapping, feed_cfg: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """SQL select-list producing canonical columns (as VARCHAR) from the source relation, and
    its bound parameters. The loader casts and validates afterwards."""
    params: dict[str, Any] = {}
    parts: list[str] = []
    defaults: dict[str, Any] = dict(feed_cfg.get("defaults", {}))
    dfmt = feed_cfg.get("date_format")
    dfmts: dict[str, str] = dict(feed_cfg.get("date_formats", {}))
    dec = feed_cfg.get("decimal_separator", ".")
    thou = feed_cfg.get("thousands_separator")
    signed = feed_cfg.get("sign_convention") == "signed_quantity"
    codes = {k.upper(): [str(v).upper() for v in vs] for k, vs in DEFAULT_SIDE_CODES.items()}
    for k, vs in dict(feed_cfg.get("side_codes", {})).items():
        codes[k.upper()] = [str(v).upper() for v in vs] + codes.get(k.upper(), [])
    specs: dict[str, ColumnSpec] = {c.name: c for c in data_columns(m.table)}
    for name, spec in specs.items():
        src = m.source_of.get(name)
        if src is None and name not in defaults and not (signed and name == "side"):
            continue
        expr = f"NULLIF(trim(CAST({_q(src)} AS VARCHAR)), '')" if src else "NULL::VARCHAR"
        t = spec.sql_type.upper()
        if src and t.startswith(_NUMERIC_PREFIXES):
            if thou:
                params["p_thou"] = thou
                expr = f"replace({expr}, $p_thou, '')"
            if dec != ".":
                params["p_dec"] = dec
                expr = f"replace({expr}, $p_dec, '.')"
            if signed and name == "quantity":
                expr = f"ltrim({expr}, '-')"
        elif src and t == "DATE":
            fmt = dfmts.get(name, dfmt)
            if fmt:
                key = f"p_fmt_{name}"
                params[key] = fmt
                expr = f"coalesce(strftime(try_strptime({expr}, ${key}), '%Y-%m-%d'), {expr})"
        elif src and t == "BOOLEAN":
            expr = (
                f"CASE upper({expr}) WHEN 'Y' THEN 'true' WHEN 'YES' THEN 'true' "
                f"WHEN 'N' THEN 'false' WHEN 'NO' THEN 'false' ELSE {expr} END"
            )
        if name == "side":
            if signed:
                qsrc = m.source_of.get("quantity")
                qexpr = f"NULLIF(trim(CAST({_q(qsrc)} AS VARCHAR)), '')" if qsrc else "NULL"
                expr = f"CASE WHEN starts_with({qexpr}, '-') THEN 'SELL' WHEN {qexpr} IS NOT NULL THEN 'BUY' END"
            else:
                params["p_buy"], params["p_sell"] = codes.get("BUY", []), codes.get("SELL", [])
                expr = (
                    f"CASE WHEN list_contains($p_buy, upper({expr})) THEN 'BUY' "
                    f"WHEN list_contains($p_sell, upper({expr})) THEN 'SELL' ELSE {expr} END"
                )
        if name in defaults:
            key = f"p_def_{name}"
            params[key] = str(defaults[name])
            expr = f"coalesce({expr}, ${key})"
        parts.append(f"{expr} AS {_q(name)}")
    return ", ".join(parts), params

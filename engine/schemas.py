"""Schemas as code: the canonical tables' columns come from the DDL (one place), and the
cross-column rules every loaded row must satisfy are declared here, once.

Validation is set-based (one DuckDB query per file): each candidate column is TRY_CAST to its
canonical type; a value that does not cast, a missing required value, or a violated rule gives
the row an error list. Rows with errors go to quarantine with every reason; the others load.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    sql_type: str          # DuckDB type, e.g. 'DECIMAL(24,6)', 'DATE', 'VARCHAR'
    required: bool         # NOT NULL and no default: a row without it is quarantined
    has_default: bool
    default_sql: str | None = None   # the DDL default, used when a feed leaves the value empty


@dataclass(frozen=True)
class Rule:
    """A row rule: ``violation`` is a SQL predicate over the typed columns that is TRUE for a bad
    row; ``message`` a SQL expression giving what was expected and what was found. Both are code
    (static text), never user input. ``columns`` are the columns the rule needs (skipped if absent)."""

    rule_id: str
    violation: str
    message: str
    columns: tuple[str, ...]


LINEAGE_COLUMNS = ("batch_id", "src_line", "src_ref")

#: Tables whose rows are reference or market data: a newer load of the same key replaces the row.
UPSERT_TABLES = frozenset(
    {
        "ref_holidays", "ref_legal_entities", "ref_books", "ref_counterparties", "ref_instruments",
        "ref_accounts", "ref_netting_sets", "ref_limits", "mkt_prices", "mkt_fx_rates", "fo_pnl",
        "bo_cash_balances",
    }
)

#: Load order of tables (reference before market before front office before back office).
TABLE_PRIORITY = {
    "ref_legal_entities": 1, "ref_books": 2, "ref_counterparties": 3, "ref_instruments": 4,
    "ref_accounts": 5, "ref_netting_sets": 6, "ref_limits": 7, "ref_holidays": 8,
    "mkt_fx_rates": 10, "mkt_prices": 11, "fo_trades": 20, "fo_pnl": 21,
    "bo_settlements": 30, "bo_cash_movements": 40, "bo_cash_balances": 41,
}


def _known_currency(col: str) -> Rule:
    return Rule(
        "unknown_currency",
        f'"{col}" IS NOT NULL AND "{col}" NOT IN (SELECT currency FROM ref_currencies)',
        f"'{col}: expected an ISO 4217 currency code, found ''' || \"{col}\" || ''''",
        (col,),
    )


def _one_of(rule_id: str, col: str, values: tuple[str, ...]) -> Rule:
    listed = ", ".join(f"'{v}'" for v in values)
    return Rule(
        rule_id,
        f'"{col}" IS NOT NULL AND "{col}" NOT IN ({listed})',
        f"'{col}: expected one of {'|'.join(values)}, found ''' || \"{col}\" || ''''",
        (col,),
    )


def _positive(col: str) -> Rule:
    return Rule(
        f"non_positive_{col}",
        f'"{col}" IS NOT NULL AND "{col}" <= 0',
        f"'{col}: expected a positive number, found ' || CAST(\"{col}\" AS VARCHAR)",
        (col,),
    )


def _non_negative(col: str) -> Rule:
    return Rule(
        f"negative_{col}",
        f'"{col}" IS NOT NULL AND "{col}" < 0',
        f"'{col}: expected zero or more, found ' || CAST(\"{col}\" AS VARCHAR)",
        (col,),
    )


def _date_order(rule_id: str, early: str, late: str) -> Rule:
    return Rule(
        rule_id,
        f'"{early}" IS NOT NULL AND "{late}" IS NOT NULL AND "{late}" < "{early}"',
        f"'{late} ' || CAST(\"{late}\" AS VARCHAR) || ' is before {early} ' || CAST(\"{early}\" AS VARCHAR)",
        (early, late),
    )


def _plausible_date(col: str) -> Rule:
    return Rule(
        "implausible_date",
        f"\"{col}\" IS NOT NULL AND (\"{col}\" < DATE '1950-01-01' OR \"{col}\" > DATE '2199-12-31')",
        f"'{col}: expected a date between 1950 and 2199, found ' || CAST(\"{col}\" AS VARCHAR)",
        (col,),
    )


def _isin_ok(col: str) -> Rule:
    return Rule(
        "bad_isin",
        f'"{col}" IS NOT NULL AND NOT isin_ok("{col}")',
        f"'{col}: expected an ISIN (2 letters, 9 alphanumerics, check digit), found ''' || \"{col}\" || ''''",
        (col,),
    )


def _lei_ok(col: str) -> Rule:
    return Rule(
        "bad_lei",
        f'"{col}" IS NOT NULL AND NOT lei_ok("{col}")',
        f"'{col}: expected a 20-character LEI with valid check digits, found ''' || \"{col}\" || ''''",
        (col,),
    )


def _known_instrument(col: str) -> Rule:
    return Rule(
        "unknown_instrument",
        f'"{col}" IS NOT NULL AND "{col}" NOT IN (SELECT instrument_id FROM ref_instruments)',
        f"'{col}: instrument ''' || \"{col}\" || ''' is not in ref_instruments (load the instruments first)'",
        (col,),
    )


def _known_isin(col: str) -> Rule:
    return Rule(
        "unknown_isin",
        f'"{col}" IS NOT NULL AND "{col}" NOT IN (SELECT isin FROM ref_instruments WHERE isin IS NOT NULL)',
        f"'{col}: ISIN ''' || \"{col}\" || ''' is not in ref_instruments'",
        (col,),
    )


RULES: dict[str, list[Rule]] = {
    "fo_trades": [
        _one_of("bad_status", "status", ("NEW", "AMEND", "CANCEL")),
        _one_of("bad_side", "side", ("BUY", "SELL")),
        _positive("quantity"),
        _non_negative("price"),
        _non_negative("fees"),
        _positive("version"),
        _known_currency("currency"),
        _known_instrument("instrument_id"),
        _plausible_date("trade_date"),
        _date_order("settle_before_trade", "trade_date", "settle_date"),
    ],
    "bo_settlements": [
        _one_of("bad_direction", "direction", ("RECEIVE", "DELIVER")),
        _one_of("bad_payment", "payment", ("APMT", "FREE")),
        _one_of(
            "bad_status", "status",
            ("PENDING", "MATCHED", "SETTLED", "PARTIAL", "FAILING", "UNMATCHED", "CANCELLED", "REJECTED"),
        ),
        _non_negative("quantity"),
        _non_negative("settled_quantity"),
        _known_currency("currency"),
        _isin_ok("isin"),
        _plausible_date("intended_settle_date"),
    ],
    "bo_cash_movements": [_known_currency("currency"), _plausible_date("value_date")],
    "bo_cash_balances": [_known_currency("currency")],
    "mkt_prices": [_known_instrument("instrument_id"), _non_negative("close")],
    "mkt_fx_rates": [_known_currency("currency"), _positive("rate_to_base")],
    "ref_instruments": [
        _isin_ok("isin"),
        _known_currency("currency"),
        _positive("price_multiplier"),
        _one_of(
            "bad_asset_class", "asset_class",
            ("EQUITY", "GOVT_BOND", "CORP_BOND", "FX_SPOT", "FX_FORWARD", "FUTURE", "IRS", "CDS",
             "COMMODITY_FWD", "OPTION"),
        ),
    ],
    "ref_counterparties": [_lei_ok("lei")],
    "ref_legal_entities": [_lei_ok("lei"), _known_currency("base_currency")],
    "ref_books": [_one_of("bad_lot_method", "lot_method", ("FIFO", "LIFO", "AVERAGE"))],
    "ref_limits": [
        _one_of("bad_comparison", "comparison", ("<=", ">=")),
        _one_of("bad_severity", "severity", ("HARD", "SOFT")),
        _known_currency("currency"),
        _date_order("valid_to_before_from", "valid_from", "valid_to"),
    ],
    "fo_pnl": [_known_currency("currency")],
}

#: Rules that need reference data, relaxed when the store has none loaded (e.g. unit tests of a
#: single feed): unknown_instrument is only checked when ref_instruments has rows.
REFERENCE_RULES = {"unknown_instrument": "ref_instruments", "unknown_isin": "ref_instruments"}


@functools.lru_cache(maxsize=1)
def _catalog() -> dict[str, list[ColumnSpec]]:
    from engine.store import apply_schema

    con = duckdb.connect(":memory:")
    try:
        apply_schema(con)
        rows = con.sql(
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = 'main' "
            "ORDER BY table_name, ordinal_position"
        ).fetchall()
    finally:
        con.close()
    out: dict[str, list[ColumnSpec]] = {}
    for table, name, dtype, nullable, default in rows:
        has_default = default is not None
        out.setdefault(table, []).append(
            ColumnSpec(name, dtype, nullable == "NO" and not has_default, has_default, default)
        )
    return out


def table_columns(table: str) -> list[ColumnSpec]:
    """The canonical columns of ``table`` as declared in the DDL."""
    cat = _catalog()
    if table not in cat:
        from engine.errors import ConfigError

        raise ConfigError(f"unknown canonical table {table!r}", hint=f"one of {sorted(cat)}")
    return cat[table]


def data_columns(table: str) -> list[ColumnSpec]:
    """Canonical columns minus lineage columns (what a feed can supply)."""
    return [c for c in table_columns(table) if c.name not in LINEAGE_COLUMNS]


def primary_key(table: str) -> list[str]:
    return list(_primary_keys().get(table, []))


@functools.lru_cache(maxsize=1)
def _primary_keys() -> dict[str, list[str]]:
    from engine.store import apply_schema

    con = duckdb.connect(":memory:")
    try:
        apply_schema(con)
        rows = con.sql(
            "SELECT table_name, constraint_column_names FROM duckdb_constraints() "
            "WHERE constraint_type = 'PRIMARY KEY'"
        ).fetchall()
    finally:
        con.close()
    return {t: list(cols) for t, cols in rows}


def register_udfs(con: duckdb.DuckDBPyConnection) -> None:
    """Register the identifier checks used by rules (vectorised over Arrow arrays)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from engine.identifiers import isin_check_digit_ok, lei_check_ok

    def _vec(fn):  # type: ignore[no-untyped-def]
        # The check runs once per DISTINCT value (dictionary encoding), then is gathered back
        # to the rows with a vectorised take: no Python work per row.
        def inner(arr):  # type: ignore[no-untyped-def]  # (no annotations: duckdb evaluates them)
            enc = pc.dictionary_encode(arr)
            if isinstance(enc, pa.ChunkedArray):
                enc = enc.combine_chunks()
            ok = pa.array([fn(v) for v in enc.dictionary.to_pylist()], type=pa.bool_())
            return pc.take(ok, enc.indices)

        return inner

    for name, fn in (("isin_ok", isin_check_digit_ok), ("lei_ok", lei_check_ok)):
        try:
            con.remove_function(name)
        except Exception:  # noqa: BLE001 - not registered yet
            pass
        con.create_function(name, _vec(fn), ["VARCHAR"], "BOOLEAN", type="arrow")


#: Values derived when a feed does not supply a column: SQL over the typed candidate columns.
#: (A blotter without versions is version 1, NEW, known on its trade date.)
FALLBACKS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    # column: (SQL expression, columns it needs)
    "fo_trades": {
        "version": ("1", ()),
        "status": ("'NEW'", ()),
        "known_date": ('"trade_date"', ("trade_date",)),
        "instrument_id": (
            '(SELECT r.instrument_id FROM ref_instruments AS r WHERE r.isin = c."isin" LIMIT 1)', ("isin",)
        ),
        "isin": (
            '(SELECT r.isin FROM ref_instruments AS r WHERE r.instrument_id = c."instrument_id" LIMIT 1)',
            ("instrument_id",),
        ),
    },
    "bo_settlements": {
        "seq": ("1", ()),
        "known_date": (
            'coalesce("actual_settle_date", "intended_settle_date", "trade_date")',
            ("actual_settle_date", "intended_settle_date", "trade_date"),
        ),
        "payment": ("'APMT'", ()),
    },
    "bo_cash_movements": {
        "known_date": ('coalesce("booking_date", "value_date")', ("booking_date", "value_date")),
        "is_reversal": ("false", ()),
    },
}

"""Inline worlds for the positions / exposures / limits / P&L tests: a real DuckDB store under
tmp_path, hand-written reference rows, trades and market data, and a run of this issue's steps."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from engine import store
from engine.config import Config, load_config
from engine.run import RunResult, run_eod

STEPS = ("trades_asof", "positions", "exposures", "pnl", "limits")


def make_cfg(tmp_path: Path, **overrides: Any) -> Config:
    base = {
        "store": {
            "path": str(tmp_path / "s.duckdb"),
            "published_path": str(tmp_path / "p.duckdb"),
            "workflow_path": str(tmp_path / "w.duckdb"),
        }
    }
    for k, v in overrides.items():
        base[k] = v
    return load_config(environ={}, overrides=base)


def insert(cfg: Config, table: str, rows: Iterable[dict[str, Any]], con: Any = None) -> None:
    """Insert rows (dicts of column -> value) into a canonical table by column name."""
    rows = list(rows)
    if not rows:
        return
    if con is None:
        with store.connect(cfg) as c:
            insert(cfg, table, rows, c)
        return
    for r in rows:  # a handful of hand-written rows
        cols = ", ".join(r)
        marks = ", ".join("?" for _ in r)
        con.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(r.values()))  # noqa: S608


def reference(cfg: Config) -> None:
    """One legal entity, desks EQ and RATES, books B1 (FIFO), B2 (LIFO), B3 (AVERAGE) on EQ,
    R1 (FIFO) on RATES; counterparties C1 (parent P), C2 (parent P), C3; a few instruments."""
    with store.connect(cfg) as con:
        _reference(cfg, con)


def _reference(cfg: Config, con: Any) -> None:
    insert(cfg, "ref_legal_entities", [{"legal_entity_id": "LE1", "name": "Bank", "base_currency": "USD"}], con)
    insert(
        cfg,
        "ref_books",
        [
            {"book_id": "B1", "desk": "EQ", "legal_entity_id": "LE1", "trader": "alice", "lot_method": "FIFO"},
            {"book_id": "B2", "desk": "EQ", "legal_entity_id": "LE1", "trader": "bob", "lot_method": "LIFO"},
            {"book_id": "B3", "desk": "EQ", "legal_entity_id": "LE1", "trader": "bob", "lot_method": "AVERAGE"},
            {"book_id": "R1", "desk": "RATES", "legal_entity_id": "LE1", "trader": "carol", "lot_method": "FIFO"},
        ],
        con,
    )
    insert(
        cfg,
        "ref_counterparties",
        [
            {"counterparty_id": "P", "name": "Parent", "country": "GB", "sector": "BANK"},
            {"counterparty_id": "C1", "name": "Child one", "parent_id": "P", "country": "GB", "sector": "BANK"},
            {"counterparty_id": "C2", "name": "Child two", "parent_id": "P", "country": "DE", "sector": "BANK"},
            {"counterparty_id": "C3", "name": "Other", "country": "US", "sector": "FUND"},
        ],
        con,
    )
    insert(
        cfg,
        "ref_instruments",
        [
            {"instrument_id": "EQA", "name": "Equity A", "asset_class": "EQUITY", "currency": "USD",
             "issuer": "ISS_A", "sector": "TECH", "country": "US"},
            {"instrument_id": "EQB", "name": "Equity B", "asset_class": "EQUITY", "currency": "USD",
             "issuer": "ISS_B", "sector": "BANKS", "country": "US"},
            {"instrument_id": "EQE", "name": "Equity EUR", "asset_class": "EQUITY", "currency": "EUR",
             "issuer": "ISS_E", "sector": "TECH", "country": "DE"},
            {"instrument_id": "FUT", "name": "Index future", "asset_class": "FUTURE", "currency": "EUR",
             "country": "DE", "price_multiplier": 50, "maturity_date": date(2024, 12, 20)},
            {"instrument_id": "UST", "name": "UST 4.5% 2030", "asset_class": "GOVT_BOND", "currency": "USD",
             "issuer": "UST", "sector": "GOVT", "country": "US", "price_multiplier": 0.01, "coupon_rate": 0.045,
             "coupon_freq": 2, "day_count": "ACT/ACT", "issue_date": date(2020, 2, 15), "maturity_date": date(2030, 2, 15)},
            {"instrument_id": "EURUSD3M", "name": "EURUSD forward", "asset_class": "FX_FORWARD", "currency": "USD",
             "underlying": "EURUSD", "quote_currency": "USD", "maturity_date": date(2024, 6, 17)},
        ],
        con,
    )


_trade_no = 0


def trade(
    trade_id: str,
    book_id: str,
    instrument_id: str,
    side: str,
    quantity: float,
    price: float,
    trade_date: date,
    settle_date: date | None = None,
    **kw: Any,
) -> dict[str, Any]:
    row = {
        "trade_id": trade_id,
        "version": 1,
        "status": "NEW",
        "known_date": trade_date,
        "book_id": book_id,
        "instrument_id": instrument_id,
        "side": side,
        "quantity": quantity,
        "price": price,
        "currency": "USD",
        "trade_date": trade_date,
        "settle_date": settle_date or trade_date,
        "counterparty_id": "C1",
    }
    row.update(kw)
    return row


def prices(cfg: Config, rows: Sequence[tuple[str, date, float]]) -> None:
    insert(cfg, "mkt_prices", [{"instrument_id": i, "price_date": d, "close": c} for i, d, c in rows])


def fx(cfg: Config, rows: Sequence[tuple[str, date, float]]) -> None:
    insert(cfg, "mkt_fx_rates", [{"currency": c, "rate_date": d, "rate_to_base": r} for c, d, r in rows])


def limit(limit_id: str, measure: str, value: float, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "limit_id": limit_id,
        "version": 1,
        "measure": measure,
        "limit_value": value,
        "currency": "USD",
        "valid_from": date(2024, 1, 1),
    }
    row.update(kw)
    return row


def run(cfg: Config, as_of: date | str, steps: Sequence[str] = STEPS) -> RunResult:
    return run_eod(cfg, as_of, steps=list(steps))


def read(cfg: Config, sql: str, params: dict[str, Any] | None = None) -> pl.DataFrame:
    with store.connect_reader(cfg) as con:
        return store.query(con, sql, params)


def one(cfg: Config, sql: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    df = read(cfg, sql, params)
    assert df.height == 1, f"expected one row, got {df.height}: {df}"
    return df.row(0, named=True)

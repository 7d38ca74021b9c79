"""Hand-written rows for the reconciliation tests: reference data, trades, settlements and cash
entries inserted into a real DuckDB store under tmp_path, and a run of the two recon steps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from engine import store
from engine.config import Config
from engine.run import RunResult, run_eod
from tests.conftest import make_config

#: A Friday; T-2 is the Wednesday before.
D = date(2024, 3, 15)
T2 = D - timedelta(days=2)
RECON_STEPS = ["trades_asof", "reconciliation", "cash_reconciliation"]

EQ = "US0378331005"      # Apple (liquid equity, USD)
EQ_ILL = "US5949181045"  # an illiquid equity (USD)
GOV = "DE0001102580"     # a Bund (sovereign bond, EUR, % of par)
CORP = "XS1234567896"    # a corporate bond (EUR, % of par)
JPY_EQ = "JP3633400001"  # a Japanese equity (JPY, no minor unit)


def config(tmp_path: Path, **recon: Any) -> Config:
    """A store under tmp_path; ``recon`` overrides keys of [reconciliation]."""
    return make_config(tmp_path, reconciliation=recon) if recon else make_config(tmp_path)


def seed_reference(con: Any) -> None:
    con.executemany(
        "INSERT INTO ref_instruments (instrument_id, isin, name, asset_class, currency, liquidity, price_multiplier) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [[EQ, EQ, "Apple", "EQUITY", "USD", "LIQUID", 1], [EQ_ILL, EQ_ILL, "Illiquid Co", "EQUITY", "USD", "ILLIQUID", 1],
         [GOV, GOV, "Bund 2034", "GOVT_BOND", "EUR", None, 0.01], [CORP, CORP, "Corp 2030", "CORP_BOND", "EUR", None, 0.01],
         [JPY_EQ, JPY_EQ, "Toyota", "EQUITY", "JPY", "LIQUID", 1], ["FXEURUSD", None, "EURUSD spot", "FX_SPOT", "USD", None, 1]],
    )
    con.execute(
        "INSERT INTO ref_accounts (account_id, custodian, counterparty_id, cash_account, currency) VALUES "
        "('ACC1', 'CUST_A', NULL, 'CASH-USD-1', 'USD'), ('ACC2', 'CUST_B', NULL, 'CASH-EUR-2', 'EUR'), "
        "('ACC3', 'CUST_C', NULL, 'CASH-JPY-3', 'JPY')"
    )
    con.execute(
        "INSERT INTO ref_counterparties (counterparty_id, name, bic) VALUES "
        "('CP1', 'Broker One', 'BRKOUS33XXX'), ('CP2', 'Broker Two', 'BRKTGB2LXXX')"
    )
    con.execute(
        "INSERT INTO mkt_fx_rates (currency, rate_date, rate_to_base) VALUES "
        "('USD', DATE '2024-03-01', 1), ('EUR', DATE '2024-03-01', 1.1), ('JPY', DATE '2024-03-01', 0.0067)"
    )


def trade(trade_id: str, **kw: Any) -> dict[str, Any]:
    """A custody trade (BUY 100 EQ at 150 USD, T+2 settling on D, account ACC1, CP1)."""
    row: dict[str, Any] = {
        "trade_id": trade_id, "version": 1, "status": "NEW", "known_date": T2, "book_id": "B1",
        "counterparty_id": "CP1", "instrument_id": EQ, "isin": EQ, "side": "BUY", "quantity": Decimal(100),
        "price": Decimal(150), "currency": "USD", "trade_date": T2, "settle_date": D,
        "net_amount": Decimal("15000.00"), "account_id": "ACC1", "place_of_settlement": "DTCYUS33",
        "block_id": None,
    }
    row.update(kw)
    if "instrument_id" not in kw and "isin" in kw:
        row["instrument_id"] = kw["isin"]
    return row


def settlement(settlement_id: str, trade_ref: str | None, **kw: Any) -> dict[str, Any]:
    """The custodian's record that agrees with :func:`trade` (SETTLED on D)."""
    row: dict[str, Any] = {
        "settlement_id": settlement_id, "seq": 1, "known_date": T2, "custodian": "CUST_A",
        "message_type": "CSV", "trade_ref": trade_ref, "account_id": "ACC1", "counterparty_id": "CP1",
        "counterparty_bic": None, "place_of_settlement": "DTCYUS33", "isin": EQ, "direction": "RECEIVE",
        "payment": "APMT", "quantity": Decimal(100), "settled_quantity": Decimal(100),
        "amount": Decimal("15000.00"), "settled_amount": Decimal("15000.00"), "currency": "USD",
        "trade_date": T2, "deal_price": Decimal(150), "intended_settle_date": D, "actual_settle_date": D,
        "status": "SETTLED", "reason_code": None,
    }
    row.update(kw)
    return row


def cash(movement_id: str, **kw: Any) -> dict[str, Any]:
    """A statement entry paying 15000 USD on D for settlement ``entry_ref``."""
    row: dict[str, Any] = {
        "movement_id": movement_id, "statement_id": "ST1", "account": "CASH-USD-1", "booking_date": D,
        "value_date": D, "amount": Decimal("-15000.00"), "currency": "USD", "is_reversal": False,
        "bank_tx_code": "SECU/SETT/TRAD", "end_to_end_id": None, "entry_ref": None, "known_date": D,
    }
    row.update(kw)
    return row


def _insert(con: Any, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
    rows = list(rows)
    if not rows:
        return
    cols = list(rows[0])
    con.executemany(
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",  # noqa: S608 - identifiers from code, values bound
        [[r.get(c) for c in cols] for r in rows],
    )


def load(cfg: Config, trades: Iterable[Mapping[str, Any]] = (), settlements: Iterable[Mapping[str, Any]] = (),
         movements: Iterable[Mapping[str, Any]] = (), *, reference: bool = True) -> None:
    with store.connect(cfg) as con:
        if reference and not store.scalar(con, "SELECT count(*) FROM ref_instruments"):
            seed_reference(con)
        _insert(con, "fo_trades", trades)
        _insert(con, "bo_settlements", settlements)
        _insert(con, "bo_cash_movements", movements)


def run(cfg: Config, as_of: date = D, steps: list[str] | None = None, *, publish: bool = False) -> RunResult:
    return run_eod(cfg, as_of, steps=steps or RECON_STEPS, publish=publish)


def breaks(cfg: Config, as_of: date = D, *, lifecycle: str | None = None) -> pl.DataFrame:
    with store.connect(cfg, read_only=True) as con:
        return store.query(
            con,
            "SELECT * FROM out_breaks WHERE as_of = $d AND ($l IS NULL OR lifecycle = $l) ORDER BY break_type, anchor",
            {"d": as_of, "l": lifecycle},
        )


def by_trade(df: pl.DataFrame, *, cash: bool = False) -> dict[str, list[str]]:
    """trade id (or 'S:'+settlement id for BO-only) -> sorted break types present (securities
    breaks only unless ``cash``)."""
    out: dict[str, list[str]] = {}
    keep = df.filter(pl.col("lifecycle") != "RESOLVED")
    keep = keep if cash else keep.filter(pl.col("category") != "CASH")
    for r in keep.iter_rows(named=True):
        key = r["trade_id"] or f"S:{r['settlement_id']}"
        out.setdefault(key, []).append(r["break_type"])
    return {k: sorted(v) for k, v in out.items()}


def fields(cfg: Config, break_id: str, as_of: date = D) -> pl.DataFrame:
    with store.connect(cfg, read_only=True) as con:
        return store.query(con, "SELECT * FROM out_break_fields WHERE break_id = $b AND as_of = $d ORDER BY precedence",
                           {"b": break_id, "d": as_of})

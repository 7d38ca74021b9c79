from decimal import Decimal

import duckdb
import pytest

from engine import store
from engine.errors import StoreVersionError


def test_schema_creates_canonical_tables_with_exact_decimals(cfg) -> None:
    with store.connect(cfg) as con:
        types = dict(
            con.sql(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'fo_trades'"
            ).fetchall()
        )
        tables = {r[0] for r in con.sql("SELECT table_name FROM information_schema.tables").fetchall()}
    assert types["quantity"].startswith("DECIMAL") and types["net_amount"].startswith("DECIMAL")
    assert types["trade_date"] == "DATE"
    for t in ("ref_instruments", "ref_counterparties", "ref_books", "ref_limits", "fo_trades", "bo_settlements",
              "bo_cash_movements", "mkt_prices", "mkt_fx_rates", "ops_load_batches", "ops_quarantine", "ops_runs"):
        assert t in tables


def test_reopening_is_idempotent_and_records_the_version(cfg) -> None:
    with store.connect(cfg) as con:
        con.execute("INSERT INTO mkt_prices (instrument_id, price_date, close) VALUES ('X', DATE '2024-01-02', 1.25)")
    with store.connect(cfg) as con:
        assert store.scalar(con, "SELECT close FROM mkt_prices") == Decimal("1.2500000000")
        assert store.scalar(con, "SELECT count(*) FROM ops_schema") == 1
        assert store.scalar(con, "SELECT max(version) FROM ops_schema") == store.SCHEMA_VERSION


def test_store_of_another_schema_version_is_refused(cfg) -> None:
    with store.connect(cfg):
        pass
    con = duckdb.connect(str(cfg.store_path))
    con.execute("UPDATE ops_schema SET version = 999")
    con.close()
    with pytest.raises(StoreVersionError, match="schema version 999"):
        with store.connect(cfg):
            pass
    with pytest.raises(StoreVersionError):
        with store.connect(cfg, read_only=True):
            pass


def test_transaction_rolls_back_on_error(cfg) -> None:
    with store.connect(cfg) as con:
        with pytest.raises(RuntimeError):
            with store.transaction(con):
                con.execute("INSERT INTO mkt_fx_rates (currency, rate_date, rate_to_base) VALUES ('EUR', DATE '2024-01-02', 1.1)")
                raise RuntimeError("boom")
        assert store.scalar(con, "SELECT count(*) FROM mkt_fx_rates") == 0


def test_publish_gives_readers_a_snapshot(cfg) -> None:
    with store.connect(cfg) as con:
        con.execute("INSERT INTO mkt_fx_rates (currency, rate_date, rate_to_base) VALUES ('EUR', DATE '2024-01-02', 1.1)")
    store.publish(cfg)
    with store.connect(cfg) as con:  # the writer goes on; the reader sees the published state
        con.execute("INSERT INTO mkt_fx_rates (currency, rate_date, rate_to_base) VALUES ('GBP', DATE '2024-01-02', 1.3)")
        with store.connect_reader(cfg) as reader:
            assert store.scalar(reader, "SELECT count(*) FROM mkt_fx_rates") == 1

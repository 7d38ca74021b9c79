"""Market and reference data from CSV or Parquet: prices, FX rates, instruments (ISIN check digit),
counterparties (LEI check digits), books, SSIs, limits. Identifiers below are published ones:
ISINs from the ISIN article's examples (Apple US0378331005, BAE Systems GB0002634946, AU0000XVGZA3),
LEIs of GLEIF (506700GE1G29325QX363), Deutsche Bank (7LTWFZYICNSX8D621K86), Apple (HWUPKR0MPOU8FGXBT394)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from connectors import loader
from engine import store
from engine.errors import UnknownFormatError
from tests.conftest import make_config

INSTRUMENTS = """instrument_id,isin,name,asset_class,currency,price_multiplier,coupon_rate,maturity_date
US0378331005,US0378331005,Apple Inc,EQUITY,USD,1,,
GB0002634946,GB0002634946,BAE Systems,EQUITY,GBP,1,,
AU0000XVGZA3,AU0000XVGZA3,Example AU,CORP_BOND,AUD,0.01,0.045,2031-06-15
US0378331006,US0378331006,Apple with a wrong check digit,EQUITY,USD,1,,
XX12,XX12,Too short,EQUITY,USD,1,,
"""
COUNTERPARTIES = """counterparty_id,name,lei,bic,rating,country
GLEIF,Global Legal Entity Identifier Foundation,506700GE1G29325QX363,,,CH
DB,Deutsche Bank AG,7LTWFZYICNSX8D621K86,DEUTDEFFXXX,A,DE
APPLE,Apple Inc,HWUPKR0MPOU8FGXBT394,,AA+,US
TYPO,Typo Bank,7LTWFZYICNSX8D621K87,,,DE
"""


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _q(cfg, table: str | None = None) -> list[tuple]:
    with store.connect(cfg) as con:
        sql = "SELECT line_no, rule, reason FROM ops_quarantine"
        if table:
            return con.sql(sql + " WHERE target_table = ? ORDER BY line_no", params=[table]).fetchall()
        return con.sql(sql + " ORDER BY line_no").fetchall()


def test_instruments_isin_check_digit_is_verified(cfg, tmp_path) -> None:
    b = loader.load_file(cfg, _write(tmp_path / "instruments.csv", INSTRUMENTS))
    assert (b.rows_read, b.rows_loaded, b.rows_quarantined) == (5, 3, 2)
    q = _q(cfg)
    assert [(r[0], r[1]) for r in q] == [(5, "bad_isin"), (6, "bad_isin")]
    assert "US0378331006" in q[0][2]
    with store.connect(cfg) as con:
        row = con.sql("SELECT price_multiplier, coupon_rate, maturity_date FROM ref_instruments WHERE isin = 'AU0000XVGZA3'").fetchall()
    assert row == [(Decimal("0.010000"), Decimal("0.04500000"), date(2031, 6, 15))]


def test_counterparties_lei_check_digits_are_verified(cfg, tmp_path) -> None:
    b = loader.load_file(cfg, _write(tmp_path / "cpty.csv", COUNTERPARTIES))
    assert (b.rows_read, b.rows_loaded, b.rows_quarantined) == (4, 3, 1)
    assert _q(cfg)[0][:2] == (5, "bad_lei")


def test_books_ssis_limits_prices_and_fx_from_csv(cfg, tmp_path) -> None:
    files = [
        _write(tmp_path / "instruments.csv", INSTRUMENTS),
        _write(tmp_path / "books.csv", "book_id,book_name,desk,legal_entity_id,trader,lot_method\n"
               "EQ1,Cash equities,EQUITIES,LE1,alice,FIFO\nEQ2,Prop,EQUITIES,LE1,bob,HIFO\n"),
        _write(tmp_path / "ssi.csv", "account_id,custodian,custodian_bic,counterparty_id,place_of_settlement,cash_account,currency\n"
               "SAFE-US-1,CUST_A,CUSAUS33XXX,,DTCYUS33,US12CASH,USD\n"),
        _write(tmp_path / "limits.csv", "limit_id,version,measure,scope_book,limit_value,currency,valid_from,valid_to\n"
               "L1,1,GROSS_EXPOSURE,EQ1,5000000,USD,2026-01-01,\nL2,1,NOTIONAL,EQ1,100,USD,2026-02-01,2026-01-01\n"),
        _write(tmp_path / "prices.csv", "instrument_id,price_date,close\n"
               "US0378331005,2026-01-05,187.25\nUS0378331005,2026-01-06,-1\nNOPE,2026-01-05,1\n"),
        _write(tmp_path / "fx.csv", "currency,rate_date,rate_to_base\nEUR,2026-01-05,1.0842\nGBP,2026-01-05,0\nXYZ,2026-01-05,1\n"),
    ]
    report = loader.load_paths(cfg, files)
    by = {Path(b.path).name: (b.feed, b.rows_loaded, b.rows_quarantined) for b in report.batches}
    assert by == {
        "instruments.csv": ("sample_instruments", 3, 2),
        "books.csv": ("sample_books", 1, 1),
        "ssi.csv": ("sample_accounts", 1, 0),
        "limits.csv": ("sample_limits", 1, 1),
        "prices.csv": ("sample_prices", 1, 2),
        "fx.csv": ("sample_fx_rates", 1, 2),
    }
    rules = {(t, r) for t, r in _rules(cfg)}
    assert rules >= {("ref_books", "bad_lot_method"), ("ref_limits", "valid_to_before_from"),
                     ("mkt_prices", "negative_close"), ("mkt_prices", "unknown_instrument"),
                     ("mkt_fx_rates", "non_positive_rate_to_base"), ("mkt_fx_rates", "unknown_currency")}


def _rules(cfg) -> list[tuple[str, str]]:
    with store.connect(cfg) as con:
        return con.sql("SELECT target_table, rule FROM ops_quarantine").fetchall()


def test_parquet_with_canonical_columns_loads_through_the_csv_mapping(cfg, tmp_path) -> None:
    inst = _write(tmp_path / "instruments.csv", INSTRUMENTS)
    prices = tmp_path / "prices.parquet"
    pl.DataFrame(
        {
            "instrument_id": ["US0378331005", "GB0002634946", "US0378331005"],
            "price_date": [date(2026, 1, 5), date(2026, 1, 5), date(2026, 1, 6)],
            "close": [Decimal("187.25"), Decimal("1234.5"), Decimal("-3")],
        },
        schema_overrides={"close": pl.Decimal(18, 4)},
    ).write_parquet(prices)
    report = loader.load_paths(cfg, [inst, prices])
    b = report.batches[-1]
    assert (b.connector, b.feed, b.rows_read, b.rows_loaded, b.rows_quarantined) == ("parquet", "sample_prices", 3, 2, 1)
    with store.connect(cfg) as con:
        got = con.sql("SELECT instrument_id, price_date, close FROM mkt_prices ORDER BY instrument_id").fetchall()
        q = con.sql("SELECT line_no, rule FROM ops_quarantine WHERE target_table = 'mkt_prices'").fetchall()
    assert got == [("GB0002634946", date(2026, 1, 5), Decimal("1234.5000000000")),
                   ("US0378331005", date(2026, 1, 5), Decimal("187.2500000000"))]
    assert q == [(3, "negative_close")]


def test_parquet_vendor_feed_with_its_own_mapping(tmp_path) -> None:
    cfg = make_config(tmp_path, feeds={"vendor_fx": {
        "table": "mkt_fx_rates", "format": "parquet",
        "columns": {"currency": "CCY", "rate_date": "AsOf", "rate_to_base": "USD per unit"},
    }})
    fx = tmp_path / "fx.parquet"
    pl.DataFrame({"CCY": ["EUR", "JPY"], "AsOf": ["2026-01-05", "2026-01-05"], "USD per unit": [1.0842, 0.0064]}).write_parquet(fx)
    b = loader.load_file(cfg, fx)
    assert (b.feed, b.rows_loaded) == ("vendor_fx", 2)
    with store.connect(cfg) as con:
        got = con.sql("SELECT currency, rate_to_base FROM mkt_fx_rates ORDER BY currency").fetchall()
    assert got == [("EUR", Decimal("1.084200000000")), ("JPY", Decimal("0.006400000000"))]


def test_reference_reload_replaces_by_key(cfg, tmp_path) -> None:
    loader.load_file(cfg, _write(tmp_path / "p1.csv", "instrument_id,price_date,close\nX,2026-01-05,10\n"))
    loader.load_file(cfg, _write(tmp_path / "p2.csv", "instrument_id,price_date,close\nX,2026-01-05,11\n"))
    with store.connect(cfg) as con:
        assert con.sql("SELECT close FROM mkt_prices").fetchall() == [(Decimal("11.0000000000"),)]


def test_a_parquet_file_nobody_maps_is_refused(cfg, tmp_path) -> None:
    odd = tmp_path / "odd.parquet"
    pl.DataFrame({"foo": [1], "bar": ["x"]}).write_parquet(odd)
    with pytest.raises(UnknownFormatError, match=r"parquet \(Parquet file"):
        loader.load_file(cfg, odd)

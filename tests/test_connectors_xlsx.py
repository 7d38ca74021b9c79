"""XLSX trade blotters through the same declarative mapping as CSV blotters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter

from connectors import loader
from engine import store
from engine.errors import BadInputError, UnknownFormatError
from tests.conftest import make_config

HEADER = ["Trade Ref", "Book", "Instrument", "B/S", "Quantity", "Price", "Ccy", "Trade Date", "Settlement Date"]


def write_xlsx(path: Path, rows: list[list[object]], *, header: list[str] = HEADER, title: bool = True,
               sheet: str = "Trades", extra_sheet_first: bool = False) -> Path:
    wb = xlsxwriter.Workbook(path)
    if extra_sheet_first:
        wb.add_worksheet("Notes").write(0, 0, "read me first")
    ws = wb.add_worksheet(sheet)
    datefmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    r = 0
    if title:
        ws.write(0, 0, "ACME Securities - daily trade blotter")
        ws.write(1, 0, "generated 05/01/2026 18:00")
        r = 3
    ws.write_row(r, 0, header)
    for i, row in enumerate(rows, start=r + 1):
        for j, v in enumerate(row):
            if isinstance(v, dt.date):
                ws.write_datetime(i, j, dt.datetime(v.year, v.month, v.day), datefmt)
            elif v is not None:
                ws.write(i, j, v)
    wb.close()
    return path


def _trades(cfg) -> list[tuple]:
    with store.connect(cfg) as con:
        return con.sql(
            "SELECT trade_id, version, status, book_id, instrument_id, side, quantity, price, currency, trade_date, "
            "settle_date, known_date, fees, src_line FROM fo_trades ORDER BY trade_id"
        ).fetchall()


def test_vendor_blotter_with_title_block_date_cells_and_text_dates(cfg, tmp_path) -> None:
    path = write_xlsx(tmp_path / "acme.xlsx", [
        ["A-1", "EQ1", "US0378331005", "B", 100, 187.25, "USD", dt.date(2026, 1, 5), dt.date(2026, 1, 7)],
        [None] * 9,                                                   # a blank row in the middle
        ["A-2", "EQ1", "US0378331005", "Sell", 0.1 + 0.2, 0.0000001, "USD", "05/01/2026", "07/01/2026"],
    ])
    b = loader.load_file(cfg, path)
    assert (b.connector, b.feed, b.rows_read, b.rows_loaded, b.rows_quarantined) == ("xlsx", "xlsx_blotter", 2, 2, 0)
    d5, d7 = dt.date(2026, 1, 5), dt.date(2026, 1, 7)
    assert _trades(cfg) == [
        ("A-1", 1, "NEW", "EQ1", "US0378331005", "BUY", Decimal("100.000000"), Decimal("187.2500000000"), "USD",
         d5, d7, d5, Decimal("0.0000"), 5),
        ("A-2", 1, "NEW", "EQ1", "US0378331005", "SELL", Decimal("0.300000"), Decimal("1E-7"), "USD",
         d5, d7, d5, Decimal("0.0000"), 7),
    ]


def test_csv_and_xlsx_blotters_share_one_mapping(tmp_path) -> None:
    feed = {"table": "fo_trades", "date_format": "%d/%m/%Y", "decimal_separator": ",",
            "sign_convention": "signed_quantity", "defaults": {"currency": "EUR", "book_id": "B-EU"},
            "columns": {"trade_id": "Deal", "instrument_id": "Security", "quantity": "Qty", "price": "Px",
                        "trade_date": "Trade Dt"}}
    cfg = make_config(tmp_path, feeds={"deals_csv": {**feed, "format": "csv"}, "deals_xlsx": {**feed, "format": "xlsx"}})
    csv = tmp_path / "deals.csv"
    csv.write_text("Deal;Security;Qty;Px;Trade Dt\nD1;US0378331005;-250;101,5;02/01/2026\nD2;US0378331005;40;99;03/01/2026\n")
    xlsx = write_xlsx(tmp_path / "deals.xlsx", [["D1", "US0378331005", "-250", "101,5", "02/01/2026"],
                                               ["D2", "US0378331005", 40, 99, "03/01/2026"]],
                      header=["Deal", "Security", "Qty", "Px", "Trade Dt"], title=False)
    cfg_x = make_config(tmp_path / "x", feeds={"deals_xlsx": {**feed, "format": "xlsx"}})
    assert loader.load_file(cfg, csv).feed == "deals_csv"
    assert loader.load_file(cfg_x, xlsx).feed == "deals_xlsx"
    strip = [r[:-1] for r in _trades(cfg)]  # src_line differs (CSV line vs Excel row)
    assert strip == [r[:-1] for r in _trades(cfg_x)]
    assert strip[0][:9] == ("D1", 1, "NEW", "B-EU", "US0378331005", "SELL", Decimal("250.000000"),
                            Decimal("101.5000000000"), "EUR")


def test_bad_rows_are_quarantined_with_their_excel_row(cfg, tmp_path) -> None:
    path = write_xlsx(tmp_path / "bad.xlsx", [
        ["B-1", "EQ1", "US0378331005", "B", 0, 10, "USD", "05/01/2026", "07/01/2026"],
        ["B-2", "EQ1", "US0378331005", "B", -5, 10, "USD", "05/01/2026", "07/01/2026"],
        ["B-3", "EQ1", "US0378331005", "B", 5, 10, "XXX", "05/01/2026", "07/01/2026"],
        ["B-4", "EQ1", "US0378331005", "B", 5, 10, "USD", "31/02/2026", "07/01/2026"],
        ["B-5", "EQ1", "US0378331005", "Hold", 5, 10, "USD", "05/01/2026", "07/01/2026"],
        ["B-1", "EQ1", "US0378331005", "B", 5, 10, "USD", "05/01/2026", "07/01/2026"],
    ])
    b = loader.load_file(cfg, path)
    assert (b.rows_read, b.rows_loaded, b.rows_quarantined) == (6, 0, 6)
    with store.connect(cfg) as con:
        q = con.sql("SELECT line_no, rule FROM ops_quarantine ORDER BY line_no").fetchall()
    assert q == [(5, "non_positive_quantity"), (6, "non_positive_quantity"), (7, "unknown_currency"),
                 (8, "bad_value"), (9, "bad_side"), (10, "duplicate_key")]


def test_renamed_column_is_refused_naming_it(cfg, tmp_path) -> None:
    header = [h if h != "Quantity" else "Qty (shares)" for h in HEADER]
    path = write_xlsx(tmp_path / "renamed.xlsx", [["R-1", "EQ1", "US0378331005", "B", 1, 1, "USD", "05/01/2026", ""]],
                      header=header)
    with pytest.raises(BadInputError, match=r"Quantity") as err:
        loader.load_file(cfg, path)
    assert "Qty (shares)" in str(err.value) and "xlsx_blotter" in str(err.value)


def test_pinned_sheet_and_a_workbook_nobody_maps(tmp_path) -> None:
    cfg = make_config(tmp_path, feeds={"xlsx_blotter": {"sheet": "Trades"}})
    path = write_xlsx(tmp_path / "two.xlsx", [["P-1", "EQ1", "US0378331005", "B", 1, 2, "USD", "05/01/2026", ""]],
                      extra_sheet_first=True)
    assert loader.load_file(cfg, path).rows_loaded == 1
    other = write_xlsx(tmp_path / "other.xlsx", [["x", "y"]], header=["Foo", "Bar"])
    with pytest.raises(UnknownFormatError, match=r"xlsx \(Excel workbook"):
        loader.load_file(cfg, other)

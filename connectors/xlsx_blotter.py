"""Excel workbooks (.xlsx, .xls, .ods) mapped declaratively onto canonical tables, exactly as CSV
feeds are (:mod:`connectors.mapping`): a trade blotter, a custodian report or reference data.

A workbook is recognised by its content: a ZIP/OLE container that fastexcel opens, with a sheet
whose header row fits a ``[feeds.NAME]`` of ``format = "xlsx"``. The header need not be the
first row (vendor blotters carry a title block above it): the first 20 rows of each sheet are
searched. A feed may pin its sheet with ``sheet = "Trades"`` (name) or ``sheet = 0`` (index).

Cells are read as text by fastexcel, so numbers reach the mapping as Excel displays them at full
precision (``0.1 + 0.2`` typed into a cell is 0.3) and dates as ``YYYY-MM-DD`` (a date cell) or
the text typed (a text cell, parsed with the feed's ``date_format``). Blank rows are skipped.
``src_line`` is the Excel row number. A workbook whose best sheet matches most, but not all,
of a feed's columns is taken as that feed and refused with the columns it lacks (a renamed or
missing column), rather than as an unknown format.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import fastexcel
import polars as pl

from connectors import mapping
from connectors.base import Parsed
from connectors.csv_feed import best_feed, feeds_of_format, parse_relation
from engine.config import Config
from engine.errors import BadInputError

log = logging.getLogger(__name__)

HEADER_SCAN_ROWS = 20
_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # ZIP (xlsx, ods) and OLE2 (xls)


@dataclass(frozen=True)
class _Found:
    feed: str
    sheet: int
    header_row: int          # 0-based row of the header in the sheet
    header: list[str]
    complete: bool           # every required column of the feed is present


def _open(path: Path) -> fastexcel.ExcelReader:
    try:
        return fastexcel.read_excel(path)
    except Exception as exc:  # noqa: BLE001 - fastexcel raises its own error family
        raise BadInputError(
            f"cannot read the workbook: {exc}", path=str(path), expected="a readable .xlsx/.xls/.ods workbook"
        ) from exc


def _grid(reader: fastexcel.ExcelReader, sheet: int, n_rows: int | None = None) -> pl.DataFrame:
    """A sheet as text cells, no header interpretation (columns __UNNAMED__0..)."""
    frame = reader.load_sheet(sheet, header_row=None, dtypes="string", n_rows=n_rows).to_polars()
    return frame


def _header_cells(row: tuple[Any, ...]) -> list[str]:
    return [str(v).strip() if v is not None else "" for v in row]


def _sheet_allowed(feed_cfg: dict[str, Any], reader: fastexcel.ExcelReader, sheet: int) -> bool:
    want = feed_cfg.get("sheet")
    if want is None:
        return True
    if isinstance(want, int):
        return want == sheet
    return str(want) == reader.sheet_names[sheet]


def _find(cfg: Config, path: Path, feed: str | None = None) -> _Found | None:
    """The sheet and header row that fit a feed best (or fit ``feed``)."""
    feeds = feeds_of_format(cfg, "xlsx")
    if feed is not None:
        feeds = {feed: feeds[feed]} if feed in feeds else {}
    if not feeds:
        return None
    reader = _open(path)
    partial: tuple[int, _Found] | None = None
    for sheet in range(len(reader.sheet_names)):
        allowed = {n: f for n, f in feeds.items() if _sheet_allowed(f, reader, sheet)}
        if not allowed:
            continue
        grid = _grid(reader, sheet, HEADER_SCAN_ROWS)
        for r, row in enumerate(grid.iter_rows()):
            header = [h for h in _header_cells(row) if h]
            if len(header) < 2:
                continue
            sub = Config({**cfg.data, "feeds": allowed}, cfg.source)
            name = best_feed(sub, "xlsx", header)
            if name is not None:
                return _Found(name, sheet, r, _header_cells(row), True)
            for n, f in allowed.items():
                m = mapping.resolve(n, f, header)
                hits = len(m.source_of)
                if f.get("columns") and hits >= 2 and hits > len(m.missing_required) and (
                    partial is None or hits > partial[0]
                ):
                    partial = (hits, _Found(n, sheet, r, _header_cells(row), False))
    return partial[1] if partial else None


class XlsxBlotterConnector:
    name = "xlsx"
    description = 'Excel workbook mapped by a [feeds.*] section (format = "xlsx")'

    def identify(self, path: Path, head: bytes, cfg: Config) -> str | None:
        if not head.startswith(_SIGNATURES) or not feeds_of_format(cfg, "xlsx"):
            return None
        try:
            found = _find(cfg, path)
        except BadInputError:
            return None
        return found.feed if found else None

    def parse(self, path: Path, feed: str, cfg: Config) -> Parsed:
        found = _find(cfg, path, feed)
        feed_cfg = cfg.section("feeds")[feed]
        if found is None:
            raise BadInputError(
                f"no sheet has a header row for feed '{feed}'", path=str(path),
                expected=f"the columns of [feeds.{feed}.columns] in one of the first {HEADER_SCAN_ROWS} rows",
            )
        header = [h if h else f"column_{i + 1}" for i, h in enumerate(found.header)]
        if len(set(header)) != len(header):
            raise BadInputError("duplicate column names in the header row", path=str(path),
                                line=found.header_row + 1, found=str(header))
        m = mapping.resolve(feed, feed_cfg, [h for h in found.header if h])
        mapping.require_complete(m, str(path), [h for h in found.header if h])
        reader = _open(path)
        grid = _grid(reader, found.sheet)
        grid = grid.select(grid.columns[: len(header)])
        grid.columns = header
        data = (
            grid.with_row_index("src_line", offset=1)
            .slice(found.header_row + 1)
            .with_columns(pl.col("src_line").cast(pl.Int64))
            .filter(~pl.all_horizontal(pl.exclude("src_line").is_null() | (pl.exclude("src_line").str.strip_chars() == "")))
            # a date cell comes as 'YYYY-MM-DD 00:00:00': keep the date
            .with_columns(pl.exclude("src_line").str.replace(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$", "$1"))
        )
        con = duckdb.connect(":memory:")
        try:
            con.register("xl", data.to_arrow())
            cols = ", ".join(mapping._q(h) for h in header)
            parsed = parse_relation(
                con, f"SELECT src_line, {cols} FROM xl", {},  # noqa: S608 - identifiers quoted
                feed=feed, feed_cfg=feed_cfg, header=header, path=path,
            )
        finally:
            con.close()
        log.info("%s: feed %s, sheet %r, header on row %d", path, feed, reader.sheet_names[found.sheet], found.header_row + 1)
        return parsed


# ---------------------------------------------------------------------------------------------
# Writer for the sample world (connectors/sample_world/writers.py: FEED_WRITERS["XLSX"])
# ---------------------------------------------------------------------------------------------

SAMPLE_FEED = "xlsx_blotter"
_MAX_EXACT_DIGITS = 15  # a decimal with more significant digits is written as text (a double would round it)


def _vendor_headers() -> dict[str, str]:
    import tomllib

    from engine.config import default_config_text

    return dict(tomllib.loads(default_config_text())["feeds"][SAMPLE_FEED]["columns"])


def _exact_number(text: str) -> float | None:
    """The float of a decimal text if a spreadsheet cell keeps it exactly, else None."""
    from decimal import Decimal, InvalidOperation

    try:
        d = Decimal(text)
    except InvalidOperation:
        return None
    if len(d.as_tuple().digits) > _MAX_EXACT_DIGITS:
        return None
    return float(d)


def write_sample_trades_xlsx(frame: pl.DataFrame, path: Path, table: str) -> None:
    """Write canonical ``fo_trades`` rows as a desk's Excel blotter: a title block, then a header
    row of vendor-style names (the ``xlsx_blotter`` feed's mapping), dates as date cells,
    decimals as numbers (as text when a double could not hold them exactly), B/S sides."""
    import datetime as dt

    import xlsxwriter

    if table != "fo_trades":
        raise ValueError(f"the XLSX blotter writer carries fo_trades only, not {table}")
    path.parent.mkdir(parents=True, exist_ok=True)
    headers = _vendor_headers()
    cols = [c for c in frame.columns if c in headers]
    out = frame.with_columns(pl.col("side").replace_strict({"BUY": "B", "SELL": "S"}, default=pl.col("side")))
    numeric = {c for c in cols if frame.schema[c] == pl.String and c in _NUMERIC_COLUMNS}
    wb = xlsxwriter.Workbook(path, {"constant_memory": True})
    # a fixed creation time keeps the file's bytes deterministic for a seed
    wb.set_properties({"created": dt.datetime(2000, 1, 1)})
    try:
        ws = wb.add_worksheet("Trades")
        datefmt = wb.add_format({"num_format": "dd/mm/yyyy"})
        ws.write(0, 0, "Desk trade blotter (sample world)")
        ws.write_row(2, 0, [headers[c] for c in cols])
        for r, row in enumerate(out.select(cols).iter_rows(), start=3):  # cells: the writer's API is per cell
            for j, (c, v) in enumerate(zip(cols, row, strict=True)):
                if v is None:
                    continue
                if isinstance(v, dt.date):
                    ws.write_datetime(r, j, dt.datetime(v.year, v.month, v.day), datefmt)
                elif isinstance(v, bool):
                    ws.write_boolean(r, j, v)
                elif c in numeric and (num := _exact_number(v)) is not None:
                    ws.write_number(r, j, num)
                elif isinstance(v, int | float):
                    ws.write_number(r, j, v)
                else:
                    ws.write_string(r, j, str(v))
    finally:
        wb.close()


_NUMERIC_COLUMNS = frozenset({
    "quantity", "price", "gross_amount", "fees", "accrued_interest", "net_amount", "notional", "mtm",
    "option_strike", "underlying_price", "volatility", "fixed_rate",
})

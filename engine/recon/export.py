"""Exports of the break list for settlement teams: CSV, XLSX or Parquet.

- Stable columns: :data:`engine.recon.workflow.LIST_COLUMNS`, in that order.
- Safe against spreadsheet formula injection: a text value starting with ``=``, ``+``, ``-``,
  ``@`` (or a tab / carriage return) is written with a leading apostrophe, so that a spreadsheet
  shows it as text instead of running it (OWASP "CSV injection"). Numbers stay numbers.
- XLSX has real types (dates as dates, amounts and quantities as numbers with a number format)
  and a ``Summary`` sheet (breaks by type and status, by age bucket, totals, the filters used).
- Parquet keeps exact decimals and the id lists.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from engine.errors import BadInputError

log = logging.getLogger(__name__)

FORMATS = ("csv", "xlsx", "parquet")
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str | None) -> str | None:
    """A text value made safe for spreadsheets (a leading apostrophe before =, +, -, @, tab, CR)."""
    if value is None or value == "":
        return value
    return "'" + value if value.startswith(_DANGEROUS) else value


def _flatten_lists(df: pl.DataFrame) -> pl.DataFrame:
    lists = [c for c, t in df.schema.items() if isinstance(t, pl.List)]
    return df.with_columns([pl.col(c).list.join(" ") for c in lists]) if lists else df


def _safe_text(df: pl.DataFrame) -> pl.DataFrame:
    text = [c for c, t in df.schema.items() if t == pl.Utf8]
    if not text:
        return df
    return df.with_columns([
        pl.when(pl.col(c).str.contains(r"^[=+\-@\t\r]")).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c in text
    ])


def _format_of(path: Path, fmt: str | None) -> str:
    f = (fmt or path.suffix.lstrip(".")).lower()
    if f not in FORMATS:
        raise BadInputError("unknown export format", expected=" | ".join(FORMATS), found=repr(fmt or path.suffix))
    return f


def write(frame: pl.DataFrame, path: Path, fmt: str | None = None, *, filters: dict[str, Any] | None = None) -> Path:
    """Write ``frame`` (a break list) to ``path`` in ``fmt`` (default: from the suffix)."""
    from engine.recon.workflow import LIST_COLUMNS

    f = _format_of(path, fmt)
    cols = [c for c in LIST_COLUMNS if c in frame.columns] + [c for c in frame.columns if c not in LIST_COLUMNS]
    frame = frame.select(cols) if frame.width else pl.DataFrame({c: [] for c in LIST_COLUMNS})
    path.parent.mkdir(parents=True, exist_ok=True)
    if f == "parquet":
        frame.write_parquet(path)
    elif f == "csv":
        _safe_text(_flatten_lists(frame)).write_csv(path)
    else:
        _write_xlsx(_flatten_lists(frame), path, filters or {})
    log.info("exported %d breaks to %s", frame.height, path)
    return path


def _summary(frame: pl.DataFrame) -> list[list[Any]]:
    rows: list[list[Any]] = []
    if frame.height == 0:
        return [["breaks", 0]]
    rows.append(["Breaks by type and status", None, None])
    rows.append(["break_type", "status", "count"])
    g = frame.group_by("break_type", "status").agg(pl.len().alias("n")).sort("break_type", "status")
    rows += [[r["break_type"], r["status"], int(r["n"])] for r in g.iter_rows(named=True)]
    rows.append([None, None, None])
    rows.append(["Breaks by age (business days since first seen)", None, None])
    rows.append(["age_bucket", "count", None])
    a = frame.group_by("age_bucket").agg(pl.len().alias("n")).sort("age_bucket")
    rows += [[r["age_bucket"], int(r["n"]), None] for r in a.iter_rows(named=True)]
    rows.append([None, None, None])
    rows.append(["Totals", None, None])
    rows.append(["breaks", frame.height, None])
    for col in ("amount_base", "penalty_base"):
        if col in frame.columns:
            total = frame[col].cast(pl.Float64).sum()
            rows.append([f"sum of {col}", float(total or 0), None])
    return rows


def _cell_value(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    return v


def _write_xlsx(frame: pl.DataFrame, path: Path, filters: dict[str, Any]) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False, "remove_timezone": True,
                                         "constant_memory": True})
    try:
        bold = wb.add_format({"bold": True})
        fmt_date = wb.add_format({"num_format": "yyyy-mm-dd"})
        fmt_ts = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        fmt_num = wb.add_format({"num_format": "#,##0.00##"})
        fmt_int = wb.add_format({"num_format": "0"})
        ws = wb.add_worksheet("Breaks")
        for j, c in enumerate(frame.columns):
            ws.write_string(0, j, c, bold)
        writers = []
        for _name, t in frame.schema.items():
            if t == pl.Date:
                writers.append(lambda i, j, v: ws.write_datetime(i, j, dt.datetime(v.year, v.month, v.day), fmt_date))
            elif t == pl.Datetime or isinstance(t, pl.Datetime):
                writers.append(lambda i, j, v: ws.write_datetime(i, j, v, fmt_ts))
            elif t == pl.Boolean:
                writers.append(lambda i, j, v: ws.write_boolean(i, j, v))
            elif t.is_integer():
                writers.append(lambda i, j, v: ws.write_number(i, j, v, fmt_int))
            elif t.is_numeric():
                writers.append(lambda i, j, v: ws.write_number(i, j, float(v), fmt_num))
            else:
                writers.append(lambda i, j, v: ws.write_string(i, j, neutralise(str(v)) or ""))
        for i, row in enumerate(frame.iter_rows(), start=1):
            for j, v in enumerate(row):
                if v is not None:
                    writers[j](i, j, v)
        ws.freeze_panes(1, 1)
        ws.autofilter(0, 0, max(frame.height, 1), max(frame.width - 1, 0))
        sm = wb.add_worksheet("Summary")
        sm.write_string(0, 0, "midoffice break export", bold)
        sm.write_string(1, 0, "generated")
        sm.write_datetime(1, 1, dt.datetime.now().replace(microsecond=0), fmt_ts)
        r = 2
        for k, v in sorted(filters.items()):
            if v is None:
                continue
            sm.write_string(r, 0, f"filter {k}")
            sm.write_string(r, 1, neutralise(str(v)) or "")
            r += 1
        r += 1
        for srow in _summary(frame):
            for j, raw in enumerate(srow):
                v = _cell_value(raw)
                if v is None:
                    continue
                if isinstance(v, int | float):
                    sm.write_number(r, j, v)
                else:
                    sm.write_string(r, j, neutralise(str(v)) or "")
            r += 1
        sm.set_column(0, 0, 48)
    finally:
        wb.close()

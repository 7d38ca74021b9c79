"""Pluggable feed writers of the sample world.

A writer turns one frame of canonical rows into one file. The frame's columns are the canonical
columns of ``table`` in DDL order; decimals are exact strings (``'1234.56'``), dates are
``pl.Date``, flags ``pl.Boolean``, integers ``pl.Int64``; nulls are absent values. A writer for a
typed format casts (e.g. XLSX: ``Decimal(text)``), a writer for a message format maps each row to
a message (FIX 35=8, MT548, sese.025, camt.053 ...).

Adding a format is two small changes:

1. register it: ``FEED_WRITERS["FIX"] = FeedWriter("fix", write_fix)`` (``write_fix(frame, path,
   table)``; refuse tables it cannot carry with ``ValueError``);
2. use it in a :class:`FormatPlan`: a front-office share (``FoShare("fix", "FIX", 0.25, "OMS")``),
   a custodian (``custodians={"CUST_B": "MT54X", ...}``) or the cash statements (``cash="CAMT053"``).

File names: ``fo/<share>_YYYY-MM-DD.<ext>``, ``bo/<custodian>/settlements_YYYY-MM-DD.<ext>``,
``cash/cash_YYYY-MM-DD.<ext>``. The format of a custodian also becomes the ``message_type`` of
its settlement records (``CSV`` for this writer).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from connectors.camt import write_sample_cash_camt053
from connectors.fix import write_sample_trades_fix
from connectors.iso20022 import write_sample_settlements_sese
from connectors.sample_world.conventions import CUSTODIANS
from connectors.swift_mt import write_sample_settlements_mt
from connectors.xlsx_blotter import write_sample_trades_xlsx

log = logging.getLogger(__name__)

WriteFn = Callable[[pl.DataFrame, Path, str], None]


@dataclass(frozen=True)
class FeedWriter:
    extension: str
    write: WriteFn


def write_csv(frame: pl.DataFrame, path: Path, table: str) -> None:
    """Comma-separated, header of canonical column names, ISO dates, empty = null, ``\\n`` lines."""
    del table
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(path, null_value="", date_format="%Y-%m-%d", line_terminator="\n")


#: Format name -> writer. Later formats register here (FIX, XLSX, MT54X, SESE, CAMT053).
FEED_WRITERS: dict[str, FeedWriter] = {
    "CSV": FeedWriter("csv", write_csv),
}
# Back office messages: MT544-548 (swift_mt), sese.024/025 (iso20022), camt.053 statements (camt).
FEED_WRITERS["MT54X"] = FeedWriter("fin", write_sample_settlements_mt)
FEED_WRITERS["SESE"] = FeedWriter("xml", write_sample_settlements_sese)
FEED_WRITERS["CAMT053"] = FeedWriter("xml", write_sample_cash_camt053)
# Front office: a FIX 4.4 drop copy (fix) and an Excel desk blotter (xlsx_blotter).
FEED_WRITERS["FIX"] = FeedWriter("log", write_sample_trades_fix)
FEED_WRITERS["XLSX"] = FeedWriter("xlsx", write_sample_trades_xlsx)


@dataclass(frozen=True)
class FoShare:
    """A share of the front-office trades delivered by one source system in one format."""

    name: str             # file stem
    format: str           # key of FEED_WRITERS
    fraction: float       # share of trades (normalised over all shares)
    source_system: str    # fo_trades.source_system of these trades


@dataclass(frozen=True)
class FormatPlan:
    """Which format each feed is written in."""

    fo_shares: tuple[FoShare, ...] = (FoShare("trades", "CSV", 1.0, "BLOTTER"),)
    custodians: dict[str, str] = field(default_factory=lambda: {c: "CSV" for c in CUSTODIANS})
    cash: str = "CSV"

    def validate(self) -> None:
        from engine.errors import ConfigError

        formats = [s.format for s in self.fo_shares] + list(self.custodians.values()) + [self.cash]
        unknown = sorted({f for f in formats if f not in FEED_WRITERS})
        if unknown:
            raise ConfigError(f"sample world: no writer for format(s) {unknown}", hint=f"known: {sorted(FEED_WRITERS)}")
        if set(self.custodians) != set(CUSTODIANS):
            raise ConfigError(f"sample world: the plan must name every custodian {list(CUSTODIANS)}")
        if not self.fo_shares or any(s.fraction <= 0 for s in self.fo_shares):
            raise ConfigError("sample world: front-office shares need positive fractions")
        if len({s.name for s in self.fo_shares}) != len(self.fo_shares):
            raise ConfigError("sample world: front-office share names must be unique")


#: The plan used when none is given. Front office: half the trades in a CSV blotter, 30% from the
#: OMS as a FIX 4.4 drop copy (read by the ``sample_fix`` feed), 20% in a desk's Excel blotter.
#: Back office: CUST_A sends SWIFT MT544-548, CUST_B ISO 20022 sese.025/sese.024, CUST_C a CSV
#: report; cash comes as camt.053 statements.
FORMAT_PLAN = FormatPlan(
    fo_shares=(
        FoShare("trades", "CSV", 0.6, "BLOTTER"),
        FoShare("oms", "FIX", 0.3, "SAMPLE_OMS"),
        # Excel is written cell by cell (xlsxwriter's API), so a desk blotter keeps a small share
        FoShare("desk", "XLSX", 0.1, "DESK_XLSX"),
    ),
    custodians={"CUST_A": "MT54X", "CUST_B": "SESE", "CUST_C": "CSV"},
    cash="CAMT053",
)


def write_feed(fmt: str, frame: pl.DataFrame, path_stem: Path, table: str) -> Path:
    """Write ``frame`` with the writer of ``fmt`` to ``path_stem`` + the format's extension."""
    writer = FEED_WRITERS[fmt]
    path = path_stem.with_name(f"{path_stem.name}.{writer.extension}")
    writer.write(frame, path, table)
    return path

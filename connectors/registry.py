"""The connectors, in the order they are asked to identify a file (most specific first)."""

from __future__ import annotations

from connectors.base import Connector
from connectors.camt import CamtConnector
from connectors.csv_feed import CsvFeedConnector
from connectors.fix import FixConnector
from connectors.iso20022 import SeseConnector
from connectors.parquet_feed import ParquetFeedConnector
from connectors.swift_mt import MtConnector
from connectors.xlsx_blotter import XlsxBlotterConnector

#: Connectors asked in order; the first that identifies a file parses it.
CONNECTORS: list[Connector] = [
    FixConnector(),
    MtConnector(),
    SeseConnector(),
    CamtConnector(),
    XlsxBlotterConnector(),
    ParquetFeedConnector(),
    CsvFeedConnector(),
]

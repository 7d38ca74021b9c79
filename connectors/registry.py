"""The connectors, in the order they are asked to identify a file (most specific first)."""

from __future__ import annotations

from connectors.base import Connector
from connectors.csv_feed import CsvFeedConnector

#: Connectors asked in order; the first that identifies a file parses it.
CONNECTORS: list[Connector] = [
    CsvFeedConnector(),
]

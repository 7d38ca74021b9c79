"""Parquet files (market and reference data, blotters) mapped onto canonical tables with the same
declarative mapping as CSV (:mod:`connectors.mapping`).

A Parquet file is recognised by its magic bytes (``PAR1``) and its column names: the feed of
``format = "parquet"`` that fits best wins; when none does, a CSV feed's mapping is tried (the
mapping is about column names, not the container), so a Parquet file with canonical column names
loads through the built-in ``sample_*`` feeds. Typed Parquet columns reach the mapping as text
(DATE as ``YYYY-MM-DD``, DECIMAL exactly); ``src_line`` is the row number (1-based).
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb

from connectors.base import Parsed
from connectors.csv_feed import best_feed, parse_relation
from engine.config import Config
from engine.errors import BadInputError

log = logging.getLogger(__name__)

MAGIC = b"PAR1"


def _columns(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    try:
        return list(pq.read_schema(path).names)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a broken file
        raise BadInputError(f"cannot read the Parquet file: {exc}", path=str(path), expected="a readable Parquet file") from exc


def _feed_for(cfg: Config, header: list[str]) -> str | None:
    return best_feed(cfg, "parquet", header) or best_feed(cfg, "csv", header)


class ParquetFeedConnector:
    name = "parquet"
    description = 'Parquet file mapped by a [feeds.*] section (format = "parquet", else a CSV feed\'s mapping)'

    def identify(self, path: Path, head: bytes, cfg: Config) -> str | None:
        if not head.startswith(MAGIC):
            return None
        try:
            return _feed_for(cfg, _columns(path))
        except BadInputError:
            return None

    def parse(self, path: Path, feed: str, cfg: Config) -> Parsed:
        header = _columns(path)
        feed_cfg = cfg.section("feeds")[feed]
        con = duckdb.connect(":memory:")
        try:
            source = "SELECT file_row_number + 1 AS src_line, * EXCLUDE (file_row_number) FROM read_parquet($path, file_row_number = true)"
            try:
                return parse_relation(con, source, {"path": str(path)}, feed=feed, feed_cfg=feed_cfg, header=header, path=path)
            except duckdb.Error as exc:
                raise BadInputError(f"cannot read the Parquet file: {exc}", path=str(path)) from exc
        finally:
            con.close()

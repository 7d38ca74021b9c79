"""The connector protocol and the shapes a connector returns.

A connector is small (after beangulp): it says whether it recognises a file (``identify``) and
turns it into candidate canonical rows plus the records it could not parse (``parse``). The
common loader (:mod:`connectors.loader`) then validates every candidate row against the canonical
schema (:mod:`engine.schemas`), quarantines the failures with their reasons, and writes the batch
atomically. Connectors never write to the store themselves.

Invariant, checked by the loader for every file:
    rows_read = sum(candidate rows over all tables) + parse-quarantined records
and after validation: rows_read = rows_loaded + rows_quarantined.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import polars as pl

from engine.config import Config

#: Columns of a quarantine frame a connector returns (all strings except line_no).
QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "line_no": pl.Int64(),
    "record_ref": pl.String(),
    "target_table": pl.String(),
    "rule": pl.String(),
    "reason": pl.String(),
    "raw_text": pl.String(),
}


def empty_quarantine() -> pl.DataFrame:
    return pl.DataFrame(schema=QUARANTINE_SCHEMA)


def quarantine_frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    """Build a quarantine frame from a (short) list of parse failures."""
    if not rows:
        return empty_quarantine()
    return pl.DataFrame(rows, schema=QUARANTINE_SCHEMA)


@dataclass
class Parsed:
    """What a connector extracted from one file.

    ``tables`` maps a canonical table name (``fo_trades``, ``bo_settlements``...) to candidate
    rows whose columns are canonical column names (any subset; strings are fine, the loader casts
    with TRY_CAST and quarantines what does not cast). Every frame carries ``src_line`` (line,
    row or message number in the file, 1-based) and may carry ``src_ref`` (message id) and
    ``_raw`` (the raw record text, kept for quarantine).
    ``quarantine`` holds records that could not be parsed at all (QUARANTINE_SCHEMA columns).
    ``rows_read`` counts the records read: candidate rows + parse-quarantined records.
    ``warnings`` are file-level notes for the load summary (e.g. duplicates detected and dropped
    into quarantine, messages of a type that carries no canonical data).
    """

    feed: str
    tables: dict[str, pl.DataFrame]
    quarantine: pl.DataFrame = field(default_factory=empty_quarantine)
    rows_read: int = 0
    warnings: list[str] = field(default_factory=list)

    def candidate_rows(self) -> int:
        return sum(f.height for f in self.tables.values())


@runtime_checkable
class Connector(Protocol):
    """One file format. Registered in :data:`connectors.registry.CONNECTORS`."""

    #: short name, e.g. 'csv', 'xlsx', 'fix', 'mt54x', 'sese', 'camt'
    name: str
    #: what it reads, for messages naming the formats tried
    description: str

    def identify(self, path: Path, head: bytes, cfg: Config) -> str | None:
        """Return the feed name if this connector recognises the file from its content
        (``head`` is the first 64 KiB), else None. Must not raise on foreign content."""
        ...

    def parse(self, path: Path, feed: str, cfg: Config) -> Parsed:
        """Extract the file into candidate canonical rows and parse-quarantined records.
        Raise :class:`engine.errors.BadInputError` for a file that cannot be read at all."""
        ...

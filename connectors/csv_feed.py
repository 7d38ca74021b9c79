"""CSV feeds mapped declaratively onto canonical tables (blotters, custodian reports, market and
reference data). A CSV file is recognised by its header: the configured feed whose required
columns are all present, with the most columns matched, wins."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import duckdb

from connectors import mapping
from connectors.base import Parsed, quarantine_frame
from connectors.textio import decode_head, sniff_header
from engine.config import Config
from engine.errors import BadInputError

log = logging.getLogger(__name__)


def feeds_of_format(cfg: Config, fmt: str) -> dict[str, dict[str, Any]]:
    return {n: f for n, f in cfg.section("feeds").items() if f.get("format", "csv") == fmt}


def best_feed(cfg: Config, fmt: str, header: list[str]) -> str | None:
    """The configured feed of ``fmt`` whose mapping fits ``header`` best (None if none fits)."""
    best, best_score = None, 0
    for name, feed_cfg in feeds_of_format(cfg, fmt).items():
        s = mapping.score(feed_cfg, header, name)
        if s is not None and s > best_score:
            best, best_score = name, s
    return best


def parse_relation(
    con: duckdb.DuckDBPyConnection,
    source_sql: str,
    source_params: dict[str, Any],
    *,
    feed: str,
    feed_cfg: dict[str, Any],
    header: list[str],
    path: Path,
    line_offset: int = 2,
    rejects: list[dict[str, object]] | None = None,
) -> Parsed:
    """Map a relation of source columns (``source_sql`` must yield ``src_line`` plus the
    header's columns) to candidate canonical rows. Shared by the CSV, XLSX and Parquet feeds."""
    m = mapping.resolve(feed, feed_cfg, header)
    mapping.require_complete(m, str(path), header)
    select, params = mapping.select_list(m, feed_cfg)
    src_cols = ", ".join(mapping._q(h) for h in header)
    sql = (
        f"SELECT src_line, to_json(struct_pack({src_cols})) AS _raw, {select} "  # noqa: S608
        f"FROM ({source_sql}) AS src"
    )
    frame = con.sql(sql, params={**source_params, **params}).pl()
    quarantine = quarantine_frame(rejects or [])
    return Parsed(
        feed=feed,
        tables={m.table: frame},
        quarantine=quarantine,
        rows_read=frame.height + quarantine.height,
    )


class CsvFeedConnector:
    name = "csv"
    description = "CSV/delimited text mapped by a [feeds.*] section (format = \"csv\")"

    def identify(self, path: Path, head: bytes, cfg: Config) -> str | None:
        decoded = decode_head(head)
        if decoded is None:
            return None
        sniffed = sniff_header(decoded[0])
        if sniffed is None:
            return None
        return best_feed(cfg, "csv", sniffed[1])

    def parse(self, path: Path, feed: str, cfg: Config) -> Parsed:
        with path.open("rb") as fh:
            head = fh.read(65536)
        decoded = decode_head(head)
        if decoded is None:
            raise BadInputError("not a text file", path=str(path), expected="CSV text", found="binary content")
        text, encoding = decoded
        sniffed = sniff_header(text)
        if sniffed is None:
            raise BadInputError("no header line", path=str(path), line=1, expected="a delimited header")
        delim, header = sniffed
        feed_cfg = cfg.section("feeds")[feed]
        con = duckdb.connect(":memory:")
        try:
            read = (
                "read_csv($path, delim = $delim, header = true, all_varchar = true, quote = '\"', "
                "escape = '\"', encoding = $enc, ignore_errors = true, store_rejects = true, "
                "rejects_table = 'csv_rejects', rejects_scan = 'csv_scans', null_padding = false, "
                "auto_detect = false, columns = $columns)"
            )
            columns = {h: "VARCHAR" for h in header}
            if len(columns) != len(header):
                raise BadInputError("duplicate column names in header", path=str(path), line=1, found=str(header))
            params = {"path": str(path), "delim": delim, "enc": encoding, "columns": columns}
            try:
                con.execute(f"CREATE TEMP TABLE raw AS SELECT row_number() OVER () AS rn, * FROM {read}", params)  # noqa: S608
            except duckdb.Error as exc:
                raise BadInputError(f"cannot read CSV: {exc}", path=str(path), expected="well-formed CSV") from exc
            rej = con.sql(
                "SELECT line, min(error_type::VARCHAR) AS error_type, min(error_message) AS msg, "
                "min(csv_line) AS csv_line FROM csv_rejects GROUP BY line ORDER BY line"
            ).fetchall()
            rejected_lines = [int(r[0]) for r in rej]
            rejects = [
                {
                    "line_no": int(line),
                    "record_ref": None,
                    "target_table": cfg.section("feeds")[feed]["table"],
                    "rule": "malformed_line",
                    "reason": f"{etype}: {msg}",
                    "raw_text": csv_line,
                }
                for line, etype, msg, csv_line in rej
            ]
            # Line numbers of the good rows: data lines 2.. minus the rejected ones, in order.
            n_good = con.sql("SELECT count(*) FROM raw").fetchall()[0][0]
            con.execute(
                "CREATE TEMP TABLE lines AS SELECT row_number() OVER (ORDER BY l) AS rn, l AS src_line "
                "FROM range(2, $last + 1) t(l) WHERE l NOT IN (SELECT unnest($rej::BIGINT[]))",
                {"last": 1 + n_good + len(rejected_lines), "rej": rejected_lines},
            )
            source_sql = "SELECT lines.src_line, raw.* EXCLUDE (rn) FROM raw JOIN lines USING (rn)"
            parsed = parse_relation(
                con, source_sql, {}, feed=feed, feed_cfg=feed_cfg, header=header, path=path, rejects=rejects
            )
        finally:
            con.close()
        if encoding == "latin-1":
            parsed.warnings.append("decoded as latin-1 (not valid UTF-8)")
        return parsed

"""CSV feeds mapped declaratively onto canonical tables (blotters, custodian reports, market and
reference data). A CSV file is recognised by its header: the configured feed whose required
columns are all present, with the most columns matched, wins."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

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
        return self.parse_many([path], feed, cfg)[0]

    def parse_many(self, paths: list[Path], feed: str, cfg: Config) -> list[Parsed]:
        """Parse several files of one feed with one scan per (delimiter, encoding, header)."""
        sniffed: dict[tuple[str, str, tuple[str, ...]], list[Path]] = {}
        for path in paths:
            with path.open("rb") as fh:
                head = fh.read(65536)
            decoded = decode_head(head)
            if decoded is None:
                raise BadInputError("not a text file", path=str(path), expected="CSV text", found="binary content")
            text, encoding = decoded
            sh = sniff_header(text)
            if sh is None:
                raise BadInputError("no header line", path=str(path), line=1, expected="a delimited header")
            delim, header = sh
            if len(set(header)) != len(header):
                raise BadInputError("duplicate column names in header", path=str(path), line=1, found=str(header))
            sniffed.setdefault((delim, encoding, tuple(header)), []).append(path)
        out: dict[Path, Parsed] = {}
        for (delim, encoding, header), group in sniffed.items():
            out.update(self._scan(group, delim, encoding, list(header), feed, cfg))
        return [out[p] for p in paths]

    def _scan(
        self, paths: list[Path], delim: str, encoding: str, header: list[str], feed: str, cfg: Config
    ) -> dict[Path, Parsed]:
        feed_cfg = cfg.section("feeds")[feed]
        table = feed_cfg["table"]
        con = duckdb.connect(":memory:")
        try:
            read = (
                "read_csv($paths, delim = $delim, header = true, all_varchar = true, quote = '\"', "
                "escape = '\"', encoding = $enc, ignore_errors = true, store_rejects = true, "
                "rejects_table = 'csv_rejects', rejects_scan = 'csv_scans', null_padding = false, "
                "auto_detect = false, columns = $columns, filename = '_file')"
            )
            params = {"paths": [str(p) for p in paths], "delim": delim, "enc": encoding,
                      "columns": {h: "VARCHAR" for h in header}}
            try:
                con.execute(f"CREATE TEMP TABLE raw AS SELECT row_number() OVER () AS rn, * FROM {read}", params)  # noqa: S608
            except duckdb.Error as exc:
                where = str(paths[0]) if len(paths) == 1 else f"{paths[0]} (or one of {len(paths)} files)"
                raise BadInputError(f"cannot read CSV: {exc}", path=where, expected="well-formed CSV") from exc
            rej = con.sql(
                "SELECT s.file_path, r.line, min(r.error_type::VARCHAR), min(r.error_message), min(r.csv_line) "
                "FROM csv_rejects AS r JOIN csv_scans AS s USING (scan_id, file_id) GROUP BY ALL ORDER BY 1, 2"
            ).fetchall()
            rejects_by_file: dict[str, list[dict[str, object]]] = {}
            for fpath, line, etype, msg, csv_line in rej:
                rejects_by_file.setdefault(fpath, []).append({
                    "line_no": int(line), "record_ref": None, "target_table": table,
                    "rule": "malformed_line", "reason": f"{etype}: {msg}", "raw_text": csv_line,
                })
            rejected = pl.DataFrame(
                [(f, int(line)) for f, line, *_ in rej], schema={"_file": pl.String, "l": pl.Int64}, orient="row"
            )
            # Line numbers of the good rows: per file, data lines 2.. minus the rejected ones, in order.
            counts = con.sql("SELECT _file, count(*) FROM raw GROUP BY ALL").fetchall()
            n_rej: dict[str, int] = {}
            for f, _ in rejected.iter_rows():
                n_rej[f] = n_rej.get(f, 0) + 1
            spans = pl.DataFrame(
                [(f, 1 + n + n_rej.get(f, 0)) for f, n in counts], schema={"_file": pl.String, "last": pl.Int64},
                orient="row",
            )
            con.execute(
                "CREATE TEMP TABLE lines AS SELECT s._file, row_number() OVER (PARTITION BY s._file ORDER BY l) AS k, "
                "l AS src_line FROM spans AS s, range(2, s.last + 1) AS t(l) "
                "ANTI JOIN rejected AS r ON r._file = s._file AND r.l = t.l"
            )
            source_sql = (
                "SELECT lines.src_line, raw.* EXCLUDE (rn) FROM "
                "(SELECT *, row_number() OVER (PARTITION BY _file ORDER BY rn) AS k FROM raw) AS raw "
                "JOIN lines USING (_file, k)"
            )
            m = mapping.resolve(feed, feed_cfg, header)
            mapping.require_complete(m, str(paths[0]), header)
            select, mparams = mapping.select_list(m, feed_cfg)
            src_cols = ", ".join(mapping._q(h) for h in header)
            frame = con.sql(
                f"SELECT src._file, src_line, to_json(struct_pack({src_cols})) AS _raw, {select} "  # noqa: S608
                f"FROM ({source_sql}) AS src",
                params=mparams,
            ).pl()
        finally:
            con.close()
        parts = {k[0]: v for k, v in frame.partition_by("_file", as_dict=True).items()} if frame.height else {}
        out: dict[Path, Parsed] = {}
        for p in paths:
            fr = parts.get(str(p), frame.clear()).drop("_file")
            q = quarantine_frame(rejects_by_file.get(str(p), []))
            parsed = Parsed(feed=feed, tables={table: fr}, quarantine=q, rows_read=fr.height + q.height)
            if encoding == "latin-1":
                parsed.warnings.append("decoded as latin-1 (not valid UTF-8)")
            out[p] = parsed
        return out

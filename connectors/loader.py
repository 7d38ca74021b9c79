"""Loading: detect each file's format, parse it with its connector, validate every candidate row
against the canonical schema, and write the batch atomically.

Guarantees, for every file:
- rows read = rows loaded + rows quarantined (checked; the batch row records all three);
- a bad row goes to ``ops_quarantine`` with the rule it broke, what was expected and found, its
  line (or message number) and its raw text; a bad *file* is refused with a BadInputError;
- atomic: one transaction per file (batch row, canonical rows, quarantine) — a load killed
  half-way leaves the store as it was;
- idempotent: a file whose SHA-256 was already loaded is skipped (nothing changes).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from connectors.base import Connector, Parsed
from connectors.mapping import _q
from engine import schemas, store
from engine.config import Config
from engine.errors import BadInputError, UnknownFormatError

log = logging.getLogger(__name__)

HEAD_BYTES = 65536


@dataclass(frozen=True)
class BatchResult:
    path: str
    feed: str
    connector: str
    status: str                      # LOADED | SKIPPED (already loaded) | REFUSED (bad file)
    batch_id: int | None
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    tables: dict[str, int] = field(default_factory=dict)
    rules: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class LoadReport:
    batches: list[BatchResult]
    seconds: float

    @property
    def refused(self) -> list[BatchResult]:
        return [b for b in self.batches if b.status == "REFUSED"]

    @property
    def rows_read(self) -> int:
        return sum(b.rows_read for b in self.batches)

    @property
    def rows_loaded(self) -> int:
        return sum(b.rows_loaded for b in self.batches)

    @property
    def rows_quarantined(self) -> int:
        return sum(b.rows_quarantined for b in self.batches)

    def by_feed(self) -> list[dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for b in self.batches:
            row = out.setdefault(
                b.feed, {"feed": b.feed, "files": 0, "skipped": 0, "refused": 0, "read": 0, "loaded": 0,
                         "quarantined": 0}
            )
            row["files"] += 1
            row["skipped"] += b.status == "SKIPPED"
            row["refused"] += b.status == "REFUSED"
            row["read"] += b.rows_read
            row["loaded"] += b.rows_loaded
            row["quarantined"] += b.rows_quarantined
        return list(out.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": len(self.batches),
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "seconds": round(self.seconds, 3),
            "by_feed": self.by_feed(),
        }


def connectors() -> list[Connector]:
    from connectors.registry import CONNECTORS

    return CONNECTORS


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, and files under folders named (recursively; hidden files and DuckDB files skipped)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(
                f for f in sorted(p.rglob("*"))
                if f.is_file()
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
                and ".duckdb" not in f.name  # stores and snapshots are never feeds
            )
        elif p.is_file():
            out.append(p)
        else:
            raise BadInputError("no such file or folder", path=str(p))
    return out


def identify(cfg: Config, path: Path) -> tuple[Connector, str]:
    """The connector and feed that recognise ``path`` from its content."""
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    if not head.strip():
        raise BadInputError("empty file", path=str(path), expected="a feed file with content", found="0 bytes of data")
    for conn in connectors():
        try:
            feed = conn.identify(path, head, cfg)
        except Exception as exc:  # noqa: BLE001 - a connector must not break detection
            log.debug("connector %s failed to identify %s: %s", conn.name, path, exc)
            feed = None
        if feed:
            return conn, feed
    tried = "; ".join(f"{c.name} ({c.description})" for c in connectors())
    raise UnknownFormatError(
        "no connector recognises this file",
        path=str(path),
        expected=f"one of the formats tried: {tried}",
        found=f"content starting {head[:60]!r}",
        hint="for a CSV/XLSX with other column names, add a [feeds.NAME] mapping to the configuration",
    )


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _priority(cfg: Config, conn: Connector, feed: str) -> int:
    table = cfg.section("feeds").get(feed, {}).get("table")
    if table:
        return schemas.TABLE_PRIORITY.get(table, 50)
    return int(getattr(conn, "priority", 35))


#: Files of one feed are validated together, up to this many bytes per group (bounded memory).
GROUP_BYTES = 256 * 1024 * 1024


def load_paths(
    cfg: Config,
    paths: Iterable[str | Path],
    *,
    progress: Callable[[Path, int, int], None] | None = None,
    publish: bool = True,
) -> LoadReport:
    """Load every file under ``paths``: reference data first, then market, front and back office.

    One store connection for the whole load. Consecutive files of the same feed are validated
    together in one set-based pass and committed in one transaction (each file keeps its own
    batch, counts and checksum); reference data, market data and connectors that look up earlier
    rows while parsing (``resolve``) load one file per transaction."""
    t0 = time.perf_counter()
    files = discover(paths)
    plan = []
    results: list[BatchResult] = []
    for f in files:
        try:
            conn, feed = identify(cfg, f)
        except BadInputError as exc:
            if len(files) == 1:
                raise
            results.append(_refused(f, exc))
            continue
        plan.append((_priority(cfg, conn, feed), feed + "\x00" + str(f), f, conn, feed))
    plan.sort(key=lambda x: (x[0], x[1]))  # by priority, then feed, then path (dates in names sort)
    groups: list[list[tuple[Path, Connector, str]]] = []
    size = 0
    for _, _, f, conn, feed in plan:
        last = groups[-1] if groups else None
        if (
            last is not None and _groupable(cfg, conn, feed) and last[0][1] is conn and last[0][2] == feed
            and size + f.stat().st_size <= GROUP_BYTES
        ):
            last.append((f, conn, feed))
            size += f.stat().st_size
        else:
            groups.append([(f, conn, feed)])
            size = f.stat().st_size
    done = 0
    with store.connect(cfg) as con:
        schemas.register_udfs(con)
        for group in groups:
            if progress:
                progress(group[0][0], done, len(plan))
            results.extend(_load_group(con, cfg, group, single=len(files) == 1))
            done += len(group)
    if progress:
        progress(Path(""), len(plan), len(plan))
    if publish and any(r.status == "LOADED" for r in results):
        store.publish(cfg)
    return LoadReport(results, time.perf_counter() - t0)


def _groupable(cfg: Config, conn: Connector, feed: str) -> bool:
    if getattr(conn, "resolve", None) is not None and not getattr(conn, "resolve_groupable", False):
        return False  # its look-ups may need rows of earlier files of the group (e.g. FIX corrections)
    table = cfg.section("feeds").get(feed, {}).get("table")
    return table not in schemas.UPSERT_TABLES


def _refused(path: Path, exc: BadInputError, connector: str = "-", feed: str = "-") -> BatchResult:
    log.warning("refused %s: %s", path, exc)
    return BatchResult(str(path), feed, connector, "REFUSED", None, 0, 0, 0, warnings=(str(exc),))


def load_file(
    cfg: Config,
    path: str | Path,
    *,
    connector: Connector | None = None,
    feed: str | None = None,
    publish: bool = True,
) -> BatchResult:
    """Load one file as one batch (see the module docstring for the guarantees)."""
    path = Path(path)
    if connector is None or feed is None:
        connector, feed = identify(cfg, path)
    with store.connect(cfg) as con:
        schemas.register_udfs(con)
        result = _load_group(con, cfg, [(path, connector, feed)], single=True)[0]
    if publish and result.status == "LOADED":
        store.publish(cfg)
    return result


def _load_group(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    group: list[tuple[Path, Connector, str]],
    *,
    single: bool,
) -> list[BatchResult]:
    """Parse the files of one feed, then validate and write them in one transaction."""
    t0 = time.perf_counter()
    results: list[BatchResult] = []
    todo: list[tuple[Path, Connector, str, str, Parsed]] = []
    seen: set[str] = set()
    fresh: list[tuple[Path, Connector, str, str]] = []
    for path, connector, feed in group:
        checksum = sha256(path)
        done = store.scalar(con, "SELECT min(batch_id) FROM ops_load_batches WHERE checksum_sha256 = ?", [checksum])
        if done is not None or checksum in seen:
            log.info("%s already loaded as batch %s; skipped", path, done)
            results.append(BatchResult(str(path), feed, connector.name, "SKIPPED", done, 0, 0, 0,
                                       warnings=(f"same content already loaded (batch {done})",)))
            continue
        seen.add(checksum)
        fresh.append((path, connector, feed, checksum))
    many = getattr(group[0][1], "parse_many", None)
    parsed_all: dict[Path, Parsed] = {}
    if many is not None and len(fresh) > 1:
        try:  # one scan for the whole group; on a bad file fall back to file by file
            parsed_all = dict(zip([f[0] for f in fresh], many([f[0] for f in fresh], group[0][2], cfg), strict=True))
        except BadInputError:
            parsed_all = {}
    for path, connector, feed, checksum in fresh:
        try:
            parsed = parsed_all[path] if path in parsed_all else connector.parse(path, feed, cfg)
        except BadInputError as exc:
            if single:
                raise
            results.append(_refused(path, exc, connector.name, feed))
            continue
        if parsed.rows_read != parsed.candidate_rows() + parsed.quarantine.height:
            raise AssertionError(
                f"connector {connector.name} miscounted {path}: read {parsed.rows_read}, "
                f"candidates {parsed.candidate_rows()}, quarantined {parsed.quarantine.height}"
            )
        todo.append((path, connector, feed, checksum, parsed))
    if not todo:
        return results
    started = datetime.now()
    with store.transaction(con):
        batch_ids: list[int] = []
        for i, (path, connector, feed, checksum, parsed) in enumerate(todo):
            resolve = getattr(connector, "resolve", None)
            if resolve is not None:  # optional: a connector's look-ups in the store (e.g. FIX corrections
                parsed = resolve(con, parsed, cfg)  # of trades from earlier files), in this transaction
                todo[i] = (path, connector, feed, checksum, parsed)
            batch_ids.append(int(store.scalar(con, "SELECT nextval('seq_batch_id')")))
        files = pl.DataFrame(
            {"_batch_id": batch_ids, "file_path": [str(t[0]) for t in todo]},
            schema={"_batch_id": pl.Int64, "file_path": pl.String},
        )
        per_batch: dict[int, dict[str, Any]] = {
            b: {"tables": {}, "rules": {}, "loaded": 0, "quarantined": 0} for b in batch_ids
        }
        tables = sorted({t for item in todo for t in item[4].tables})
        for table in tables:
            frames = [
                item[4].tables[table].with_columns(pl.lit(b, dtype=pl.Int64).alias("_batch_id"))
                for item, b in zip(todo, batch_ids, strict=True)
                if table in item[4].tables and item[4].tables[table].height
            ]
            if not frames:
                continue
            cand = pl.concat(frames, how="diagonal_relaxed")
            for b, loaded, rule, n in _validate_and_write(con, table, cand, files, todo[0][2]):
                pb = per_batch[b]
                pb["tables"][table] = pb["tables"].get(table, 0) + loaded
                pb["loaded"] += loaded
                if rule is not None:
                    pb["rules"][rule] = pb["rules"].get(rule, 0) + n
                    pb["quarantined"] += n
        for (path, connector, _feed, checksum, parsed), b in zip(todo, batch_ids, strict=True):
            pb = per_batch[b]
            if parsed.quarantine.height:
                _write_parse_quarantine(con, b, parsed, str(path))
                for r, n in parsed.quarantine.group_by("rule").len().iter_rows():
                    pb["rules"][r] = pb["rules"].get(r, 0) + n
                pb["quarantined"] += parsed.quarantine.height
            if pb["loaded"] + pb["quarantined"] != parsed.rows_read:
                raise AssertionError(
                    f"row conservation broken for {path}: read {parsed.rows_read}, "
                    f"loaded {pb['loaded']}, quarantined {pb['quarantined']}"
                )
            con.execute(
                "INSERT INTO ops_load_batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    b, parsed.feed, connector.name, str(path.resolve()), path.name, checksum,
                    path.stat().st_size, parsed.rows_read, pb["loaded"], pb["quarantined"],
                    ",".join(sorted(parsed.tables)), started, datetime.now(),
                ],
            )
    secs = (time.perf_counter() - t0) / max(len(todo), 1)
    for (path, connector, _feed, _checksum, parsed), b in zip(todo, batch_ids, strict=True):
        pb = per_batch[b]
        results.append(BatchResult(
            str(path), parsed.feed, connector.name, "LOADED", b, parsed.rows_read, pb["loaded"],
            pb["quarantined"], pb["tables"], pb["rules"], secs, tuple(parsed.warnings),
        ))
    return results


def _write_parse_quarantine(con: duckdb.DuckDBPyConnection, batch_id: int, parsed: Parsed, path: str) -> None:
    q = parsed.quarantine  # noqa: F841 - referenced by name in SQL
    con.execute(
        "INSERT INTO ops_quarantine (batch_id, feed, file_path, line_no, record_ref, target_table, rule, reason, raw_text) "
        "SELECT ?, ?, ?, line_no, record_ref, target_table, rule, reason, raw_text FROM q",
        [batch_id, parsed.feed, path],
    )


#: Separates a rule id from its message inside the error lists (never in messages).
SEP = "#§#"


def _validate_and_write(
    con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, files: pl.DataFrame, feed: str
) -> list[tuple[int, int, str | None, int]]:
    """Validate candidate rows of one canonical table (from one or more files, told apart by
    ``_batch_id``); insert the valid ones, quarantine the rest with every reason.
    Returns rows (batch_id, rows loaded, first rule or None, rows quarantined under that rule)."""
    specs = schemas.data_columns(table)
    present = [c for c in specs if c.name in frame.columns]
    fallbacks = schemas.FALLBACKS.get(table, {})
    cand = frame  # noqa: F841 - referenced by name in SQL
    batch_files = files  # noqa: F841 - referenced by name in SQL
    has_raw = "_raw" in frame.columns
    has_ref = "src_ref" in frame.columns
    # 1. typed columns and type errors
    typed, errs = [], []
    for c in present:
        raw = f"NULLIF(trim(CAST(c.{_q(c.name)} AS VARCHAR)), '')"
        cast = f"TRY_CAST({raw} AS {c.sql_type})"
        if c.default_sql is not None:  # an empty value takes the column's DDL default
            typed.append(f"CASE WHEN {raw} IS NULL THEN CAST({c.default_sql} AS {c.sql_type}) ELSE {cast} END AS {_q(c.name)}")
        else:
            typed.append(f"{cast} AS {_q(c.name)}")
        errs.append(
            f"CASE WHEN {raw} IS NOT NULL AND {cast} IS NULL THEN "
            f"'bad_value{SEP}{c.name}: expected {c.sql_type}, found ''' || {raw} || '''' END"
        )
    raw_expr = "c._raw" if has_raw else "to_json(c)"
    ref_expr = "CAST(c.src_ref AS VARCHAR)" if has_ref else "NULL::VARCHAR"
    con.execute("DROP TABLE IF EXISTS v_typed")
    con.execute(
        f"CREATE TEMP TABLE v_typed AS SELECT c._batch_id, CAST(c.src_line AS BIGINT) AS src_line, "  # noqa: S608
        f"{ref_expr} AS src_ref, {raw_expr} AS _raw, {', '.join(typed)}, "
        f"list_filter([{', '.join(errs) or 'NULL'}], lambda x: x IS NOT NULL) AS errors FROM cand AS c"
    )
    # 2. fallbacks for derivable columns
    names = {c.name for c in present}
    for col, (expr, deps) in fallbacks.items():
        spec = next((s for s in specs if s.name == col), None)
        if spec is None or not all(d in names for d in deps):
            continue
        if col in names:
            con.execute(f"UPDATE v_typed AS c SET {_q(col)} = CAST({expr} AS {spec.sql_type}) WHERE c.{_q(col)} IS NULL")  # noqa: S608
        else:
            con.execute(f"ALTER TABLE v_typed ADD COLUMN {_q(col)} {spec.sql_type}")
            con.execute(f"UPDATE v_typed AS c SET {_q(col)} = CAST({expr} AS {spec.sql_type})")  # noqa: S608
            names.add(col)
    # 3. required values and row rules
    checks = []
    for c in specs:
        if c.required:
            if c.name in names:
                checks.append(f"CASE WHEN {_q(c.name)} IS NULL THEN 'missing_value{SEP}{c.name}: a value is required' END")
            else:
                checks.append(f"'missing_column{SEP}{c.name}: required column not supplied by the feed'")
    for rule in schemas.RULES.get(table, []):
        if not all(col in names for col in rule.columns):
            continue
        ref_table = schemas.REFERENCE_RULES.get(rule.rule_id)
        if ref_table and not store.scalar(con, f"SELECT count(*) FROM {ref_table}"):  # noqa: S608
            continue
        checks.append(f"CASE WHEN {rule.violation} THEN '{rule.rule_id}{SEP}' || ({rule.message}) END")
    pk = [k for k in schemas.primary_key(table) if k in names]
    if pk:
        part = ", ".join(_q(k) for k in pk)
        keytext = " || '/' || ".join(f"coalesce(CAST({_q(k)} AS VARCHAR), '')" for k in pk)
        checks.append(
            f"CASE WHEN row_number() OVER (PARTITION BY {part} ORDER BY _batch_id, src_line) > 1 THEN "
            f"'duplicate_key{SEP}{'/'.join(pk)} ' || {keytext} || ' appears more than once in this load' END"
        )
        if table not in schemas.UPSERT_TABLES:
            on = " AND ".join(f"e.{_q(k)} = v.{_q(k)}" for k in pk)
            checks.append(
                f"CASE WHEN EXISTS (SELECT 1 FROM {table} AS e WHERE {on}) THEN "  # noqa: S608
                f"'duplicate_key{SEP}{'/'.join(pk)} ' || {keytext} || ' is already in the store (loaded by an earlier file)' END"
            )
    con.execute("DROP TABLE IF EXISTS v_checked")
    con.execute(
        f"CREATE TEMP TABLE v_checked AS SELECT v.*, list_concat(v.errors, "  # noqa: S608
        f"list_filter([{', '.join(checks) or 'NULL'}], lambda x: x IS NOT NULL)) AS all_errors FROM v_typed AS v"
    )
    cols = [c.name for c in specs if c.name in names]
    col_list = ", ".join(_q(c) for c in cols)
    verb = "INSERT OR REPLACE INTO" if table in schemas.UPSERT_TABLES else "INSERT INTO"
    lineage = [c.name for c in schemas.table_columns(table) if c.name in ("src_line", "src_ref")]
    lin_list = "".join(f", {c}" for c in lineage)
    con.execute(
        f"{verb} {table} ({col_list}, batch_id{lin_list}) "  # noqa: S608
        f"SELECT {col_list}, _batch_id{lin_list} FROM v_checked WHERE len(all_errors) = 0"
    )
    ref_col = f"CAST(v.{_q(pk[0])} AS VARCHAR)" if pk else "v.src_ref"
    con.execute(
        "INSERT INTO ops_quarantine (batch_id, feed, file_path, line_no, record_ref, target_table, rule, reason, raw_text) "
        f"SELECT v._batch_id, ?, f.file_path, v.src_line, coalesce({ref_col}, v.src_ref), ?, "  # noqa: S608
        f"split_part(v.all_errors[1], '{SEP}', 1), "
        f"array_to_string(list_transform(v.all_errors, lambda x: string_split(x, '{SEP}')[2]), '; '), v._raw "
        "FROM v_checked AS v JOIN batch_files AS f USING (_batch_id) WHERE len(v.all_errors) > 0",
        [feed, table],
    )
    out = con.sql(
        "SELECT _batch_id, count(*) FILTER (WHERE len(all_errors) = 0) AS loaded, "
        f"CASE WHEN len(all_errors) > 0 THEN split_part(all_errors[1], '{SEP}', 1) END AS rule, "
        "count(*) FILTER (WHERE len(all_errors) > 0) AS n "
        "FROM v_checked GROUP BY ALL"
    ).fetchall()
    con.execute("DROP TABLE v_typed")
    con.execute("DROP TABLE v_checked")
    return [(int(b), int(loaded), rule, int(n)) for b, loaded, rule, n in out]

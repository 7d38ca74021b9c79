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


def load_paths(
    cfg: Config,
    paths: Iterable[str | Path],
    *,
    progress: Callable[[Path, int, int], None] | None = None,
    publish: bool = True,
) -> LoadReport:
    """Load every file under ``paths``: reference data first, then market, front and back office.
    One store connection for the whole load; each file is its own transaction."""
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
        plan.append((_priority(cfg, conn, feed), str(f), f, conn, feed))
    plan.sort(key=lambda x: (x[0], x[1]))
    with store.connect(cfg) as con:
        schemas.register_udfs(con)
        for i, (_, _, f, conn, feed) in enumerate(plan):
            if progress:
                progress(f, i, len(plan))
            try:
                results.append(_load_one(con, cfg, f, conn, feed))
            except BadInputError as exc:
                if len(files) == 1:
                    raise
                results.append(_refused(f, exc, conn.name, feed))
    if progress:
        progress(Path(""), len(plan), len(plan))
    if publish and any(r.status == "LOADED" for r in results):
        store.publish(cfg)
    return LoadReport(results, time.perf_counter() - t0)


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
        result = _load_one(con, cfg, path, connector, feed)
    if publish and result.status == "LOADED":
        store.publish(cfg)
    return result


def _load_one(
    con: duckdb.DuckDBPyConnection, cfg: Config, path: Path, connector: Connector, feed: str
) -> BatchResult:
    t0 = time.perf_counter()
    checksum = sha256(path)
    done = store.scalar(con, "SELECT min(batch_id) FROM ops_load_batches WHERE checksum_sha256 = ?", [checksum])
    if done is not None:
        log.info("%s already loaded as batch %s; skipped", path, done)
        return BatchResult(str(path), feed, connector.name, "SKIPPED", int(done), 0, 0, 0,
                           seconds=time.perf_counter() - t0, warnings=(f"already loaded as batch {done}",))
    parsed = connector.parse(path, feed, cfg)
    if parsed.rows_read != parsed.candidate_rows() + parsed.quarantine.height:
        raise AssertionError(
            f"connector {connector.name} miscounted {path}: read {parsed.rows_read}, "
            f"candidates {parsed.candidate_rows()}, quarantined {parsed.quarantine.height}"
        )
    started = datetime.now()
    with store.transaction(con):
        batch_id = int(store.scalar(con, "SELECT nextval('seq_batch_id')"))
        tables: dict[str, int] = {}
        rules: dict[str, int] = {}
        quarantined = 0
        for table, frame in parsed.tables.items():
            loaded, q_rules = _validate_and_write(con, batch_id, table, frame, parsed.feed, str(path))
            tables[table] = tables.get(table, 0) + loaded
            for r, n in q_rules.items():
                rules[r] = rules.get(r, 0) + n
                quarantined += n
        if parsed.quarantine.height:
            _write_parse_quarantine(con, batch_id, parsed, str(path))
            for r, n in parsed.quarantine.group_by("rule").len().iter_rows():
                rules[r] = rules.get(r, 0) + n
            quarantined += parsed.quarantine.height
        loaded_total = sum(tables.values())
        if loaded_total + quarantined != parsed.rows_read:
            raise AssertionError(
                f"row conservation broken for {path}: read {parsed.rows_read}, "
                f"loaded {loaded_total}, quarantined {quarantined}"
            )
        con.execute(
            "INSERT INTO ops_load_batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                batch_id, parsed.feed, connector.name, str(path.resolve()), path.name, checksum,
                path.stat().st_size, parsed.rows_read, loaded_total, quarantined,
                ",".join(sorted(parsed.tables)), started, datetime.now(),
            ],
        )
    return BatchResult(
        str(path), parsed.feed, connector.name, "LOADED", batch_id, parsed.rows_read,
        loaded_total, quarantined, tables, rules, time.perf_counter() - t0, tuple(parsed.warnings),
    )


def _write_parse_quarantine(con: duckdb.DuckDBPyConnection, batch_id: int, parsed: Parsed, path: str) -> None:
    q = parsed.quarantine  # noqa: F841 - referenced by name in SQL
    con.execute(
        "INSERT INTO ops_quarantine (batch_id, feed, file_path, line_no, record_ref, target_table, rule, reason, raw_text) "
        "SELECT ?, ?, ?, line_no, record_ref, target_table, rule, reason, raw_text FROM q",
        [batch_id, parsed.feed, path],
    )


def _validate_and_write(
    con: duckdb.DuckDBPyConnection, batch_id: int, table: str, frame: pl.DataFrame, feed: str, path: str
) -> tuple[int, dict[str, int]]:
    """Validate candidate rows of one canonical table; insert the valid ones, quarantine the rest.
    Returns (rows loaded, quarantined rows per first rule)."""
    if frame.height == 0:
        return 0, {}
    specs = schemas.data_columns(table)
    present = [c for c in specs if c.name in frame.columns]
    fallbacks = schemas.FALLBACKS.get(table, {})
    cand = frame  # noqa: F841 - referenced by name in SQL
    has_raw = "_raw" in frame.columns
    has_ref = "src_ref" in frame.columns
    # 1. typed columns and type errors
    typed, errs = [], []
    for c in present:
        raw = f"NULLIF(trim(CAST(c.{_q(c.name)} AS VARCHAR)), '')"
        cast = f"TRY_CAST({raw} AS {c.sql_type})"
        typed.append(f"{cast} AS {_q(c.name)}")
        errs.append(
            f"CASE WHEN {raw} IS NOT NULL AND {cast} IS NULL THEN "
            f"'bad_value#§#{c.name}: expected {c.sql_type}, found ''' || {raw} || '''' END"
        )
    raw_expr = "c._raw" if has_raw else "to_json(c)"
    ref_expr = "CAST(c.src_ref AS VARCHAR)" if has_ref else "NULL::VARCHAR"
    con.execute("DROP TABLE IF EXISTS v_typed")
    con.execute(
        f"CREATE TEMP TABLE v_typed AS SELECT CAST(c.src_line AS BIGINT) AS src_line, {ref_expr} AS src_ref, "  # noqa: S608
        f"{raw_expr} AS _raw, {', '.join(typed)}, "
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
                checks.append(f"CASE WHEN {_q(c.name)} IS NULL THEN 'missing_value#§#{c.name}: a value is required' END")
            else:
                checks.append(f"'missing_column#§#{c.name}: required column not supplied by the feed'")
    for rule in schemas.RULES.get(table, []):
        if not all(col in names for col in rule.columns):
            continue
        ref_table = schemas.REFERENCE_RULES.get(rule.rule_id)
        if ref_table and not store.scalar(con, f"SELECT count(*) FROM {ref_table}"):  # noqa: S608
            continue
        checks.append(f"CASE WHEN {rule.violation} THEN '{rule.rule_id}#§#' || ({rule.message}) END")
    pk = [k for k in schemas.primary_key(table) if k in names]
    if pk:
        part = ", ".join(_q(k) for k in pk)
        keytext = " || '/' || ".join(f"coalesce(CAST({_q(k)} AS VARCHAR), '')" for k in pk)
        checks.append(
            f"CASE WHEN row_number() OVER (PARTITION BY {part} ORDER BY src_line) > 1 THEN "
            f"'duplicate_key#§#{'/'.join(pk)} ' || {keytext} || ' appears more than once in the file' END"
        )
        if table not in schemas.UPSERT_TABLES:
            on = " AND ".join(f"e.{_q(k)} = v.{_q(k)}" for k in pk)
            checks.append(
                f"CASE WHEN EXISTS (SELECT 1 FROM {table} AS e WHERE {on}) THEN "  # noqa: S608
                f"'duplicate_key#§#{'/'.join(pk)} ' || {keytext} || ' is already in the store (loaded by an earlier file)' END"
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
        f"SELECT {col_list}, ?{lin_list} FROM v_checked WHERE len(all_errors) = 0",
        [batch_id],
    )
    ref_col = f"CAST({_q(pk[0])} AS VARCHAR)" if pk else "src_ref"
    con.execute(
        "INSERT INTO ops_quarantine (batch_id, feed, file_path, line_no, record_ref, target_table, rule, reason, raw_text) "
        f"SELECT ?, ?, ?, src_line, coalesce({ref_col}, src_ref), ?, split_part(all_errors[1], '#§#', 1), "  # noqa: S608
        "array_to_string(list_transform(all_errors, lambda x: string_split(x, '#§#')[2]), '; '), _raw "
        "FROM v_checked WHERE len(all_errors) > 0",
        [batch_id, feed, path, table],
    )
    loaded = store.scalar(con, "SELECT count(*) FROM v_checked WHERE len(all_errors) = 0")
    rules = dict(
        con.sql(
            "SELECT split_part(all_errors[1], '#§#', 1), count(*) FROM v_checked "
            "WHERE len(all_errors) > 0 GROUP BY 1"
        ).fetchall()
    )
    con.execute("DROP TABLE v_typed")
    con.execute("DROP TABLE v_checked")
    return int(loaded or 0), {str(k): int(v) for k, v in rules.items()}

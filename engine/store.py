"""The store: one DuckDB file with the canonical schema, plus a published read-only snapshot
and a small workflow store.

- The main store (``store.path``) is written by ``load`` and ``run`` through short-lived
  connections. DuckDB allows one writing process per file, so openers retry while another
  process holds the lock (``store.lock_retry_seconds``).
- After a load or run commits, :func:`publish` copies the checkpointed file to
  ``store.published_path`` atomically (write a temporary file, then ``os.replace``). Readers
  (dashboards, the Python API) open that snapshot read-only, so a running batch never blocks
  them and they always see the last complete results.
- Workflow actions (assign, comment, resolve...) go to ``store.workflow_path``, a separate small
  DuckDB file that every writer opens for milliseconds, so actions are never lost to a batch.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import os
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from engine.config import Config
from engine.errors import StoreError, StoreVersionError

log = logging.getLogger(__name__)

#: Bump when a released schema changes incompatibly; opening another version is refused.
SCHEMA_VERSION = 1

Params = Sequence[Any] | Mapping[str, Any] | None


def sql_text(name: str) -> str:
    """Text of the named SQL file ``engine/sql/<name>.sql`` (package data)."""
    ref = resources.files("engine").joinpath("sql", f"{name}.sql")
    try:
        return ref.read_text(encoding="utf-8")
    except FileNotFoundError as exc:  # pragma: no cover - programming error
        raise StoreError(f"no SQL file engine/sql/{name}.sql") from exc


def schema_files() -> list[str]:
    """Schema DDL files in the order they apply (``engine/sql/schema/*.sql``, sorted)."""
    folder = resources.files("engine").joinpath("sql", "schema")
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return "lock" in text.lower() and ("Conflicting" in text or "Could not set lock" in text)


def _connect_raw(path: Path, read_only: bool, retry_seconds: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + retry_seconds
    delay = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            if _is_lock_error(exc) and time.monotonic() < deadline:
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
                continue
            if _is_lock_error(exc):
                raise StoreError(
                    f"the store {path} is locked by another process",
                    hint="another midoffice load/run is writing; wait for it to finish",
                ) from exc
            raise StoreError(f"cannot open the store {path}: {exc}") from exc


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every canonical table that does not exist yet and record the schema version.

    Refuses a store written by another schema version.
    """
    has_ops = scalar(
        con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'ops_schema'"
    )
    if has_ops:
        found = scalar(con, "SELECT max(version) FROM ops_schema")
        if found is not None and found != SCHEMA_VERSION:
            raise StoreVersionError(
                f"the store has schema version {found}; this midoffice needs version {SCHEMA_VERSION}",
                hint="point store.path at a new file, or re-create the store with this version",
            )
    for name in schema_files():
        con.execute(sql_text(f"schema/{name[:-4]}"))
    if not scalar(con, "SELECT count(*) FROM ops_schema"):
        con.execute("INSERT INTO ops_schema (version) VALUES (?)", [SCHEMA_VERSION])
    if not scalar(con, "SELECT count(*) FROM ref_currencies"):
        text = resources.files("engine").joinpath("data", "currencies.csv").read_text("utf-8")
        rows = [(r["currency"], int(r["minor_units"]), r["name"]) for r in csv.DictReader(text.splitlines())]
        con.executemany("INSERT INTO ref_currencies VALUES (?, ?, ?)", rows)


def _configure(con: duckdb.DuckDBPyConnection, cfg: Config | None) -> None:
    if cfg is None:
        return
    threads = cfg.get("store.threads")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    mem = cfg.get("store.memory_limit")
    if mem:
        con.execute(f"SET memory_limit = '{str(mem).replace(chr(39), '')}'")


@contextlib.contextmanager
def connect(
    cfg: Config,
    *,
    read_only: bool = False,
    path: Path | None = None,
    init: bool = True,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection to the main store (created with the schema if new)."""
    p = Path(path or cfg.store_path)
    if read_only and not p.exists():
        raise StoreError(
            f"the store {p} does not exist",
            hint="run `midoffice load` (or `midoffice demo`) first",
        )
    if not read_only:
        p.parent.mkdir(parents=True, exist_ok=True)
    con = _connect_raw(p, read_only, float(cfg.get("store.lock_retry_seconds", 30)))
    try:
        _configure(con, cfg)
        if init and not read_only:
            apply_schema(con)
        elif read_only:
            _check_version(con, p)
        yield con
    finally:
        con.close()


def _check_version(con: duckdb.DuckDBPyConnection, p: Path) -> None:
    try:
        found = scalar(con, "SELECT max(version) FROM ops_schema")
    except duckdb.Error as exc:
        raise StoreError(f"{p} is not a midoffice store (no ops_schema table)") from exc
    if found is not None and found != SCHEMA_VERSION:
        raise StoreVersionError(
            f"the store {p} has schema version {found}; this midoffice needs version {SCHEMA_VERSION}"
        )


@contextlib.contextmanager
def connect_reader(cfg: Config) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection for readers: the published snapshot if there is one, else the store."""
    snap = cfg.published_path
    path = snap if snap.exists() else cfg.store_path
    with connect(cfg, read_only=True, path=path) as con:
        yield con


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN ... COMMIT, or ROLLBACK on any exception (which is re-raised)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def query(con: duckdb.DuckDBPyConnection, sql: str, params: Params = None) -> pl.DataFrame:
    """Run a read query with bound parameters and return a Polars frame."""
    log.debug("SQL %s params=%s", sql, params)
    rel = con.sql(sql, params=params) if params else con.sql(sql)
    if rel is None:
        return pl.DataFrame()
    return rel.pl()


def execute(con: duckdb.DuckDBPyConnection, sql: str, params: Params = None) -> None:
    """Run a statement (DDL/DML) with bound parameters, to its end."""
    log.debug("SQL %s params=%s", sql, params)
    if params:
        con.execute(sql, params)
    else:
        con.execute(sql)


def run_named(con: duckdb.DuckDBPyConnection, name: str, params: Params = None) -> None:
    """Execute the named SQL file ``engine/sql/<name>.sql`` with bound parameters."""
    execute(con, sql_text(name), params)


def query_named(con: duckdb.DuckDBPyConnection, name: str, params: Params = None) -> pl.DataFrame:
    """Query with the named SQL file ``engine/sql/<name>.sql`` and return a Polars frame."""
    return query(con, sql_text(name), params)


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Params = None) -> Any:
    rel = con.sql(sql, params=params) if params else con.sql(sql)
    rows = rel.limit(1).fetchall() if rel is not None else []
    return rows[0][0] if rows else None


def publish(cfg: Config) -> Path | None:
    """Publish the main store as the read-only snapshot readers open (atomic replace)."""
    src = cfg.store_path
    if not src.exists():
        return None
    dst = cfg.published_path
    dst.parent.mkdir(parents=True, exist_ok=True)
    with connect(cfg, init=False) as con:
        con.execute("CHECKPOINT")
    tmp = dst.with_name(dst.name + f".tmp{os.getpid()}")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)
    log.info("published %s -> %s", src, dst)
    return dst


@contextlib.contextmanager
def connect_workflow(cfg: Config, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A very short-lived connection to the workflow store (append-only audit events).

    Every writer (CLI, dashboard, the run's auto-resolution) opens it, writes one action in a
    transaction, and closes, so concurrent users wait milliseconds, never fail.
    """
    p = cfg.workflow_path
    p.parent.mkdir(parents=True, exist_ok=True)
    if read_only and not p.exists():
        read_only = False  # create it so that readers see the (empty) tables
    con = _connect_raw(p, read_only, float(cfg.get("store.lock_retry_seconds", 30)))
    try:
        if not read_only:
            for name in workflow_schema_files():
                con.execute(sql_text(f"workflow/{name[:-4]}"))
        yield con
    finally:
        con.close()


def workflow_schema_files() -> list[str]:
    folder = resources.files("engine").joinpath("sql", "workflow")
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))


def table_counts(con: duckdb.DuckDBPyConnection, prefixes: Sequence[str] = ("ref_", "fo_", "bo_", "mkt_", "out_")) -> pl.DataFrame:
    """Row counts of the canonical tables whose names start with one of ``prefixes``."""
    names = query(
        con,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name",
    )["table_name"].to_list()
    rows = []
    for name in names:
        if name.startswith(tuple(prefixes)):
            # identifiers come from the catalog, not from users
            rows.append((name, scalar(con, f'SELECT count(*) FROM "{name}"')))  # noqa: S608
    return pl.DataFrame(rows, schema=["table", "rows"], orient="row")

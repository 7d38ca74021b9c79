"""Run a named SQL file of several statements with bound parameters.

DuckDB binds prepared parameters only for a single statement, so a file is split into its
statements (each ends with ``;`` at the end of a line) and each statement gets only the
parameters it names (``$name``).

Scratch results read by later statements but never modified (:data:`ARROW_SCRATCH`) are held
as Arrow tables registered on the connection under the table's name, not as DuckDB temp tables:
a statement ``CREATE OR REPLACE TEMP TABLE <name> AS <query>`` for such a name runs ``<query>``
into Arrow (in batches of one row group, so that later scans stay parallel) and registers it.
Writing a result to Arrow costs about half of appending it to a table (no row groups, no column
statistics), and DuckDB reads it back in place. Tables that a later statement changes (INSERT,
DELETE) stay temp tables.

While a reconciliation runs, :func:`scratch_checkpoints_off` raises DuckDB's
``checkpoint_threshold``: DuckDB checkpoints its in-memory temporary storage (vacuum and
compression of temp tables) once the undo of committed statements passes that threshold (16 MiB
by default), and the scratch tables, thrown away minutes later, made it do so inside a statement
of nearly every 10M-row reconciliation (0.3-0.6 s on one thread, for nothing).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import duckdb

from engine import store

log = logging.getLogger(__name__)

#: Scratch results held as registered Arrow tables (see the module's docstring).
ARROW_SCRATCH = frozenset({
    "tmp_rc_pi", "tmp_rc_nfo", "tmp_rc_nbo", "tmp_rc_cmn", "tmp_rc_sfo", "tmp_rc_sbo",
    "tmp_rc_fdm", "tmp_rc_fd", "tmp_rc_breaks",
})
ROWS_PER_BATCH = 122_880  # DuckDB's row group: one batch per scan task
SCRATCH_CHECKPOINT_THRESHOLD = "1TB"  # in effect: no automatic checkpoint while scratch tables churn
_CTAS = re.compile(r"^\s*CREATE\s+OR\s+REPLACE\s+TEMP\s+TABLE\s+(\w+)\s+AS\s+(.*)$", re.S | re.I)
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")


def statements(text: str) -> list[str]:
    """The statements of a SQL script: comments dropped, split at lines ending with ';'."""
    out: list[str] = []
    cur: list[str] = []
    for line in _COMMENT.sub("", text).splitlines():
        cur.append(line)
        if line.rstrip().endswith(";"):
            stmt = "\n".join(cur).strip().rstrip(";").strip()
            if stmt:
                out.append(stmt)
            cur = []
    tail = "\n".join(cur).strip()
    if tail:
        out.append(tail)
    return out


def _used(sql: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameters ``sql`` names (DuckDB binds exactly those)."""
    names = set(_PARAM.findall(sql))
    return {k: v for k, v in (params or {}).items() if k in names}


def execute(con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, Any] | None = None) -> None:
    """Execute one statement with the parameters it names; a ``CREATE OR REPLACE TEMP TABLE`` of
    a name in :data:`ARROW_SCRATCH` is materialised as a registered Arrow table instead."""
    used = _used(sql, params)
    m = _CTAS.match(sql)
    if m and m.group(1) in ARROW_SCRATCH:
        name, query = m.groups()
        if not re.search(rf"\b{name}\b", query):  # free the previous result first (peak memory)
            con.unregister(name)
        rel = con.sql(query, params=used) if used else con.sql(query)
        con.register(name, rel.to_arrow_table(ROWS_PER_BATCH))
    elif used:
        con.execute(sql, used)
    else:
        con.execute(sql)


@contextmanager
def scratch_checkpoints_off(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Hold off DuckDB's automatic checkpoints while the body runs, then restore the threshold
    (a database-wide setting). A checkpoint at the caller's COMMIT or at close still happens."""
    old = con.execute("SELECT current_setting('checkpoint_threshold')").fetchall()[0][0]
    con.execute(f"SET checkpoint_threshold = '{SCRATCH_CHECKPOINT_THRESHOLD}'")
    try:
        yield
    finally:
        try:
            con.execute(f"SET checkpoint_threshold = '{old}'")
        except duckdb.Error as exc:  # an aborted transaction refuses SET until its ROLLBACK
            log.warning("checkpoint_threshold left at %s (restoring %s failed: %s)", SCRATCH_CHECKPOINT_THRESHOLD, old, exc)


def run_script(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None) -> None:
    """Execute every statement of ``engine/sql/<name>.sql`` with the parameters it uses."""
    params = params or {}
    for stmt in statements(store.sql_text(name)):
        missing = set(_PARAM.findall(stmt)) - set(params)
        if missing:  # pragma: no cover - programming error
            raise KeyError(f"{name}.sql needs parameters {sorted(missing)}")
        log.debug("SQL [%s] %s", name, stmt)
        execute(con, stmt, params)


def query_script(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None) -> Any:
    """Run a single-statement query file with the parameters it uses; a Polars frame."""
    text = store.sql_text(name)
    return store.query(con, text, _used(_COMMENT.sub("", text), params) or None)

"""Run a named SQL file of several statements with bound parameters.

DuckDB binds prepared parameters only for a single statement, so a file is split into its
statements (each ends with ``;`` at the end of a line) and each statement gets only the
parameters it names (``$name``)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import duckdb

from engine import store

log = logging.getLogger(__name__)

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


def run_script(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None) -> None:
    """Execute every statement of ``engine/sql/<name>.sql`` with the parameters it uses."""
    params = params or {}
    for stmt in statements(store.sql_text(name)):
        used = {p: params[p] for p in set(_PARAM.findall(stmt)) if p in params}
        missing = set(_PARAM.findall(stmt)) - set(params)
        if missing:  # pragma: no cover - programming error
            raise KeyError(f"{name}.sql needs parameters {sorted(missing)}")
        log.debug("SQL [%s] %s params=%s", name, stmt, used)
        if used:
            con.execute(stmt, used)
        else:
            con.execute(stmt)


def query_script(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None) -> Any:
    """Run a single-statement query file with the parameters it uses; a Polars frame."""
    params = params or {}
    text = store.sql_text(name)
    used = {p: params[p] for p in set(_PARAM.findall(_COMMENT.sub("", text))) if p in params}
    return store.query(con, text, used or None)

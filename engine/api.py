"""The Python API for quants: every result of the platform as a DataFrame, with its lineage.

Open a store, then ask for results::

    from engine.api import open_store

    mo = open_store()                        # MIDOFFICE_CONFIG, MIDOFFICE_* variables, defaults
    mo.as_of_dates()                         # business dates with a completed end-of-day run
    pos = mo.positions(desk="RATES")         # the latest run date, one desk
    var = mo.var(start="2024-03-01", level="FIRM", method="HISTORICAL")
    brk = mo.breaks(status="OPEN", counterparty="CP0042", min_age=5)
    mo.break_lineage(brk["break_id"][0])     # the break's rows and their files and lines
    mo.sql("SELECT desk, sum(market_value_base) AS mv FROM out_positions "
           "WHERE as_of = $d GROUP BY desk", {"d": mo.latest()})

Conventions of every result method (``positions``, ``exposures``, ``concentration``,
``net_fx``, ``counterparty_exposures``, ``counterparty_exposure_trades``, ``limit_utilisation``,
``limit_breaches``, ``pnl``, ``pnl_attribution``, ``pnl_check``, ``var``, ``var_components``,
``stress``, ``backtest``, ``backtest_summary``, ``saccr``, ``saccr_addons``, ``recon_stats``
and the generic :meth:`Midoffice.table`):

- ``as_of``: one business date (a ``date`` or an ISO string); ``None`` (the default) is the
  latest date the table has; ``"all"`` is every date. ``start`` / ``end`` (inclusive) select a
  range instead.
- Any other keyword filters a column of the table by one value or a list of values
  (``desk="RATES"``, ``book_id=["B1", "B2"]``). Short names work too: ``book`` for ``book_id``,
  ``counterparty`` for ``counterparty_id``, ``legal_entity``, ``instrument``, ``netting_set``.
  ``None`` means "no filter". An unknown column is an error that lists the table's columns.
- ``columns=`` keeps only those columns; ``limit=`` caps the rows. Rows come in a stable order
  (date, then the order the run wrote them).
- A Polars DataFrame is returned; ``pandas=True`` (per call, or ``open_store(pandas=True)``)
  returns pandas instead. Money stays exact (Polars ``Decimal``) unless the store was opened
  with ``floats=True``, which casts decimals to ``Float64`` for analytics and charts.

Every value reaches SQL as a bound parameter; column names are checked against the store's
catalog before they are quoted into the query, so no caller text ever becomes SQL. Reads open
the published snapshot (:func:`engine.store.connect_reader`) read-only for one query each, so a
notebook never blocks a batch and always sees the last complete run; :meth:`Midoffice.pinned`
holds one snapshot for a consistent series of queries. :meth:`Midoffice.sql` runs read-only
SQL: one ``SELECT``/``EXPLAIN`` statement, on a connection with file access disabled.

Lineage: :meth:`Midoffice.position_trades` (a position's trade versions with file and line),
:meth:`Midoffice.exposure_positions` (an exposure's positions),
:meth:`Midoffice.counterparty_exposure_trades`, :meth:`Midoffice.break_lineage` (a break's
trade versions, settlement records and cash entries with file and line).

The break and limit workflows are the engine's own functions with the configuration bound:
``mo.recon.assign(break_id, ...)`` is :func:`engine.recon.workflow.assign`,
``mo.limits.check_trade(trade)`` is :func:`engine.limits.check_trade`; see :class:`Actions`.
The breaks themselves (``mo.breaks``, ``mo.break_detail``, ``mo.break_history``), the limit
incidents (``mo.limit_incidents``, ``mo.incident_history``) and ``mo.incremental_var`` wrap the
engine's functions the same way; :meth:`Midoffice.connection` hands the engine's analytics
(``engine.market_risk``...) a read-only connection to the snapshot.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import duckdb
import polars as pl
import polars.selectors as cs

from engine import store
from engine.config import Config, load_config
from engine.errors import BadInputError, MidofficeError, StoreError

log = logging.getLogger(__name__)

Frame = Any  # pl.DataFrame, or pd.DataFrame when pandas output was asked for
DateLike = date | str
AsOf = DateLike | Literal["all"] | None

#: Short filter names accepted for the canonical key columns.
ALIASES: dict[str, str] = {
    "book": "book_id",
    "counterparty": "counterparty_id",
    "legal_entity": "legal_entity_id",
    "instrument": "instrument_id",
    "netting_set": "netting_set_id",
    "trade": "trade_id",
    "limit": "limit_id",
    "incident": "incident_id",
    "settlement": "settlement_id",
}

#: The result tables the API reads, with what writes them (used in error messages).
RESULT_TABLES: dict[str, str] = {
    "out_positions": "the positions step",
    "out_exposures": "the exposures step",
    "out_concentration": "the exposures step",
    "out_net_fx": "the exposures step",
    "out_counterparty_exposures": "the exposures step",
    "out_counterparty_exposure_trades": "the exposures step",
    "out_limit_utilisation": "the limits step",
    "out_limit_breaches": "the limits step",
    "out_pnl": "the P&L step",
    "out_pnl_attribution": "the P&L step",
    "out_pnl_check": "the P&L step",
    "out_var": "the market-risk step",
    "out_var_components": "the market-risk step",
    "out_stress": "the market-risk step",
    "out_backtest": "the market-risk step",
    "out_backtest_summary": "the market-risk step",
    "out_saccr": "the counterparty (SA-CCR) step",
    "out_saccr_addons": "the counterparty (SA-CCR) step",
    "out_breaks": "the reconciliation step",
    "out_recon_stats": "the reconciliation step",
}

#: Key columns of ``out_exposures`` (a NULL key is "all"), as in the grouping names.
EXPOSURE_KEYS: tuple[str, ...] = (
    "legal_entity_id", "desk", "book_id", "trader", "issuer", "sector", "country", "currency",
    "asset_class",
)

#: Statement types :meth:`Midoffice.sql` runs.
_READ_STATEMENTS = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}

RECON_MODULE = "engine.recon.workflow"
RECON_FUNCTIONS = (
    "list_breaks",
    "break_detail",
    "suggestions",
    "assign",
    "comment",
    "set_reason",
    "resolve",
    "reopen",
    "manual_match",
    "unmatch",
    "approve",
    "reject",
    "export_breaks",
    "break_history",
)
LIMITS_MODULE = "engine.limits"
LIMITS_FUNCTIONS = (
    "check_trade",
    "list_incidents",
    "acknowledge",
    "comment",
    "request_temporary_increase",
    "approve_temporary_increase",
    "reject_temporary_increase",
    "list_requests",
    "list_utilisation",
    "incident_history",
)


# ---------------------------------------------------------------------------------------------
# opening
# ---------------------------------------------------------------------------------------------


def open_store(
    config: Config | str | os.PathLike[str] | None = None,
    path: str | os.PathLike[str] | None = None,
    *,
    pandas: bool = False,
    floats: bool = False,
) -> Midoffice:
    """Open a midoffice store for reading (and for the break and limit workflows).

    ``config``: a :class:`~engine.config.Config`, the path of a TOML file, or ``None`` for the
    usual lookup (``MIDOFFICE_CONFIG``, then ``MIDOFFICE_*`` variables such as
    ``MIDOFFICE_STORE__PUBLISHED_PATH``, over the packaged defaults).
    ``path``: read this DuckDB file (a published snapshot or a store) instead of the configured
    one; the workflow store stays the configured ``store.workflow_path``.
    ``pandas``: return pandas DataFrames by default. ``floats``: cast exact decimals to floats.

    Raises :class:`~engine.errors.StoreError` when there is nothing to read yet.
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    if path is not None:
        p = str(Path(path))
        cfg = cfg.with_overrides({"store": {"path": p, "published_path": p}})
    target = cfg.published_path if cfg.published_path.exists() else cfg.store_path
    if not target.exists():
        raise StoreError(
            f"no midoffice store at {target}",
            hint="run `midoffice demo` (or `midoffice load` and `midoffice run`), "
            "or point MIDOFFICE_CONFIG / open_store(path=...) at an existing store",
        )
    return Midoffice(cfg, pandas=pandas, floats=floats)


def _as_date(value: DateLike, what: str = "date") -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise BadInputError(f"bad {what}", expected="an ISO date like 2024-03-28", found=repr(value)) from exc


def _is_settle_basis(basis: str | None) -> bool:
    """``True`` for a settlement-date basis (``SETTLE``, ``SETTLEMENT``, ``SD``...)."""
    if basis is None:
        return False
    b = str(basis).strip().upper()
    if b.startswith("SETTLE") or b in ("SD", "SETTLEMENT_DATE"):
        return True
    if b.startswith("TRADE") or b == "TD":
        return False
    raise BadInputError("unknown position basis", expected="TRADE or SETTLE", found=repr(basis))


def _filter_frame(df: pl.DataFrame, filters: Mapping[str, Any]) -> pl.DataFrame:
    """Apply column = value(s) filters (the API's keyword filters) to a computed frame."""
    for key, value in filters.items():
        if value is None:
            continue
        col = key if key in df.columns else ALIASES.get(key, key)
        if col not in df.columns:
            raise BadInputError(f"no column {key!r} to filter on", expected=f"one of {', '.join(df.columns)}")
        df = df.filter(pl.col(col).is_in(_filter_values(value)))
    return df


def _grouping_dims(grouping: str) -> set[str] | None:
    """The key columns of a grouping name (``"desk+currency"`` -> {desk, currency}); ``None``
    when a part is not a known dimension."""
    parts = [p.strip().lower() for p in str(grouping).replace(",", "+").split("+") if p.strip()]
    if parts in ([], ["firm"], ["all"]):
        return set()
    dims = {ALIASES.get(p, p) for p in parts}
    return dims if dims <= set(EXPOSURE_KEYS) else None


def _quote(identifier: str) -> str:
    """Quote an identifier that came from the store's catalog (never from a caller)."""
    return '"' + identifier.replace('"', '""') + '"'


def _filter_values(value: Any) -> list[Any]:
    """One filter value, or several (a list, tuple, set, Polars/pandas Series, numpy array)."""
    if isinstance(value, str | bytes):
        return [value]
    if hasattr(value, "to_list"):  # Polars Series
        return list(value.to_list())
    if hasattr(value, "tolist"):  # numpy array, pandas Series
        out = value.tolist()
        return out if isinstance(out, list) else [out]
    if isinstance(value, Sequence | set | frozenset):
        return list(value)
    return [value]


class Actions:
    """An engine module's workflow functions with the configuration bound.

    ``mo.recon.assign(break_id, actor="alice", assignee="bob")`` calls
    ``engine.recon.workflow.assign(cfg, break_id, actor="alice", assignee="bob")``; frames come back as
    Polars (or pandas when the store was opened with ``pandas=True``). ``help(mo.recon.assign)``
    shows the engine function's own documentation. The module is imported on first use.
    """

    def __init__(self, api: Midoffice, module: str, names: Sequence[str], what: str) -> None:
        self._api = api
        self._module = module
        self._names = tuple(names)
        self._what = what

    def __repr__(self) -> str:
        return f"<{self._what} actions ({self._module}): {', '.join(self._names)}>"

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._names))

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_") or name not in self._names:
            raise AttributeError(f"{self._what} actions have no {name!r}; they are {', '.join(self._names)}")
        func = self._api._engine_function(self._module, name, self._what)
        return self._api._bind(func)


class Midoffice:
    """An opened store. Create it with :func:`open_store`; see the module documentation."""

    def __init__(self, cfg: Config, *, pandas: bool = False, floats: bool = False) -> None:
        self.cfg = cfg
        self.pandas = pandas
        self.floats = floats
        self._con: duckdb.DuckDBPyConnection | None = None
        #: Break workflow: ``engine.recon.workflow`` functions with the configuration bound.
        self.recon = Actions(self, RECON_MODULE, RECON_FUNCTIONS, "reconciliation")
        #: Limit workflow and pre-trade check: ``engine.limits`` functions, configuration bound.
        self.limits = Actions(self, LIMITS_MODULE, LIMITS_FUNCTIONS, "limit")

    def __repr__(self) -> str:
        return f"<midoffice store {self.snapshot_path}>"

    # -----------------------------------------------------------------------------------------
    # plumbing
    # -----------------------------------------------------------------------------------------

    @property
    def snapshot_path(self) -> Path:
        """The file reads open: the published snapshot, else the store itself."""
        snap = self.cfg.published_path
        return snap if snap.exists() else self.cfg.store_path

    @contextlib.contextmanager
    def _connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self._con is not None:
            yield self._con
            return
        with store.connect_reader(self.cfg) as con:
            yield con

    @contextlib.contextmanager
    def pinned(self) -> Iterator[Midoffice]:
        """Hold one snapshot open so that several reads see the same run::

            with mo.pinned():
                pos, var = mo.positions(), mo.var()

        While pinned, a new publication is not seen (the held file stays readable). If the
        store has no published snapshot, the main store is held open read-only, which makes a
        concurrent load or run wait: keep the block short.
        """
        if self._con is not None:
            yield self
            return
        with store.connect_reader(self.cfg) as con:
            self._con = con
            try:
                yield self
            finally:
                self._con = None

    @contextlib.contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only DuckDB connection to the snapshot (the pinned one inside
        :meth:`pinned`), for the engine's analytics functions that read the store, e.g.
        ``engine.market_risk.factors.load_history(con, ...)``. Close it soon: while it is open
        on the main store (no snapshot published), a load or run waits."""
        with self._connection() as con:
            yield con

    def _out(self, df: pl.DataFrame, pandas: bool | None) -> Frame:
        if self.floats:
            df = df.with_columns(cs.decimal().cast(pl.Float64))
        if self.pandas if pandas is None else pandas:
            return df.to_pandas()
        return df

    def _convert(self, value: Any) -> Any:
        if isinstance(value, pl.DataFrame):
            return self._out(value, None)
        return value

    def _engine_function(self, module: str, name: str, what: str) -> Callable[..., Any]:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module.startswith(exc.name):
                raise MidofficeError(
                    f"the {what} module ({module}) is not part of this installation"
                ) from exc
            raise
        func = getattr(mod, name, None)
        if func is None:
            raise MidofficeError(f"{module} has no function {name}() in this installation")
        return func  # type: ignore[no-any-return]

    def _bind(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """``func(cfg, ...)`` as ``bound(...)``, frames converted as the store was opened."""

        @functools.wraps(func)
        def bound(*args: Any, **kwargs: Any) -> Any:
            return self._convert(func(self.cfg, *args, **kwargs))

        try:
            sig = inspect.signature(func)
            params = list(sig.parameters.values())[1:]
            bound.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
            pass
        return bound

    def _columns(self, con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
        df = store.query(
            con,
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name = $t ORDER BY ordinal_position",
            {"t": table},
        )
        return [str(c) for c in df["column_name"].to_list()]

    def _require(self, con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
        cols = self._columns(con, table)
        if not cols:
            step = RESULT_TABLES.get(table)
            raise StoreError(
                f"the store has no table {table}"
                + (f": {step} is not part of this installation's end-of-day run yet" if step else ""),
                hint="mo.tables() lists the tables this store has",
            )
        return cols

    def _select(
        self,
        table: str,
        *,
        as_of: AsOf = None,
        start: DateLike | None = None,
        end: DateLike | None = None,
        date_column: str | None = "as_of",
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        filters: Mapping[str, Any] | None = None,
        order: Sequence[str] = (),
    ) -> pl.DataFrame:
        """The query builder behind every result method (see the module documentation)."""
        with self._connection() as con:
            cols = self._require(con, table)
            known = set(cols)
            where: list[str] = []
            params: dict[str, Any] = {}
            if date_column is not None and date_column in known:
                dcol = _quote(date_column)
                if start is not None or end is not None:
                    if as_of is not None and not (isinstance(as_of, str) and as_of.lower() == "all"):
                        raise BadInputError("give either as_of or start/end, not both")
                    if start is not None:
                        where.append(f"{dcol} >= $start")
                        params["start"] = _as_date(start, "start date")
                    if end is not None:
                        where.append(f"{dcol} <= $end")
                        params["end"] = _as_date(end, "end date")
                elif as_of is None:
                    latest = f"SELECT max({dcol}) FROM {_quote(table)}"  # noqa: S608 - catalog names
                    where.append(f"{dcol} = ({latest})")
                elif not (isinstance(as_of, str) and as_of.lower() == "all"):
                    where.append(f"{dcol} = $as_of")
                    params["as_of"] = _as_date(as_of, "as-of date")
            elif as_of not in (None, "all") or start is not None or end is not None:
                raise BadInputError(f"{table} has no {date_column!r} column to filter dates on")
            for i, (key, value) in enumerate((filters or {}).items()):
                if value is None:
                    continue
                col = key if key in known else ALIASES.get(key, key)
                if col not in known:
                    raise BadInputError(
                        f"{table} has no column {key!r} to filter on",
                        expected=f"one of {', '.join(cols)}",
                    )
                values = _filter_values(value)
                name = f"f{i}"
                if len(values) == 1:
                    where.append(f"{_quote(col)} = ${name}")
                    params[name] = values[0]
                else:
                    where.append(f"list_contains(${name}, {_quote(col)})")
                    params[name] = values
            if columns:
                unknown = [c for c in columns if c not in known]
                if unknown:
                    raise BadInputError(
                        f"{table} has no column(s) {', '.join(map(repr, unknown))}",
                        expected=f"some of {', '.join(cols)}",
                    )
                select = ", ".join(_quote(c) for c in columns)
            else:
                select = "*"
            keys = [c for c in ([date_column] if date_column else []) + list(order) if c in known]
            order_by = ", ".join([_quote(c) for c in keys] + ["rowid"])
            # identifiers above come from the catalog; every value is a bound parameter
            sql = f"SELECT {select} FROM {_quote(table)}"  # noqa: S608
            if where:
                sql += " WHERE " + " AND ".join(where)
            sql += f" ORDER BY {order_by}"
            if limit is not None:
                sql += " LIMIT $limit"
                params["limit"] = int(limit)
            return store.query(con, sql, params or None)

    def _named(self, name: str, params: Mapping[str, Any]) -> pl.DataFrame:
        with self._connection() as con:
            return store.query_named(con, f"api/{name}", dict(params))

    # -----------------------------------------------------------------------------------------
    # the store
    # -----------------------------------------------------------------------------------------

    def tables(self, pandas: bool | None = None) -> Frame:
        """The tables of the store with their row counts (``ref_``, ``fo_``, ``bo_``, ``mkt_``,
        ``ops_`` and ``out_`` layers)."""
        with self._connection() as con:
            df = store.table_counts(con, ("ops_", "ref_", "fo_", "bo_", "mkt_", "out_"))
        return self._out(df, pandas)

    def columns(self, table: str, pandas: bool | None = None) -> Frame:
        """The columns of ``table`` with their types and nullability."""
        df = self.sql(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name = $t ORDER BY ordinal_position",
            {"t": table},
            pandas=False,
        )
        if df.height == 0:
            raise StoreError(f"the store has no table {table}", hint="mo.tables() lists them")
        return self._out(df, pandas)

    def runs(self, limit: int | None = 50, pandas: bool | None = None) -> Frame:
        """End-of-day runs, newest first: run_id, as_of, status, times, error."""
        df = self._select(
            "ops_runs",
            as_of="all",
            columns=["run_id", "as_of", "status", "started_at", "finished_at", "error"],
        ).sort("run_id", descending=True)
        return self._out(df.head(limit) if limit is not None else df, pandas)

    def as_of_dates(self) -> list[date]:
        """Business dates with a completed (status OK) end-of-day run, oldest first."""
        df = self._named("as_of_dates", {})
        return [d for d in df["as_of"].to_list()]

    def latest(self) -> date | None:
        """The latest business date with a completed end-of-day run (``None`` before any)."""
        dates = self.as_of_dates()
        return dates[-1] if dates else None

    def table(
        self,
        name: str,
        as_of: AsOf = "all",
        *,
        start: DateLike | None = None,
        end: DateLike | None = None,
        date_column: str = "as_of",
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        pandas: bool | None = None,
        **filters: Any,
    ) -> Frame:
        """Any table of the store, with the usual filters. Unlike the result methods, ``as_of``
        defaults to ``"all"``; ``date_column`` names the date to filter on (e.g.
        ``"price_date"`` for ``mkt_prices``; ignored if the table has no such column)."""
        with self._connection() as con:
            if name not in self._table_names(con):
                raise StoreError(f"the store has no table {name!r}", hint="mo.tables() lists them")
        df = self._select(
            name, as_of=as_of, start=start, end=end, date_column=date_column,
            columns=columns, limit=limit, filters=filters,
        )
        return self._out(df, pandas)

    def _table_names(self, con: duckdb.DuckDBPyConnection) -> set[str]:
        df = store.query(con, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")
        return set(df["table_name"].to_list())

    def sql(self, query: str, params: Mapping[str, Any] | Sequence[Any] | None = None,
            *, pandas: bool | None = None) -> Frame:
        """Run one read-only query on the snapshot, values as bound parameters::

            mo.sql("SELECT * FROM out_var WHERE as_of = $d AND level = 'DESK'", {"d": "2024-03-28"})

        Only ``SELECT`` (including ``WITH``, ``FROM``-first, ``DESCRIBE``, ``SHOW``,
        ``SUMMARIZE``) and ``EXPLAIN`` statements run, on a read-only connection with file
        access (``read_csv``, ``COPY``, ``ATTACH``) disabled.
        """
        try:
            statements = duckdb.extract_statements(query)
        except duckdb.Error as exc:
            raise BadInputError(f"cannot parse the query: {exc}") from exc
        if len(statements) != 1:
            raise BadInputError("mo.sql runs exactly one statement", found=f"{len(statements)} statements")
        if statements[0].type not in _READ_STATEMENTS:
            raise BadInputError(
                "mo.sql is read-only",
                expected="a SELECT or EXPLAIN statement",
                found=statements[0].type.name,
            )
        with self._connection() as con:
            # sql() runs caller text: switch file access off for this connection. A pinned
            # connection keeps the setting, which is fine: the API never reads files through it.
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
            try:
                df = store.query(con, query, params)
            except duckdb.Error as exc:
                raise BadInputError(f"the query failed: {exc}") from exc
        return self._out(df, pandas)

    # -----------------------------------------------------------------------------------------
    # positions, exposures, limits
    # -----------------------------------------------------------------------------------------

    def positions(
        self,
        as_of: AsOf = None,
        *,
        start: DateLike | None = None,
        end: DateLike | None = None,
        basis: str | None = "TRADE",
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        pandas: bool | None = None,
        **filters: Any,
    ) -> Frame:
        """Positions (``out_positions``): one row per (as_of, basis, book, instrument).

        ``basis``: trade-date (``"TRADE"``, the default) or settlement-date (``"SETTLE"``)
        positions; ``None`` returns both (do not add them up across bases). Quantity
        is signed (negative = short); market values are signed, in local and base currency.
        Filters: ``legal_entity``, ``desk``, ``book``, ``trader``, ``instrument``,
        ``asset_class``, ``currency``, or any other column.
        """
        df = self._select(
            "out_positions", as_of=as_of, start=start, end=end, columns=columns, limit=limit,
            filters={**filters, "basis": basis},
        )
        return self._out(df, pandas)

    def exposures(
        self,
        as_of: AsOf = None,
        *,
        grouping: str | Sequence[str] | None = None,
        by: Sequence[str] | None = None,
        start: DateLike | None = None,
        end: DateLike | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        pandas: bool | None = None,
        **filters: Any,
    ) -> Frame:
        """Exposures (``out_exposures``, trade-date positions): gross, net, long and short in
        base currency, share of the grouping's gross and rank, per ``grouping`` (``"firm"``,
        ``"desk"``, ``"desk+currency"``, ... as configured in ``positions.exposure_groupings``).
        A NULL key column means "all"; :meth:`exposure_positions` lists an exposure's positions.

        ``by``: any other combination of dimensions (``by=["country", "asset_class"]``),
        computed from the stored positions of one date by
        :func:`engine.exposures.exposures`; the other filters then apply to its rows.
        """
        if by is not None:
            if start is not None or end is not None or as_of == "all":
                raise BadInputError("exposures by a new combination are computed for one date", hint="pass as_of")
            func = self._engine_function("engine.exposures", "exposures", "exposures")
            day = None if as_of is None else _as_date(as_of, "as-of date")
            df = func(self.cfg, list(by), day)
            df = _filter_frame(df, {**filters, "grouping": grouping})
            if columns:
                df = df.select(list(columns))
            return self._out(df.head(limit) if limit is not None else df, pandas)
        df = self._select(
            "out_exposures", as_of=as_of, start=start, end=end, columns=columns, limit=limit,
            filters={**filters, "grouping": grouping}, order=["grouping", "rank"],
        )
        return self._out(df, pandas)

    def exposure_positions(
        self,
        exposure: Mapping[str, Any] | None = None,
        *,
        as_of: DateLike | None = None,
        grouping: str | None = None,
        pandas: bool | None = None,
        **keys: Any,
    ) -> Frame:
        """Lineage of an exposure: the trade-date positions it adds up
        (:func:`engine.exposures.exposure_positions`).

        Pass a row of :meth:`exposures` (``exp.row(0, named=True)``, or a pandas row), or its
        ``grouping`` and keys (``grouping="desk+currency", desk="EQ", currency="EUR"``). The
        grouping's dimensions are the keys (a NULL key matches a NULL dimension); without a
        grouping, the non-NULL keys given are.
        """
        given: dict[str, Any] = dict(exposure or {})
        given.update({ALIASES.get(k, k): v for k, v in keys.items()})
        unknown = [k for k in keys if ALIASES.get(k, k) not in EXPOSURE_KEYS]
        if unknown:
            raise BadInputError(
                f"unknown exposure key(s) {', '.join(map(repr, unknown))}",
                expected=f"some of {', '.join(EXPOSURE_KEYS)}",
            )
        grouping = grouping or given.get("grouping")
        day = self._default_date(as_of if as_of is not None else given.get("as_of"))
        dims = _grouping_dims(grouping) if grouping else None
        if dims is None:
            dims = {k for k in EXPOSURE_KEYS if given.get(k) is not None}
        func = self._engine_function("engine.exposures", "exposure_positions", "exposures")
        df = func(self.cfg, day, **{k: str(given[k]) for k in dims if given.get(k) is not None})
        # a grouping's NULL member (e.g. positions without an issuer) is the NULL dimension
        nulls = [k for k in dims if given.get(k) is None and k in df.columns]
        if nulls:
            df = df.filter(pl.all_horizontal([pl.col(k).is_null() for k in nulls]))
        return self._out(df, pandas)

    def concentration(
        self,
        as_of: AsOf = None,
        *,
        grouping: str | Sequence[str] | None = None,
        start: DateLike | None = None,
        end: DateLike | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        pandas: bool | None = None,
        **filters: Any,
    ) -> Frame:
        """Concentration per grouping (``out_concentration``): members, total gross,
        Herfindahl index (0..10,000 points), top-N share and the largest member."""
        df = self._select(
            "out_concentration", as_of=as_of, start=start, end=end, columns=columns,
            limit=limit, filters={**filters, "grouping": grouping}, order=["grouping"],
        )
        return self._out(df, pandas)

    def net_fx(
        self,
        as_of: AsOf = None,
        *,
        start: DateLike | None = None,
        end: DateLike | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        pandas: bool | None = None,
        **filters: Any,
    ) -> Frame:
        """Net open FX position per currency and legal entity (``out_net_fx``)."""
        df = self._select(
            "out_net_fx", as_of=as_of, start=start, end=end, columns=columns, limit=limit,
            filters=filters,
        )
        return self._out(df, pandas)

    def counterparty_exposures(
        self,
        as_of: AsOf = None,
        *,
        start: DateLike | None = None,
        end: DateLike | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        pandas: bool | None = None,
        **filters: Any,
    ) -> Frame:
        """Counterparty exposure (``out_counterparty_exposures``): replacement cost of
        unsettled trades, settlement risk of the day, OTC marks, current exposure (base)."""
        df = self._select(
            "out_counterparty_exposures", as_of=as_of, start=start, end=end, columns=columns,
            limit=limit, filters=filters,
        )
        return self._out(df, pandas)

    def counterparty_exposure_trades(
        self,
        as_of: AsOf = None,
        *,
        start: DateLike | None = None,
        end: DateLike | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        pandas: bool | None = None,
        **filters: Any,
    ) -> Frame:
        """Lineage of counterparty exposure (``out_counterparty_exposure_trades``): one row per
        contributing trade (``kind`` SETTLING | UNSETTLED | OTC)."""
        df = self._select(
            "out_counterparty_exposure_trades", as_of=as_of, start=start, end=end,
            columns=columns, limit=limit, filters=filters,
        )
        return self._out(df, pandas)

    def limit_utilisation(
        self,
        as_of: AsOf = None,
        *,
        start: DateLike | None = None,
        end: DateLike | None = None,
        status: str | Sequence[str] | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        pandas: bool | None = None,
        **filters: Any,
    ) -> Frame:
        """Limit utilisation (``out_limit_utilisation``): each applicable limit's measure,
        limit value, utilisation and status (``OK`` | ``WARNING`` | ``BREACH``)."""
        df = self._select(
            "out_limit_utilisation", as_of=as_of, start=start, end=end, columns=columns,
            limit=limit, filters={**filters, "status": status},
        )
        return self._out(df, pandas)

    def limit_breaches(
        self,
        as_of: AsOf = None,
        *,
        start: DateLike | None = None,
        end: DateLike | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        pandas: bool | None = None,
        **filters: Any,
    ) -> Frame:
        """Limit warnings and breaches of the run (``out_limit_breaches``)."""
        df = self._select(
            "out_limit_breaches", as_of=as_of, start=start, end=end, columns=columns,
            limit=limit, filters=filters,
        )
        return self._out(df, pandas)

    def limit_incidents(self, *args: Any, pandas: bool | None = None, **kwargs: Any) -> Frame:
        """Breach incidents tracked across days, with their workflow state: the engine's
        :func:`engine.limits.list_incidents` (same arguments, configuration bound)."""
        func = self._engine_function(LIMITS_MODULE, "list_incidents", "limit")
        return self._frame(func(self.cfg, *args, **kwargs), pandas)

    def incident_history(self, incident_id: Any, pandas: bool | None = None) -> Frame:
        """The audit trail of one limit incident (:func:`engine.limits.incident_history`)."""
        func = self._engine_function(LIMITS_MODULE, "incident_history", "limit")
        return self._frame(func(self.cfg, incident_id), pandas)

    def position_trades(
        self,
        book_id: str,
        instrument_id: str,
        as_of: DateLike | None = None,
        *,
        basis: str | None = None,
        pandas: bool | None = None,
    ) -> Frame:
        """Lineage of a position: the live trade versions behind (``book_id``,
        ``instrument_id``) as of a date (default: the latest run), each with the file and line
        it was loaded from (``file_path``, ``src_line``) and its ``signed_quantity`` (sells
        negative): :func:`engine.positions.position_trades`.

        The as-of rule is the run's: per trade the newest version known on the date, cancels
        dropped. ``basis``: trade-date (default) or settlement-date (``"SETTLE"``) positions.
        """
        day = self._default_date(as_of)
        func = self._engine_function("engine.positions", "position_trades", "positions")
        basis_name = "SETTLE" if _is_settle_basis(basis) else "TRADE"
        df = func(self.cfg, day, str(book_id), str(instrument_id), basis=basis_name)
        if {"side", "quantity"} <= set(df.columns):
            df = df.with_columns(
                signed_quantity=pl.when(pl.col("side") == "SELL").then(-pl.col("quantity")).otherwise(pl.col("quantity"))
            )
        return self._out(df, pandas)

    def _default_date(self, as_of: DateLike | None) -> date:
        if as_of is not None:
            return _as_date(as_of, "as-of date")
        latest = self.latest()
        if latest is None:
            raise StoreError("the store has no completed end-of-day run", hint="run `midoffice run` first")
        return latest

    # -----------------------------------------------------------------------------------------
    # P&L
    # -----------------------------------------------------------------------------------------

    def pnl(
        self,
        as_of: AsOf = None,
        *,
        start: DateLike | None = None,
        end: DateLike | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        pandas: bool | None = None,
        **filters: Any,
    ) -> Frame:
        """Daily P&L (``out_pnl``) per book and instrument: realised, unrealised, fees, carry
        and total in local currency, and the total in base currency (profit positive)."""
        df = self._select(
            "out_pnl", as_of=as_of, start=start, end=end, columns=columns, limit=limit,
            filters=filters,
        )
        return self._out(df, pandas)

    def pnl_attribution(
        self,
        as_of: AsOf = None,
        *,
        start: DateLike | None = None,
        end: DateLike | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        pandas: bool | None = None,
        **filters: Any,
    ) -> Frame:
        """Daily P&L attribution (``out_pnl_attribution``): new-trade P&L, price move, FX move,
        carry and fees, which add up to the total."""
        df = self._select(
            "out_pnl_attribution", as_of=as_of, start=start, end=end, columns=columns,
            limit=limit, filters=filters,
        )
        return self._out(df, pandas)

    def pnl_check(
        self,
        as_of: AsOf = None,
        *,
        start: DateLike | None = None,
        end: DateLike | None = None,
        ok: bool | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        pandas: bool | None = None,
        **filters: Any,
    ) -> Frame:
        """The run's P&L check (``out_pnl_check``): total P&L against the change in market
        value plus net cash flows, per book and instrument (``ok=False``: the differences)."""
        df = self._select(
            "out_pnl_check", as_of=as_of, start=start, end=end, columns=columns, limit=limit,
            filters={**filters, "ok": ok},
        )
        return self._out(df, pandas)

    # -----------------------------------------------------------------------------------------
    # market risk
    # -----------------------------------------------------------------------------------------

    def var(
        self,
        as_of: AsOf = None,
        *,
        start: DateLike | None = None,
        end: DateLike | None = None,
        level: str | Sequence[str] | None = None,
        method: str | Sequence[str] | None = None,
        confidence: float | Sequence[float] | None = None,
        horizon_days: int | Sequence[int] | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        pandas: bool | None = None,
        **filters: Any,
    ) -> Frame:
        """VaR and ES (``out_var``), losses in base currency, per level (``FIRM`` | ``DESK`` |
        ``BOOK``) and key, method (``HISTORICAL`` | ``PARAMETRIC`` | ``MONTE_CARLO``), model,
        confidence, horizon and scaling."""
        df = self._select(
            "out_var", as_of=as_of, start=start, end=end, columns=columns, limit=limit,
            filters={**filters, "level": level, "method": method, "confidence": confidence,
                     "horizon_days": horizon_days},
        )
        return self._out(df, pandas)

    def var_components(
        self,
        as_of: AsOf = None,
        *,
        start: DateLike | None = None,
        end: DateLike | None = None,
        level: str | Sequence[str] | None = None,
        method: str | Sequence[str] | None = None,
        confidence: float | Sequence[float] | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        pandas: bool | None = None,
        **filters: Any,
    ) -> Frame:
        """Euler component VaR/ES per desk and book (``out_var_components``): the components
        of one configuration add up to the firm's VaR."""
        df = self._select(
            "out_var_components", as_of=as_of, start=start, end=end, columns=columns,
            limit=limit,
            filters={**filters, "level": level, "method": method, "confidence": confidence},
        )
        return self._out(df, pandas)

    def stress(
        self,
        as_of: AsOf = None,
        *,
        start: DateLike | None = None,
        end: DateLike | None = None,
        scenario: str | Sequence[str] | None = None,
        level: str | Sequence[str] | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        pandas: bool | None = None,
        **filters: Any,
    ) -> Frame:
        """Stress-test P&L (``out_stress``, profit positive) per scenario and level."""
        df = self._select(
            "out_stress", as_of=as_of, start=start, end=end, columns=columns, limit=limit,
            filters={**filters, "scenario": scenario, "level": level},
        )
        return self._out(df, pandas)

    def backtest(
        self,
        as_of: AsOf = None,
        *,
        start: DateLike | None = None,
        end: DateLike | None = None,
        basis: str | Sequence[str] | None = None,
        method: str | Sequence[str] | None = None,
        confidence: float | Sequence[float] | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        pandas: bool | None = None,
        **filters: Any,
    ) -> Frame:
        """VaR backtest observations (``out_backtest``): per P&L date (``obs_date``) the VaR
        against hypothetical and actual P&L, with the exceptions. ``as_of`` is the run that
        wrote the series (``basis`` ``DAILY`` | ``CURRENT_PORTFOLIO``)."""
        df = self._select(
            "out_backtest", as_of=as_of, start=start, end=end, columns=columns, limit=limit,
            filters={**filters, "basis": basis, "method": method, "confidence": confidence},
            order=["basis", "method", "confidence", "obs_date"],
        )
        return self._out(df, pandas)

    def backtest_summary(
        self,
        as_of: AsOf = None,
        *,
        start: DateLike | None = None,
        end: DateLike | None = None,
        basis: str | Sequence[str] | None = None,
        method: str | Sequence[str] | None = None,
        confidence: float | Sequence[float] | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        pandas: bool | None = None,
        **filters: Any,
    ) -> Frame:
        """Backtest statistics (``out_backtest_summary``): exceptions, Kupiec and
        Christoffersen tests, Basel traffic-light zone and plus factor."""
        df = self._select(
            "out_backtest_summary", as_of=as_of, start=start, end=end, columns=columns,
            limit=limit,
            filters={**filters, "basis": basis, "method": method, "confidence": confidence},
        )
        return self._out(df, pandas)

    def incremental_var(self, trade: Mapping[str, Any], as_of: DateLike | None = None) -> Any:
        """Incremental historical VaR/ES of a proposed trade on the firm's portfolio
        (:func:`engine.market_risk.var.incremental_var`): ``trade`` has ``instrument_id`` and a
        signed ``quantity`` (buy > 0), optionally ``book_id`` and ``price``. Returns the
        engine's ``IncrementalVar`` (``var_before``, ``var_after``, ``incremental_var``, ...;
        ``to_dict()``)."""
        func = self._engine_function("engine.market_risk.var", "incremental_var", "market-risk")
        return func(self.cfg, dict(trade), None if as_of is None else _as_date(as_of))

    # -----------------------------------------------------------------------------------------
    # counterparty
    # -----------------------------------------------------------------------------------------

    def saccr(
        self,
        as_of: AsOf = None,
        *,
        start: DateLike | None = None,
        end: DateLike | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        pandas: bool | None = None,
        **filters: Any,
    ) -> Frame:
        """SA-CCR per netting set (``out_saccr``): replacement cost, add-ons, PFE multiplier,
        PFE and EAD in base currency. Filters: ``counterparty``, ``netting_set``, ..."""
        df = self._select(
            "out_saccr", as_of=as_of, start=start, end=end, columns=columns, limit=limit,
            filters=filters,
        )
        return self._out(df, pandas)

    def saccr_addons(
        self,
        as_of: AsOf = None,
        *,
        start: DateLike | None = None,
        end: DateLike | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        pandas: bool | None = None,
        **filters: Any,
    ) -> Frame:
        """SA-CCR add-ons per netting set, asset class and hedging set (``out_saccr_addons``)."""
        df = self._select(
            "out_saccr_addons", as_of=as_of, start=start, end=end, columns=columns,
            limit=limit, filters=filters,
        )
        return self._out(df, pandas)

    # -----------------------------------------------------------------------------------------
    # reconciliation
    # -----------------------------------------------------------------------------------------

    def _frame(self, value: Any, pandas: bool | None) -> Frame:
        if isinstance(value, pl.DataFrame):
            return self._out(value, pandas)
        return value

    def breaks(
        self,
        as_of: DateLike | None = None,
        *,
        status: str | None = None,
        break_type: str | Sequence[str] | None = None,
        min_age: int | None = None,
        max_age: int | None = None,
        counterparty: str | None = None,
        custodian: str | None = None,
        isin: str | None = None,
        assignee: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        pandas: bool | None = None,
    ) -> Frame:
        """Reconciliation breaks of ``as_of`` (default: the latest reconciled date) with their
        workflow state (status, assignee, reason), ageing, differences, fails and estimated
        penalties: :func:`engine.recon.workflow.list_breaks` with the same filters.

        ``status``: OPEN | PENDING_APPROVAL | MATCH_PENDING | RESOLVED, a lifecycle (NEW,
        PERSISTING) or ACTIVE; ``break_type``: one or several types (DQUA...), kinds
        (UNMATCHED_FO...) or categories (MATCHING, SETTLEMENT, CASH); ages in business days.
        The break rows of several run dates: ``mo.table("out_breaks", start=..., end=...)``.
        """
        func = self._engine_function(RECON_MODULE, "list_breaks", "reconciliation")
        df = func(
            self.cfg,
            as_of=None if as_of is None else _as_date(as_of, "as-of date"),
            status=status, break_type=break_type, min_age=min_age, max_age=max_age,
            counterparty=counterparty, custodian=custodian, isin=isin, assignee=assignee,
            limit=limit, offset=offset,
        )
        return self._frame(df, pandas)

    def break_detail(self, break_id: Any) -> dict[str, Any]:
        """One break in full: both sides, the fields that differ, its events
        (:func:`engine.recon.workflow.break_detail`)."""
        func = self._engine_function(RECON_MODULE, "break_detail", "reconciliation")
        detail = func(self.cfg, break_id)
        return {k: self._convert(v) for k, v in detail.items()} if isinstance(detail, dict) else detail

    def break_lineage(self, break_id: str, as_of: DateLike | None = None,
                      pandas: bool | None = None) -> Frame:
        """Lineage of a break: every source record behind it (front-office trade versions,
        back-office settlement records, cash statement entries) known on the break's date
        (default: the latest date the break was written), with ``feed``, ``file_path`` and
        ``src_line``; ``is_current`` marks the version the run used."""
        df = self._named(
            "break_lineage",
            {"break_id": str(break_id), "as_of": None if as_of is None else _as_date(as_of)},
        )
        return self._out(df, pandas)

    def recon_stats(
        self,
        as_of: AsOf = None,
        *,
        start: DateLike | None = None,
        end: DateLike | None = None,
        scope: str | Sequence[str] | None = None,
        metric: str | Sequence[str] | None = None,
        dimension: str | Sequence[str] | None = None,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
        pandas: bool | None = None,
        **filters: Any,
    ) -> Frame:
        """Reconciliation run statistics (``out_recon_stats``, long format): matches per pass,
        auto-match and straight-through rates, breaks by type, age and counterparty."""
        df = self._select(
            "out_recon_stats", as_of=as_of, start=start, end=end, columns=columns, limit=limit,
            filters={**filters, "scope": scope, "metric": metric, "dimension": dimension},
        )
        return self._out(df, pandas)

    def break_history(self, break_id: Any, pandas: bool | None = None) -> Frame:
        """The append-only audit trail of one break: who did what, when
        (:func:`engine.recon.workflow.break_history`)."""
        func = self._engine_function(RECON_MODULE, "break_history", "reconciliation")
        return self._frame(func(self.cfg, break_id), pandas)


__all__ = ["ALIASES", "Actions", "Midoffice", "RESULT_TABLES", "open_store"]

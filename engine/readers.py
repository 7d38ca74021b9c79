"""Read functions for the dashboards (and any other reader): aggregated, paged, read-only.

Every function reads the published snapshot read-only (:func:`reader`: a pooled, read-only
attachment of the snapshot file, or :func:`engine.store.connect_reader` while nothing is
published), runs a named SQL file from ``engine/sql/dashboard/`` with bound parameters, and
returns a Polars frame (or a small dict). Aggregation and paging happen in DuckDB, so a caller
never receives more rows than it shows.

Safety: filter values reach SQL only as bound parameters. Where a caller chooses a dimension
(e.g. "group exposures by desk"), the dimension name is itself a bound parameter matched by a
``CASE`` inside the SQL file, and it is checked against :data:`EXPOSURE_DIMENSIONS` first; no
caller-supplied text ever becomes SQL text or a file path.

Tables written by engine steps that may not exist yet (``out_*``) are checked with
:func:`availability`, which says in words what is not computed yet.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from engine import store
from engine.config import Config
from engine.errors import BadInputError, StoreError, StoreVersionError

log = logging.getLogger(__name__)

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")

#: Dimensions exposures can be grouped by: key -> label. The keys are matched inside the SQL.
EXPOSURE_DIMENSIONS: dict[str, str] = {
    "legal_entity": "Legal entity",
    "desk": "Desk",
    "book": "Book",
    "trader": "Trader",
    "asset_class": "Asset class",
    "currency": "Currency",
    "instrument": "Instrument",
    "issuer": "Issuer",
    "sector": "Sector",
    "country": "Country",
}

#: What each result table is, in words, and the engine step that fills it.
RESULT_TABLES: dict[str, tuple[str, str]] = {
    "out_positions": ("Positions", "positions"),
    "out_exposures": ("Exposures", "exposures"),
    "out_limit_utilisation": ("Limit utilisation", "limits"),
    "out_pnl": ("P&L", "P&L"),
    "out_pnl_attribution": ("P&L attribution", "P&L"),
    "out_var": ("VaR and ES", "market risk"),
    "out_var_components": ("Component VaR", "market risk"),
    "out_stress": ("Stress results", "market risk"),
    "out_backtest": ("VaR backtest", "market risk"),
    "out_backtest_summary": ("Backtest summary", "market risk"),
    "out_saccr": ("SA-CCR exposure", "counterparty"),
    "out_breaks": ("Reconciliation breaks", "reconciliation"),
}


@dataclass(frozen=True)
class Filters:
    """The sidebar filters. An empty tuple means "all"."""

    legal_entities: tuple[str, ...] = ()
    desks: tuple[str, ...] = ()
    books: tuple[str, ...] = ()

    def params(self) -> dict[str, list[str]]:
        return {
            "legal_entities": [str(v) for v in self.legal_entities],
            "desks": [str(v) for v in self.desks],
            "books": [str(v) for v in self.books],
        }

    @property
    def is_empty(self) -> bool:
        return not (self.legal_entities or self.desks or self.books)


NO_FILTERS = Filters()


@dataclass(frozen=True)
class Catalog:
    """Tables and their columns in the opened snapshot."""

    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def has(self, table: str, columns: Iterable[str] = ()) -> bool:
        cols = self.columns.get(table)
        return cols is not None and all(c in cols for c in columns)

    def missing_columns(self, table: str, columns: Iterable[str]) -> list[str]:
        cols = self.columns.get(table, ())
        return [c for c in columns if c not in cols]


# ---------------------------------------------------------------------------------------------
# plumbing
# ---------------------------------------------------------------------------------------------


def _bind(sql: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Only the parameters the SQL text names (DuckDB refuses unused ones)."""
    names = set(_PARAM.findall(_COMMENT.sub("", sql)))
    missing = names - set(params)
    if missing:  # pragma: no cover - programming error
        raise BadInputError(f"missing SQL parameter(s) {sorted(missing)}")
    return {k: v for k, v in params.items() if k in names}


def _query(con: Any, name: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame:
    sql = store.sql_text(f"dashboard/{name}")
    return store.query(con, sql, _bind(sql, params or {}) or None)


class _Snapshot:
    """One published snapshot attached read-only to a private in-memory DuckDB.

    A private instance per snapshot file version (rather than ``duckdb.connect(path)``, whose
    per-process instance cache would keep serving a replaced file while any connection to it is
    open) lets readers keep the catalog and the buffer cache between queries and still see a new
    publish at once. The writer never touches this file (``publish`` replaces it atomically), so
    holding it open never blocks a load or a run. Each query uses its own cursor (thread-safe);
    a retired snapshot is closed when its last query ends.
    """

    def __init__(self, cfg: Config, path: Path, token: str) -> None:
        self.token = token
        self.users = 0
        self.retired = False
        self.con = duckdb.connect(":memory:")
        try:
            threads = cfg.get("store.threads")
            if threads:
                self.con.execute(f"SET threads = {int(threads)}")
            self.con.execute("ATTACH $path AS snap (READ_ONLY)", {"path": str(path)})
            self.con.execute("USE snap")
            found = store.scalar(self.con, "SELECT max(version) FROM ops_schema")
        except duckdb.Error as exc:
            self.con.close()
            raise StoreError(f"cannot read the published snapshot {path}: {exc}") from exc
        if found is not None and found != store.SCHEMA_VERSION:
            self.con.close()
            raise StoreVersionError(
                f"the snapshot {path} has schema version {found}; this midoffice needs version {store.SCHEMA_VERSION}"
            )

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cur = self.con.cursor()
        cur.execute("USE snap")
        return cur

    def close(self) -> None:
        self.con.close()


_POOL_LOCK = threading.Lock()
_POOL: dict[str, _Snapshot] = {}


@contextlib.contextmanager
def reader(cfg: Config) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the published snapshot (pooled, see :class:`_Snapshot`); when
    nothing is published yet, a short-lived :func:`engine.store.connect_reader` connection."""
    pub = cfg.published_path
    if not pub.exists():
        with store.connect_reader(cfg) as con:
            yield con
        return
    key = str(pub.resolve())
    token = snapshot_token(cfg)
    with _POOL_LOCK:
        snap = _POOL.get(key)
        if snap is None or snap.token != token:
            fresh = _Snapshot(cfg, pub, token)
            if snap is not None:
                snap.retired = True
                if snap.users == 0:
                    snap.close()
            _POOL[key] = snap = fresh
        snap.users += 1
    try:
        cur = snap.cursor()
        try:
            yield cur
        finally:
            cur.close()
    finally:
        with _POOL_LOCK:
            snap.users -= 1
            if snap.retired and snap.users == 0:
                snap.close()


def release_readers() -> None:
    """Close every pooled snapshot that no query is using (tests, shutdown)."""
    with _POOL_LOCK:
        for key, snap in list(_POOL.items()):
            snap.retired = True
            if snap.users == 0:
                snap.close()
            del _POOL[key]


def read(cfg: Config, name: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame:
    """Run ``engine/sql/dashboard/<name>.sql`` on the published snapshot with bound parameters."""
    with reader(cfg) as con:
        return _query(con, name, params)


def _filter_params(filters: Filters | None) -> dict[str, list[str]]:
    return (filters or NO_FILTERS).params()


def snapshot_path(cfg: Config) -> Path | None:
    """The file readers open: the published snapshot, else the store itself, else None."""
    for p in (cfg.published_path, cfg.store_path):
        if p.exists():
            return p
    return None


def snapshot_token(cfg: Config) -> str:
    """Identity of the snapshot readers see now: changes whenever a load or run publishes.

    Callers use it as a cache key, so cached figures refresh the moment new results exist.
    """
    p = snapshot_path(cfg)
    if p is None:
        return "none"
    st = p.stat()
    return f"{p.resolve()}|{st.st_mtime_ns}|{st.st_size}"


def catalog(cfg: Config) -> Catalog:
    """Tables and columns present in the snapshot (empty when there is no store yet)."""
    if snapshot_path(cfg) is None:
        return Catalog()
    df = read(cfg, "catalog")
    cols: dict[str, list[str]] = {}
    for t, c in zip(df["table_name"].to_list(), df["column_name"].to_list(), strict=True):
        cols.setdefault(t, []).append(c)
    return Catalog({t: tuple(v) for t, v in cols.items()})


def has_rows(cfg: Config, table: str, as_of: date | None = None, *, cat: Catalog | None = None) -> bool:
    """Whether a table has rows (for one as_of if given). ``table`` must exist in the catalog."""
    cat = cat or catalog(cfg)
    if not cat.has(table):
        return False
    with reader(cfg) as con:
        # the table name is checked against the store's own catalog, never taken from input
        if as_of is not None and cat.has(table, ["as_of"]):
            sql = f'SELECT count(*) FROM (SELECT 1 FROM "{table}" WHERE as_of = $as_of LIMIT 1)'  # noqa: S608
            return bool(store.scalar(con, sql, {"as_of": as_of}))
        return bool(store.scalar(con, f'SELECT count(*) FROM (SELECT 1 FROM "{table}" LIMIT 1)'))  # noqa: S608


def availability(
    cfg: Config,
    table: str,
    *,
    as_of: date | None = None,
    columns: Sequence[str] = (),
    cat: Catalog | None = None,
) -> str | None:
    """``None`` when ``table`` has rows (for ``as_of``), else a sentence saying what is missing."""
    label, step = RESULT_TABLES.get(table, (table, "engine"))
    cat = cat or catalog(cfg)
    if snapshot_path(cfg) is None:
        return "There is no store yet: run `midoffice demo`, or `midoffice load` and `midoffice run`."
    if not cat.has(table):
        return (
            f"{label}: not computed yet. This store has no `{table}` table "
            f"(the {step} step is not part of this installation's end-of-day run yet)."
        )
    missing = cat.missing_columns(table, columns)
    if missing:
        return (
            f"{label}: `{table}` does not have the columns this page needs "
            f"({', '.join(missing)}); the {step} step writes another layout."
        )
    if not has_rows(cfg, table, as_of, cat=cat):
        when = f" for {as_of.isoformat()}" if as_of is not None else ""
        return f"{label}: not computed{when}. Run `midoffice run` for this date (the {step} step writes it)."
    return None


# ---------------------------------------------------------------------------------------------
# core: dates, filters, runs, loads, quarantine
# ---------------------------------------------------------------------------------------------


def as_of_dates(cfg: Config) -> list[date]:
    """Business dates with a completed end-of-day run, newest first."""
    if not catalog(cfg).has("ops_runs"):
        return []
    return read(cfg, "as_of_dates")["as_of"].to_list()


def previous_as_of(cfg: Config, as_of: date) -> date | None:
    """The latest business date before ``as_of`` with a completed run."""
    df = read(cfg, "previous_as_of", {"as_of": as_of})
    return df["previous_as_of"][0] if df.height else None


def filter_options(cfg: Config) -> pl.DataFrame:
    """Legal entity / desk / book hierarchy (one row per book)."""
    if not catalog(cfg).has("ref_books"):
        return pl.DataFrame(
            schema={"legal_entity_id": pl.String, "legal_entity_name": pl.String, "desk": pl.String,
                    "book_id": pl.String, "book_name": pl.String}
        )
    return read(cfg, "filter_options")


def runs(cfg: Config, limit: int = 20) -> pl.DataFrame:
    """The latest end-of-day runs, newest first."""
    return read(cfg, "runs", {"limit": int(limit)})


def run_steps(cfg: Config, run_id: int) -> pl.DataFrame:
    return read(cfg, "run_steps", {"run_id": int(run_id)})


def feed_quality(cfg: Config) -> pl.DataFrame:
    """Per feed: files, rows read / loaded / quarantined, last load time."""
    return read(cfg, "feed_quality")


def load_history(
    cfg: Config, *, feeds: Sequence[str] = (), limit: int = 100, offset: int = 0
) -> tuple[pl.DataFrame, int]:
    """One page of the load history (newest first) and the number of matching batches."""
    params = {"feeds": [str(f) for f in feeds], "limit": int(limit), "offset": int(offset)}
    with reader(cfg) as con:
        page = _query(con, "load_history", params)
        total = int(_query(con, "load_history_count", params)["n"][0])
    return page, total


def quarantine(
    cfg: Config,
    *,
    feeds: Sequence[str] = (),
    rules: Sequence[str] = (),
    batch_id: int | None = None,
    search: str = "",
    limit: int = 100,
    offset: int = 0,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One page of quarantined records (raw text, reason, file and line) and the counts by
    (feed, rule) of every record matching the filter."""
    params = {
        "feeds": [str(f) for f in feeds],
        "rules": [str(r) for r in rules],
        "batch_id": None if batch_id is None else int(batch_id),
        "search": str(search or ""),
        "limit": int(limit),
        "offset": int(offset),
    }
    with reader(cfg) as con:
        page = _query(con, "quarantine", params)
        summary = _query(con, "quarantine_summary", params)
    return page, summary


# ---------------------------------------------------------------------------------------------
# positions and exposures
# ---------------------------------------------------------------------------------------------


def position_totals(
    cfg: Config, as_of: date, filters: Filters | None = None, *, basis: str | None = "TRADE"
) -> pl.DataFrame:
    """Gross, net, long and short market value (base currency) for ``as_of`` and the previous
    run date: one row per date (``as_of`` column). ``basis``: TRADE (default) or SETTLE
    positions; None adds both (rarely what you want)."""
    prev = previous_as_of(cfg, as_of)
    params = {"as_of": as_of, "previous": prev, "basis": basis, **_filter_params(filters)}
    return read(cfg, "positions_totals", params)


def _check_dim(dim: str | None, what: str) -> None:
    if dim is not None and dim not in EXPOSURE_DIMENSIONS:
        raise BadInputError(f"unknown {what} {dim!r}", expected=f"one of {sorted(EXPOSURE_DIMENSIONS)}")


def _drill_params(dim: str, drill: Sequence[tuple[str, str]]) -> dict[str, Any]:
    _check_dim(dim, "dimension")
    if len(drill) > 2:
        raise BadInputError("a drill-down path has at most two steps", found=str(len(drill)))
    steps = list(drill) + [(None, None)] * (2 - len(drill))
    for d, _ in steps:
        _check_dim(d, "drill-down dimension")
    return {
        "dim": dim,
        "dim1": steps[0][0], "val1": None if steps[0][1] is None else str(steps[0][1]),
        "dim2": steps[1][0], "val2": None if steps[1][1] is None else str(steps[1][1]),
    }


def exposures(
    cfg: Config,
    as_of: date,
    dim: str,
    filters: Filters | None = None,
    *,
    drill: Sequence[tuple[str, str]] = (),
    basis: str | None = "TRADE",
    limit: int | None = 200,
) -> pl.DataFrame:
    """Long, short, net and gross exposure (base currency) by ``dim`` (a key of
    :data:`EXPOSURE_DIMENSIONS`), inside the drill-down path ``drill`` = [(dim, value), ...];
    the top ``limit`` groups by gross exposure (``None``: every group)."""
    params = {
        "as_of": as_of, "basis": basis, "limit": None if limit is None else int(limit),
        **_drill_params(dim, drill), **_filter_params(filters),
    }
    return read(cfg, "exposure_by_dim", params)


def exposure_concentration(
    cfg: Config,
    as_of: date,
    dim: str,
    filters: Filters | None = None,
    *,
    drill: Sequence[tuple[str, str]] = (),
    basis: str | None = "TRADE",
) -> dict[str, Any]:
    """Concentration of gross exposure across ``dim``: groups, gross and net totals, top-1/5/10
    shares (fractions) and the Herfindahl index in points (0..10,000, as ``out_concentration``).

    Computed over every group of :func:`exposures` (the same grouping, largest first); a share
    is ``None`` when there is no gross exposure."""
    groups = exposures(cfg, as_of, dim, filters, drill=drill, basis=basis, limit=None)
    out: dict[str, Any] = {"groups": groups.height, "total_gross": None, "total_net": None,
                           "top1_share": None, "top5_share": None, "top10_share": None, "hhi": None}
    if groups.is_empty():
        return out
    out.update(groups.select(total_gross=pl.col("gross_exposure").sum(),
                             total_net=pl.col("net_exposure").sum()).row(0, named=True))
    gross = pl.col("gross_exposure").cast(pl.Float64)
    if not groups.select(gross.sum()).item():
        return out  # no gross exposure: shares are undefined
    share = gross / gross.sum()
    rank = pl.int_range(1, pl.len() + 1)  # rows come largest gross first
    out.update(groups.select(
        top1_share=share.filter(rank <= 1).sum(), top5_share=share.filter(rank <= 5).sum(),
        top10_share=share.filter(rank <= 10).sum(), hhi=10000 * (share * share).sum(),
    ).row(0, named=True))
    return out


def position_bases(cfg: Config, as_of: date) -> list[str]:
    """The position bases present for ``as_of`` (trade-date basis first)."""
    return [str(b) for b in read(cfg, "position_bases", {"as_of": as_of})["basis"].to_list()]


def _totals_pair(df: pl.DataFrame, as_of: date, prev: date | None, column: str) -> tuple[Any, Any]:
    now = df.filter(pl.col("as_of") == as_of)
    before = df.filter(pl.col("as_of") == prev) if prev is not None else df.clear()
    return (now[column][0] if now.height else None, before[column][0] if before.height else None)


# ---------------------------------------------------------------------------------------------
# market risk
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VarConfig:
    """One VaR configuration as stored in ``out_var``."""

    method: str
    model: str
    confidence: float
    horizon_days: int
    scaling: str = ""  # '' = none

    @property
    def label(self) -> str:
        text = f"{self.method.title()} ({self.model.lower()}), {self.confidence:.1%}, {self.horizon_days}-day"
        return text + (f" ({self.scaling.lower()})" if self.scaling else "")

    def params(self) -> dict[str, Any]:
        return {"method": self.method, "model": self.model, "confidence": float(self.confidence),
                "horizon_days": int(self.horizon_days), "scaling": self.scaling or ""}


def var_configs(cfg: Config, as_of: date) -> list[VarConfig]:
    """The VaR configurations computed for ``as_of`` (historical 99% 1-day first)."""
    df = read(cfg, "var_configs", {"as_of": as_of})
    return [VarConfig(r["method"], r["model"], float(r["confidence"]), int(r["horizon_days"]), r["scaling"] or "")
            for r in df.iter_rows(named=True)]


def var_by_level(cfg: Config, as_of: date, config: VarConfig, filters: Filters | None = None) -> pl.DataFrame:
    """VaR and ES (losses, base currency) at FIRM, DESK and BOOK level for one configuration."""
    return read(cfg, "var_by_level", {"as_of": as_of, **config.params(), **_filter_params(filters)})


def var_firm_series(cfg: Config, as_of: date, config: VarConfig, limit: int = 250) -> pl.DataFrame:
    """Firm VaR and ES over the run dates up to ``as_of`` (oldest first)."""
    df = read(cfg, "var_firm_series", {"as_of": as_of, "limit": int(limit), **config.params()})
    return df.sort("as_of")


def var_components(cfg: Config, as_of: date, config: VarConfig, level: str, filters: Filters | None = None) -> pl.DataFrame:
    """Euler component VaR/ES at ``level`` (DESK | BOOK) for one configuration."""
    if level not in ("DESK", "BOOK"):
        raise BadInputError("unknown component level", expected="DESK or BOOK", found=repr(level))
    return read(cfg, "var_components", {"as_of": as_of, "level": level, **config.params(), **_filter_params(filters)})


def stress(cfg: Config, as_of: date, filters: Filters | None = None) -> pl.DataFrame:
    """Stress P&L (profit, negative = loss) per scenario at FIRM, DESK and BOOK level."""
    return read(cfg, "stress", {"as_of": as_of, **_filter_params(filters)})


def backtest_configs(cfg: Config, as_of: date) -> pl.DataFrame:
    """The backtest series (basis, method, confidence) of the run of ``as_of``."""
    return read(cfg, "backtest_configs", {"as_of": as_of})


def backtest_series(cfg: Config, as_of: date, basis: str, method: str, confidence: float, limit: int = 250) -> pl.DataFrame:
    """Per P&L date: VaR, hypothetical and actual P&L, exceptions (oldest first)."""
    params = {"as_of": as_of, "basis": basis, "method": method, "confidence": float(confidence), "limit": int(limit)}
    return read(cfg, "backtest_series", params).sort("obs_date")


def backtest_summary(cfg: Config, as_of: date, basis: str, method: str, confidence: float) -> pl.DataFrame:
    """Exceptions, expected exceptions, Kupiec/Christoffersen tests and the traffic-light zone."""
    params = {"as_of": as_of, "basis": basis, "method": method, "confidence": float(confidence)}
    return read(cfg, "backtest_summary", params)


# ---------------------------------------------------------------------------------------------
# counterparty
# ---------------------------------------------------------------------------------------------


def saccr_by_counterparty(cfg: Config, as_of: date, filters: Filters | None = None, limit: int = 200) -> pl.DataFrame:
    """EAD and current exposure per counterparty against its EAD / current-exposure limits."""
    params = {"as_of": as_of, "limit": int(limit), **_filter_params(filters)}
    return read(cfg, "saccr_by_counterparty", params)


def saccr_totals(cfg: Config, as_of: date, filters: Filters | None = None) -> pl.DataFrame:
    """SA-CCR totals for ``as_of`` and the previous run date (one row per as_of)."""
    prev = previous_as_of(cfg, as_of)
    return read(cfg, "saccr_totals", {"as_of": as_of, "previous": prev, **_filter_params(filters)})


def saccr_netting_sets(cfg: Config, as_of: date, counterparty_id: str, filters: Filters | None = None) -> pl.DataFrame:
    """The netting sets of one counterparty with their SA-CCR breakdown."""
    params = {"as_of": as_of, "counterparty_id": str(counterparty_id), **_filter_params(filters)}
    return read(cfg, "saccr_netting_sets", params)


# ---------------------------------------------------------------------------------------------
# overview
# ---------------------------------------------------------------------------------------------


def _figure(label: str, kind: str, value: Any = None, previous: Any = None, *, note: str = "",
            higher_is_worse: bool = False) -> dict[str, Any]:
    return {"label": label, "kind": kind, "value": value, "previous": previous, "note": note,
            "higher_is_worse": higher_is_worse}


def _var_scope(filters: Filters) -> tuple[str, str, str]:
    """The VaR row that answers the filter: one book, one desk, or the firm."""
    if len(filters.books) == 1:
        return "BOOK", filters.books[0], f"book {filters.books[0]}"
    if len(filters.desks) == 1 and not filters.books:
        return "DESK", filters.desks[0], f"desk {filters.desks[0]}"
    return "FIRM", "FIRM", "firm"


def overview_figures(cfg: Config, as_of: date, filters: Filters | None = None) -> list[dict[str, Any]]:
    """Headline figures for ``as_of`` with the previous run date's values (day-on-day change).

    Each figure is a dict: label, kind ('money' in base currency | 'count'), value, previous,
    note, higher_is_worse. ``value`` is None when the figure is not computed (``note`` says why).
    """
    filters = filters or NO_FILTERS
    cat = catalog(cfg)
    prev = previous_as_of(cfg, as_of)
    out: list[dict[str, Any]] = []

    msg = availability(cfg, "out_positions", as_of=as_of, columns=("market_value_base",), cat=cat)
    if msg is None:
        df = read(cfg, "positions_totals", {"as_of": as_of, "previous": prev, "basis": _default_basis(cfg, as_of, cat),
                                            **_filter_params(filters)})
        g, gp = _totals_pair(df, as_of, prev, "gross_exposure")
        n, np_ = _totals_pair(df, as_of, prev, "net_market_value")
        out.append(_figure("Gross exposure", "money", g, gp, note="sum of |market value|, base currency"))
        out.append(_figure("Net market value", "money", n, np_))
    else:
        out += [_figure("Gross exposure", "money", note=msg), _figure("Net market value", "money", note=msg)]

    out.append(_pnl_figure(cfg, as_of, prev, filters, cat))

    msg = availability(cfg, "out_var", as_of=as_of, cat=cat)
    if msg is None and (configs := var_configs(cfg, as_of)):
        level, key, what = _var_scope(filters)
        vc = configs[0]
        df = read(cfg, "var_firm_series", {"as_of": as_of, "limit": 2, **vc.params()}) if level == "FIRM" else \
            read(cfg, "var_scope_series", {"as_of": as_of, "limit": 2, "level": level, "key": key, **vc.params()})
        v, vp = _totals_pair(df, as_of, prev, "var")
        out.append(_figure(f"VaR {vc.confidence:.0%} {vc.horizon_days}d ({what})", "money", v, vp,
                           note=vc.label, higher_is_worse=True))
    else:
        out.append(_figure("VaR", "money", note=msg or "no VaR configuration"))

    msg = availability(cfg, "out_saccr", as_of=as_of, cat=cat)
    if msg is None:
        df = read(cfg, "saccr_totals", {"as_of": as_of, "previous": prev, **_filter_params(filters)})
        e, ep = _totals_pair(df, as_of, prev, "ead")
        out.append(_figure("SA-CCR EAD", "money", e, ep, note="exposure at default, all netting sets",
                           higher_is_worse=True))
    else:
        out.append(_figure("SA-CCR EAD", "money", note=msg))

    out += _limit_figures(cfg, as_of, prev, filters, cat)
    out += _break_figures(cfg, as_of, prev, cat)
    return out


def _default_basis(cfg: Config, as_of: date, cat: Catalog) -> str | None:
    if not cat.has("out_positions", ["basis"]):
        return None
    bases = position_bases(cfg, as_of)
    return bases[0] if bases else None


def _pnl_figure(cfg: Config, as_of: date, prev: date | None, filters: Filters, cat: Catalog) -> dict[str, Any]:
    msg = availability(cfg, "out_pnl", as_of=as_of, cat=cat)
    if msg is not None:
        return _figure("Daily P&L", "money", note=msg)
    df = pnl_totals(cfg, as_of, filters)
    v, vp = _totals_pair(df, as_of, prev, "total_base")
    return _figure("Daily P&L", "money", v, vp, note="total P&L of the day, base currency")


def _limit_figures(cfg: Config, as_of: date, prev: date | None, filters: Filters, cat: Catalog) -> list[dict[str, Any]]:
    msg = availability(cfg, "out_limit_utilisation", as_of=as_of, cat=cat)
    if msg is not None:
        return [_figure("Limit breaches", "count", note=msg), _figure("Limit warnings", "count", note=msg)]
    df = limit_status_counts(cfg, as_of, filters)
    out = []
    for status, label in (("BREACH", "Limit breaches"), ("WARNING", "Limit warnings")):
        now = df.filter((pl.col("as_of") == as_of) & (pl.col("status") == status))["points"].sum()
        before = None if prev is None else df.filter((pl.col("as_of") == prev) & (pl.col("status") == status))["points"].sum()
        out.append(_figure(label, "count", int(now or 0), None if before is None else int(before or 0),
                           note="limit points (a limit per scope member)", higher_is_worse=True))
    return out


def _break_figures(cfg: Config, as_of: date, prev: date | None, cat: Catalog) -> list[dict[str, Any]]:
    msg = availability(cfg, "out_breaks", as_of=as_of, cat=cat)
    if msg is not None:
        return [_figure("Open breaks", "count", note=msg)]
    df = read(cfg, "break_totals", {"as_of": as_of, "previous": prev})
    n, np_ = _totals_pair(df, as_of, prev, "open_breaks")
    return [_figure("Open breaks", "count", n or 0, None if prev is None else (np_ or 0),
                    note="breaks present after the run (workflow resolutions are on the workbench)",
                    higher_is_worse=True)]


# ---------------------------------------------------------------------------------------------
# P&L
# ---------------------------------------------------------------------------------------------

#: Dimensions P&L can be grouped by (a subset of the exposure dimensions: out_pnl's columns).
PNL_DIMENSIONS = {k: EXPOSURE_DIMENSIONS[k] for k in ("legal_entity", "desk", "book", "trader", "asset_class", "currency", "instrument")}


def pnl_totals(cfg: Config, as_of: date, filters: Filters | None = None) -> pl.DataFrame:
    """The day's P&L (base currency) for ``as_of`` and the previous run date, by component."""
    prev = previous_as_of(cfg, as_of)
    return read(cfg, "pnl_totals", {"as_of": as_of, "previous": prev, **_filter_params(filters)})


def pnl_by_dim(cfg: Config, as_of: date, dim: str, filters: Filters | None = None, limit: int = 200) -> pl.DataFrame:
    """The day's P&L by ``dim`` (a key of :data:`PNL_DIMENSIONS`), realised / unrealised / carry /
    fees / FX translation and inception-to-date realised and unrealised, base currency."""
    if dim not in PNL_DIMENSIONS:
        raise BadInputError(f"unknown dimension {dim!r}", expected=f"one of {sorted(PNL_DIMENSIONS)}")
    return read(cfg, "pnl_by_dim", {"as_of": as_of, "dim": dim, "limit": int(limit), **_filter_params(filters)})


def pnl_attribution(cfg: Config, as_of: date, filters: Filters | None = None) -> dict[str, Any]:
    """The day's attribution (base): new_trade, price_move, fx_move, carry, fees, total."""
    df = read(cfg, "pnl_attribution", {"as_of": as_of, **_filter_params(filters)})
    return df.row(0, named=True) if df.height else {}


def pnl_series(cfg: Config, as_of: date, filters: Filters | None = None, limit: int = 120) -> pl.DataFrame:
    """Daily P&L (base) up to ``as_of``, oldest first, with the cumulative total."""
    df = read(cfg, "pnl_series", {"as_of": as_of, "limit": int(limit), **_filter_params(filters)}).sort("as_of")
    return df.with_columns(pl.col("total_base").cum_sum().alias("cumulative_base"))


# ---------------------------------------------------------------------------------------------
# limits
# ---------------------------------------------------------------------------------------------

LIMIT_STATUSES = ("BREACH", "WARNING", "OK", "NO_DATA")


def limit_utilisation(cfg: Config, as_of: date, filters: Filters | None = None, *,
                      statuses: Sequence[str] = (), limit: int = 500) -> pl.DataFrame:
    """Governing limit points on ``as_of`` (breaches first, then by utilisation)."""
    bad = [s for s in statuses if s not in LIMIT_STATUSES]
    if bad:
        raise BadInputError(f"unknown limit status {bad}", expected=f"one of {LIMIT_STATUSES}")
    params = {"as_of": as_of, "statuses": [str(s) for s in statuses], "limit": int(limit), **_filter_params(filters)}
    return read(cfg, "limit_utilisation", params)


def limit_alerts(cfg: Config, as_of: date, filters: Filters | None = None, limit: int = 20) -> pl.DataFrame:
    """Warnings and breaches on ``as_of`` (breaches first)."""
    return limit_utilisation(cfg, as_of, filters, statuses=("BREACH", "WARNING"), limit=limit).select(
        "status", "limit_id", "measure", "point_key", "utilisation_pct", "measure_value", "limit_value_base", "excess_base", "severity")


def limit_status_counts(cfg: Config, as_of: date, filters: Filters | None = None) -> pl.DataFrame:
    """Limit points by status for ``as_of`` and the previous run date."""
    prev = previous_as_of(cfg, as_of)
    return read(cfg, "limit_status_counts", {"as_of": as_of, "previous": prev, **_filter_params(filters)})


def limit_history(cfg: Config, as_of: date, limit_id: str, point_key: str, limit: int = 120) -> pl.DataFrame:
    """One limit point's utilisation over the run dates up to ``as_of`` (oldest first)."""
    params = {"as_of": as_of, "limit_id": str(limit_id), "point_key": str(point_key), "limit": int(limit)}
    return read(cfg, "limit_history", params).sort("as_of")


# ---------------------------------------------------------------------------------------------
# reconciliation (results as the run left them; the workflow overlay is engine.recon.workflow)
# ---------------------------------------------------------------------------------------------


def break_summary(cfg: Config, as_of: date) -> pl.DataFrame:
    """Breaks present on ``as_of`` by category and type: count, new, amount at stake, oldest."""
    return read(cfg, "break_summary", {"as_of": as_of})


def break_filter_options(cfg: Config, as_of: date) -> dict[str, list[str]]:
    """Break types, counterparties and custodians of ``as_of``'s breaks (the workbench filters)."""
    df = read(cfg, "break_filter_options", {"as_of": as_of})
    out: dict[str, list[str]] = {"break_type": [], "counterparty": [], "custodian": []}
    for f, v in df.iter_rows():
        out.setdefault(str(f), []).append(str(v))
    return out


def break_types(cfg: Config, as_of: date) -> list[str]:
    """Break types seen up to ``as_of``."""
    return [str(v) for v in read(cfg, "break_types", {"as_of": as_of})["break_type"].to_list()]

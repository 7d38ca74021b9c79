"""Cached loaders: the only place the views get data from.

Every loader calls an engine function (``engine.readers`` for results, ``engine.recon.workflow``
and ``engine.limits`` for workflow) and caches frames with ``st.cache_data`` under a key made of
the configuration and the *snapshot token* (the published file's identity). When a run
publishes new results the token changes, so the next rerun reads them; while a run is writing,
the app keeps reading the last published snapshot. Workflow reads are keyed by the workflow
store's own token, so an action shows up on the next rerun.

Engine pieces built by other modules may be missing in an installation (or while they are being
built): :func:`workflow_module` imports them lazily and the views say so instead of failing.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Sequence
from datetime import date, datetime
from types import ModuleType
from typing import Any

import polars as pl
import streamlit as st

from engine import readers
from engine.config import Config, load_config
from engine.readers import Filters

log = logging.getLogger(__name__)

_TTL_SECONDS = 3600


# ---------------------------------------------------------------------------------------------
# configuration and cache keys
# ---------------------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=8)
def _config(env: tuple[tuple[str, str], ...]) -> Config:
    del env  # part of the cache key only: load_config reads the environment itself
    return load_config()


def config() -> Config:
    """The configuration: ``MIDOFFICE_CONFIG`` (set by ``midoffice dashboard``) and ``MIDOFFICE_*``."""
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("MIDOFFICE_")))
    return _config(env)


def _cfg_key(cfg: Config) -> str:
    return f"{cfg.source}|{cfg.store_path.resolve()}|{cfg.published_path.resolve()}"


def snapshot_token(cfg: Config) -> str:
    return f"{_cfg_key(cfg)}|{readers.snapshot_token(cfg)}"


def workflow_token(cfg: Config) -> str:
    """Identity of the workflow store now (changes on every action written)."""
    parts = [_cfg_key(cfg), str(cfg.workflow_path.resolve())]
    for p in (cfg.workflow_path, cfg.workflow_path.with_name(cfg.workflow_path.name + ".wal")):
        try:
            s = p.stat()
            parts.append(f"{s.st_mtime_ns}:{s.st_size}")
        except FileNotFoundError:
            parts.append("-")
    return "|".join(parts)


@st.cache_data(ttl=_TTL_SECONDS, max_entries=512, show_spinner=False)
def _cached(_cfg: Config, token: str, fn: str, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]) -> Any:
    """Call ``engine.readers.<fn>`` once per (snapshot token, arguments)."""
    del token
    return getattr(readers, fn)(_cfg, *args, **dict(kwargs))


def _read(cfg: Config, fn: str, *args: Any, **kwargs: Any) -> Any:
    return _cached(cfg, snapshot_token(cfg), fn, tuple(args), tuple(sorted(kwargs.items())))


def clear_caches() -> None:
    """Forget every cached frame (the Refresh button)."""
    _cached.clear()
    _workflow_cached.clear()


# ---------------------------------------------------------------------------------------------
# results (published snapshot)
# ---------------------------------------------------------------------------------------------


def has_store(cfg: Config) -> bool:
    return readers.snapshot_path(cfg) is not None


def published_at(cfg: Config) -> datetime | None:
    """When the snapshot the app reads was published (its file time)."""
    p = readers.snapshot_path(cfg)
    return None if p is None else datetime.fromtimestamp(p.stat().st_mtime)


def catalog(cfg: Config) -> readers.Catalog:
    return _read(cfg, "catalog")  # type: ignore[no-any-return]


def availability(cfg: Config, table: str, *, as_of: date | None = None, columns: Sequence[str] = ()) -> str | None:
    return _read(cfg, "availability", table, as_of=as_of, columns=tuple(columns))  # type: ignore[no-any-return]


def as_of_dates(cfg: Config) -> list[date]:
    return _read(cfg, "as_of_dates")  # type: ignore[no-any-return]


def previous_as_of(cfg: Config, as_of: date) -> date | None:
    return _read(cfg, "previous_as_of", as_of)  # type: ignore[no-any-return]


def filter_options(cfg: Config) -> pl.DataFrame:
    return _read(cfg, "filter_options")  # type: ignore[no-any-return]


def runs(cfg: Config, limit: int = 20) -> pl.DataFrame:
    return _read(cfg, "runs", limit)  # type: ignore[no-any-return]


def run_steps(cfg: Config, run_id: int) -> pl.DataFrame:
    return _read(cfg, "run_steps", int(run_id))  # type: ignore[no-any-return]


def feed_quality(cfg: Config) -> pl.DataFrame:
    return _read(cfg, "feed_quality")  # type: ignore[no-any-return]


def load_history(cfg: Config, *, feeds: Sequence[str] = (), limit: int = 100, offset: int = 0) -> tuple[pl.DataFrame, int]:
    return _read(cfg, "load_history", feeds=tuple(feeds), limit=limit, offset=offset)  # type: ignore[no-any-return]


def quarantine(
    cfg: Config, *, feeds: Sequence[str] = (), rules: Sequence[str] = (), batch_id: int | None = None,
    search: str = "", limit: int = 100, offset: int = 0,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    return _read(  # type: ignore[no-any-return]
        cfg, "quarantine", feeds=tuple(feeds), rules=tuple(rules), batch_id=batch_id,
        search=search, limit=limit, offset=offset,
    )


def position_totals(cfg: Config, as_of: date, filters: Filters, *, basis: str | None = "TRADE") -> pl.DataFrame:
    return _read(cfg, "position_totals", as_of, filters, basis=basis)  # type: ignore[no-any-return]


def exposures(
    cfg: Config, as_of: date, dim: str, filters: Filters, *, drill: Sequence[tuple[str, str]] = (),
    basis: str | None = "TRADE", limit: int = 200,
) -> pl.DataFrame:
    return _read(cfg, "exposures", as_of, dim, filters, drill=tuple(drill), basis=basis, limit=limit)  # type: ignore[no-any-return]


def exposure_concentration(
    cfg: Config, as_of: date, dim: str, filters: Filters, *, drill: Sequence[tuple[str, str]] = (),
    basis: str | None = "TRADE",
) -> dict[str, Any]:
    return _read(cfg, "exposure_concentration", as_of, dim, filters, drill=tuple(drill), basis=basis)  # type: ignore[no-any-return]


def result(cfg: Config, fn: str, *args: Any, **kwargs: Any) -> Any:
    """Any other ``engine.readers`` function, cached the same way (``fn`` is a name in code)."""
    if not hasattr(readers, fn):  # pragma: no cover - programming error
        raise AttributeError(f"engine.readers has no {fn}")
    return _read(cfg, fn, *args, **kwargs)


# ---------------------------------------------------------------------------------------------
# workflow (reconciliation breaks, limit incidents): other engine modules, imported lazily
# ---------------------------------------------------------------------------------------------

#: module -> the functions the dashboards call on it (the contract).
WORKFLOW_MODULES: dict[str, tuple[str, ...]] = {
    "engine.recon.workflow": ("list_breaks", "break_detail", "assign", "comment", "resolve", "reopen"),
    "engine.limits": ("list_incidents", "acknowledge", "comment", "incident_history"),
}


def workflow_module(name: str) -> ModuleType | None:
    """The engine module ``name`` if it is installed and has its contract functions, else None."""
    try:
        mod = importlib.import_module(name)
    except ImportError as exc:
        log.info("%s not available: %s", name, exc)
        return None
    if not all(callable(getattr(mod, f, None)) for f in WORKFLOW_MODULES.get(name, ())):
        return None
    return mod


def _workflow_call(module: str, fn: str, cfg: Config, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]) -> Any:
    mod = workflow_module(module)
    if mod is None:
        return None
    func: Callable[..., Any] = getattr(mod, fn)
    return func(cfg, *args, **dict(kwargs))


@st.cache_data(ttl=_TTL_SECONDS, max_entries=256, show_spinner=False)
def _workflow_cached(_cfg: Config, token: str, module: str, fn: str, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]) -> Any:
    del token
    return _workflow_call(module, fn, _cfg, args, kwargs)


def workflow_read(cfg: Config, module: str, fn: str, *args: Any, **kwargs: Any) -> Any:
    """A read from a workflow module, cached until the snapshot or the workflow store changes."""
    token = snapshot_token(cfg) + "||" + workflow_token(cfg)
    return _workflow_cached(cfg, token, module, fn, tuple(args), tuple(sorted(kwargs.items())))


def workflow_action(cfg: Config, module: str, fn: str, *args: Any, **kwargs: Any) -> Any:
    """A write (assign, comment, resolve...): never cached; the workflow caches are dropped."""
    try:
        return _workflow_call(module, fn, cfg, tuple(args), tuple(sorted(kwargs.items())))
    finally:
        _workflow_cached.clear()


# ---------------------------------------------------------------------------------------------
# reconciliation breaks (engine.recon.workflow)
# ---------------------------------------------------------------------------------------------

RECON = "engine.recon.workflow"
LIMITS = "engine.limits"

#: list_breaks keyword filters the workbench offers (the contract's names).
BREAK_FILTERS = ("as_of", "status", "break_type", "min_age", "max_age", "counterparty", "custodian", "isin", "assignee")


def _as_tuple(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


def recon_available() -> bool:
    return workflow_module(RECON) is not None


def breaks_page(cfg: Config, filters: dict[str, Any], *, limit: int, offset: int) -> tuple[pl.DataFrame, bool]:
    """One page of breaks matching ``filters`` (paged by the engine) and whether a next page
    exists (asked for ``limit + 1`` rows)."""
    kw = {k: _as_tuple(v) for k, v in filters.items() if k in BREAK_FILTERS and v not in (None, "", [], ())}
    page = _as_frame(workflow_read(cfg, RECON, "list_breaks", limit=limit + 1, offset=offset, **kw))
    return page.head(limit), page.height > limit


def _as_frame(obj: Any) -> pl.DataFrame:
    if obj is None:
        return pl.DataFrame()
    if isinstance(obj, pl.DataFrame):
        return obj
    if isinstance(obj, list):
        return pl.DataFrame(obj) if obj else pl.DataFrame()
    if hasattr(obj, "to_arrow"):
        return pl.from_arrow(obj.to_arrow())  # type: ignore[return-value]
    return pl.DataFrame(obj)


def break_detail(cfg: Config, break_id: Any) -> dict[str, Any]:
    return workflow_read(cfg, RECON, "break_detail", break_id) or {}  # type: ignore[no-any-return]


def resolution_codes(cfg: Config) -> list[str]:
    """The configured resolution codes (``[reconciliation] resolution_codes``)."""
    mod = workflow_module(RECON)
    settings_of = getattr(mod, "settings_of", None) if mod is not None else None
    if callable(settings_of):
        return [str(c) for c in settings_of(cfg).resolution_codes]
    return [str(c) for c in cfg.get("reconciliation.resolution_codes", ["OTHER"])]


def export_breaks_bytes(cfg: Config, fmt: str, filters: dict[str, Any]) -> bytes:
    """The CLI's export of the filtered breaks, as bytes for a download button. The file is
    written to a private temporary folder under a name chosen here, never typed by the user."""
    import tempfile
    from pathlib import Path

    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"unsupported export format {fmt!r}")
    kw = {k: (list(v) if isinstance(v, tuple) else v) for k, v in filters.items()
          if k in BREAK_FILTERS and v not in (None, "", [], ())}
    with tempfile.TemporaryDirectory(prefix="midoffice-export-") as tmp:
        path = Path(tmp) / f"breaks.{fmt}"
        _workflow_call(RECON, "export_breaks", cfg, (path, fmt), tuple(sorted(kw.items())))
        return path.read_bytes()


# ---------------------------------------------------------------------------------------------
# limit incidents (engine.limits)
# ---------------------------------------------------------------------------------------------


def incidents(cfg: Config, status: str | None) -> pl.DataFrame:
    """Breach incidents with their workflow state (``engine.limits.list_incidents``)."""
    return _as_frame(workflow_read(cfg, LIMITS, "list_incidents", status=status))


def incident_history(cfg: Config, incident_id: str) -> pl.DataFrame:
    """An incident's daily utilisation and workflow events (``engine.limits.incident_history``)."""
    return _as_frame(workflow_read(cfg, LIMITS, "incident_history", incident_id))

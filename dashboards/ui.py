"""Shared pieces of the views: the page context (as-of, filters, user), messages, formats."""

from __future__ import annotations

import getpass
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl
import streamlit as st

from engine.config import Config
from engine.readers import Filters

CTX_KEY = "_midoffice_ctx"


@dataclass(frozen=True)
class ViewContext:
    """What every page needs: the configuration, the as-of date, the sidebar filters, the user."""

    cfg: Config
    as_of: date | None
    filters: Filters
    actor: str


def default_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user database in some containers
        return "analyst"


def context() -> ViewContext:
    """The context app.py put in the session for this run."""
    ctx = st.session_state.get(CTX_KEY)
    if not isinstance(ctx, ViewContext):
        st.error("Open this page through the app: `midoffice dashboard`.")
        st.stop()
    return ctx


def require_as_of(ctx: ViewContext) -> date:
    if ctx.as_of is None:
        st.info(
            "No end-of-day run has completed on this store yet, so there are no results to show. "
            "Run `midoffice run --as-of YYYY-MM-DD` (or `midoffice demo`)."
        )
        st.stop()
    return ctx.as_of


def not_computed(message: str) -> None:
    """Say clearly that a result is not computed (yet)."""
    st.info(message, icon=":material/hourglass_empty:")


def filters_note(ctx: ViewContext, *, applies: Sequence[str] = ("legal entity", "desk", "book"), ignored: str | None = None) -> None:
    """A caption saying which sidebar filters this view applies."""
    f = ctx.filters
    active = []
    if f.legal_entities:
        active.append("legal entity " + ", ".join(f.legal_entities))
    if f.desks:
        active.append("desk " + ", ".join(f.desks))
    if f.books:
        active.append("book " + ", ".join(f.books))
    text = f"As of **{ctx.as_of}**" if ctx.as_of else "No as-of date"
    text += " · " + ("filters: " + "; ".join(active) if active else "all legal entities, desks and books")
    if ignored and active:
        text += f" · {ignored}"
    st.caption(text)


def money_columns(df: pl.DataFrame, columns: Sequence[str], fmt: str = "accounting") -> dict[str, Any]:
    """Column config formatting the given numeric columns."""
    return {c: st.column_config.NumberColumn(c, format=fmt) for c in columns if c in df.columns}


def to_float(df: pl.DataFrame, columns: Sequence[str] | None = None) -> pl.DataFrame:
    """Decimals to floats for display and charts (exact values stay in the store)."""
    cols = columns or [c for c, t in df.schema.items() if isinstance(t, pl.Decimal)]
    return df.with_columns([pl.col(c).cast(pl.Float64) for c in cols if c in df.columns])


def table(df: pl.DataFrame, *, key: str | None = None, height: int | str = "auto", config: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
    """A sortable table (sorting in the browser applies to the rows shown, which are paged)."""
    cc: dict[str, Any] = {c: st.column_config.DateColumn(c, format="YYYY-MM-DD") for c, t in df.schema.items() if t == pl.Date}
    cc.update(config or {})
    return st.dataframe(to_float(df), hide_index=True, key=key, height=height, column_config=cc, **kwargs)


def pager(total: int, page_size: int, key: str) -> tuple[int, int]:
    """Paging controls; returns (limit, offset). The page is fetched by DuckDB, not sliced here."""
    pages = max(1, math.ceil(total / page_size))
    if pages == 1:
        return page_size, 0
    if int(st.session_state.get(key, 1) or 1) > pages:
        st.session_state[key] = 1  # the filter changed: back to the first page
    page = st.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, value=1, step=1, key=key)
    return page_size, (int(page) - 1) * page_size


def selected_rows(event: Any) -> list[int]:
    """Row positions selected in an ``st.dataframe(on_select="rerun")`` (empty if none)."""
    return [int(r) for r in (getattr(getattr(event, "selection", None), "rows", None) or [])]


def pick_from_table(label: str, options: Sequence[Any], event: Any, key: str, *, none: bool = False, **kwargs: Any) -> Any:
    """A selectbox over ``options`` that follows the row selected in the table ``event`` came
    from (selecting a row picks it; the selectbox also works alone, e.g. with a keyboard)."""
    opts = list(options)
    rows = [r for r in selected_rows(event) if r < len(opts)]
    last_key = f"{key}__rows"
    if rows and st.session_state.get(last_key) != rows:
        st.session_state[key] = opts[rows[0]]
    st.session_state[last_key] = rows
    if key in st.session_state and st.session_state[key] not in opts:
        del st.session_state[key]
    if key not in st.session_state and opts and not none:
        st.session_state[key] = opts[0]
    if key in st.session_state:
        return st.selectbox(label, opts, key=key, **kwargs)
    return st.selectbox(label, opts, key=key, index=None, **kwargs)


def metric_money(col: Any, label: str, value: Any, previous: Any = None, *, ccy: str = "",
                 higher_is_worse: bool = False, help: str | None = None) -> None:
    """A money figure with its change: numeric (the browser formats it; millions compactly), the
    exact amount in the tooltip."""
    if value is None:
        col.metric(label, "not computed", help=help)
        return
    v = float(value)
    delta = None if previous is None else round(v - float(previous), 2)
    exact = f"{v:,.2f} {ccy}".strip() + (f" (previous {float(previous):,.2f})" if previous is not None else "")
    col.metric(f"{label} ({ccy})" if ccy else label, round(v, 2), delta,
               delta_color="inverse" if higher_is_worse else "normal",
               format="localized" if abs(v) < 1e6 else "compact",
               help=f"{exact}. {help}" if help else exact)


def metric_count(col: Any, label: str, value: Any, previous: Any = None, *, higher_is_worse: bool = False,
                 help: str | None = None) -> None:
    if value is None:
        col.metric(label, "not computed", help=help)
        return
    delta = None if previous is None else int(value) - int(previous)
    col.metric(label, int(value), delta, delta_color="inverse" if higher_is_worse else "normal",
               format="localized", help=help)


def date_x(field: str, title: str | None = None, n: int = 30) -> Any:
    """An x axis of business dates: day labels, about ten of them, for ``n`` data points."""
    import altair as alt

    step = max(1, round(n * 1.4 / 10))  # n business days span about 1.4 n calendar days
    return alt.X(f"{field}:T", title=title,
                 axis=alt.Axis(format="%Y-%m-%d", labelAngle=-30, tickCount={"interval": "day", "step": step}))

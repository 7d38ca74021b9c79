"""midoffice dashboards: the entry script (``midoffice dashboard`` or ``streamlit run dashboards/app.py``).

The sidebar holds what every page shares (as-of date, legal entity / desk / book filters, the
user's name for workflow actions); the pages live in ``dashboards/views/`` (one module each).
The configuration comes from ``MIDOFFICE_CONFIG`` and ``MIDOFFICE_*`` environment variables.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import streamlit as st

from dashboards import data, ui
from engine.config import Config
from engine.errors import MidofficeError
from engine.readers import Filters

VIEWS = Path(__file__).resolve().parent / "views"

st.set_page_config(page_title="midoffice", page_icon=":material/account_balance:", layout="wide")

PAGES = {
    "Risk": [
        st.Page(VIEWS / "overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page(VIEWS / "exposures.py", title="Exposures", icon=":material/donut_small:"),
        st.Page(VIEWS / "limits.py", title="Limits", icon=":material/speed:"),
        st.Page(VIEWS / "pnl.py", title="P&L", icon=":material/trending_up:"),
        st.Page(VIEWS / "market_risk.py", title="Market risk", icon=":material/ssid_chart:"),
        st.Page(VIEWS / "counterparty.py", title="Counterparty", icon=":material/handshake:"),
    ],
    "Operations": [
        st.Page(VIEWS / "workbench.py", title="Reconciliation workbench", icon=":material/rule:"),
        st.Page(VIEWS / "data_quality.py", title="Data quality", icon=":material/fact_check:"),
    ],
}


def _keep_valid(key: str, options: list[object], *, multi: bool) -> None:
    """Drop a remembered selection that is no longer an option (e.g. after a new load)."""
    if key not in st.session_state:
        return
    value = st.session_state[key]
    if multi:
        kept = [v for v in (value or []) if v in options]
        if kept != list(value or []):
            st.session_state[key] = kept
    elif value not in options:
        del st.session_state[key]


def _sidebar(cfg: Config) -> ui.ViewContext:
    with st.sidebar:
        if not data.has_store(cfg):
            st.warning(f"No store at `{cfg.store_path}`. Run `midoffice demo` to build one.")
            dates: list[date] = []
            opts: pl.DataFrame | None = None
        else:
            dates = data.as_of_dates(cfg)
            opts = data.filter_options(cfg)
        _keep_valid("as_of", dates, multi=False)
        as_of = st.selectbox(
            "As-of date",
            dates,
            index=0 if dates else None,
            key="as_of",
            format_func=lambda d: d.isoformat(),
            placeholder="no completed run yet",
            help="Business dates with a completed end-of-day run (newest first).",
        )
        les: list[str] = []
        desks: list[str] = []
        books: list[str] = []
        if opts is not None and opts.height:
            le_opts = opts["legal_entity_id"].unique().sort().to_list()
            _keep_valid("f_legal_entity", le_opts, multi=True)
            les = st.multiselect("Legal entity", le_opts, key="f_legal_entity", placeholder="all")
            scoped = opts.filter(pl.col("legal_entity_id").is_in(les)) if les else opts
            desk_opts = scoped["desk"].unique().sort().to_list()
            _keep_valid("f_desk", desk_opts, multi=True)
            desks = st.multiselect("Desk", desk_opts, key="f_desk", placeholder="all")
            scoped = scoped.filter(pl.col("desk").is_in(desks)) if desks else scoped
            book_opts = scoped["book_id"].unique().sort().to_list()
            _keep_valid("f_book", book_opts, multi=True)
            books = st.multiselect("Book", book_opts, key="f_book", placeholder="all")
        st.divider()
        if "actor" not in st.session_state:
            st.session_state["actor"] = ui.default_actor()
        actor = st.text_input(
            "Your name", key="actor", max_chars=64, help="Recorded as the actor of every workflow action."
        )
        published = data.published_at(cfg)
        if published is not None:
            st.caption(f"Results published {published:%Y-%m-%d %H:%M:%S}")
        if st.button("Refresh", icon=":material/refresh:", help="Re-read the published results"):
            data.clear_caches()
    return ui.ViewContext(
        cfg=cfg,
        as_of=as_of,
        filters=Filters(tuple(les), tuple(desks), tuple(books)),
        actor=(actor or "").strip() or ui.default_actor(),
    )


def main() -> None:
    try:
        cfg = data.config()
    except MidofficeError as exc:
        st.error(f"Configuration error: {exc}")
        st.stop()
    pg = st.navigation(PAGES)
    try:
        st.session_state[ui.CTX_KEY] = _sidebar(cfg)
    except MidofficeError as exc:
        st.error(f"Cannot read the store: {exc}")
        st.stop()
    try:
        pg.run()
    except MidofficeError as exc:  # an expected error (store missing, locked...): say it, no traceback
        st.error(str(exc))


main()

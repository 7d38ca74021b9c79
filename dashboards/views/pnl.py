"""P&L: the day's P&L by dimension, the attribution waterfall, the time series, realised and
unrealised."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from dashboards import data, ui
from engine.readers import PNL_DIMENSIONS

STEPS = [("new_trade", "New trades"), ("price_move", "Price move"), ("fx_move", "FX move"), ("carry", "Carry"), ("fees", "Fees")]


def _waterfall(attr: dict[str, float], ccy: str) -> alt.Chart:
    """Waterfall bars: each component from the running total to the next, then the total."""
    rows, running = [], 0.0
    for key, label in STEPS:
        v = float(attr.get(key) or 0.0)
        rows.append({"step": label, "start": running, "end": running + v, "amount": v, "kind": "up" if v >= 0 else "down"})
        running += v
    total = float(attr.get("total") or 0.0)
    rows.append({"step": "Total", "start": 0.0, "end": total, "amount": total, "kind": "total"})
    df = pl.DataFrame(rows).to_pandas()
    order = [label for _, label in STEPS] + ["Total"]
    return alt.Chart(df).mark_bar().encode(
        x=alt.X("step:N", sort=order, title=None),
        y=alt.Y("start:Q", title=f"P&L ({ccy})"), y2="end:Q",
        color=alt.Color("kind:N", scale=alt.Scale(domain=["up", "down", "total"], range=["#2e7d32", "#c62828", "#1565c0"]), legend=None),
        tooltip=["step", alt.Tooltip("amount:Q", format=",.2f")],
    ).properties(height=300)


def render() -> None:
    ctx = ui.context()
    st.title("P&L")
    as_of = ui.require_as_of(ctx)
    ui.filters_note(ctx)
    msg = data.availability(ctx.cfg, "out_pnl", as_of=as_of)
    if msg:
        ui.not_computed(msg)
        return
    ccy = ctx.cfg.base_currency
    prev = data.previous_as_of(ctx.cfg, as_of)
    totals = data.result(ctx.cfg, "pnl_totals", as_of, ctx.filters)
    now = totals.filter(pl.col("as_of") == as_of)
    before = totals.filter(pl.col("as_of") == prev) if prev else totals.clear()
    t = now.row(0, named=True) if now.height else {}
    b = before.row(0, named=True) if before.height else {}
    m = st.columns(5)
    ui.metric_money(m[0], "Daily P&L", t.get("total_base"), b.get("total_base"), ccy=ccy)
    ui.metric_money(m[1], "Realised", t.get("realised_base"), b.get("realised_base"), ccy=ccy)
    ui.metric_money(m[2], "Unrealised", t.get("unrealised_base"), b.get("unrealised_base"), ccy=ccy)
    ui.metric_money(m[3], "Realised ITD", t.get("realised_itd_base"), ccy=ccy, help="inception to date")
    ui.metric_money(m[4], "Unrealised ITD", t.get("unrealised_itd_base"), ccy=ccy, help="inception to date")

    c1, c2 = st.columns(2)
    with c1:
        st.subheader("Attribution")
        amsg = data.availability(ctx.cfg, "out_pnl_attribution", as_of=as_of)
        if amsg:
            ui.not_computed(amsg)
        else:
            attr = data.result(ctx.cfg, "pnl_attribution", as_of, ctx.filters)
            if attr and attr.get("total") is not None:
                st.altair_chart(_waterfall(attr, ccy), width="stretch")
    with c2:
        st.subheader("Time series")
        series = data.result(ctx.cfg, "pnl_series", as_of, ctx.filters, 120)
        if series.height:
            pdf = ui.to_float(series).to_pandas()
            bars = alt.Chart(pdf).mark_bar().encode(
                x=ui.date_x("as_of", n=series.height), y=alt.Y("total_base:Q", title=f"Daily P&L ({ccy})"),
                color=alt.condition("datum.total_base < 0", alt.value("#c62828"), alt.value("#2e7d32")),
                tooltip=["as_of:T", alt.Tooltip("total_base:Q", format=",.2f"), alt.Tooltip("cumulative_base:Q", format=",.2f")],
            )
            line = alt.Chart(pdf).mark_line(color="#1565c0").encode(x=ui.date_x("as_of", n=series.height), y=alt.Y("cumulative_base:Q", title=f"Cumulative ({ccy})"))
            st.altair_chart(alt.layer(bars, line).resolve_scale(y="independent").properties(height=300), width="stretch")

    st.subheader("By dimension")
    dim = st.selectbox("Group by", list(PNL_DIMENSIONS), format_func=PNL_DIMENSIONS.__getitem__, index=1, key="pnl_dim", persist_state="session")
    df = data.result(ctx.cfg, "pnl_by_dim", as_of, dim, ctx.filters, 200)
    if df.is_empty():
        ui.not_computed("No P&L matches these filters on this date.")
        return
    plot = ui.to_float(df.head(25)).select("key", "realised_base", "unrealised_base", "carry_base", "fees_base", "fx_translation_base")
    long = plot.unpivot(index="key", variable_name="component", value_name="amount")
    st.altair_chart(
        alt.Chart(long.to_pandas()).mark_bar().encode(
            y=alt.Y("key:N", sort=plot["key"].to_list(), title=PNL_DIMENSIONS[dim]),
            x=alt.X("sum(amount):Q", title=f"P&L ({ccy})"), color=alt.Color("component:N", title=None),
            tooltip=["key", "component", alt.Tooltip("amount:Q", format=",.2f")],
        ).properties(height=max(200, 32 * plot.height)),
        width="stretch",
    )
    ui.table(df, key=f"pnl_table_{dim}", config=ui.money_columns(df, [c for c in df.columns if c.endswith("_base")]))


if __name__ == "__main__":
    render()

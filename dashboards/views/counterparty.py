"""Counterparty: SA-CCR exposure at default and current exposure per counterparty against its
limits, with the netting sets of a selected counterparty."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from dashboards import data, ui

TOP = 200
STATUS_ORDER = ["BREACH", "WARNING", "OK", "NO LIMIT"]


def render() -> None:
    ctx = ui.context()
    st.title("Counterparty")
    as_of = ui.require_as_of(ctx)
    ui.filters_note(ctx, ignored="desk and book filters do not apply: netting sets belong to a legal entity, not to a book")
    msg = data.availability(ctx.cfg, "out_saccr", as_of=as_of)
    if msg:
        ui.not_computed(msg)
        return
    ccy = ctx.cfg.base_currency
    totals = data.result(ctx.cfg, "saccr_totals", as_of, ctx.filters)
    prev = data.previous_as_of(ctx.cfg, as_of)
    now = totals.filter(pl.col("as_of") == as_of)
    before = totals.filter(pl.col("as_of") == prev) if prev else totals.clear()
    t = now.row(0, named=True) if now.height else {}
    b = before.row(0, named=True) if before.height else {}
    df = data.result(ctx.cfg, "saccr_by_counterparty", as_of, ctx.filters, TOP)
    m = st.columns(5)
    ui.metric_money(m[0], "EAD", t.get("ead"), b.get("ead"), ccy=ccy, higher_is_worse=True)
    ui.metric_money(m[1], "Current exposure", t.get("current_exposure"), b.get("current_exposure"), ccy=ccy, higher_is_worse=True)
    ui.metric_count(m[2], "Counterparties", t.get("counterparties") or 0)
    ui.metric_count(m[3], "Limit breaches", df.filter(pl.col("limit_status") == "BREACH").height, higher_is_worse=True)
    ui.metric_count(m[4], "Limit warnings", df.filter(pl.col("limit_status") == "WARNING").height, higher_is_worse=True)
    if df.is_empty():
        ui.not_computed("No netting set matches these filters on this date.")
        return
    plot = ui.to_float(df.head(25))
    bars = alt.Chart(plot.to_pandas()).encode(y=alt.Y("counterparty_id:N", sort=plot["counterparty_id"].to_list(), title=None))
    chart = bars.mark_bar().encode(
        x=alt.X("ead:Q", title=f"EAD ({ccy})"),
        color=alt.Color("limit_status:N", scale=alt.Scale(domain=STATUS_ORDER, range=["#c62828", "#f9a825", "#2e7d32", "#9e9e9e"]), title="limit"),
        tooltip=["counterparty_id", "counterparty_name", "rating", alt.Tooltip("ead:Q", format=",.0f"),
                 alt.Tooltip("ead_limit:Q", format=",.0f"), alt.Tooltip("ead_utilisation_pct:Q", format=".1f")],
    ) + bars.mark_tick(color="black", thickness=2, size=18).encode(x="ead_limit:Q")
    st.altair_chart(chart.properties(height=max(200, 32 * plot.height)), width="stretch")
    st.caption("Bars: EAD; black ticks: the counterparty's EAD limit.")
    event = ui.table(
        df, key="cp_table",
        config={
            **ui.money_columns(df, ["mtm", "collateral", "replacement_cost", "pfe", "ead", "ead_limit", "current_exposure", "ce_limit"]),
            "ead_utilisation_pct": st.column_config.ProgressColumn("EAD used %", min_value=0, max_value=100, format="%.1f"),
            "ce_utilisation_pct": st.column_config.ProgressColumn("CE used %", min_value=0, max_value=100, format="%.1f"),
        },
        on_select="rerun", selection_mode="single-row",
    )
    cp = ui.pick_from_table("Netting sets of", df["counterparty_id"].to_list(), event, "cp_pick")
    if cp:
        ns = data.result(ctx.cfg, "saccr_netting_sets", as_of, cp, ctx.filters)
        ui.table(ns, key="cp_ns", config=ui.money_columns(ns, [c for c in ns.columns if c.startswith(("addon", "mtm", "collateral", "replacement", "pfe", "ead", "current"))]))


if __name__ == "__main__":
    render()

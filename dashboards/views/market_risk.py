"""Market risk: VaR and ES by desk and book, component VaR, stress results, and the backtest
chart with exceptions marked and the Basel traffic-light zone."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from dashboards import data, ui
from engine.readers import VarConfig

ZONE_BADGE = {"GREEN": "green", "YELLOW": "orange", "RED": "red"}


def _pick_config(ctx: ui.ViewContext) -> VarConfig | None:
    configs: list[VarConfig] = data.result(ctx.cfg, "var_configs", ctx.as_of)
    if not configs:
        return None
    labels = [c.label for c in configs]
    if st.session_state.get("mr_config") not in labels:
        st.session_state["mr_config"] = labels[0]
    label = st.selectbox("VaR measure", labels, key="mr_config")
    return configs[labels.index(label)]


def render_var(ctx: ui.ViewContext) -> VarConfig | None:
    ccy = ctx.cfg.base_currency
    msg = data.availability(ctx.cfg, "out_var", as_of=ctx.as_of)
    if msg:
        ui.not_computed(msg)
        return None
    config = _pick_config(ctx)
    if config is None:
        return None
    df = data.result(ctx.cfg, "var_by_level", ctx.as_of, config, ctx.filters)
    firm = df.filter(pl.col("level") == "FIRM")
    series = data.result(ctx.cfg, "var_firm_series", ctx.as_of, config, 250)
    prev = series.filter(pl.col("as_of") < ctx.as_of).tail(1)
    m = st.columns(3)
    if firm.height:
        f = firm.row(0, named=True)
        p = prev.row(0, named=True) if prev.height else None
        ui.metric_money(m[0], "Firm VaR", f["var"], p and p["var"], ccy=ccy, higher_is_worse=True)
        ui.metric_money(m[1], "Firm ES", f["es"], p and p["es"], ccy=ccy, higher_is_worse=True)
        ui.metric_count(m[2], "Scenarios", f["n_scenarios"])
    if not ctx.filters.is_empty:
        st.caption("Firm figures are for the whole firm; desks and books are those matching the filters.")
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**By desk**")
        desks = df.filter(pl.col("level") == "DESK").select("key", "var", "es", "n_positions").rename({"key": "desk"})
        ui.table(desks, key="mr_desks", config=ui.money_columns(desks, ["var", "es"]))
    with c2:
        st.markdown("**By book**")
        books = df.filter(pl.col("level") == "BOOK").select("key", "book_desk", "var", "es", "n_positions").rename({"key": "book", "book_desk": "desk"})
        ui.table(books, key="mr_books", config=ui.money_columns(books, ["var", "es"]))
    if series.height > 1:
        long = series.unpivot(index="as_of", on=["var", "es"], variable_name="measure", value_name="amount")
        st.altair_chart(
            alt.Chart(long.to_pandas()).mark_line(point=True).encode(
                x=ui.date_x("as_of", n=series.height), y=alt.Y("amount:Q", title=f"Firm ({ccy})"), color="measure:N",
                tooltip=["as_of:T", "measure:N", alt.Tooltip("amount:Q", format=",.0f")],
            ).properties(height=220),
            width="stretch",
        )
    return config


def render_components(ctx: ui.ViewContext, config: VarConfig) -> None:
    st.subheader("Component VaR")
    msg = data.availability(ctx.cfg, "out_var_components", as_of=ctx.as_of)
    if msg:
        ui.not_computed(msg)
        return
    level = st.segmented_control("Level", ["DESK", "BOOK"], default="DESK", key="mr_comp_level", persist_state="session") or "DESK"
    comp = data.result(ctx.cfg, "var_components", ctx.as_of, config, level, ctx.filters)
    if comp.is_empty():
        ui.not_computed("No component VaR for this measure and these filters.")
        return
    chart_df = ui.to_float(comp.head(30)).select("key", "component_var", "standalone_var")
    long = chart_df.unpivot(index="key", variable_name="measure", value_name="amount")
    st.altair_chart(
        alt.Chart(long.to_pandas()).mark_bar().encode(
            y=alt.Y("key:N", sort=chart_df["key"].to_list(), title=level.title()),
            x=alt.X("amount:Q", title=ctx.cfg.base_currency), color="measure:N", yOffset="measure:N",
            tooltip=["key", "measure", alt.Tooltip("amount:Q", format=",.0f")],
        ).properties(height=max(160, 36 * chart_df.height)),
        width="stretch",
    )
    ui.table(comp, key="mr_comp", config={"pct_of_var": st.column_config.NumberColumn("% of firm VaR", format="percent"),
                                           **ui.money_columns(comp, ["component_var", "component_es", "standalone_var", "diversification"])})


def render_stress(ctx: ui.ViewContext) -> None:
    st.subheader("Stress tests")
    msg = data.availability(ctx.cfg, "out_stress", as_of=ctx.as_of)
    if msg:
        ui.not_computed(msg)
        return
    df = data.result(ctx.cfg, "stress", ctx.as_of, ctx.filters)
    firm = ui.to_float(df.filter(pl.col("level") == "FIRM"))
    if firm.height:
        st.altair_chart(
            alt.Chart(firm.to_pandas()).mark_bar().encode(
                y=alt.Y("scenario:N", sort="x", title=None), x=alt.X("pnl:Q", title=f"Firm P&L ({ctx.cfg.base_currency})"),
                color=alt.condition("datum.pnl < 0", alt.value("#c62828"), alt.value("#2e7d32")),
                tooltip=["scenario", "scenario_type", "window_start:T", "window_end:T", alt.Tooltip("pnl:Q", format=",.0f"), "description"],
            ).properties(height=max(120, 28 * firm.height)),
            width="stretch",
        )
    desks = df.filter(pl.col("level") == "DESK")
    if desks.height:
        pivot = ui.to_float(desks).pivot(on="scenario", index="key", values="pnl").rename({"key": "desk"})
        ui.table(pivot, key="mr_stress_desks", config=ui.money_columns(pivot, [c for c in pivot.columns if c != "desk"]))


def render_backtest(ctx: ui.ViewContext) -> None:
    st.subheader("Backtest")
    msg = data.availability(ctx.cfg, "out_backtest_summary", as_of=ctx.as_of)
    if msg:
        ui.not_computed(msg)
        return
    configs = data.result(ctx.cfg, "backtest_configs", ctx.as_of)
    labels = [f"{r['basis'].replace('_', ' ').lower()} · {r['method'].lower()} · {r['confidence']:.1%}" for r in configs.iter_rows(named=True)]
    if st.session_state.get("mr_bt") not in labels:
        st.session_state["mr_bt"] = labels[0]
    label = st.selectbox("Series", labels, key="mr_bt")
    sel = configs.row(labels.index(label), named=True)
    summary = data.result(ctx.cfg, "backtest_summary", ctx.as_of, sel["basis"], sel["method"], sel["confidence"])
    series = data.result(ctx.cfg, "backtest_series", ctx.as_of, sel["basis"], sel["method"], sel["confidence"], 250)
    cols = st.columns(max(1, summary.height))
    for col, r in zip(cols, summary.iter_rows(named=True), strict=False):
        zone = (r["zone"] or "n/a").upper()
        colour = ZONE_BADGE.get(zone, "gray")
        col.markdown(f"**{r['pnl_type'].title()} P&L** · traffic light :{colour}-background[{zone}]")
        col.metric("Exceptions", f"{r['exceptions']} of {r['n_obs']}", help=f"expected {r['expected_exceptions']:.1f}")
        if r["kupiec_pvalue"] is not None:
            col.caption(f"Kupiec p = {r['kupiec_pvalue']:.3f}; plus factor {r['plus_factor'] or 0:.2f}")
    if series.is_empty():
        return
    pdf = series.with_columns((-pl.col("var")).alias("minus_var")).to_pandas()
    base = alt.Chart(pdf).encode(x=ui.date_x("obs_date", "P&L date", n=series.height))
    lines = [base.mark_line(color="#c62828").encode(y=alt.Y("minus_var:Q", title=ctx.cfg.base_currency), tooltip=["obs_date:T", alt.Tooltip("var:Q", format=",.0f")])]
    for col, colour, exc in (("hypothetical_pnl", "#1565c0", "hyp_exception"), ("actual_pnl", "#6a1b9a", "actual_exception")):
        if series[col].null_count() < series.height:
            lines.append(base.mark_line(color=colour, opacity=0.7).encode(y=f"{col}:Q"))
            lines.append(
                base.transform_filter(f"datum.{exc} == true").mark_point(shape="triangle-down", size=90, filled=True, color="#c62828")
                .encode(y=f"{col}:Q", tooltip=["obs_date:T", alt.Tooltip(f"{col}:Q", format=",.0f"), alt.Tooltip("var:Q", format=",.0f")])
            )
    st.altair_chart(alt.layer(*lines).properties(height=300), width="stretch")
    st.caption("Red line: minus VaR; lines: P&L (blue hypothetical, purple actual); triangles: exceptions (loss beyond VaR).")


def render() -> None:
    ctx = ui.context()
    st.title("Market risk")
    ui.require_as_of(ctx)
    ui.filters_note(ctx)
    config = render_var(ctx)
    if config is not None:
        render_components(ctx, config)
    render_stress(ctx)
    render_backtest(ctx)


if __name__ == "__main__":
    render()

"""Exposures: long / short / net / gross market value by any dimension, with drill-down (up to
two steps), a chart and the concentration (top shares, Herfindahl index)."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from dashboards import data, ui
from engine.readers import EXPOSURE_DIMENSIONS

DRILL_KEY = "exp_drill"
TOP = 200


def _basis(ctx: ui.ViewContext) -> str | None:
    cat = data.catalog(ctx.cfg)
    if not cat.has("out_positions", ["basis"]):
        return None
    bases = data.result(ctx.cfg, "position_bases", ctx.as_of)
    if len(bases) <= 1:
        return bases[0] if bases else None
    return st.segmented_control("Position basis", bases, default=bases[0], key="exp_basis", persist_state="session") or bases[0]


def _drill_path() -> list[tuple[str, str]]:
    path = st.session_state.get(DRILL_KEY) or []
    return [(d, v) for d, v in path if d in EXPOSURE_DIMENSIONS][:2]


def render() -> None:
    ctx = ui.context()
    st.title("Exposures")
    as_of = ui.require_as_of(ctx)
    ui.filters_note(ctx)
    msg = data.availability(ctx.cfg, "out_positions", as_of=as_of, columns=("market_value_base", "legal_entity_id", "desk", "book_id"))
    if msg:
        ui.not_computed(msg)
        return
    basis = _basis(ctx)
    path = _drill_path()
    used = {d for d, _ in path}
    dims = [d for d in EXPOSURE_DIMENSIONS if d not in used]

    crumbs = " › ".join(["All"] + [f"{EXPOSURE_DIMENSIONS[d]} = {v}" for d, v in path])
    c = st.columns([3, 1])
    c[0].markdown(f"**Drill-down:** {crumbs}")
    if path and c[1].button("Up one level", icon=":material/arrow_upward:", key="exp_up"):
        st.session_state[DRILL_KEY] = path[:-1]
        st.rerun()

    default_dim = "desk" if "desk" in dims else dims[0]
    if st.session_state.get("exp_dim") not in dims:
        st.session_state["exp_dim"] = default_dim
    dim = st.selectbox("Group by", dims, key="exp_dim", format_func=EXPOSURE_DIMENSIONS.__getitem__)
    df = data.exposures(ctx.cfg, as_of, dim, ctx.filters, drill=path, basis=basis, limit=TOP)
    if df.is_empty():
        ui.not_computed("No position matches these filters on this date.")
        return
    conc = data.exposure_concentration(ctx.cfg, as_of, dim, ctx.filters, drill=path, basis=basis)
    ccy = ctx.cfg.base_currency
    m = st.columns(5)
    ui.metric_money(m[0], "Gross exposure", conc.get("total_gross"), ccy=ccy)
    ui.metric_money(m[1], "Net exposure", conc.get("total_net"), ccy=ccy)
    m[2].metric(f"Top 1 {EXPOSURE_DIMENSIONS[dim].lower()} share", round(100 * float(conc.get("top1_share") or 0), 2), format="%.2f%%")
    m[3].metric("Top 5 share", round(100 * float(conc.get("top5_share") or 0), 2), format="%.2f%%")
    m[4].metric("Herfindahl index", round(float(conc.get("hhi") or 0), 1), format="localized",
                help="Sum of squared shares of gross exposure, in points: 10,000 = all in one group.")

    plot = ui.to_float(df.head(25)).with_columns(pl.col("short_exposure").abs().alias("short_exposure_abs"))
    long_short = plot.select("key", "long_exposure", "short_exposure").unpivot(index="key", variable_name="side", value_name="exposure")
    chart = (
        alt.Chart(long_short.to_pandas())
        .mark_bar()
        .encode(
            y=alt.Y("key:N", sort=plot["key"].to_list(), title=EXPOSURE_DIMENSIONS[dim]),
            x=alt.X("exposure:Q", title=f"Market value ({ccy})"),
            color=alt.Color("side:N", scale=alt.Scale(domain=["long_exposure", "short_exposure"], range=["#2e7d32", "#c62828"]), title=None),
            tooltip=["key", "side", alt.Tooltip("exposure:Q", format=",.0f")],
        )
        .properties(height=max(200, 32 * plot.height))
    )
    st.altair_chart(chart, width="stretch")
    if conc.get("groups", 0) > TOP:
        st.caption(f"Showing the top {TOP} of {conc['groups']:,} groups by gross exposure.")

    can_drill = len(path) < 2
    event = ui.table(
        df,
        key=f"exp_table_{dim}_{len(path)}",
        config=ui.money_columns(df, ["long_exposure", "short_exposure", "net_exposure", "gross_exposure"]),
        on_select="rerun" if can_drill else "ignore",
        selection_mode="single-row",
    )
    if can_drill:
        pick = ui.pick_from_table(
            f"Drill into a {EXPOSURE_DIMENSIONS[dim].lower()}", df["key"].to_list(), event,
            f"exp_pick_{dim}_{len(path)}", none=True, placeholder="select a row or pick a value",
        )
        if pick is not None and st.button("Drill down", icon=":material/arrow_downward:", key="exp_drill_btn"):
            st.session_state[DRILL_KEY] = [*path, (dim, str(pick))]
            st.session_state.pop("exp_dim", None)
            st.rerun()


if __name__ == "__main__":
    render()

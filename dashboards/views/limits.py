"""Limits: the utilisation heat map, warnings and breaches, one limit point's history, breach
incidents with their history, acknowledge and comment."""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl
import streamlit as st

from dashboards import data, ui

FLASH = "lim_flash"


def _heatmap(df: pl.DataFrame) -> None:
    top = ui.to_float(df.filter(pl.col("utilisation_pct").is_not_null()).head(60))
    if top.is_empty():
        return
    st.altair_chart(
        alt.Chart(top.to_pandas()).mark_rect().encode(
            x=alt.X("measure:N", title=None, axis=alt.Axis(labelAngle=-20, labelLimit=200)),
            y=alt.Y("point_key:N", sort=top["point_key"].unique(maintain_order=True).to_list(), title=None,
                    axis=alt.Axis(labelLimit=320)),
            color=alt.Color("utilisation_pct:Q", title="used %",
                            scale=alt.Scale(domain=[0, 80, 100, 150], range=["#e8f5e9", "#fff59d", "#ef6c00", "#b71c1c"], clamp=True)),
            tooltip=["limit_id", "measure", "point_key", "status", alt.Tooltip("utilisation_pct:Q", format=".1f"),
                     alt.Tooltip("measure_value:Q", format=",.0f"), alt.Tooltip("limit_value_base:Q", format=",.0f")],
        ).properties(height=max(200, 24 * top["point_key"].n_unique())),
        width="stretch",
    )
    st.caption("The 60 most utilised limit points; colour: utilisation (warning at 80 %, breach above 100 %).")


def _action(label: str, fn: str, *args: Any, **kwargs: Any) -> None:
    """Run a workflow action (a widget callback, its arguments bound when the widget was drawn,
    so it goes to the incident the user saw even if a run changed the list meanwhile)."""
    try:
        data.workflow_action(data.config(), data.LIMITS, fn, *args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - shown to the user; nothing is half-written
        st.session_state[FLASH] = ("error", f"{label} failed, nothing was saved: {exc}")
    else:
        st.session_state[FLASH] = ("ok", f"{label}: saved.")


def _submit(action: str, inc_id: Any, actor: str) -> None:
    text = str(st.session_state.get("lim_inc_text") or "").strip() or None
    if action == "acknowledge":
        _action(f"Incident {inc_id} acknowledged", "acknowledge", inc_id, actor=actor, text=text)
    elif not text:
        st.session_state[FLASH] = ("error", "Type a comment; nothing was saved.")
    else:
        _action(f"Comment on {inc_id}", "comment", inc_id, actor=actor, text=text)


def _incidents(ctx: ui.ViewContext) -> None:
    st.subheader("Breach incidents")
    if data.workflow_module(data.LIMITS) is None:
        ui.not_computed("The limit incident workflow is not installed yet (`engine.limits`): incidents cannot be listed or acknowledged here.")
        return
    status = st.segmented_control("Incidents", ["OPEN", "UNACKNOWLEDGED", "RESOLVED", "ALL"], default="OPEN",
                                  key="lim_inc_status", persist_state="session") or "OPEN"
    inc = data.incidents(ctx.cfg, None if status == "ALL" else status)
    if inc.is_empty():
        if status == "OPEN":
            st.success("No open incident.")
        else:
            st.caption("No incident.")
        return
    event = ui.table(inc, key="lim_incidents", on_select="rerun", selection_mode="single-row", height=260)
    id_col = "incident_id" if "incident_id" in inc.columns else inc.columns[0]
    inc_id = ui.pick_from_table("Incident", inc[id_col].to_list(), event, "lim_inc_pick")
    if inc_id is None:
        return
    hist = data.incident_history(ctx.cfg, inc_id)
    st.markdown(f"**History of {inc_id}**")
    if hist.is_empty():
        st.caption("No event yet.")
    else:
        ui.table(hist, key="lim_inc_hist")
    with st.form("lim_inc_form", clear_on_submit=True):
        st.text_input("Comment", max_chars=2000, key="lim_inc_text")
        b = st.columns(2)
        b[0].form_submit_button("Acknowledge", key="lim_ack_btn", icon=":material/done_all:", type="primary",
                                on_click=_submit, args=("acknowledge", inc_id, ctx.actor))
        b[1].form_submit_button("Comment", key="lim_comment_btn", icon=":material/comment:",
                                on_click=_submit, args=("comment", inc_id, ctx.actor))


def render() -> None:
    ctx = ui.context()
    st.title("Limits")
    msg = st.session_state.pop(FLASH, None)
    if msg:
        (st.success if msg[0] == "ok" else st.error)(msg[1])
    as_of = ui.require_as_of(ctx)
    ui.filters_note(ctx)
    umsg = data.availability(ctx.cfg, "out_limit_utilisation", as_of=as_of)
    if umsg:
        ui.not_computed(umsg)
    else:
        counts = data.result(ctx.cfg, "limit_status_counts", as_of, ctx.filters)
        prev = data.previous_as_of(ctx.cfg, as_of)
        m = st.columns(4)
        for col, status in zip(m, ("BREACH", "WARNING", "OK", "NO_DATA"), strict=True):
            now = int(counts.filter((pl.col("as_of") == as_of) & (pl.col("status") == status))["points"].sum() or 0)
            before = None if prev is None else int(counts.filter((pl.col("as_of") == prev) & (pl.col("status") == status))["points"].sum() or 0)
            label = {"BREACH": "Breaches", "WARNING": "Warnings", "OK": "Within limit", "NO_DATA": "No data"}[status]
            ui.metric_count(col, label, now, before, higher_is_worse=status in ("BREACH", "WARNING", "NO_DATA"))
        df = data.result(ctx.cfg, "limit_utilisation", as_of, ctx.filters)
        _heatmap(df)
        st.subheader("Warnings and breaches")
        alerts = df.filter(pl.col("status").is_in(["BREACH", "WARNING"]))
        if alerts.is_empty():
            st.success("No limit warning or breach.")
        else:
            event = ui.table(
                alerts, key="lim_alerts", on_select="rerun", selection_mode="single-row",
                config={"utilisation_pct": st.column_config.ProgressColumn("used %", min_value=0, max_value=150, format="%.1f"),
                        **ui.money_columns(alerts, ["measure_value", "limit_value_base", "excess_base", "limit_value"])},
            )
            keys = [f"{r['limit_id']} · {r['point_key']}" for r in alerts.select("limit_id", "point_key").iter_rows(named=True)]
            pick = ui.pick_from_table("Utilisation history of", keys, event, "lim_hist_pick")
            if pick is not None:
                r = alerts.row(keys.index(pick), named=True)
                hist = data.result(ctx.cfg, "limit_history", as_of, r["limit_id"], r["point_key"], 120)
                if hist.height:
                    st.altair_chart(
                        alt.Chart(ui.to_float(hist).to_pandas()).mark_line(point=True).encode(
                            x=ui.date_x("as_of", n=hist.height), y=alt.Y("utilisation_pct:Q", title="used %"),
                            tooltip=["as_of:T", "status", alt.Tooltip("utilisation_pct:Q", format=".1f")],
                        ).properties(height=200)
                        + alt.Chart(pl.DataFrame({"y": [100.0]}).to_pandas()).mark_rule(color="#c62828", strokeDash=[4, 4]).encode(y="y:Q"),
                        width="stretch",
                    )
        with st.expander("All limit points"):
            ui.table(df, key="lim_all", config={"utilisation_pct": st.column_config.NumberColumn("used %", format="%.1f")})
    _incidents(ctx)


if __name__ == "__main__":
    render()

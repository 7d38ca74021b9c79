"""Overview: headline figures with day-on-day change, the last run and its status, data quality
per feed, open breaks, limit warnings and breaches."""

from __future__ import annotations

import streamlit as st

from dashboards import data, ui


def _figures(ctx: ui.ViewContext) -> None:
    as_of = ctx.as_of
    assert as_of is not None
    cfg = ctx.cfg
    ccy = cfg.base_currency
    prev = data.previous_as_of(cfg, as_of)
    figs = data.result(cfg, "overview_figures", as_of, ctx.filters)
    st.caption(f"Change against {prev.isoformat()}" if prev else "No earlier run to compare with.")
    cols = st.columns(4)
    for i, f in enumerate(figs):
        col = cols[i % 4]
        if f["kind"] == "count":
            ui.metric_count(col, f["label"], f["value"], f["previous"], higher_is_worse=f["higher_is_worse"], help=f["note"] or None)
        else:
            ui.metric_money(col, f["label"], f["value"], f["previous"], ccy=ccy, higher_is_worse=f["higher_is_worse"], help=f["note"] or None)


def _last_run(ctx: ui.ViewContext) -> None:
    st.subheader("Last runs")
    runs = data.runs(ctx.cfg, 10)
    if runs.is_empty():
        ui.not_computed("No end-of-day run yet.")
        return
    last = runs.row(0, named=True)
    icon = {"OK": ":material/check_circle:", "FAILED": ":material/error:", "RUNNING": ":material/pending:"}.get(last["status"], "")
    text = f"Run {last['run_id']} for {last['as_of']}: **{last['status']}**"
    if last["seconds"] is not None:
        text += f" in {float(last['seconds']):.1f} s"
    if last["finished_at"] is not None:
        text += f", finished {last['finished_at']:%Y-%m-%d %H:%M}"
    (st.error if last["status"] == "FAILED" else st.success if last["status"] == "OK" else st.info)(text, icon=icon or None)
    if last["status"] == "FAILED" and last["error"]:
        st.code(str(last["error"]), language=None)
    with st.expander("Run history and steps"):
        ui.table(runs.drop("error"), key="ov_runs")
        steps = data.run_steps(ctx.cfg, int(last["run_id"]))
        if steps.height:
            ui.table(steps, key="ov_steps")


def _feeds(ctx: ui.ViewContext) -> None:
    st.subheader("Data quality per feed")
    feeds = data.feed_quality(ctx.cfg)
    if feeds.is_empty():
        ui.not_computed("Nothing loaded yet.")
        return
    ui.table(feeds.select("feed", "files", "rows_read", "rows_loaded", "rows_quarantined", "quarantined_pct", "last_loaded_at"), key="ov_feeds")


def _breaks(ctx: ui.ViewContext) -> None:
    st.subheader("Open breaks")
    msg = data.availability(ctx.cfg, "out_breaks", as_of=ctx.as_of)
    if msg:
        ui.not_computed(msg)
        return
    summary = data.result(ctx.cfg, "break_summary", ctx.as_of)
    if summary.is_empty():
        st.success("No open break.")
        return
    ui.table(summary, key="ov_breaks", config=ui.money_columns(summary, ["amount_base"]))
    st.page_link("views/workbench.py", label="Work them in the reconciliation workbench", icon=":material/rule:")


def _limits(ctx: ui.ViewContext) -> None:
    st.subheader("Limit warnings and breaches")
    msg = data.availability(ctx.cfg, "out_limit_utilisation", as_of=ctx.as_of)
    if msg:
        ui.not_computed(msg)
        return
    df = data.result(ctx.cfg, "limit_alerts", ctx.as_of, ctx.filters, 20)
    if df.is_empty():
        st.success("No limit warning or breach.")
        return
    ui.table(df, key="ov_limits")


def render() -> None:
    ctx = ui.context()
    st.title("Overview")
    if not data.has_store(ctx.cfg):
        ui.not_computed("There is no store yet: run `midoffice demo`.")
        return
    if ctx.as_of is None and data.runs(ctx.cfg, 1).is_empty():
        ui.require_as_of(ctx)  # says so and stops
    ui.filters_note(ctx)
    if ctx.as_of is not None:
        _figures(ctx)
    c1, c2 = st.columns(2)
    with c1:
        _last_run(ctx)
        _feeds(ctx)
    with c2:
        if ctx.as_of is not None:
            _breaks(ctx)
            _limits(ctx)


if __name__ == "__main__":
    render()

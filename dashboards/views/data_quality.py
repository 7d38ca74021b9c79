"""Data quality: rows read / loaded / quarantined per feed, the quarantine with each raw record
and its reason (file and line), and the load history."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import data, ui

PAGE_SIZE = 100


def render_feeds(ctx: ui.ViewContext) -> pl.DataFrame:
    st.subheader("Feeds")
    feeds = data.feed_quality(ctx.cfg)
    if feeds.is_empty():
        ui.not_computed("Nothing has been loaded yet: run `midoffice load <files>` (or `midoffice demo`).")
        return feeds
    tot = feeds.select(pl.col("rows_read", "rows_loaded", "rows_quarantined").sum()).row(0, named=True)
    c = st.columns(4)
    ui.metric_count(c[0], "Files loaded", int(feeds["files"].sum()))
    ui.metric_count(c[1], "Rows read", int(tot["rows_read"] or 0))
    ui.metric_count(c[2], "Rows loaded", int(tot["rows_loaded"] or 0))
    ui.metric_count(c[3], "Rows quarantined", int(tot["rows_quarantined"] or 0), higher_is_worse=True)
    ui.table(
        feeds,
        key="dq_feeds",
        config={"quarantined_pct": st.column_config.NumberColumn("quarantined %", format="%.3f")},
    )
    return feeds


def render_quarantine(ctx: ui.ViewContext, feeds: pl.DataFrame) -> None:
    st.subheader("Quarantine")
    all_summary = data.quarantine(ctx.cfg, limit=1)[1]
    if all_summary.is_empty():
        st.success("No record is quarantined: every row read was loaded.")
        return
    c = st.columns([2, 2, 3])
    feed_sel = c[0].multiselect("Feed", all_summary["feed"].unique().sort().to_list(), key="dq_feed", placeholder="all", persist_state="session")
    rule_sel = c[1].multiselect("Rule", all_summary["rule"].unique().sort().to_list(), key="dq_rule", placeholder="all", persist_state="session")
    search = c[2].text_input("Search reason / raw text / record", key="dq_search", max_chars=200, persist_state="session")
    _, summary = data.quarantine(ctx.cfg, feeds=feed_sel, rules=rule_sel, search=search or "", limit=1)
    total = int(summary["records"].sum()) if summary.height else 0
    st.caption(f"{total:,} quarantined record(s) match")
    if summary.height:
        st.bar_chart(summary.to_pandas(), x="rule", y="records", color="feed", horizontal=True, height=max(160, 28 * summary["rule"].n_unique()))
    limit, offset = ui.pager(total, PAGE_SIZE, "dq_page")
    page, _ = data.quarantine(ctx.cfg, feeds=feed_sel, rules=rule_sel, search=search or "", limit=limit, offset=offset)
    event = ui.table(
        page.select("feed", "file_name", "line_no", "record_ref", "rule", "reason", "raw_text", "batch_id", "target_table"),
        key="dq_quarantine",
        on_select="rerun",
        selection_mode="single-row",
    )
    rows = ui.selected_rows(event)
    if rows and rows[0] < page.height:
        rec = page.row(rows[0], named=True)
        st.markdown(f"**{rec['rule']}** at `{rec['file_path']}`, line {rec['line_no']}: {rec['reason']}")
        st.code(rec["raw_text"] or "", language=None)
    else:
        st.caption("Select a row to see its raw record.")


def render_history(ctx: ui.ViewContext) -> None:
    st.subheader("Load history")
    _, total = data.load_history(ctx.cfg, limit=1)
    if not total:
        return
    limit, offset = ui.pager(total, PAGE_SIZE, "dq_hist_page")
    page, _ = data.load_history(ctx.cfg, limit=limit, offset=offset)
    ui.table(page, key="dq_history")


def render() -> None:
    ctx = ui.context()
    st.title("Data quality")
    st.caption("Every row read is either loaded or quarantined with its reason; nothing is dropped.")
    if not data.has_store(ctx.cfg):
        ui.not_computed("There is no store yet: run `midoffice demo`.")
        return
    feeds = render_feeds(ctx)
    if feeds.is_empty():
        return
    render_quarantine(ctx, feeds)
    render_history(ctx)


if __name__ == "__main__":
    render()

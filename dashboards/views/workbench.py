"""Reconciliation workbench: the break list with filters (status, type, age, counterparty,
custodian, ISIN, assignee), paged by the engine and sortable; a break's detail with front office
and back office side by side, differences highlighted and lineage to file and line; suggested
matches with confirm; assign, comment, resolve, reopen (one break or a selection), four-eyes
approval; CSV / XLSX download of the filtered breaks (the CLI's export).

Every action goes through ``engine.recon.workflow`` (the small workflow store, one short
transaction), with the sidebar's "Your name" as the actor. Typed text is passed as data.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import streamlit as st

from dashboards import data, ui

FLASH = "wb_flash"
STATUSES = ["ACTIVE", "OPEN", "PENDING_APPROVAL", "MATCH_PENDING", "RESOLVED", "NEW", "PERSISTING", "ALL"]
STATUS_HELP = "ACTIVE = not resolved; NEW / PERSISTING = the break's life in the runs"
LIST_COLUMNS = ["break_id", "status", "break_type", "category", "age_days", "first_seen", "trade_id", "settlement_id",
                "isin", "counterparty_id", "custodian", "book_id", "currency", "quantity_fo", "quantity_bo", "amount_fo",
                "amount_bo", "amount_diff", "amount_base", "intended_settle_date", "settle_status", "reason_code",
                "fields", "assignee", "resolution_code", "n_comments", "last_comment", "penalty_base", "detail"]

#: Front office vs back office, side by side: (recon field name, label, trade column, settlement column).
SIDE_BY_SIDE = [
    ("reference", "reference", "trade_id", "trade_ref"),
    ("isin", "security (ISIN)", "isin", "isin"),
    ("direction", "direction", "side", "direction"),
    ("quantity", "quantity", "quantity", "quantity"),
    ("price", "deal price", "price", "deal_price"),
    ("amount", "settlement amount", "net_amount", "amount"),
    ("currency", "currency", "currency", "currency"),
    ("trade_date", "trade date", "trade_date", "trade_date"),
    ("settle_date", "settlement date", "settle_date", "intended_settle_date"),
    ("counterparty_id", "counterparty", "counterparty_id", "counterparty_id"),
    ("account_id", "safekeeping account", "account_id", "account_id"),
    ("place_of_settlement", "place of settlement", "place_of_settlement", "place_of_settlement"),
    ("status", "status", "status", "status"),
    ("settled", "settled quantity", None, "settled_quantity"),
    ("reason", "reason code", None, "reason_code"),
    ("file", "file (lineage)", "file_path", "file_path"),
    ("line", "line / message (lineage)", "src_line", "src_line"),
    ("batch", "load batch", "batch_id", "batch_id"),
]


def _flash() -> None:
    msg = st.session_state.pop(FLASH, None)
    if msg:
        kind, text = msg
        (st.success if kind == "ok" else st.error)(text)


def _do(ctx: ui.ViewContext, label: str, fn: str, *args: Any, **kwargs: Any) -> None:
    """Run a workflow action and remember its outcome for the page to show.

    Used as a widget callback, with its arguments bound when the widget was drawn: the action
    goes to the break the user saw, even if a run published a different break list meanwhile."""
    try:
        out = data.workflow_action(ctx.cfg, data.RECON, fn, *args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - shown to the user; nothing was saved
        st.session_state[FLASH] = ("error", f"{label} failed, nothing was saved: {exc}")
    else:
        n = len(getattr(out, "break_ids", ()) or ())
        text = f"{label}: saved" + (f" for {n} break(s)" if n else "") + "."
        if getattr(out, "requires_approval", False):
            text += " It waits for a second person's approval (four-eyes)."
        st.session_state[FLASH] = ("ok", text)


def _submit(ctx: ui.ViewContext, action: str, ids: tuple[str, ...], key: str) -> None:
    """The callback of the action form: reads what was typed and acts on ``ids`` as drawn."""
    ss = st.session_state
    assignee = str(ss.get(f"wb_{key}_assignee") or "").strip()
    note = str(ss.get(f"wb_{key}_text") or "").strip() or None
    code = ss.get(f"wb_{key}_code")
    targets = list(ids)
    if action == "assign":
        if not assignee:
            ss[FLASH] = ("error", "Type the name to assign to; nothing was saved.")
            return
        _do(ctx, f"Assigned to {assignee}", "assign", targets, actor=ctx.actor, assignee=assignee)
    elif action == "comment":
        if not note:
            ss[FLASH] = ("error", "Type a comment; nothing was saved.")
            return
        _do(ctx, "Comment added", "comment", targets, actor=ctx.actor, text=note)
    elif action == "resolve":
        _do(ctx, f"Resolved ({code})", "resolve", targets, actor=ctx.actor, resolution_code=code, text=note)
    elif action == "reopen":
        _do(ctx, "Reopened", "reopen", targets, actor=ctx.actor, text=note)


def _filters(ctx: ui.ViewContext) -> dict[str, Any]:
    opts = data.result(ctx.cfg, "break_filter_options", ctx.as_of)
    with st.expander("Filters", expanded=True):
        c = st.columns([1.2, 2, 0.8, 0.8])
        status = c[0].selectbox("Status", STATUSES, key="wb_status", help=STATUS_HELP, persist_state="session")
        types = c[1].multiselect("Type", opts.get("break_type", []), key="wb_type", placeholder="all", persist_state="session")
        min_age = c[2].number_input("Min age (days)", min_value=0, value=None, step=1, key="wb_min_age", persist_state="session")
        max_age = c[3].number_input("Max age (days)", min_value=0, value=None, step=1, key="wb_max_age", persist_state="session")
        c2 = st.columns(4)
        cp = c2[0].selectbox("Counterparty", ["(all)", *opts.get("counterparty", [])], key="wb_cp", persist_state="session")
        cust = c2[1].selectbox("Custodian", ["(all)", *opts.get("custodian", [])], key="wb_cust", persist_state="session")
        isin = c2[2].text_input("ISIN", key="wb_isin", max_chars=12, persist_state="session")
        assignee = c2[3].text_input("Assignee", key="wb_assignee", max_chars=64, persist_state="session")
    return {
        "as_of": ctx.as_of,
        "status": None if status == "ALL" else status,
        "break_type": list(types) or None,
        "min_age": None if min_age is None else int(min_age),
        "max_age": None if max_age is None else int(max_age),
        "counterparty": None if cp == "(all)" else cp,
        "custodian": None if cust == "(all)" else cust,
        "isin": (isin or "").strip().upper() or None,
        "assignee": (assignee or "").strip() or None,
    }


def _page(ctx: ui.ViewContext, filters: dict[str, Any]) -> pl.DataFrame:
    size = int(ctx.cfg.get("dashboard.page_size", 100))
    key = "wb_page"
    sig = repr(sorted(filters.items()))
    if st.session_state.get("wb_sig") != sig:  # a new filter starts on the first page
        st.session_state["wb_sig"] = sig
        st.session_state[key] = 1
    page_no = int(st.session_state.get(key, 1) or 1)
    df, has_next = data.breaks_page(ctx.cfg, filters, limit=size, offset=(page_no - 1) * size)
    c = st.columns([4, 1, 1])
    first = (page_no - 1) * size + 1
    c[0].markdown(f"Breaks **{first:,}–{first + df.height - 1:,}**" + (" (more on the next pages)" if has_next else "")
                  if df.height else "No break")
    if c[1].button("Previous", disabled=page_no <= 1, key="wb_prev", icon=":material/chevron_left:"):
        st.session_state[key] = page_no - 1
        st.rerun()
    if c[2].button("Next", disabled=not has_next, key="wb_next", icon=":material/chevron_right:"):
        st.session_state[key] = page_no + 1
        st.rerun()
    return df


def _actions_form(ctx: ui.ViewContext, ids: list[str], key: str, title: str) -> None:
    codes = data.resolution_codes(ctx.cfg)
    bound = tuple(ids)
    with st.form(f"wb_{key}_form", clear_on_submit=True, border=True):
        st.markdown(title)
        c = st.columns([1, 1, 2])
        c[0].text_input("Assign to", max_chars=64, key=f"wb_{key}_assignee")
        c[1].selectbox("Resolution code", codes, key=f"wb_{key}_code")
        c[2].text_input("Comment", max_chars=2000, key=f"wb_{key}_text")
        b = st.columns(4)
        for col, (action, label, icon) in zip(b, (("assign", "Assign", "person_add"), ("comment", "Comment", "comment"),
                                                  ("resolve", "Resolve", "check"), ("reopen", "Reopen", "undo")), strict=True):
            col.form_submit_button(label, key=f"wb_{key}_{action}_btn", icon=f":material/{icon}:",
                                   type="primary" if action == "resolve" else "secondary",
                                   on_click=_submit, args=(ctx, action, bound, key))


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def _side_by_side(detail: dict[str, Any]) -> None:
    fo = list(detail.get("fo") or [])
    bo = list(detail.get("bo") or [])
    if not fo and not bo:
        return
    differing = {str(f.get("field")) for f in detail.get("fields") or []}
    cols: dict[str, list[str]] = {"field": [label for _, label, _, _ in SIDE_BY_SIDE]}
    for r in fo:
        cols[f"FO {r.get('trade_id')}"] = [_cell(r.get(fc)) if fc else "" for _, _, fc, _ in SIDE_BY_SIDE]
    for r in bo:
        cols[f"BO {r.get('settlement_id')}"] = [_cell(r.get(bc)) if bc else "" for _, _, _, bc in SIDE_BY_SIDE]
    cols["differs"] = [name in differing for name, _, _, _ in SIDE_BY_SIDE]
    table = pl.DataFrame(cols).to_pandas()
    styled = table.style.apply(
        lambda r: ["background-color: #ffcdd2; font-weight: 600" if r["differs"] else "" for _ in r], axis=1
    )
    st.dataframe(styled, hide_index=True, width="stretch", key="wb_cmp", height=36 * (len(table) + 1),
                 column_config={"differs": st.column_config.CheckboxColumn("differs")})


def _detail(ctx: ui.ViewContext, break_id: str) -> None:
    try:
        detail = data.break_detail(ctx.cfg, break_id)
    except Exception as exc:  # noqa: BLE001 - e.g. the break left the latest snapshot
        st.warning(f"No detail for {break_id}: {exc}")
        return
    head = detail.get("break") or {}
    st.subheader(f"Break {break_id}")
    m = st.columns(5)
    for col, (k, label) in zip(m, (("status", "Status"), ("break_type", "Type"), ("age_days", "Age (days)"),
                                   ("assignee", "Assignee"), ("amount_diff", "Amount difference")), strict=True):
        col.metric(label, _cell(head.get(k)) or "-")
    if head.get("detail"):
        st.caption(str(head["detail"]))
    st.markdown("**Front office vs back office** (differing fields highlighted; file and line are the lineage)")
    _side_by_side(detail)
    fields = detail.get("fields") or []
    if fields:
        ui.table(pl.DataFrame(fields), key="wb_fields")

    _suggestions(ctx, detail)

    pending = head.get("pending_event_id")
    if pending is not None:
        st.info(f"A {str(head.get('pending_action') or 'request').lower()} (event {pending}) waits for a second person's approval.")
        c = st.columns(2)
        c[0].button("Approve", key="wb_approve", icon=":material/verified:", on_click=_do,
                    args=(ctx, f"Event {pending} approved", "approve", int(pending)), kwargs={"actor": ctx.actor})
        c[1].button("Reject", key="wb_reject", icon=":material/block:", on_click=_do,
                    args=(ctx, f"Event {pending} rejected", "reject", int(pending)), kwargs={"actor": ctx.actor})

    _actions_form(ctx, [break_id], "one", f"**Work {break_id}** as {ctx.actor}")
    events = detail.get("events") or []
    with st.expander(f"History ({len(events)} event(s))", expanded=bool(events)):
        if events:
            ui.table(pl.DataFrame(events).select(pl.exclude("related_break_ids")) if "related_break_ids" in events[0]
                     else pl.DataFrame(events), key="wb_events")
        else:
            st.caption("No action yet.")


def _suggestions(ctx: ui.ViewContext, detail: dict[str, Any]) -> None:
    sugg = detail.get("suggestions") or []
    st.markdown("**Suggested matches**")
    if not sugg:
        st.caption("No suggestion for this break.")
        return
    df = pl.DataFrame(sugg)
    ev = ui.table(df, key="wb_sugg", on_select="rerun", selection_mode="single-row")
    labels = [f"#{r['rank']}: {r['record_id']} ↔ {r['candidate_id']} (score {float(r['score']):.2f})" for r in sugg]
    pick = ui.pick_from_table("Suggestion", labels, ev, "wb_sugg_pick")
    if pick is not None:
        r = sugg[labels.index(pick)]
        trades, settlements = ([r["record_id"]], [r["candidate_id"]]) if r["side"] == "FO" else ([r["candidate_id"]], [r["record_id"]])
        st.button("Confirm this match", key="wb_confirm", type="primary", icon=":material/link:", on_click=_do,
                  args=(ctx, f"Match {trades[0]} ↔ {settlements[0]} confirmed (applied by the next run)", "manual_match",
                        trades, settlements), kwargs={"actor": ctx.actor})


def _downloads(ctx: ui.ViewContext, filters: dict[str, Any]) -> None:
    cfg = ctx.cfg
    stamp = (ctx.as_of or date.today()).isoformat()
    c = st.columns([1, 1, 3])
    c[0].download_button("Download CSV", lambda: data.export_breaks_bytes(cfg, "csv", filters),
                         file_name=f"breaks_{stamp}.csv", mime="text/csv", icon=":material/download:", key="wb_csv",
                         on_click="ignore")
    c[1].download_button("Download XLSX", lambda: data.export_breaks_bytes(cfg, "xlsx", filters),
                         file_name=f"breaks_{stamp}.xlsx", icon=":material/download:", key="wb_xlsx",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", on_click="ignore")
    c[2].caption("Every break matching the filters (all pages), as `midoffice breaks export` writes it.")


def render() -> None:
    ctx = ui.context()
    st.title("Reconciliation workbench")
    _flash()
    if not data.has_store(ctx.cfg):
        ui.not_computed("There is no store yet: run `midoffice demo`.")
        return
    if not data.recon_available():
        ui.not_computed("The break workflow (`engine.recon.workflow`) is not installed, so breaks cannot be worked here.")
        return
    as_of = ui.require_as_of(ctx)
    msg = data.availability(ctx.cfg, "out_breaks", as_of=as_of)
    if msg:
        ui.not_computed(msg)
        return
    st.caption(f"Breaks of the run of **{as_of}**, acting as **{ctx.actor}** (change it in the sidebar). "
               "The legal entity / desk / book filters of the sidebar do not apply here.")
    filters = _filters(ctx)
    df = _page(ctx, filters)
    _downloads(ctx, filters)
    if df.is_empty():
        st.info("No break matches these filters.")
        return
    view = df.select([c for c in LIST_COLUMNS if c in df.columns])
    event = ui.table(
        view, key="wb_table", on_select="rerun", selection_mode="multi-row", height=390,
        config={"amount_base": st.column_config.NumberColumn("amount (base)", format="accounting"),
                "amount_diff": st.column_config.NumberColumn("amount diff", format="accounting")},
    )
    ids = [str(v) for v in view["break_id"].to_list()]
    selected = [ids[r] for r in ui.selected_rows(event) if r < len(ids)]
    if selected:
        _actions_form(ctx, selected, "bulk", f"**Bulk action on {len(selected)} selected break(s)**")
    else:
        st.caption("Select rows (checkbox column) for bulk actions; pick one break below to see its detail.")
    st.divider()
    current = ui.pick_from_table("Break", ids, event, "wb_current", help="Selecting a row picks it; or choose here.")
    if current is not None:
        _detail(ctx, current)


if __name__ == "__main__":
    render()

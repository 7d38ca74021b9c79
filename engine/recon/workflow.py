"""The break workbench's Python API: list, detail, suggestions, actions, four-eyes, export.

The dashboards, the CLI (``midoffice breaks ...``) and notebooks call exactly these functions.

- Reads combine the published snapshot (:func:`engine.store.connect_reader`: out_breaks,
  out_break_fields, out_suggestions, life_breaks, the trade and settlement rows with their
  lineage) with the workflow store (events: who did what, when).
- Actions append events to the workflow store (``wf_break_events``, append-only) in one short
  transaction; they never touch the main store, so they work while a batch runs. A manual match
  or unmatch is applied by the next end-of-day run; a break's displayed status changes at once.
- Four-eyes: manual matches and write-offs (resolution codes in ``write_off_codes``) wait for
  :func:`approve` by a different person when ``[reconciliation.four_eyes]`` says so.
- Every invalid action raises :class:`engine.errors.WorkflowError`. Filters reach SQL only as
  bound parameters.

Statuses: OPEN, PENDING_APPROVAL (a request waits for a second person), MATCH_PENDING (a manual
match in force that the next run will apply), RESOLVED. Lifecycle (per run): NEW, PERSISTING,
RESOLVED.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from engine import store
from engine.config import Config
from engine.errors import WorkflowError
from engine.recon import sqlrun
from engine.recon.settings import ReconSettings, load_settings

log = logging.getLogger(__name__)

STATUSES = ("OPEN", "PENDING_APPROVAL", "MATCH_PENDING", "RESOLVED")
STATUS_FILTERS = STATUSES + ("NEW", "PERSISTING", "ACTIVE")

#: The columns of :func:`list_breaks` (and of exports), in order.
LIST_COLUMNS: tuple[str, ...] = (
    "break_id", "as_of", "status", "lifecycle", "category", "break_type", "iso_code", "side", "age_days",
    "age_bucket", "first_seen", "days_past_isd", "isd_age_bucket", "trade_id", "settlement_id", "movement_id",
    "match_id", "pass_name", "isin", "counterparty_id", "custodian", "account_id", "book_id", "direction",
    "currency", "quantity_fo", "quantity_bo", "amount_fo", "amount_bo", "amount_diff", "amount_base",
    "trade_date", "intended_settle_date", "settle_status", "reason_code", "settled_quantity",
    "remaining_quantity", "days_failing", "penalty_rate_bp", "penalty_ccy", "penalty_base", "penalty_payer",
    "n_fields", "fields", "assignee", "reason", "resolution_code", "last_comment", "n_comments",
    "pending_event_id", "pending_action", "manual_match_id", "last_action_at", "detail", "kind", "anchor",
    "trade_ids", "settlement_ids",
)

_OVERLAY_SCHEMA: dict[str, Any] = {
    "break_id": pl.Utf8, "last_status_event": pl.Utf8, "last_status_id": pl.Int64, "resolution_code": pl.Utf8,
    "manual_match_id": pl.Utf8, "match_event_id": pl.Int64, "pending_event_id": pl.Int64,
    "pending_action": pl.Utf8, "assignee": pl.Utf8, "reason": pl.Utf8, "last_comment": pl.Utf8,
    "n_comments": pl.Int32, "n_events": pl.Int32, "last_action_at": pl.Datetime("us"),
}


@dataclass(frozen=True)
class ActionResult:
    """What an action appended: the event ids, and for a manual match its match id."""

    action: str
    event_ids: tuple[int, ...]
    break_ids: tuple[str, ...] = ()
    match_id: str | None = None
    requires_approval: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action, "event_ids": list(self.event_ids), "break_ids": list(self.break_ids),
            "match_id": self.match_id, "requires_approval": self.requires_approval, **self.extra,
        }


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(store.scalar(
        con, "SELECT count(*) FROM information_schema.tables WHERE table_name = $n", {"n": name}
    ))


def _snapshot_ready(con: duckdb.DuckDBPyConnection) -> bool:
    return _has_table(con, "out_breaks") and _has_table(con, "life_breaks")


def _latest_as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    return store.scalar(con, "SELECT max(as_of) FROM out_breaks")  # type: ignore[no-any-return]


def _ids(values: str | Iterable[str], what: str) -> list[str]:
    vals = [values] if isinstance(values, str) else [str(v) for v in values]
    vals = [v.strip() for v in vals if v is not None and str(v).strip()]
    if not vals:
        raise WorkflowError(f"no {what} given")
    return list(dict.fromkeys(vals))


def _actor(actor: str | None) -> str:
    if actor is None or not str(actor).strip():
        raise WorkflowError("an action needs an actor (who does it)")
    a = str(actor).strip()
    if a.lower() == "system":
        raise WorkflowError("'system' is reserved for the end-of-day run")
    return a


def _overlay(cfg: Config, break_ids: Sequence[str]) -> pl.DataFrame:
    """Workflow state (wf_overlay.sql) of the given breaks."""
    empty = pl.DataFrame(schema=_OVERLAY_SCHEMA)  # type: ignore[arg-type]
    if not break_ids or not cfg.workflow_path.exists():
        return empty
    with store.connect_workflow(cfg) as con:
        return _overlay_on(con, break_ids)


def _overlay_on(con: duckdb.DuckDBPyConnection, break_ids: Sequence[str]) -> pl.DataFrame:
    ids = pl.DataFrame({"break_id": list(break_ids)}, schema={"break_id": pl.Utf8})
    con.register("tmp_wf_ids", ids)
    try:
        out = sqlrun.query_script(con, "recon/wf_overlay")
    finally:
        con.unregister("tmp_wf_ids")
    if out.is_empty():
        return pl.DataFrame(schema=_OVERLAY_SCHEMA)  # type: ignore[arg-type]
    return out.cast({k: v for k, v in _OVERLAY_SCHEMA.items() if k in out.columns}, strict=False)  # type: ignore[arg-type]


def _empty_list() -> pl.DataFrame:
    return pl.DataFrame({c: [] for c in LIST_COLUMNS})


def _status_of(row: dict[str, Any]) -> str:
    """Displayed status from a snapshot row (lifecycle) and its overlay (same rule as list_breaks.sql)."""
    last_id = row.get("last_status_id") or 0
    if row.get("pending_event_id") and row["pending_event_id"] > last_id:
        return "PENDING_APPROVAL"
    if row.get("match_event_id") and row["match_event_id"] > last_id and row.get("lifecycle") != "RESOLVED":
        return "MATCH_PENDING"
    ev = row.get("last_status_event")
    if ev in ("RESOLVE", "AUTO_RESOLVED"):
        return "RESOLVED"
    if ev in ("REOPEN", "AUTO_REOPENED"):
        return "OPEN"
    if row.get("lifecycle") == "RESOLVED" or row.get("life_status") == "RESOLVED":
        return "RESOLVED"
    return "OPEN"


def _known_breaks(cfg: Config, break_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The latest snapshot row of each break (with its life); WorkflowError for unknown ids."""
    with store.connect_reader(cfg) as con:
        if not _snapshot_ready(con):
            raise WorkflowError("no reconciliation has run yet", hint="run `midoffice run` first")
        ids = pl.DataFrame({"break_id": list(break_ids)}, schema={"break_id": pl.Utf8})
        con.register("tmp_ids", ids)
        try:
            rows = store.query(
                con,
                "SELECT o.*, l.status AS life_status, l.resolved_on FROM out_breaks AS o "
                "JOIN life_breaks AS l USING (break_id) "
                "WHERE o.break_id IN (SELECT break_id FROM tmp_ids) "
                "QUALIFY row_number() OVER (PARTITION BY o.break_id ORDER BY o.as_of DESC) = 1",
            )
        finally:
            con.unregister("tmp_ids")
    found = {r["break_id"]: r for r in rows.iter_rows(named=True)}
    unknown = [b for b in break_ids if b not in found]
    if unknown:
        raise WorkflowError(f"unknown break id(s): {', '.join(unknown)}",
                            hint="see `midoffice breaks list` for the current break ids")
    return found


def _current_status(con: duckdb.DuckDBPyConnection, rows: dict[str, dict[str, Any]]) -> dict[str, str]:
    ov = _overlay_on(con, list(rows))
    by_id = {r["break_id"]: r for r in ov.iter_rows(named=True)}
    return {b: _status_of({**r, **by_id.get(b, {})}) for b, r in rows.items()}


def _insert_event(con: duckdb.DuckDBPyConnection, *, break_id: str | None, event_type: str, actor: str,
                  payload: dict[str, Any], match_id: str | None = None, related: list[str] | None = None,
                  requires_approval: bool = False, ref_event_id: int | None = None,
                  event_id: int | None = None) -> int:
    eid = event_id if event_id is not None else int(store.scalar(con, "SELECT nextval('seq_wf_event_id')"))
    con.execute(
        'INSERT INTO wf_break_events (event_id, break_id, event_type, actor, "at", payload, match_id, '
        "related_break_ids, requires_approval, ref_event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [eid, break_id, event_type, actor, datetime.now(), json.dumps(payload, default=str, sort_keys=True),
         match_id, related, requires_approval, ref_event_id],
    )
    return eid


def _simple_action(cfg: Config, break_ids: str | Iterable[str], actor: str, event_type: str,
                   payload: dict[str, Any], *, allowed_status: tuple[str, ...] | None = None,
                   requires_approval: bool = False, why: str = "") -> ActionResult:
    ids = _ids(break_ids, "break id")
    who = _actor(actor)
    rows = _known_breaks(cfg, ids)
    with store.connect_workflow(cfg) as con, store.transaction(con):
        if allowed_status is not None:
            status = _current_status(con, rows)
            bad = {b: s for b, s in status.items() if s not in allowed_status}
            if bad:
                raise WorkflowError(
                    f"cannot {event_type.lower()} " + ", ".join(f"{b} (status {s})" for b, s in bad.items()) + why
                )
        eids = tuple(
            _insert_event(con, break_id=b, event_type=event_type, actor=who, payload=payload,
                          requires_approval=requires_approval)
            for b in ids
        )
    log.info("%s by %s on %s", event_type, who, ids)
    return ActionResult(event_type, eids, tuple(ids), requires_approval=requires_approval)


# ---------------------------------------------------------------------------------------------
# reads
# ---------------------------------------------------------------------------------------------


def list_breaks(
    cfg: Config,
    *,
    as_of: date | str | None = None,
    status: str | None = None,
    break_type: str | Sequence[str] | None = None,
    min_age: int | None = None,
    max_age: int | None = None,
    counterparty: str | None = None,
    custodian: str | None = None,
    isin: str | None = None,
    assignee: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> pl.DataFrame:
    """The breaks of ``as_of`` (default: the latest reconciled date) with their workflow state.

    ``status``: OPEN | PENDING_APPROVAL | MATCH_PENDING | RESOLVED, a lifecycle (NEW, PERSISTING)
    or ACTIVE (anything not resolved); ``break_type``: one or several break types (DQUA...),
    kinds (UNMATCHED_FO...) or categories (MATCHING, SETTLEMENT, CASH); ages in business days
    since first seen. Columns: :data:`LIST_COLUMNS`.
    """
    if status is not None and status.upper() not in STATUS_FILTERS:
        raise WorkflowError(f"unknown status {status!r}", hint=f"use one of {', '.join(STATUS_FILTERS)}")
    if isinstance(as_of, str):
        as_of = date.fromisoformat(as_of)
    types = [break_type] if isinstance(break_type, str) else (list(break_type) if break_type else None)
    with store.connect_reader(cfg) as con:
        if not _snapshot_ready(con):
            return _empty_list()
        day = as_of or _latest_as_of(con)
        if day is None:
            return _empty_list()
        ids = store.query(con, "SELECT DISTINCT break_id FROM out_breaks WHERE as_of = $d", {"d": day})
    overlay = _overlay(cfg, ids["break_id"].to_list() if ids.height else [])
    params = {
        "as_of": day, "status": status.upper() if status else None, "types": types,
        "min_age": min_age, "max_age": max_age, "counterparty": counterparty, "custodian": custodian,
        "isin": isin, "assignee": assignee, "limit": limit, "offset": int(offset or 0),
    }
    with store.connect_reader(cfg) as con:
        con.register("tmp_wf_overlay", overlay)
        try:
            out = sqlrun.query_script(con, "recon/list_breaks", params)
        finally:
            con.unregister("tmp_wf_overlay")
    return out


def break_history(cfg: Config, break_id: str) -> pl.DataFrame:
    """Every workflow event of a break (its own and the manual matches that touch it), oldest
    first, with the approval decision of four-eyes requests."""
    bid = _ids(break_id, "break id")[0]
    cols = ["event_id", "break_id", "event_type", "actor", "at", "payload", "match_id", "requires_approval",
            "ref_event_id", "decision", "decided_by", "decided_at", "as_of", "run_id"]
    if not cfg.workflow_path.exists():
        return pl.DataFrame({c: [] for c in cols})
    with store.connect_workflow(cfg) as con:
        out = store.query(
            con,
            'SELECT e.event_id, e.break_id, e.event_type, e.actor, e."at", e.payload, e.match_id, e.requires_approval, '
            "e.ref_event_id, a.decision, a.decided_by, a.decided_at, e.as_of, e.run_id "
            "FROM wf_break_events AS e LEFT JOIN wf_approvals AS a USING (event_id) "
            "WHERE e.break_id = $b OR list_contains(e.related_break_ids, $b) ORDER BY e.event_id",
            {"b": bid},
        )
    return out if out.height else pl.DataFrame({c: [] for c in cols})


def suggestions(cfg: Config, break_id: str) -> pl.DataFrame:
    """The suggested matches of an unmatched break at its latest date, best first."""
    bid = _ids(break_id, "break id")[0]
    with store.connect_reader(cfg) as con:
        if not _has_table(con, "out_suggestions"):
            return pl.DataFrame()
        return store.query(
            con,
            "SELECT s.rank, s.candidate_id, s.candidate_break_id, s.score, s.differing_fields, s.side, s.record_id, s.as_of "
            "FROM out_suggestions AS s WHERE s.break_id = $b "
            "AND s.as_of = (SELECT max(as_of) FROM out_suggestions WHERE break_id = $b) ORDER BY s.rank",
            {"b": bid},
        )


def _lineage_rows(con: duckdb.DuckDBPyConnection, table: str, key: str, ids: list[str], as_of: date) -> list[dict[str, Any]]:
    """Rows of fo_trades (latest version known on as_of) or bo_settlements (latest seq) or
    bo_cash_movements for ``ids``, each with its file path and line."""
    if not ids:
        return []
    if table == "fo_trades":
        sql = ("SELECT t.*, b.file_path, b.feed FROM fo_trades AS t LEFT JOIN ops_load_batches AS b USING (batch_id) "
               "WHERE t.trade_id IN (SELECT unnest($ids)) AND t.known_date <= $d "
               "QUALIFY row_number() OVER (PARTITION BY t.trade_id ORDER BY t.version DESC) = 1 ORDER BY t.trade_id")
    elif table == "bo_settlements":
        sql = ("SELECT s.*, b.file_path, b.feed FROM bo_settlements AS s LEFT JOIN ops_load_batches AS b USING (batch_id) "
               "WHERE s.settlement_id IN (SELECT unnest($ids)) AND s.known_date <= $d "
               "QUALIFY row_number() OVER (PARTITION BY s.settlement_id ORDER BY s.seq DESC) = 1 ORDER BY s.settlement_id")
    else:
        sql = ("SELECT m.*, b.file_path, b.feed FROM bo_cash_movements AS m LEFT JOIN ops_load_batches AS b USING (batch_id) "
               "WHERE m.movement_id IN (SELECT unnest($ids)) ORDER BY m.movement_id")
    params: dict[str, Any] = {"ids": ids}
    if "$d" in sql:
        params["d"] = as_of
    return store.query(con, sql, params).to_dicts()


def break_detail(cfg: Config, break_id: str) -> dict[str, Any]:
    """Everything about one break: its latest row and status, the front-office and back-office
    records (with lineage: the batch's file path and the source line of each row), the differing
    fields, its life across runs, the suggestions and the workflow events."""
    bid = _ids(break_id, "break id")[0]
    row = _known_breaks(cfg, [bid])[bid]
    as_of = row["as_of"]
    with store.connect_reader(cfg) as con:
        fo = _lineage_rows(con, "fo_trades", "trade_id", list(row.get("trade_ids") or []), as_of)
        if row["category"] == "CASH":
            bo = _lineage_rows(con, "bo_settlements", "settlement_id", list(row.get("settlement_ids") or []), as_of)
            cash_ids = [row["movement_id"]] if row.get("movement_id") else []
            if row.get("match_id"):
                cash_ids = store.query(
                    con, "SELECT DISTINCT movement_id FROM out_cash_matches WHERE as_of = $d AND match_id = $m "
                    "AND movement_id IS NOT NULL", {"d": as_of, "m": row["match_id"]},
                )["movement_id"].to_list() or cash_ids
            cash = _lineage_rows(con, "bo_cash_movements", "movement_id", cash_ids, as_of)
        else:
            bo = _lineage_rows(con, "bo_settlements", "settlement_id", list(row.get("settlement_ids") or []), as_of)
            cash = []
        fields = store.query(
            con, "SELECT field, iso_code, precedence, fo_value, bo_value, difference, diff_num, tolerance "
            "FROM out_break_fields WHERE break_id = $b AND as_of = $d ORDER BY precedence", {"b": bid, "d": as_of},
        ).to_dicts()
        life = store.query(con, "SELECT * FROM life_breaks WHERE break_id = $b", {"b": bid}).to_dicts()
    ov = _overlay(cfg, [bid]).to_dicts()
    state = {**row, **(ov[0] if ov else {})}
    summary = {k: v for k, v in row.items() if k not in ("life_status",)}
    summary["status"] = _status_of(state)
    for k in ("assignee", "reason", "resolution_code", "last_comment", "pending_event_id", "pending_action",
              "manual_match_id"):
        summary[k] = ov[0].get(k) if ov else None
    return {
        "break": summary,
        "fo": fo,
        "bo": bo,
        "cash": cash,
        "fields": fields,
        "life": life[0] if life else None,
        "suggestions": suggestions(cfg, bid).to_dicts(),
        "events": break_history(cfg, bid).to_dicts(),
    }


# ---------------------------------------------------------------------------------------------
# actions
# ---------------------------------------------------------------------------------------------


def assign(cfg: Config, break_ids: str | Iterable[str], *, actor: str, assignee: str) -> ActionResult:
    """Assign breaks to a person."""
    if not assignee or not str(assignee).strip():
        raise WorkflowError("assign needs an assignee")
    return _simple_action(cfg, break_ids, actor, "ASSIGN", {"assignee": str(assignee).strip()})


def comment(cfg: Config, break_ids: str | Iterable[str], *, actor: str, text: str) -> ActionResult:
    """Add a comment to breaks."""
    if not text or not str(text).strip():
        raise WorkflowError("a comment needs text")
    return _simple_action(cfg, break_ids, actor, "COMMENT", {"text": str(text)})


def set_reason(cfg: Config, break_ids: str | Iterable[str], *, actor: str, reason: str) -> ActionResult:
    """Record the reason (root cause) of breaks, e.g. 'SSI mismatch at custodian'."""
    if not reason or not str(reason).strip():
        raise WorkflowError("set-reason needs a reason")
    return _simple_action(cfg, break_ids, actor, "SET_REASON", {"reason": str(reason).strip()})


def resolve(cfg: Config, break_ids: str | Iterable[str], *, actor: str, resolution_code: str,
            text: str | None = None) -> ActionResult:
    """Resolve breaks by hand with a resolution code; a write-off code needs four-eyes
    approval (the break shows PENDING_APPROVAL until :func:`approve`)."""
    settings = load_settings(cfg)
    code = (resolution_code or "").strip().upper()
    if code not in settings.resolution_codes:
        raise WorkflowError(f"unknown resolution code {resolution_code!r}",
                            hint=f"use one of {', '.join(settings.resolution_codes)}")
    four = settings.four_eyes_write_off and code in settings.write_off_codes
    return _simple_action(cfg, break_ids, actor, "RESOLVE", {"resolution_code": code, "text": text},
                          allowed_status=("OPEN", "MATCH_PENDING"), requires_approval=four,
                          why="; only an open break can be resolved")


def reopen(cfg: Config, break_ids: str | Iterable[str], *, actor: str, text: str | None = None) -> ActionResult:
    """Reopen resolved breaks (or withdraw a resolution waiting for approval)."""
    return _simple_action(cfg, break_ids, actor, "REOPEN", {"text": text},
                          allowed_status=("RESOLVED", "PENDING_APPROVAL"),
                          why="; only a resolved break (or one waiting for approval) can be reopened")


def _active_manual_members(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return sqlrun.query_script(con, "recon/wf_manual_matches")


def _pending_manual(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return store.query(
        con,
        "SELECT e.event_id, e.match_id, e.payload FROM wf_break_events AS e LEFT JOIN wf_approvals AS a USING (event_id) "
        "WHERE e.event_type = 'MANUAL_MATCH' AND e.requires_approval AND a.decision IS NULL",
    )


def manual_match(cfg: Config, trade_ids: str | Iterable[str], settlement_ids: str | Iterable[str], *,
                 actor: str) -> ActionResult:
    """Match trades with settlements by hand (1:1, 1:N, N:1 or N:M). The next run applies it
    (before every automatic pass); field differences of the pair are then classified as usual.
    Needs four-eyes approval when ``four_eyes.manual_match``."""
    who = _actor(actor)
    tids = _ids(trade_ids, "trade id")
    sids = _ids(settlement_ids, "settlement id")
    settings = load_settings(cfg)
    with store.connect_reader(cfg) as con:
        if not _snapshot_ready(con):
            raise WorkflowError("no reconciliation has run yet", hint="run `midoffice run` first")
        day = _latest_as_of(con)
        known_t = set(store.query(con, "SELECT DISTINCT trade_id FROM fo_trades WHERE trade_id IN (SELECT unnest($ids))",
                                  {"ids": tids})["trade_id"].to_list())
        known_s = set(store.query(con, "SELECT DISTINCT settlement_id FROM bo_settlements WHERE settlement_id IN (SELECT unnest($ids))",
                                  {"ids": sids})["settlement_id"].to_list())
        missing = [t for t in tids if t not in known_t] + [s for s in sids if s not in known_s]
        if missing:
            raise WorkflowError(f"unknown trade or settlement id(s): {', '.join(missing)}")
        related = store.query(
            con,
            "SELECT DISTINCT break_id FROM out_breaks WHERE as_of = $d AND lifecycle <> 'RESOLVED' "
            "AND (list_has_any(trade_ids, $t) OR list_has_any(settlement_ids, $s)) ORDER BY 1",
            {"d": day, "t": tids, "s": sids},
        )["break_id"].to_list()
    with store.connect_workflow(cfg) as con, store.transaction(con):
        active = _active_manual_members(con)
        pending = _pending_manual(con)
        taken: set[str] = set()
        if active.height:
            taken |= set(active["trade_id"].drop_nulls().to_list()) | set(active["settlement_id"].drop_nulls().to_list())
        for p in pending["payload"].to_list() if pending.height else []:
            d = json.loads(p)
            taken |= set(d.get("trade_ids", [])) | set(d.get("settlement_ids", []))
        clash = [x for x in tids + sids if x in taken]
        if clash:
            raise WorkflowError(f"already in a manual match (in force or waiting for approval): {', '.join(clash)}",
                                hint="unmatch it first")
        eid = int(store.scalar(con, "SELECT nextval('seq_wf_event_id')"))
        match_id = f"M:{eid}"
        four = settings.four_eyes_manual_match
        _insert_event(con, event_id=eid, break_id=related[0] if related else None, event_type="MANUAL_MATCH",
                      actor=who, payload={"trade_ids": tids, "settlement_ids": sids}, match_id=match_id,
                      related=related or None, requires_approval=four)
    log.info("manual match %s by %s: %s <-> %s", match_id, who, tids, sids)
    return ActionResult("MANUAL_MATCH", (eid,), tuple(related), match_id=match_id, requires_approval=four)


def unmatch(cfg: Config, match_id: str, *, actor: str) -> ActionResult:
    """Undo a match: a manual match ('M:<event id>') is revoked; an automatic match of the latest
    run is split, and no pass pairs its trades and settlements again (a manual match still can)."""
    who = _actor(actor)
    mid = (match_id or "").strip()
    if not mid:
        raise WorkflowError("unmatch needs a match id")
    settings = load_settings(cfg)
    related: list[str] = []
    if mid.startswith("M:"):
        with store.connect_workflow(cfg) as con:
            members = store.query(
                con,
                "SELECT payload, related_break_ids, requires_approval FROM wf_break_events "
                "WHERE event_type = 'MANUAL_MATCH' AND match_id = $m", {"m": mid},
            )
            active = _active_manual_members(con)
            pend = _pending_manual(con)
        if not members.height:
            raise WorkflowError(f"unknown manual match {mid}")
        in_force = active.height and mid in set(active["match_id"].to_list())
        waiting = pend.height and mid in set(pend["match_id"].to_list())
        if not (in_force or waiting):
            raise WorkflowError(f"manual match {mid} is not in force (already unmatched or rejected)")
        p = json.loads(members["payload"][0])
        tids, sids = list(p.get("trade_ids", [])), list(p.get("settlement_ids", []))
        rel = members["related_break_ids"][0]
        related = rel.to_list() if rel is not None else []
    else:
        with store.connect_reader(cfg) as con:
            if not _snapshot_ready(con):
                raise WorkflowError("no reconciliation has run yet")
            day = _latest_as_of(con)
            m = store.query(con, "SELECT trade_id, settlement_id FROM out_recon_matches WHERE as_of = $d AND match_id = $m",
                            {"d": day, "m": mid})
            if not m.height:
                raise WorkflowError(f"unknown match {mid} on {day}", hint="match ids are in `midoffice breaks show`")
            tids = sorted(set(m["trade_id"].drop_nulls().to_list()))
            sids = sorted(set(m["settlement_id"].drop_nulls().to_list()))
            related = store.query(con, "SELECT DISTINCT break_id FROM out_breaks WHERE as_of = $d AND match_id = $m ORDER BY 1",
                                  {"d": day, "m": mid})["break_id"].to_list()
    four = settings.four_eyes_unmatch
    with store.connect_workflow(cfg) as con, store.transaction(con):
        eid = _insert_event(con, break_id=related[0] if related else None, event_type="UNMATCH", actor=who,
                            payload={"trade_ids": tids, "settlement_ids": sids}, match_id=mid,
                            related=related or None, requires_approval=four)
    log.info("unmatch %s by %s", mid, who)
    return ActionResult("UNMATCH", (eid,), tuple(related), match_id=mid, requires_approval=four)


def _decide(cfg: Config, event_id: int, actor: str, decision: str) -> ActionResult:
    who = _actor(actor)
    try:
        eid = int(event_id)
    except (TypeError, ValueError) as exc:
        raise WorkflowError(f"bad event id {event_id!r}") from exc
    with store.connect_workflow(cfg) as con, store.transaction(con):
        req = store.query(
            con, "SELECT e.*, a.decision FROM wf_break_events AS e LEFT JOIN wf_approvals AS a USING (event_id) "
            "WHERE e.event_id = $e", {"e": eid},
        )
        if not req.height:
            raise WorkflowError(f"unknown event {eid}")
        r = req.row(0, named=True)
        if not r["requires_approval"]:
            raise WorkflowError(f"event {eid} ({r['event_type']}) does not need approval")
        if r["decision"] is not None:
            raise WorkflowError(f"event {eid} was already {r['decision'].lower()}")
        if r["actor"].strip().lower() == who.lower():
            raise WorkflowError(f"four-eyes: {who} requested event {eid} and cannot also {decision.lower()[:-1]}e it",
                                hint="a second, different person must decide")
        if r["event_type"] == "RESOLVE" and decision == "APPROVED":
            # the break must not have been reopened or resolved otherwise since the request
            later = store.scalar(
                con, "SELECT count(*) FROM wf_break_events WHERE break_id = $b AND event_id > $e "
                "AND event_type IN ('REOPEN', 'RESOLVE')", {"b": r["break_id"], "e": eid},
            )
            if later:
                raise WorkflowError(f"event {eid} was superseded by a later action on {r['break_id']}")
        kind = "APPROVE" if decision == "APPROVED" else "REJECT"
        did = _insert_event(con, break_id=r["break_id"], event_type=kind, actor=who,
                            payload={"approved_event": eid, "request": r["event_type"]}, match_id=r["match_id"],
                            related=list(r["related_break_ids"]) if r["related_break_ids"] else None,
                            ref_event_id=eid)
        try:
            con.execute(
                "INSERT INTO wf_approvals (event_id, decision, decided_by, decided_at, decision_event_id) VALUES (?, ?, ?, ?, ?)",
                [eid, decision, who, datetime.now(), did],
            )
        except duckdb.ConstraintException as exc:  # pragma: no cover - a race lost to another decider
            raise WorkflowError(f"event {eid} was already decided") from exc
    log.info("%s of event %d by %s", kind, eid, who)
    return ActionResult(kind, (did,), (r["break_id"],) if r["break_id"] else (), match_id=r["match_id"],
                        extra={"ref_event_id": eid})


def approve(cfg: Config, event_id: int, *, actor: str) -> ActionResult:
    """Approve a four-eyes request (a manual match, a write-off, ...) as a second person."""
    return _decide(cfg, event_id, actor, "APPROVED")


def reject(cfg: Config, event_id: int, *, actor: str) -> ActionResult:
    """Reject a four-eyes request as a second person (the request then has no effect)."""
    return _decide(cfg, event_id, actor, "REJECTED")


def export_breaks(cfg: Config, path: str | Path, fmt: str | None = None, **filters: Any) -> Path:
    """Write :func:`list_breaks` (same filters) to CSV, XLSX (with a summary sheet) or Parquet."""
    from engine.recon import export

    frame = list_breaks(cfg, **filters)
    return export.write(frame, Path(path), fmt, filters=filters)


def settings_of(cfg: Config) -> ReconSettings:
    """The validated ``[reconciliation]`` settings (for callers that show them)."""
    return load_settings(cfg)

"""``midoffice breaks ...``: the reconciliation break workbench on the command line.

Every command calls the engine's Python API in :mod:`engine.recon.workflow` (the same functions
the dashboard calls). The actor of an action is ``--actor``, else ``$MIDOFFICE_USER``, else the
login name.
"""

from __future__ import annotations

import getpass
import json
import os
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer

app = typer.Typer(help="Reconciliation breaks: list, work, resolve, match, approve, export.", no_args_is_help=True)

LIST_VIEW = ["break_id", "status", "break_type", "age_days", "trade_id", "settlement_id", "isin", "counterparty_id",
             "custodian", "currency", "amount_diff", "penalty_base", "assignee", "fields"]

Actor = Annotated[str | None, typer.Option("--actor", help="who acts (default: $MIDOFFICE_USER or the login name)")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="run date YYYY-MM-DD (default: the latest)")]
Status = Annotated[str | None, typer.Option("--status", help="OPEN | PENDING_APPROVAL | MATCH_PENDING | RESOLVED | NEW | PERSISTING | ACTIVE (not resolved)")]
Types = Annotated[list[str] | None, typer.Option("--type", help="break type (DQUA, CMIS_FO_ONLY, FAILING...), kind or category; repeatable")]
MinAge = Annotated[int | None, typer.Option("--min-age", help="minimum age in business days since first seen")]
MaxAge = Annotated[int | None, typer.Option("--max-age", help="maximum age in business days since first seen")]
Cpty = Annotated[str | None, typer.Option("--counterparty", help="counterparty_id")]
Cust = Annotated[str | None, typer.Option("--custodian", help="custodian")]
Isin = Annotated[str | None, typer.Option("--isin", help="ISIN")]
Assignee = Annotated[str | None, typer.Option("--assignee", help="assigned to")]


def _cfg() -> Any:
    from engine.cli import get_config

    return get_config()


def _actor(actor: str | None) -> str:
    return actor or os.environ.get("MIDOFFICE_USER") or getpass.getuser()


def _filters(as_of: str | None, status: str | None, types: list[str] | None, min_age: int | None, max_age: int | None,
             counterparty: str | None, custodian: str | None, isin: str | None, assignee: str | None) -> dict[str, Any]:
    from engine.run import parse_date

    return {
        "as_of": parse_date(as_of) if as_of else None, "status": status, "break_type": types or None,
        "min_age": min_age, "max_age": max_age, "counterparty": counterparty, "custodian": custodian,
        "isin": isin, "assignee": assignee,
    }


def _fmt(v: Any) -> Any:
    if isinstance(v, float):
        return round(v, 2)
    if isinstance(v, list):
        return " ".join(str(x) for x in v)
    if isinstance(v, date):
        return v.isoformat()
    return v


def _show(title: str, df: pl.DataFrame | list[dict[str, Any]], columns: list[str] | None = None) -> None:
    from engine.cli import console, print_table

    rows = df.to_dicts() if isinstance(df, pl.DataFrame) else list(df)
    if not rows:
        console.print(f"{title}: none")
        return
    cols = [c for c in (columns or list(rows[0])) if c in rows[0]]
    print_table(f"{title} ({len(rows)})", [{c: _fmt(r.get(c)) for c in cols} for r in rows], cols)


def _done(result: Any) -> None:
    from engine.cli import console

    d = result.to_dict()
    msg = f"{d['action']}: event(s) {', '.join(str(e) for e in d['event_ids'])}"
    if d.get("break_ids"):
        msg += f" on {', '.join(d['break_ids'])}"
    if d.get("match_id"):
        msg += f"; match {d['match_id']}"
    if d.get("requires_approval"):
        msg += " - waiting for four-eyes approval (`midoffice breaks approve EVENT_ID` by another person)"
    console.print(msg)


@app.command("list")
def list_cmd(
    as_of: AsOf = None, status: Status = "ACTIVE", types: Types = None, min_age: MinAge = None,
    max_age: MaxAge = None, counterparty: Cpty = None, custodian: Cust = None, isin: Isin = None,
    assignee: Assignee = None,
    limit: Annotated[int, typer.Option("--limit", help="rows to show")] = 50,
    offset: Annotated[int, typer.Option("--offset", help="rows to skip")] = 0,
) -> None:
    """List breaks (default: every break not resolved, oldest first)."""
    from engine.recon.workflow import list_breaks

    f = _filters(as_of, status, types, min_age, max_age, counterparty, custodian, isin, assignee)
    df = list_breaks(_cfg(), limit=limit, offset=offset, **f)
    _show("Breaks", df, LIST_VIEW)


@app.command("show")
def show(break_id: Annotated[str, typer.Argument(help="break id (BRK-...)")]) -> None:
    """One break: its fields FO vs BO, the records with their file and line, suggestions, history."""
    from engine.cli import console
    from engine.recon.workflow import break_detail

    d = break_detail(_cfg(), break_id)
    b = d["break"]
    console.print(f"[bold]{b['break_id']}[/bold] {b['break_type']} ({b['category']}, {b['side']}) status {b['status']}, "
                  f"lifecycle {b['lifecycle']} on {b['as_of']}, first seen {b['first_seen']} ({b['age_days']} business days)")
    console.print(f"  {b.get('detail') or ''}")
    if b.get("match_id"):
        console.print(f"  match {b['match_id']} (pass {b.get('pass_name')})")
    if b.get("penalty_ccy") is not None:
        console.print(f"  CSDR penalty {b['penalty_ccy']} {b.get('currency')} over {b.get('days_failing')} day(s), payer {b.get('penalty_payer')}")
    _show("Fields", d["fields"], ["field", "iso_code", "fo_value", "bo_value", "difference", "tolerance"])
    _show("Front office", d["fo"], ["trade_id", "version", "side", "quantity", "price", "currency", "trade_date",
                                     "settle_date", "net_amount", "file_path", "src_line"])
    _show("Back office", d["bo"], ["settlement_id", "seq", "trade_ref", "direction", "quantity", "settled_quantity",
                                    "amount", "currency", "intended_settle_date", "status", "reason_code", "file_path",
                                    "src_line"])
    if d["cash"]:
        _show("Cash entries", d["cash"], ["movement_id", "account", "amount", "currency", "value_date",
                                          "end_to_end_id", "file_path", "src_line"])
    _show("Suggestions", d["suggestions"], ["rank", "candidate_id", "candidate_break_id", "score", "differing_fields"])
    _show("History", d["events"], ["event_id", "event_type", "actor", "at", "payload", "decision", "decided_by"])


@app.command("assign")
def assign_cmd(break_ids: Annotated[list[str], typer.Argument(help="break ids")],
               to: Annotated[str, typer.Option("--to", help="assignee")], actor: Actor = None) -> None:
    """Assign breaks to a person."""
    from engine.recon.workflow import assign

    _done(assign(_cfg(), break_ids, actor=_actor(actor), assignee=to))


@app.command("comment")
def comment_cmd(break_ids: Annotated[list[str], typer.Argument(help="break ids")],
                text: Annotated[str, typer.Option("--text", help="the comment")], actor: Actor = None) -> None:
    """Comment on breaks."""
    from engine.recon.workflow import comment

    _done(comment(_cfg(), break_ids, actor=_actor(actor), text=text))


@app.command("set-reason")
def set_reason_cmd(break_ids: Annotated[list[str], typer.Argument(help="break ids")],
                   reason: Annotated[str, typer.Option("--reason", help="root cause")], actor: Actor = None) -> None:
    """Record the reason (root cause) of breaks."""
    from engine.recon.workflow import set_reason

    _done(set_reason(_cfg(), break_ids, actor=_actor(actor), reason=reason))


@app.command("resolve")
def resolve_cmd(break_ids: Annotated[list[str], typer.Argument(help="break ids")],
                code: Annotated[str, typer.Option("--code", help="resolution code (see [reconciliation] resolution_codes)")],
                text: Annotated[str | None, typer.Option("--text", help="explanation")] = None,
                actor: Actor = None) -> None:
    """Resolve breaks by hand (a write-off waits for four-eyes approval)."""
    from engine.recon.workflow import resolve

    _done(resolve(_cfg(), break_ids, actor=_actor(actor), resolution_code=code, text=text))


@app.command("reopen")
def reopen_cmd(break_ids: Annotated[list[str], typer.Argument(help="break ids")],
               text: Annotated[str | None, typer.Option("--text", help="why")] = None, actor: Actor = None) -> None:
    """Reopen resolved breaks."""
    from engine.recon.workflow import reopen

    _done(reopen(_cfg(), break_ids, actor=_actor(actor), text=text))


@app.command("match")
def match_cmd(trades: Annotated[list[str], typer.Option("--trade", help="trade id; repeatable")],
              settlements: Annotated[list[str], typer.Option("--settlement", help="settlement id; repeatable")],
              actor: Actor = None) -> None:
    """Match trades with settlements by hand; the next run applies it."""
    from engine.recon.workflow import manual_match

    _done(manual_match(_cfg(), trades, settlements, actor=_actor(actor)))


@app.command("unmatch")
def unmatch_cmd(match_id: Annotated[str, typer.Argument(help="match id (M:... manual, T:/B:/G:... automatic)")],
                actor: Actor = None) -> None:
    """Undo a manual match, or split an automatic one for the next runs."""
    from engine.recon.workflow import unmatch

    _done(unmatch(_cfg(), match_id, actor=_actor(actor)))


@app.command("approve")
def approve_cmd(event_id: Annotated[int, typer.Argument(help="the request's event id")], actor: Actor = None) -> None:
    """Approve a four-eyes request (manual match, write-off) as a second person."""
    from engine.recon.workflow import approve

    _done(approve(_cfg(), event_id, actor=_actor(actor)))


@app.command("reject")
def reject_cmd(event_id: Annotated[int, typer.Argument(help="the request's event id")], actor: Actor = None) -> None:
    """Reject a four-eyes request as a second person."""
    from engine.recon.workflow import reject

    _done(reject(_cfg(), event_id, actor=_actor(actor)))


@app.command("history")
def history_cmd(break_id: Annotated[str, typer.Argument(help="break id")]) -> None:
    """The audit trail of one break."""
    from engine.recon.workflow import break_history

    _show("History", break_history(_cfg(), break_id))


@app.command("export")
def export_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="file to write")],
    fmt: Annotated[str | None, typer.Option("--format", help="csv | xlsx | parquet (default: from --out)")] = None,
    as_of: AsOf = None, status: Status = None, types: Types = None, min_age: MinAge = None,
    max_age: MaxAge = None, counterparty: Cpty = None, custodian: Cust = None, isin: Isin = None,
    assignee: Assignee = None,
) -> None:
    """Export breaks (with the same filters as list) to CSV, XLSX (typed, with a summary sheet) or Parquet."""
    from engine.cli import console
    from engine.recon.workflow import export_breaks

    f = _filters(as_of, status, types, min_age, max_age, counterparty, custodian, isin, assignee)
    path = export_breaks(_cfg(), out, fmt, **f)
    n = pl.read_parquet(path).height if path.suffix == ".parquet" else None
    console.print(f"exported to {path}" + (f" ({n} breaks)" if n is not None else ""))


@app.command("stats")
def stats_cmd(as_of: AsOf = None,
              scope: Annotated[str | None, typer.Option("--scope", help="RECON | CASH (default: both)")] = None) -> None:
    """Run statistics: matches per pass, auto-match and straight-through rates, breaks by type and age."""
    from engine import store
    from engine.cli import console

    cfg = _cfg()
    with store.connect_reader(cfg) as con:
        day = as_of or store.scalar(con, "SELECT max(as_of) FROM out_recon_stats")
        if day is None:
            console.print("no reconciliation has run yet")
            return
        df = store.query(
            con,
            "SELECT scope, metric, dimension, dim_value, value FROM out_recon_stats "
            "WHERE as_of = $d AND ($s IS NULL OR scope = $s) AND metric <> 'seconds' "
            "ORDER BY scope DESC, metric, dimension, value DESC",
            {"d": day, "s": scope.upper() if scope else None},
        )
    _show(f"Reconciliation statistics {day}", df)


@app.command("accuracy")
def accuracy_cmd(
    world: Annotated[Path, typer.Option("--world", help="generated world folder (with truth/breaks.csv)")],
    as_of: AsOf = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the figures as JSON")] = False,
) -> None:
    """Recall, precision and class accuracy of the breaks against a generator's ground truth."""
    from engine.cli import console
    from engine.recon.accuracy import measure

    res = measure(_cfg(), world, as_of=as_of)
    if json_out:
        console.print_json(json.dumps(res.to_dict(), default=str))
        return
    d = res.to_dict()
    _show("Accuracy", [{k: v for k, v in d.items() if not isinstance(v, dict | list)}])
    _show("By class", d["by_class"])

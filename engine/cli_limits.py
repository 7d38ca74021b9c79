"""``midoffice limits ...``: limit utilisation, breach incidents and their workflow, and the
pre-trade check. Every command calls the engine's functions in :mod:`engine.limits` (the same
ones the dashboard calls)."""

from __future__ import annotations

from typing import Annotated, Any

import polars as pl
import typer

app = typer.Typer(help="Limits: utilisation, breaches and their workflow, pre-trade check.", no_args_is_help=True)


def _cfg() -> Any:
    from engine.cli import get_config

    return get_config()


def _show(title: str, df: pl.DataFrame, columns: list[str], limit: int | None = None) -> None:
    from engine.cli import console, print_table

    if df.is_empty():
        console.print(f"{title}: none")
        return
    cols = [c for c in columns if c in df.columns]
    view = df.select(cols).head(limit) if limit else df.select(cols)
    rows = [
        {k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()}
        for r in view.to_dicts()
    ]
    print_table(f"{title} ({df.height})", rows, cols)


@app.command("check")
def check(
    book: Annotated[str, typer.Option("--book", help="book_id of the proposed trade")],
    instrument: Annotated[str, typer.Option("--instrument", help="instrument_id")],
    side: Annotated[str, typer.Option("--side", help="BUY or SELL")],
    quantity: Annotated[str, typer.Option("--quantity", help="quantity (> 0)")],
    price: Annotated[str | None, typer.Option("--price", help="trade price (default: the mark)")] = None,
    counterparty: Annotated[str | None, typer.Option("--counterparty", help="counterparty_id")] = None,
    trader: Annotated[str | None, typer.Option("--trader")] = None,
    fees: Annotated[str | None, typer.Option("--fees")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="positions of this run date (default: latest)")] = None,
    all_changes: Annotated[bool, typer.Option("--all", help="show every limit the trade changes")] = False,
    fail_on_breach: Annotated[bool, typer.Option("--fail-on-breach", help="exit 1 if the trade would breach a limit")] = False,
) -> None:
    """Pre-trade check: which limits would a proposed trade move to WARNING or BREACH, and by how much."""
    from engine.cli import console
    from engine.errors import FindingsError
    from engine.limits import check_trade

    trade = {
        "book_id": book,
        "instrument_id": instrument,
        "side": side,
        "quantity": quantity,
        "price": price,
        "counterparty_id": counterparty,
        "trader": trader,
        "fees": fees,
    }
    res = check_trade(_cfg(), trade, as_of, all_changes=all_changes)
    if res.is_empty():
        console.print("[green]OK[/green]: the trade moves no limit to WARNING or BREACH")
    else:
        _show(
            "Limits the trade would move",
            res,
            ["limit_id", "measure", "point_key", "severity", "limit_value_base", "value_before", "value_after",
             "utilisation_before", "utilisation_after", "status_before", "status_after", "excess_after_base", "impact"],
        )
    breaches = res.filter(pl.col("impact").is_in(["NEW_BREACH", "WORSENS_BREACH"])).height if res.height else 0
    if fail_on_breach and breaches:
        raise FindingsError(f"the trade would breach {breaches} limit(s)")


@app.command("list")
def list_(
    as_of: Annotated[str | None, typer.Option("--as-of")] = None,
    status: Annotated[str | None, typer.Option("--status", help="OK | WARNING | BREACH | SUPERSEDED | NO_DATA")] = None,
    measure: Annotated[str | None, typer.Option("--measure")] = None,
    top: Annotated[int, typer.Option("--top", help="rows to show")] = 50,
) -> None:
    """Limit utilisation of a run date, most utilised first."""
    from engine.limits import list_utilisation

    df = list_utilisation(_cfg(), as_of, status=status, measure=measure)
    _show(
        "Limit utilisation",
        df,
        ["as_of", "limit_id", "measure", "point_key", "measure_value", "limit_value_base", "utilisation_pct",
         "status", "severity", "governed_by", "note"],
        top,
    )


@app.command("breaches")
def breaches(
    status: Annotated[str | None, typer.Option("--status", help="OPEN | RESOLVED | VOID | ACKNOWLEDGED | UNACKNOWLEDGED")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="incidents in breach on this date")] = None,
) -> None:
    """Breach incidents with their workflow state."""
    from engine.limits import list_incidents

    df = list_incidents(_cfg(), status=status, as_of=as_of)
    _show(
        "Breach incidents",
        df,
        ["incident_id", "limit_id", "measure", "point_key", "severity", "status", "first_date", "last_date",
         "days_in_breach", "peak_utilisation_pct", "acknowledged_by", "comments"],
    )


@app.command("history")
def history(incident_id: Annotated[str, typer.Argument(help="incident id (LB-...)")]) -> None:
    """The timeline of a breach incident: daily utilisation and workflow events."""
    from engine.limits import incident_history

    _show(
        f"Incident {incident_id}",
        incident_history(_cfg(), incident_id),
        ["at", "kind", "status", "actor", "text", "measure_value", "limit_value_base", "utilisation_pct", "excess_base"],
    )


@app.command("ack")
def ack(
    incident_id: Annotated[str, typer.Argument(help="incident id (LB-...)")],
    actor: Annotated[str, typer.Option("--actor", help="who acknowledges")],
    text: Annotated[str | None, typer.Option("--text")] = None,
) -> None:
    """Acknowledge a breach incident."""
    from engine.cli import console
    from engine.limits import acknowledge

    acknowledge(_cfg(), incident_id, actor=actor, text=text)
    console.print(f"{incident_id} acknowledged by {actor}")


@app.command("comment")
def comment_(
    incident_id: Annotated[str, typer.Argument(help="incident id (LB-...)")],
    actor: Annotated[str, typer.Option("--actor")],
    text: Annotated[str, typer.Option("--text")],
) -> None:
    """Comment on a breach incident."""
    from engine.cli import console
    from engine.limits import comment

    comment(_cfg(), incident_id, actor=actor, text=text)
    console.print(f"comment added to {incident_id}")


@app.command("request-increase")
def request_increase(
    limit_id: Annotated[str, typer.Argument(help="limit_id")],
    actor: Annotated[str, typer.Option("--actor")],
    new_value: Annotated[str, typer.Option("--new-value", help="temporary limit value (limit currency)")],
    valid_from: Annotated[str, typer.Option("--from", help="first date YYYY-MM-DD")],
    valid_to: Annotated[str, typer.Option("--to", help="last date YYYY-MM-DD")],
    reason: Annotated[str, typer.Option("--reason")],
) -> None:
    """Request a temporary limit increase (needs another person's approval)."""
    from engine.cli import console
    from engine.limits import request_temporary_increase

    rid = request_temporary_increase(
        _cfg(), limit_id, actor=actor, new_value=new_value, valid_from=valid_from, valid_to=valid_to, reason=reason
    )
    console.print(f"request {rid}: {limit_id} -> {new_value} from {valid_from} to {valid_to}, pending approval")


@app.command("approve")
def approve(
    request_id: Annotated[str, typer.Argument(help="request id (LR-...)")],
    actor: Annotated[str, typer.Option("--actor", help="the approver (not the requester)")],
) -> None:
    """Approve a temporary limit increase (four-eyes); the next run applies it."""
    from engine.cli import console
    from engine.limits import approve_temporary_increase

    approve_temporary_increase(_cfg(), request_id, actor=actor)
    console.print(f"{request_id} approved by {actor}; applies from the next end-of-day run")


@app.command("reject")
def reject(
    request_id: Annotated[str, typer.Argument(help="request id (LR-...)")],
    actor: Annotated[str, typer.Option("--actor")],
    text: Annotated[str | None, typer.Option("--text")] = None,
) -> None:
    """Reject a temporary limit increase request."""
    from engine.cli import console
    from engine.limits import reject_temporary_increase

    reject_temporary_increase(_cfg(), request_id, actor=actor, text=text)
    console.print(f"{request_id} rejected by {actor}")


@app.command("requests")
def requests(status: Annotated[str | None, typer.Option("--status", help="PENDING | APPROVED | REJECTED")] = None) -> None:
    """Temporary limit increase requests."""
    from engine.limits import list_requests

    _show(
        "Temporary increase requests",
        list_requests(_cfg(), status=status),
        ["request_id", "limit_id", "new_value", "valid_from", "valid_to", "requested_by", "status", "decided_by", "reason"],
    )

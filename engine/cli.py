"""The ``midoffice`` command line (typer + rich).

Exit codes: 0 ok; 1 findings (only with ``--fail-on-breaks``); 2 bad input or configuration.
Errors are one clear message without a traceback unless ``--debug``.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from engine.config import Config, load_config
from engine.errors import MidofficeError

console = Console()
err_console = Console(stderr=True)
log = logging.getLogger("midoffice")

app = typer.Typer(
    name="midoffice",
    help="midoffice: middle-office risk and reconciliation on DuckDB.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class State:
    config_path: str | None = None
    debug: bool = False
    _cfg: Config | None = None

    def cfg(self) -> Config:
        if self._cfg is None:
            self._cfg = load_config(self.config_path)
        return self._cfg


state = State()


@app.callback()
def _main(
    config: Annotated[str | None, typer.Option("--config", "-c", help="TOML configuration file")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="tracebacks and debug logging (SQL)")] = False,
) -> None:
    state.config_path = config
    state.debug = debug
    state._cfg = None
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def get_config() -> Config:
    """The configuration for this invocation (used by sub-command modules)."""
    return state.cfg()


def print_table(title: str, rows: list[dict[str, Any]], columns: list[str] | None = None) -> None:
    """Print a summary table (the CLI's only output path besides progress)."""
    table = Table(title=title, show_lines=False)
    cols = columns or (list(rows[0].keys()) if rows else [])
    for c in cols:
        table.add_column(c, justify="right" if rows and isinstance(rows[0].get(c), int | float) else "left")
    for r in rows:
        table.add_row(*["" if r.get(c) is None else (f"{r[c]:,}" if isinstance(r.get(c), int) else str(r[c])) for c in cols])
    console.print(table)


# ---------------------------------------------------------------------------------------------
# Core commands
# ---------------------------------------------------------------------------------------------


@app.command()
def status() -> None:
    """Show the store: schema version, table row counts, last loads and runs."""
    from engine import store

    cfg = get_config()
    if not cfg.store_path.exists():
        console.print(f"No store yet at {cfg.store_path}. Run `midoffice demo` or `midoffice load`.")
        return
    with store.connect(cfg, read_only=True) as con:
        counts = store.table_counts(con)
        runs = store.query(
            con, "SELECT run_id, as_of, status, started_at, finished_at FROM ops_runs ORDER BY run_id DESC LIMIT 5"
        )
        batches = store.query(
            con,
            "SELECT feed, count(*) AS files, sum(rows_read) AS rows_read, sum(rows_loaded) AS rows_loaded, "
            "sum(rows_quarantined) AS rows_quarantined FROM ops_load_batches GROUP BY feed ORDER BY feed",
        )
    console.print(f"store: {cfg.store_path}  (schema version {store.SCHEMA_VERSION})")
    print_table("Tables", counts.to_dicts())
    print_table("Loads by feed", batches.to_dicts())
    print_table("Last runs", [{k: str(v) for k, v in r.items()} for r in runs.to_dicts()])


# ---------------------------------------------------------------------------------------------
# Sub-command groups added by the domain modules (one line each).
# ---------------------------------------------------------------------------------------------
# (sub-apps are registered here)


def main() -> None:
    """Console-script entry point: run the app, map errors to exit codes."""
    try:
        app(standalone_mode=False)
    except MidofficeError as exc:
        if state.debug:
            raise
        err_console.print(f"[bold red]error:[/bold red] {exc}")
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("aborted")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click usage errors and the unexpected
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(2)
        if state.debug:
            raise
        err_console.print(f"[bold red]internal error:[/bold red] {type(exc).__name__}: {exc} (rerun with --debug)")
        sys.exit(3)


if __name__ == "__main__":
    main()

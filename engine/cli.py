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


@app.command()
def generate(
    trades: Annotated[int | None, typer.Option(help="trades in the world (default: generate.trades)")] = None,
    days: Annotated[int | None, typer.Option(help="business days of trading (default: generate.days)")] = None,
    seed: Annotated[int | None, typer.Option(help="random seed (default: generate.seed)")] = None,
    out: Annotated[Path | None, typer.Option(help="output folder (default: generate.out)")] = None,
    price_years: Annotated[int | None, typer.Option(help="years of daily prices (default: generate.price_years)")] = None,
) -> None:
    """Generate a deterministic sample world: feed files and the ground truth of its breaks."""
    from connectors.sample_world import generate_world

    cfg = get_config()
    gen = cfg.section("generate")
    out = out or Path(gen.get("out", "data/sample"))
    t0 = time.perf_counter()
    with _progress() as prog:
        task = prog.add_task("generating", total=None)

        def cb(stage: str, i: int, n: int) -> None:
            prog.update(task, total=n, completed=i, description=f"generating {stage}")

        summary = generate_world(
            out, trades=trades if trades is not None else int(gen.get("trades", 5000)),
            days=days if days is not None else int(gen.get("days", 60)),
            seed=seed if seed is not None else int(gen.get("seed", 42)),
            price_years=price_years if price_years is not None else int(gen.get("price_years", 2)), progress=cb,
        )
    s = summary.to_dict()
    rows = [{"feed": k, "files": n, "rows": s["rows"].get(k, 0)} for k, n in s["files"].items()]
    rows.append({"feed": "TOTAL", "files": sum(s["files"].values()), "rows": sum(s["rows"].values())})
    print_table(f"Files written ({time.perf_counter() - t0:.1f} s)", rows)
    breaks = [{"break class": k, "breaks": v} for k, v in s["breaks"].items()]
    breaks.append({"break class": "TOTAL", "breaks": s["breaks_total"]})
    print_table(f"Injected breaks as of {s['end_date']}", breaks)
    console.print(f"Sample world in {out}: {s['trades']:,} trades, {s['start_date']} to {s['end_date']}; "
                  f"ground truth in {out / 'truth'}")


def _progress():  # type: ignore[no-untyped-def]
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err_console, transient=True, disable=not err_console.is_terminal,
    )


def do_load(cfg: Config, paths: list[Path], fail_on_refused: bool = True) -> Any:
    """Load files/folders with a progress bar and print the per-feed summary."""
    from connectors.loader import load_paths

    with _progress() as prog:
        task = prog.add_task("loading", total=None)

        def cb(path: Path, i: int, n: int) -> None:
            prog.update(task, total=n, completed=i, description=f"loading {path.name}")

        report = load_paths(cfg, paths, progress=cb)
    rows = report.by_feed()
    rows.append({"feed": "TOTAL", "files": len(report.batches), "skipped": sum(r["skipped"] for r in rows),
                 "refused": len(report.refused), "read": report.rows_read, "loaded": report.rows_loaded,
                 "quarantined": report.rows_quarantined})
    print_table(f"Load summary ({report.seconds:.1f} s)", rows)
    for b in report.batches:  # file-level notes, e.g. FIX messages that carry no trade, counted by type
        if b.status == "LOADED":
            for note in b.warnings:
                console.print(f"{Path(b.path).name}: {note}")
    if report.rows_quarantined:
        console.print(f"{report.rows_quarantined:,} rows quarantined: see `midoffice quarantine` "
                      "or the dashboard's Data quality page.")
    if report.refused:
        for b in report.refused:
            err_console.print(f"[bold red]refused:[/bold red] {b.warnings[0]}")
        if fail_on_refused:
            from engine.errors import BadInputError

            raise BadInputError(f"{len(report.refused)} file(s) refused; the others were loaded")
    return report


@app.command()
def load(
    paths: Annotated[list[Path], typer.Argument(help="files or folders to load")],
) -> None:
    """Load feed files (format recognised from content); each file is one atomic batch."""
    do_load(get_config(), paths)


@app.command()
def quarantine(
    limit: Annotated[int, typer.Option(help="rows to show")] = 20,
    rule: Annotated[str | None, typer.Option(help="only this rule")] = None,
) -> None:
    """Show quarantined records: file, line, rule and reason."""
    from engine import store

    cfg = get_config()
    with store.connect(cfg, read_only=True) as con:
        df = store.query(
            con,
            "SELECT q.file_path, q.line_no, q.record_ref, q.rule, q.reason FROM ops_quarantine AS q "
            "WHERE $rule IS NULL OR q.rule = $rule ORDER BY q.batch_id, q.line_no LIMIT $limit",
            {"rule": rule, "limit": limit},
        )
        by_rule = store.query(con, "SELECT rule, count(*) AS rows FROM ops_quarantine GROUP BY rule ORDER BY 2 DESC")
    print_table("Quarantine by rule", by_rule.to_dicts())
    print_table("Quarantined records", [{k: str(v) for k, v in r.items()} for r in df.to_dicts()])


def do_run(cfg: Config, as_of: str | None, fail_on_breaks: bool = False) -> Any:
    from engine.run import latest_business_date, run_eod

    if as_of is None:
        d = latest_business_date(cfg)
        if d is None:
            from engine.errors import BadInputError

            raise BadInputError("the store has no trades or settlements to run on",
                                hint="load feeds first: `midoffice load data/sample`")
        as_of = d.isoformat()
    with _progress() as prog:
        task = prog.add_task("end of day", total=None)

        def cb(step: str, i: int, n: int) -> None:
            prog.update(task, total=n, completed=i, description=f"run {as_of}: {step}")

        result = run_eod(cfg, as_of, progress=cb)
    def _brief(v: dict[str, Any]) -> str:
        # scalar figures only; nested detail stays in ops_run_steps.summary_json
        items = [(k, x) for k, x in v.items() if k not in ("seconds", "rows_out") and isinstance(x, int | float | str)]
        return ", ".join(f"{k}={x:,}" if isinstance(x, int) else f"{k}={x}" for k, x in items[:8])

    rows = [{"step": k, "seconds": f"{v.get('seconds', 0):.2f}" if isinstance(v.get("seconds"), int | float) else "",
             "rows_out": v.get("rows_out"), "summary": _brief(v)} for k, v in result.steps.items()]
    print_table(f"End of day {result.as_of} (run {result.run_id}, {result.seconds:.1f} s)", rows)
    if fail_on_breaks:
        findings = sum(int(v.get("open_breaks", 0)) + int(v.get("breaches", 0)) for v in result.steps.values())
        if findings:
            from engine.errors import FindingsError

            raise FindingsError(f"{findings} open breaks / limit breaches as of {result.as_of}")
    return result


@app.command()
def run(
    as_of: Annotated[str | None, typer.Option("--as-of", help="business date YYYY-MM-DD (default: latest in the store)")] = None,
    fail_on_breaks: Annotated[bool, typer.Option("--fail-on-breaks", help="exit 1 if breaks or limit breaches exist")] = False,
) -> None:
    """Run the end of day for a business date; replaces that date's results atomically."""
    do_run(get_config(), as_of, fail_on_breaks)


@app.command()
def demo(
    trades: Annotated[int | None, typer.Option(help="trades in the sample world")] = None,
    days: Annotated[int | None, typer.Option(help="business days of trading")] = None,
    seed: Annotated[int | None, typer.Option(help="random seed")] = None,
    out: Annotated[Path | None, typer.Option(help="folder for the sample world")] = None,
) -> None:
    """Generate the sample world, load it, run the end of day and print the summary."""
    from connectors.sample_world import generate_world

    cfg = get_config()
    gen = cfg.section("generate")
    out = out or Path(gen.get("out", "data/sample"))
    t0 = time.perf_counter()
    console.print(f"[bold]1/3 generating[/bold] the sample world in {out}")
    summary = generate_world(
        out, trades=trades or int(gen.get("trades", 5000)), days=days or int(gen.get("days", 60)),
        seed=seed if seed is not None else int(gen.get("seed", 42)), price_years=int(gen.get("price_years", 2)),
    )
    console.print(f"    {summary.to_dict().get('trades', '')} trades written")
    console.print(f"[bold]2/3 loading[/bold] {out} into {cfg.store_path}")
    # every feed folder of the world; truth/ is the generator's answer key, not a feed
    do_load(cfg, sorted(p for p in out.iterdir() if p.is_dir() and p.name != "truth"))
    console.print("[bold]3/3 end of day[/bold]")
    do_run(cfg, None)
    console.print(f"Done in {time.perf_counter() - t0:.1f} s. Store: {cfg.store_path}")
    console.print("Open the dashboard:  [bold]midoffice dashboard[/bold]  (or .venv/bin/midoffice dashboard)")


@app.command()
def dashboard(
    port: Annotated[int | None, typer.Option(help="port to serve on (default: [dashboard] port)")] = None,
    address: Annotated[str | None, typer.Option(help="address to bind (default: [dashboard] address)")] = None,
) -> None:
    """Start the dashboards (Streamlit) on the store's published results."""
    import importlib.util
    import os
    import subprocess

    cfg = get_config()
    spec = importlib.util.find_spec("dashboards")  # locate, do not import: engine never imports dashboards
    if spec is None or not spec.submodule_search_locations:
        raise MidofficeError("the dashboards package is not installed", hint="pip install -e .")
    app_path = Path(next(iter(spec.submodule_search_locations))) / "app.py"
    env = dict(os.environ)
    if state.config_path:
        env["MIDOFFICE_CONFIG"] = str(Path(state.config_path).resolve())
    port = int(port or cfg.get("dashboard.port", 8501))
    address = str(address or cfg.get("dashboard.address", "localhost"))
    cmd = [sys.executable, "-m", "streamlit", "run", str(app_path), "--server.port", str(port),
           "--server.address", address, "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    console.print(f"midoffice dashboard on http://{address}:{port}  (store {cfg.store_path}; Ctrl+C to stop)")
    try:
        rc = subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        rc = 0
    if rc:
        raise typer.Exit(rc)


# ---------------------------------------------------------------------------------------------
# Sub-command groups added by the domain modules (one line each).
# ---------------------------------------------------------------------------------------------
# (sub-apps are registered here)
from engine.cli_limits import app as limits_app  # noqa: E402

app.add_typer(limits_app, name="limits")
from engine.cli_instruct import instruct  # noqa: E402

app.command("instruct")(instruct)
from engine.cli_breaks import app as breaks_app  # noqa: E402

app.add_typer(breaks_app, name="breaks")


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

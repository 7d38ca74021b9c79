"""A generated sample world for the API and notebook tests, built once per test process.

``sample_world(tmp_root)`` generates a small world with ``connectors.sample_world``, loads its
feed folders with ``connectors.loader.load_paths`` and runs the end of day for the last
``RUN_DATES`` business dates with ``engine.run.run_eod`` (so that P&L, backtests and break
ageing have more than one date). The world's configuration is a TOML file; ``World.env`` is the
environment that points a notebook kernel at it (``MIDOFFICE_CONFIG``). Tests that use it carry
``pytest.mark.xdist_group("api_world")`` so that, under xdist, one worker builds it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from engine import store
from engine.config import Config, load_config

TRADES = 1000
DAYS = 8
SEED = 11
RUN_DATES = 2
MC_PATHS = 2000  # Monte Carlo paths (the default 10,000 only costs time here)


@dataclass(frozen=True)
class World:
    cfg: Config
    env: dict[str, str]
    dates: tuple[date, ...]


_WORLD: World | None = None


def sample_world(tmp_root: Path) -> World:
    """The world of this test process (built on first use under ``tmp_root``)."""
    global _WORLD
    if _WORLD is not None:
        return _WORLD
    from connectors.loader import load_paths
    from connectors.sample_world import feed_paths, generate_world
    from engine.run import run_eod

    root = tmp_root / "api_world"
    root.mkdir(parents=True, exist_ok=True)
    # one configuration file for the runs here and for the notebooks' kernels (MIDOFFICE_CONFIG)
    config = root / "midoffice.toml"
    config.write_text(
        "[store]\n"
        f"path = '{root / 'store.duckdb'}'\n"
        f"published_path = '{root / 'published.duckdb'}'\n"
        f"workflow_path = '{root / 'workflow.duckdb'}'\n"
        "\n[market_risk.monte_carlo]\n"
        f"paths = {MC_PATHS}\n",
        encoding="utf-8",
    )
    cfg = load_config(config, environ={})
    generate_world(root / "world", trades=TRADES, days=DAYS, seed=SEED, price_years=2)
    load_paths(cfg, feed_paths(root / "world"))  # everything but truth/, the generator's answer key
    with store.connect(cfg, read_only=True) as con:
        dates = [r[0] for r in con.sql(
            "SELECT DISTINCT trade_date FROM fo_trades ORDER BY trade_date DESC LIMIT $n", params={"n": RUN_DATES}
        ).fetchall()]
    for d in sorted(dates):
        run_eod(cfg, d)
    env = {"MIDOFFICE_CONFIG": str(config)}
    _WORLD = World(cfg, env, tuple(sorted(dates)))
    return _WORLD

"""Accuracy against the generator's ground truth on a 1M-trade world (issue 4, item 9): recall
and precision of break detection at least 99.5% and the class right for at least 99% of breaks.

The world goes through everything a production day does: the generator writes the default
formats (CSV and Excel blotters, FIX drop copy, SWIFT MT54x, sese.024/025, a custodian CSV,
camt.053), the real connectors and loader load it into a DuckDB store, the end-of-day run
reconciles, and :func:`engine.recon.accuracy.measure` compares the published breaks with
``truth/breaks.csv``.

Too big for the default suite (about 7 minutes and 4.5 GiB on 2 cores: generate ~190 s, load
~230 s, run ~15 s), so it carries the ``big`` marker, which the default selection leaves out:

    make test-big                       # or: .venv/bin/pytest -m big tests/test_recon_accuracy_big.py

``MIDOFFICE_ACCURACY_TRADES`` changes the size (e.g. 20000 for a quick check of the test itself).
The generated feeds are kept under ``data/worlds/accuracy_<n>/`` (git-ignored) and reused by the
next run while the generator's and the writers' code is unchanged (the generator is deterministic
for a seed); the store is built afresh each time.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from engine.recon.accuracy import measure, read_truth
from engine.run import run_eod
from tests.conftest import make_config

pytestmark = pytest.mark.big

ROOT = Path(__file__).resolve().parents[1]
TRADES = int(os.environ.get("MIDOFFICE_ACCURACY_TRADES", "1000000"))
SEED, DAYS = 7, 60


def _fingerprint() -> str:
    """What the generated world depends on: its parameters and the code that writes it."""
    h = hashlib.sha256(f"trades={TRADES} seed={SEED} days={DAYS}".encode())
    for path in sorted((ROOT / "connectors").rglob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()


def _world() -> Path:
    """The generated world of ``TRADES`` trades, generated once and kept while its code is unchanged."""
    from connectors.sample_world import generate_world

    world = ROOT / "data" / "worlds" / f"accuracy_{TRADES}"
    done, key = world / ".complete", _fingerprint()
    if not done.exists() or done.read_text(encoding="utf-8").strip() != key:
        shutil.rmtree(world, ignore_errors=True)
        generate_world(world, trades=TRADES, days=DAYS, seed=SEED)
        done.write_text(key + "\n", encoding="utf-8")
    return world


def test_accuracy_on_a_big_generated_world(tmp_path: Path) -> None:
    from connectors.loader import load_paths

    world = _world()
    cfg = make_config(tmp_path)
    feeds = [p for p in sorted(world.iterdir()) if p.is_dir() and p.name != "truth"]
    result = load_paths(cfg, feeds, publish=False)
    assert result.rows_read == result.rows_loaded + result.rows_quarantined
    truth, as_of = read_truth(world)
    run_eod(cfg, as_of, steps=["trades_asof", "reconciliation", "cash_reconciliation"], publish=False)
    res = measure(cfg, world)
    print(f"\n{TRADES:,} trades: {res.truth_breaks:,} truth breaks, {res.reported_breaks:,} reported; "
          f"recall {res.recall:.4%}, precision {res.precision:.4%}, class right {res.class_accuracy:.4%}")
    for c in res.by_class:
        print(f"  {c}")
    assert res.truth_breaks == truth.height
    assert res.truth_breaks > TRADES // 100  # the generator injects breaks into a few percent of trades
    assert res.recall >= 0.995, res.missed[:10]
    assert res.precision >= 0.995, res.false_positives[:10]
    assert res.class_accuracy >= 0.99, res.wrong_class[:10]

"""The sample world in the back-office message formats: CUST_A as MT544-548, CUST_B as
sese.025/sese.024, cash as camt.053. Loaded through the connectors, the records are those the
generator wrote (checked against the same world written as CSV); the files are deterministic."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from connectors.loader import load_paths
from connectors.sample_world import FORMAT_PLAN, FormatPlan, generate_world
from engine import store
from engine.config import load_config

ARGS = {"trades": 400, "days": 8, "seed": 11, "price_years": 1}

pytestmark = pytest.mark.slow   # three small generated worlds


def _cfg(tmp: Path):  # type: ignore[no-untyped-def]
    return load_config(overrides={"store": {"path": str(tmp / "s.duckdb"), "published_path": str(tmp / "p.duckdb"),
                                            "workflow_path": str(tmp / "w.duckdb")}})


def _load_bo(world: Path, tmp: Path) -> tuple[pl.DataFrame, pl.DataFrame, list]:  # type: ignore[type-arg]
    """Reference data (counterparty BICs), custodian files and cash statements."""
    tmp.mkdir()
    cfg = _cfg(tmp)
    report = load_paths(cfg, [world / "reference", world / "bo", world / "cash"], publish=False)
    with store.connect(cfg, read_only=True) as con:
        s = store.query(con, "SELECT * EXCLUDE (batch_id, src_line, src_ref, message_type, seq), "
                             "row_number() OVER (PARTITION BY settlement_id ORDER BY seq) AS k FROM bo_settlements")
        c = store.query(con, "SELECT * EXCLUDE (batch_id, src_line, src_ref, statement_id) FROM bo_cash_movements")
    return s, c, report.batches


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("worlds")
    out = {}
    for name, plan in (("fmt", FORMAT_PLAN), ("fmt2", FORMAT_PLAN),
                       ("csv", FormatPlan(fo_shares=FORMAT_PLAN.fo_shares))):
        generate_world(base / name, format_plan=plan, **ARGS)
        out[name] = base / name
    return out


def test_plan_uses_the_message_formats() -> None:
    assert FORMAT_PLAN.custodians == {"CUST_A": "MT54X", "CUST_B": "SESE", "CUST_C": "CSV"}
    assert FORMAT_PLAN.cash == "CAMT053"


def test_world_files_load_to_the_generated_records(worlds: dict[str, Path], tmp_path: Path) -> None:
    assert sorted(p.suffix for p in (worlds["fmt"] / "bo" / "CUST_A").iterdir()) == [".fin"] * len(
        list((worlds["fmt"] / "bo" / "CUST_A").iterdir()))
    s_fmt, c_fmt, batches = _load_bo(worlds["fmt"], tmp_path / "a")
    s_csv, c_csv, _ = _load_bo(worlds["csv"], tmp_path / "b")
    by_connector = {b.connector for b in batches}
    assert {"mt54x", "sese", "camt", "csv"} <= by_connector
    assert all(b.status == "LOADED" and b.rows_quarantined == 0 for b in batches), [
        (b.path, b.rules) for b in batches if b.rows_quarantined]
    assert not [w for b in batches for w in b.warnings if "not validated" not in w]   # statements balance
    assert s_fmt.height == s_csv.height > 0 and c_fmt.height == c_csv.height > 0
    key = ["settlement_id", "k"]
    j = s_csv.join(s_fmt, on=key, how="full", suffix="_f", coalesce=True)
    for col in s_csv.columns:
        if col in key or col == "deal_price":
            continue
        diff = j.filter(pl.col(col).ne_missing(pl.col(f"{col}_f")))
        assert diff.height == 0, (col, diff.select([*key, col, f"{col}_f"]).head(3).to_dicts())
    # status advices (MT548, sese.024) carry no deal price; confirmations do
    advice = j.filter(pl.col("deal_price_f").is_null())
    assert advice.filter(pl.col("status").is_in(["SETTLED", "PARTIAL"])).height == 0
    settled = j.filter(pl.col("deal_price_f").is_not_null())
    assert settled.filter(pl.col("deal_price") != pl.col("deal_price_f")).height == 0
    jc = c_csv.join(c_fmt, on="movement_id", how="full", suffix="_f", coalesce=True)
    for col in c_csv.columns:
        if col == "movement_id":
            continue
        assert jc.filter(pl.col(col).ne_missing(pl.col(f"{col}_f"))).height == 0, col


def test_world_message_files_are_deterministic(worlds: dict[str, Path]) -> None:
    for sub in ("bo/CUST_A", "bo/CUST_B", "cash"):
        a = {p.name: p.read_bytes() for p in (worlds["fmt"] / sub).iterdir()}
        b = {p.name: p.read_bytes() for p in (worlds["fmt2"] / sub).iterdir()}
        assert a == b and a, sub

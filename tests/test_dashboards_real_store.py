"""Every page on a real store (sample-world generator -> loader -> end-of-day runs): no
exception, and the key figures equal the engine's (its result tables and its workflow API)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboards_world import RealWorld, real_world  # noqa: F401 - session fixture
from streamlit.testing.v1 import AppTest

from engine import limits, store
from engine.recon import workflow

APP = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"
PAGES = ["overview", "exposures", "limits", "pnl", "market_risk", "counterparty", "workbench", "data_quality"]

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dashboards_real")]


@pytest.fixture
def world(real_world: RealWorld, monkeypatch: pytest.MonkeyPatch) -> Iterator[RealWorld]:  # noqa: F811
    monkeypatch.setenv("MIDOFFICE_CONFIG", str(real_world.config_path))
    yield real_world


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    if page != "overview":
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label_start: str) -> float:
    found = [m for m in at.metric if m.label.startswith(label_start)]
    assert found, f"no metric {label_start!r} in {[m.label for m in at.metric]}"
    return float(found[0].value)


def engine_value(w: RealWorld, sql: str) -> Any:
    """A figure straight from the engine's result tables (independent of engine.readers)."""
    with store.connect_reader(w.cfg) as con:
        return store.scalar(con, sql, {"d": w.as_of} if "$d" in sql else None)


def money(v: Any) -> float:
    return round(float(v or 0), 2)


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_a_real_store(world: RealWorld, page: str) -> None:
    at = open_page(page)
    assert at.title[0].value
    assert at.selectbox(key="as_of").value == world.as_of


def test_overview_figures_equal_the_engine(world: RealWorld) -> None:
    at = open_page("overview")
    assert metric(at, "Gross exposure") == money(engine_value(
        world, "SELECT sum(abs(market_value_base)) FROM out_positions WHERE as_of = $d AND basis = 'TRADE'"))
    assert metric(at, "Daily P&L") == money(engine_value(world, "SELECT sum(total_base) FROM out_pnl WHERE as_of = $d"))
    assert metric(at, "VaR 99% 1d (firm)") == money(engine_value(
        world, "SELECT var FROM out_var WHERE as_of = $d AND level = 'FIRM' AND method = 'HISTORICAL' "
        "AND confidence = 0.99 AND horizon_days = 1 AND scaling IS NULL"))
    assert metric(at, "SA-CCR EAD") == money(engine_value(world, "SELECT sum(ead) FROM out_saccr WHERE as_of = $d"))
    assert metric(at, "Limit breaches") == engine_value(
        world, "SELECT count(*) FROM out_limit_utilisation WHERE as_of = $d AND status = 'BREACH'")
    assert metric(at, "Open breaks") == engine_value(
        world, "SELECT count(*) FROM out_breaks WHERE as_of = $d AND lifecycle <> 'RESOLVED'")


def test_exposure_concentration_equals_the_engine(world: RealWorld) -> None:
    at = open_page("exposures")  # grouped by desk by default
    with store.connect_reader(world.cfg) as con:
        hhi, largest = con.sql("SELECT hhi, largest_share_pct FROM out_concentration WHERE as_of = $d AND grouping = 'desk'",
                               params={"d": world.as_of}).fetchall()[0]
    assert metric(at, "Herfindahl index") == pytest.approx(hhi, abs=0.1)
    assert metric(at, "Top 1 desk share") == pytest.approx(largest, abs=0.01)
    assert metric(at, "Gross exposure") == money(engine_value(
        world, "SELECT gross_base FROM out_exposures WHERE as_of = $d AND grouping = 'firm'"))


def test_pnl_and_market_risk_equal_the_engine(world: RealWorld) -> None:
    at = open_page("pnl")
    assert metric(at, "Daily P&L") == money(engine_value(world, "SELECT sum(total_base) FROM out_pnl WHERE as_of = $d"))
    assert metric(at, "Realised (") == money(engine_value(
        world, "SELECT sum(realised_local * coalesce(fx_rate, 1)) FROM out_pnl WHERE as_of = $d"))
    at = open_page("market_risk")
    assert metric(at, "Firm ES") == money(engine_value(
        world, "SELECT es FROM out_var WHERE as_of = $d AND level = 'FIRM' AND method = 'HISTORICAL' "
        "AND confidence = 0.99 AND horizon_days = 1 AND scaling IS NULL"))


def test_limits_and_counterparty_equal_the_engine(world: RealWorld) -> None:
    at = open_page("limits")
    assert metric(at, "Breaches") == engine_value(
        world, "SELECT count(*) FROM out_limit_utilisation WHERE as_of = $d AND status = 'BREACH'")
    open_incidents = limits.list_incidents(world.cfg, status="OPEN")
    incidents = [d.value for d in at.dataframe if "incident_id" in d.value.columns]
    if open_incidents.height:
        assert list(incidents[0]["incident_id"]) == open_incidents["incident_id"].to_list()
    at = open_page("counterparty")
    assert metric(at, "EAD") == money(engine_value(world, "SELECT sum(ead) FROM out_saccr WHERE as_of = $d"))


def test_workbench_lists_the_engines_breaks(world: RealWorld) -> None:
    at = open_page("workbench")
    engine_ids = workflow.list_breaks(world.cfg, as_of=world.as_of, status="ACTIVE", limit=100)["break_id"].to_list()
    assert engine_ids, "the sample world always has breaks"
    shown = [d.value for d in at.dataframe if d.key == "wb_table"][0]
    assert list(shown["break_id"]) == engine_ids


def test_data_quality_equals_the_load_history(world: RealWorld) -> None:
    at = open_page("data_quality")
    assert metric(at, "Rows read") == engine_value(world, "SELECT sum(rows_read) FROM ops_load_batches")
    assert metric(at, "Rows quarantined") == engine_value(world, "SELECT sum(rows_quarantined) FROM ops_load_batches")

"""The Python API on a generated sample world (generator -> loader -> end-of-day runs): every
result method agrees with the store, lineage adds up (positions to trades, exposures to
positions, breaks to their source files and lines), and the workflows run through the API."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import polars as pl
import pytest

from engine.api import Midoffice, open_store

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("api_world")]


@pytest.fixture(scope="module")
def mo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Midoffice]:
    from api_world import sample_world

    world = sample_world(tmp_path_factory.getbasetemp())
    yield open_store(world.cfg)


METHODS = {
    "positions": "out_positions", "exposures": "out_exposures", "concentration": "out_concentration",
    "net_fx": "out_net_fx", "counterparty_exposures": "out_counterparty_exposures",
    "counterparty_exposure_trades": "out_counterparty_exposure_trades",
    "limit_utilisation": "out_limit_utilisation", "limit_breaches": "out_limit_breaches", "pnl": "out_pnl",
    "pnl_attribution": "out_pnl_attribution", "pnl_check": "out_pnl_check", "var": "out_var",
    "var_components": "out_var_components", "stress": "out_stress", "backtest": "out_backtest",
    "backtest_summary": "out_backtest_summary", "saccr": "out_saccr", "saccr_addons": "out_saccr_addons",
    "recon_stats": "out_recon_stats",
}


def test_result_methods_read_the_latest_run(mo: Midoffice) -> None:
    latest = mo.latest()
    assert latest is not None and len(mo.as_of_dates()) >= 2
    for method, table in METHODS.items():
        df = mo.positions(basis=None) if method == "positions" else getattr(mo, method)()
        n = mo.sql(f"SELECT count(*) AS n FROM {table} WHERE as_of = $d", {"d": latest})["n"][0]  # noqa: S608
        assert df.height == n, method
        if n:
            assert set(df["as_of"].to_list()) == {latest}, method
    assert mo.positions().height > 100
    assert set(mo.positions()["basis"].to_list()) == {"TRADE"}  # the default basis
    assert mo.positions(basis="SETTLE").height + mo.positions().height == mo.positions(basis=None).height
    assert mo.var().height > 0 and mo.saccr().height > 0


def test_ranges_and_filters_on_real_results(mo: Midoffice) -> None:
    dates = mo.as_of_dates()
    pnl = mo.pnl(start=dates[0], end=dates[-1])
    assert sorted(set(pnl["as_of"].to_list())) == dates
    desk = pnl["desk"][0]
    one = mo.pnl(start=dates[0], desk=desk)
    assert one.height == pnl.filter(pl.col("desk") == desk).height
    books = sorted(set(one["book_id"].to_list()))[:2]
    assert set(mo.pnl(book=books)["book_id"].to_list()) <= set(books)
    firm = mo.var(level="FIRM", method="HISTORICAL", confidence=0.99, horizon_days=1, start=dates[0])
    assert firm["as_of"].to_list() == dates


def test_position_lineage_adds_up(mo: Midoffice) -> None:
    pos = mo.positions(basis="TRADE", asset_class="EQUITY").sort(pl.col("market_value_base").abs(), descending=True)
    for row in pos.head(8).iter_rows(named=True):
        trades = mo.position_trades(row["book_id"], row["instrument_id"])
        assert trades.height >= 1
        assert trades["signed_quantity"].sum() == row["quantity"], (row["book_id"], row["instrument_id"])
        assert trades["file_path"].null_count() == 0 and trades["src_line"].null_count() == 0


def test_exposure_lineage_adds_up(mo: Midoffice) -> None:
    for row in mo.exposures(grouping="desk+currency").iter_rows(named=True):
        members = mo.exposure_positions(row)
        assert members.height == row["positions"]
        assert members["market_value_base"].abs().sum() == row["gross_base"]
        assert members["market_value_base"].sum() == row["net_base"]


def test_exposures_by_a_new_combination(mo: Midoffice) -> None:
    firm = mo.exposures(grouping="firm")["gross_base"][0]
    by = mo.exposures(by=["country", "asset_class"])
    assert by["grouping"].unique().to_list() == ["country+asset_class"]
    assert abs(float(by["gross_base"].sum()) - float(firm)) < 0.01
    eq = mo.exposures(by=["country", "asset_class"], asset_class="EQUITY")
    assert eq.height and set(eq["asset_class"].to_list()) == {"EQUITY"}


def test_break_lineage_reaches_files_and_lines(mo: Midoffice) -> None:
    breaks = mo.breaks()
    assert breaks.height > 0
    for i, bt in enumerate(sorted(set(breaks["break_type"].to_list()))):
        row = breaks.filter(pl.col("break_type") == bt).row(0, named=True)
        lineage = mo.break_lineage(row["break_id"])
        assert lineage.height > 0, bt
        assert lineage["file_path"].null_count() == 0 and lineage["src_line"].null_count() == 0, bt
        current = lineage.filter(pl.col("is_current"))
        fo = set(current.filter(pl.col("side") == "FO")["record_id"].to_list())
        bo = set(current.filter(pl.col("side") == "BO")["record_id"].to_list())
        assert set(row["trade_ids"] or []) <= fo, bt
        assert set(row["settlement_ids"] or []) <= bo, bt
        if i % 3 == 0:  # the engine's own lineage (break_detail) agrees; a third of the types is enough
            detail = mo.break_detail(row["break_id"])
            assert {r["trade_id"] for r in detail["fo"]} == fo, bt
            assert {r["settlement_id"] for r in detail["bo"]} == bo, bt


def test_break_workflow_through_the_api(mo: Midoffice) -> None:
    bid = mo.breaks(status="OPEN")["break_id"][0]
    mo.recon.assign(bid, actor="alice", assignee="bob")
    mo.recon.comment(bid, actor="alice", text="checking with the custodian")
    mine = mo.breaks(assignee="bob")
    assert bid in mine["break_id"].to_list()
    history = mo.break_history(bid)
    assert history["event_type"].to_list()[-2:] == ["ASSIGN", "COMMENT"]
    assert set(history["actor"].to_list()[-2:]) == {"alice"}
    assert mo.break_detail(bid)["break"]["assignee"] == "bob"
    assert isinstance(mo.breaks(assignee="bob", pandas=True), pd.DataFrame)


def test_limits_through_the_api(mo: Midoffice) -> None:
    pos = mo.positions(basis="TRADE", asset_class="EQUITY").sort("market_value_base", descending=True).row(0, named=True)
    trade = {"book_id": pos["book_id"], "instrument_id": pos["instrument_id"], "side": "BUY",
             "quantity": abs(pos["quantity"]) * 10}
    check = mo.limits.check_trade(trade, all_changes=True)
    assert isinstance(check, pl.DataFrame) and check.height > 0
    assert (check.filter(pl.col("measure") == "GROSS_EXPOSURE")["change"] > 0).all()
    incidents = mo.limit_incidents()
    assert isinstance(incidents, pl.DataFrame)
    if incidents.height:
        iid = incidents["incident_id"][0]
        assert isinstance(mo.incident_history(iid), pl.DataFrame)


def test_incremental_var_starts_from_the_runs_var(mo: Midoffice) -> None:
    pos = mo.positions(basis="TRADE", asset_class="EQUITY").sort("market_value_base", descending=True).row(0, named=True)
    res = mo.incremental_var({"instrument_id": pos["instrument_id"], "quantity": -float(pos["quantity"])})
    conf = float(mo.cfg.get("market_risk.incremental_confidence", 0.99))
    firm = mo.var(level="FIRM", method="HISTORICAL", confidence=conf, horizon_days=1)["var"][0]
    assert abs(res.var_before - firm) < 1e-6 * max(1.0, firm)
    assert res.incremental_var == pytest.approx(res.var_after - res.var_before)


def test_connection_for_the_engines_analytics(mo: Midoffice) -> None:
    from engine.market_risk.factors import load_history

    with mo.connection() as con:
        hist = load_history(con, mo.latest(), instruments=[], currencies=["EUR"], n_dates=30)
    assert hist.levels.shape == (30, 1)

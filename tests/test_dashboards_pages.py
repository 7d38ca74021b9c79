"""AppTest for every page of the dashboards on a small hand-written store: each page renders
without an exception, and the key figures equal the hand-computed values and the engine's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from dashboards_world import D1, D2, EXPECTED, build_inline_store, config_file, make_cfg
from streamlit.testing.v1 import AppTest

from engine import readers, store
from engine.config import Config
from engine.readers import Filters

APP = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"
PAGES = ["overview", "exposures", "limits", "pnl", "market_risk", "counterparty", "workbench", "data_quality"]

pytestmark = pytest.mark.xdist_group("dashboards")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Config]:
    tmp = tmp_path_factory.mktemp("dash_inline")
    cfg = build_inline_store(make_cfg(tmp))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MIDOFFICE_CONFIG", str(config_file(tmp)))
        yield cfg


def open_page(page: str, **state: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    if page != "overview":
        at.switch_page(f"views/{page}.py").run()
    return at


def metric(at: AppTest, label_start: str) -> float:
    found = [m for m in at.metric if m.label.startswith(label_start)]
    assert found, f"no metric {label_start!r} in {[m.label for m in at.metric]}"
    return float(found[0].value)


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(world: Config, page: str) -> None:
    at = open_page(page)
    no_exception(at)
    assert at.title, f"{page} has no title"


def test_sidebar_defaults_to_latest_run_and_lists_filters(world: Config) -> None:
    at = open_page("overview")
    assert at.selectbox(key="as_of").value == D2
    assert at.selectbox(key="as_of").options == [D2.isoformat(), D1.isoformat()]
    assert at.multiselect(key="f_legal_entity").options == ["LE1", "LE2"]
    assert at.multiselect(key="f_desk").options == ["EQ", "FX", "RATES"]
    assert at.text_input(key="actor").value


def test_overview_figures_equal_hand_computed_and_engine(world: Config) -> None:
    at = open_page("overview")
    no_exception(at)
    assert metric(at, "Gross exposure") == float(EXPECTED["gross_d2"])
    assert metric(at, "Net market value") == float(EXPECTED["net_d2"])
    gross = [m for m in at.metric if m.label.startswith("Gross exposure")][0]
    assert float(gross.delta) == float(EXPECTED["gross_d2"] - EXPECTED["gross_d1"])
    assert metric(at, "VaR 99% 1d (firm)") == EXPECTED["firm_var_d2"]
    assert metric(at, "SA-CCR EAD") == EXPECTED["ead_d2"]
    assert metric(at, "Daily P&L") == float(EXPECTED["pnl_d2"])
    assert metric(at, "Limit breaches") == EXPECTED["breaches_d2"]
    assert metric(at, "Limit warnings") == EXPECTED["warnings_d2"]
    assert metric(at, "Open breaks") == EXPECTED["open_breaks_d2"]
    breaches = [m for m in at.metric if m.label == "Limit breaches"][0]
    assert int(breaches.delta) == EXPECTED["breaches_d2"] - EXPECTED["breaches_d1"]
    # the same figures straight from the engine's reader
    figs = {f["label"]: f for f in readers.overview_figures(world, D2)}
    assert figs["Gross exposure"]["value"] == EXPECTED["gross_d2"]
    assert figs["Gross exposure"]["previous"] == EXPECTED["gross_d1"]


def test_filters_hold_across_pages_and_reach_the_figures(world: Config) -> None:
    at = open_page("overview")
    at.multiselect(key="f_legal_entity").set_value(["LE1"]).run()
    assert metric(at, "Gross exposure") == float(EXPECTED["gross_le1_d2"])
    # desks offered are only LE1's
    assert at.multiselect(key="f_desk").options == ["EQ", "RATES"]
    at.switch_page("views/exposures.py").run()
    no_exception(at)
    assert at.multiselect(key="f_legal_entity").value == ["LE1"]
    assert metric(at, "Gross exposure") == float(EXPECTED["gross_le1_d2"])
    at.multiselect(key="f_legal_entity").set_value([]).run()
    at.multiselect(key="f_desk").set_value(["EQ"]).run()
    assert metric(at, "Gross exposure") == float(EXPECTED["gross_eq_desk_d2"])
    at.switch_page("views/data_quality.py").run()
    assert at.multiselect(key="f_desk").value == ["EQ"]


def test_as_of_change_switches_every_figure(world: Config) -> None:
    at = open_page("exposures")
    at.selectbox(key="as_of").set_value(D1).run()
    no_exception(at)
    assert metric(at, "Gross exposure") == float(EXPECTED["gross_d1"])


def test_exposures_group_by_and_drill_down(world: Config) -> None:
    at = open_page("exposures")
    table = at.dataframe[0].value
    assert set(table["key"]) == {"EQ", "RATES", "FX"}
    eq = table[table["key"] == "EQ"].iloc[0]
    assert float(eq["gross_exposure"]) == 1650.50
    assert float(eq["net_exposure"]) == 1149.50  # 1000 - 250.50 + 400
    # drill into desk EQ, then group by book
    picker = [s for s in at.selectbox if s.key and s.key.startswith("exp_pick_desk")][0]
    picker.set_value("EQ").run()
    at.button(key="exp_drill_btn").click().run()
    no_exception(at)
    at.selectbox(key="exp_dim").set_value("book").run()
    table = at.dataframe[0].value
    assert dict(zip(table["key"], table["gross_exposure"].astype(float), strict=True)) == {"B1": 1250.50, "B2": 400.0}
    # the same numbers from the engine
    eng = readers.exposures(world, D2, "book", drill=[("desk", "EQ")])
    assert dict(zip(eng["key"], eng["gross_exposure"].cast(pl.Float64), strict=True)) == {"B1": 1250.50, "B2": 400.0}


def test_pnl_figures_and_attribution(world: Config) -> None:
    at = open_page("pnl")
    no_exception(at)
    assert metric(at, "Daily P&L") == float(EXPECTED["pnl_d2"])
    daily = [m for m in at.metric if m.label.startswith("Daily P&L")][0]
    assert float(daily.delta) == float(EXPECTED["pnl_d2"] - EXPECTED["pnl_d1"])
    assert metric(at, "Realised (") == float(EXPECTED["realised_d2"])
    assert metric(at, "Unrealised (") == float(EXPECTED["unrealised_d2"])
    attr = readers.pnl_attribution(world, D2)
    assert {k: float(v) for k, v in attr.items()} == EXPECTED["attribution_d2"]
    by_desk = at.dataframe[-1].value
    assert dict(zip(by_desk["key"], by_desk["total_base"].astype(float), strict=True)) == {"EQ": 100.0, "RATES": -50.0, "FX": 25.0}


def test_limits_page_counts_and_filters(world: Config) -> None:
    at = open_page("limits")
    no_exception(at)
    assert metric(at, "Breaches") == EXPECTED["breaches_d2"]
    assert metric(at, "Warnings") == EXPECTED["warnings_d2"]
    alerts = [d for d in at.dataframe if d.key == "lim_alerts"][0].value
    assert list(alerts["limit_id"]) == ["L_GROSS_EQ", "L_GROSS_RATES"]
    # a desk filter keeps that desk's limits and firm-wide ones; superseded points never show
    at.multiselect(key="f_desk").set_value(["FX"]).run()
    assert metric(at, "Breaches") == 0
    assert metric(at, "Within limit") == 1


def test_limit_incident_acknowledge_and_comment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine import limits

    cfg = build_inline_store(make_cfg(tmp_path))
    monkeypatch.setenv("MIDOFFICE_CONFIG", str(config_file(tmp_path)))
    at = open_page("limits", actor="alice")
    assert at.selectbox(key="lim_inc_pick").value == "LB-EQ"
    at.text_input(key="lim_inc_text").input("desk head informed")
    at.button(key="lim_ack_btn").click().run()
    no_exception(at)
    inc = limits.list_incidents(cfg, status="OPEN").row(0, named=True)
    assert inc["acknowledged_by"] == "alice"
    at.text_input(key="lim_inc_text").input("reduced by close of business")
    at.button(key="lim_comment_btn").click().run()
    hist = limits.incident_history(cfg, "LB-EQ")
    assert {"ACK", "COMMENT"} <= set(hist["kind"].to_list())
    # acknowledging twice is refused and says so
    at.button(key="lim_ack_btn").click().run()
    assert any("failed, nothing was saved" in e.value for e in at.error)


def test_market_risk_figures(world: Config) -> None:
    at = open_page("market_risk")
    no_exception(at)
    assert metric(at, "Firm VaR") == EXPECTED["firm_var_d2"]
    assert metric(at, "Firm ES") == pytest.approx(EXPECTED["firm_var_d2"] * 1.2)
    exc = [m for m in at.metric if m.label == "Exceptions"]
    assert exc and exc[0].value == "2 of 8"
    assert any("GREEN" in md.value for md in at.markdown)


def test_market_risk_filters_desks(world: Config) -> None:
    at = open_page("market_risk", f_desk=["RATES"])
    no_exception(at)
    desks = at.dataframe[0].value
    assert list(desks["desk"]) == ["RATES"]


def test_counterparty_against_limits(world: Config) -> None:
    at = open_page("counterparty")
    no_exception(at)
    assert metric(at, "EAD") == EXPECTED["ead_d2"]
    # CP1: EAD 1000 vs limit 1200 = 83.3% (warning at 80%); CP2: 500 vs 400 = breach
    assert metric(at, "Limit breaches") == 1
    assert metric(at, "Limit warnings") == 1
    df = readers.saccr_by_counterparty(world, D2)
    status = dict(zip(df["counterparty_id"], df["limit_status"], strict=True))
    assert status == {"CP1": "WARNING", "CP2": "BREACH"}


def test_data_quality_counts_and_raw_records(world: Config) -> None:
    at = open_page("data_quality")
    no_exception(at)
    assert metric(at, "Rows quarantined") == EXPECTED["quarantined"]
    assert metric(at, "Rows read") == EXPECTED["rows_read"]
    q = [d for d in at.dataframe if "raw_text" in d.value.columns][0].value
    assert set(q["rule"]) == {"bad_decimal", "unknown_isin", "bad_date"}
    assert "T0004,B1,abc" in set(q["raw_text"])
    at.multiselect(key="dq_rule").set_value(["bad_date"]).run()
    q = [d for d in at.dataframe if "raw_text" in d.value.columns][0].value
    assert list(q["line_no"]) == [3]


def test_typed_text_is_data_never_sql(world: Config) -> None:
    at = open_page("data_quality")
    at.text_input(key="dq_search").input("x'); DROP TABLE ops_quarantine; --").run()
    no_exception(at)
    assert any("0 quarantined record(s)" in c.value for c in at.caption) or not [
        d for d in at.dataframe if "raw_text" in d.value.columns
    ]
    with store.connect_reader(world) as con:
        assert store.scalar(con, "SELECT count(*) FROM ops_quarantine") == EXPECTED["quarantined"]


def test_filter_values_are_bound_parameters(world: Config) -> None:
    evil = Filters(books=("B1' OR '1'='1",))
    df = readers.position_totals(world, D2, evil)
    assert df.is_empty()
    with pytest.raises(Exception, match="unknown dimension"):
        readers.exposures(world, D2, "desk; DROP TABLE out_positions")


def test_no_sql_in_views() -> None:
    views = Path(__file__).resolve().parents[1] / "dashboards"
    for p in views.rglob("*.py"):
        text = p.read_text(encoding="utf-8")
        for word in ("SELECT ", "INSERT ", "DELETE ", "duckdb", "connect("):
            assert word not in text, f"{p.name} contains {word!r}: SQL belongs in engine readers"


def test_dashboard_sql_files_have_headers_and_bind_values() -> None:
    folder = Path(__file__).resolve().parents[1] / "engine" / "sql" / "dashboard"
    for p in sorted(folder.glob("*.sql")):
        text = p.read_text(encoding="utf-8")
        assert text.startswith("-- Purpose:"), p.name
        assert "Grain:" in text and "Parameters:" in text, p.name
        assert "{" not in text and "%s" not in text, f"{p.name} looks like a format template"


def test_empty_store_pages_say_not_computed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = make_cfg(tmp_path)
    with store.connect(cfg):
        pass
    store.publish(cfg)
    monkeypatch.setenv("MIDOFFICE_CONFIG", str(config_file(tmp_path)))
    for page in PAGES:
        at = open_page(page)
        no_exception(at)
        assert at.info, f"{page} says nothing on an empty store"


def test_no_store_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIDOFFICE_CONFIG", str(config_file(tmp_path)))
    for page in PAGES:
        at = open_page(page)
        no_exception(at)

"""AppTest of the reconciliation workbench: list and filters equal to the engine's list_breaks,
the side-by-side detail with lineage, and every action (assign, comment, resolve, reopen, bulk,
confirm a suggested match, four-eyes approval) saved in the workflow store."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboards_world import D2, build_inline_store, config_file, make_cfg
from streamlit.testing.v1 import AppTest

from engine import store
from engine.config import Config
from engine.recon import workflow

APP = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"

pytestmark = pytest.mark.xdist_group("dashboards")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Config]:
    cfg = build_inline_store(make_cfg(tmp_path))
    monkeypatch.setenv("MIDOFFICE_CONFIG", str(config_file(tmp_path)))
    yield cfg


def workbench(actor: str = "alice", **state: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["actor"] = actor
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    at.switch_page("views/workbench.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def listed(at: AppTest) -> list[str]:
    return list([d for d in at.dataframe if d.key == "wb_table"][0].value["break_id"])


def events(cfg: Config) -> list[tuple[str, str, str]]:
    with store.connect_workflow(cfg, read_only=True) as con:
        return [tuple(r) for r in con.sql(
            "SELECT break_id, event_type, actor FROM wf_break_events ORDER BY event_id").fetchall()]


def status_of(cfg: Config, break_id: str) -> str:
    df = workflow.list_breaks(cfg, as_of=D2)
    return dict(zip(df["break_id"], df["status"], strict=True))[break_id]


def test_list_equals_engine_and_filters(world: Config) -> None:
    at = workbench()
    engine_active = workflow.list_breaks(world, as_of=D2, status="ACTIVE")["break_id"].to_list()
    assert listed(at) == engine_active == ["BRK-1", "BRK-2"]
    at.selectbox(key="wb_status").set_value("ALL").run()
    assert sorted(listed(at)) == ["BRK-1", "BRK-2", "BRK-3"]
    at.multiselect(key="wb_type").set_value(["DQUA"]).run()
    assert listed(at) == ["BRK-1"]
    at.multiselect(key="wb_type").set_value([]).run()
    at.text_input(key="wb_isin").input("' OR 1=1 --").run()
    assert not at.exception
    assert not [d for d in at.dataframe if d.key == "wb_table"]
    assert any("No break matches" in i.value for i in at.info)


def test_detail_side_by_side_with_lineage(world: Config) -> None:
    at = workbench(wb_current="BRK-1")
    cmp = [d.value for d in at.dataframe if "differs" in d.value.columns][0]
    row = cmp[cmp["field"] == "quantity"].iloc[0]
    assert (row["FO T1001"], row["BO S1001"], bool(row["differs"])) == ("100.000000", "90.000000", True)
    assert not bool(cmp[cmp["field"] == "security (ISIN)"].iloc[0]["differs"])
    lineage = cmp[cmp["field"] == "file (lineage)"].iloc[0]
    assert (lineage["FO T1001"], lineage["BO S1001"]) == ("/data/trades.csv", "/data/settle.csv")
    assert cmp[cmp["field"] == "line / message (lineage)"].iloc[0]["FO T1001"] == "2"


def test_resolve_comment_reopen_through_the_ui(world: Config) -> None:
    at = workbench(wb_current="BRK-2")
    codes = at.selectbox(key="wb_one_code").options
    assert tuple(codes) == tuple(workflow.settings_of(world).resolution_codes)
    at.selectbox(key="wb_one_code").set_value("FIXED_AT_SOURCE")
    at.text_input(key="wb_one_text").input("booked late by the desk")
    at.button(key="wb_one_resolve_btn").click().run()
    assert not at.exception
    assert any("Resolved (FIXED_AT_SOURCE): saved" in s.value for s in at.success)
    assert status_of(world, "BRK-2") == "RESOLVED"
    assert ("BRK-2", "RESOLVE", "alice") in events(world)
    # the active list no longer shows it; reopen it from the full list
    assert listed(at) == ["BRK-1"]
    at.selectbox(key="wb_status").set_value("ALL").run()
    at.selectbox(key="wb_current").set_value("BRK-2").run()
    at.button(key="wb_one_reopen_btn").click().run()
    assert status_of(world, "BRK-2") == "OPEN"
    at.text_input(key="wb_one_text").input("counterparty confirmed")
    at.button(key="wb_one_comment_btn").click().run()
    assert events(world)[-2:] == [("BRK-2", "REOPEN", "alice"), ("BRK-2", "COMMENT", "alice")]


def test_action_goes_to_the_break_shown_even_if_the_list_changed(world: Config) -> None:
    """The list changes between drawing the page and the click (another user, or a run that
    published): the comment still goes to the break the user was looking at."""
    at = workbench(wb_current="BRK-2")
    at.text_input(key="wb_one_text").input("looked at BRK-2")
    workflow.resolve(world, ["BRK-2"], actor="bob", resolution_code="FIXED_AT_SOURCE")  # elsewhere
    at.button(key="wb_one_comment_btn").click().run()
    assert not at.exception
    assert events(world)[-1] == ("BRK-2", "COMMENT", "alice")
    assert ("BRK-1", "COMMENT", "alice") not in events(world)


def test_refused_action_says_so_and_saves_nothing(world: Config) -> None:
    at = workbench(wb_status="ALL", wb_current="BRK-3")
    at.button(key="wb_one_resolve_btn").click().run()
    assert any("failed, nothing was saved" in e.value for e in at.error)
    assert events(world) == []


def test_bulk_assign_selected_rows(world: Config) -> None:
    at = workbench()
    at.session_state["wb_table"] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    at.text_input(key="wb_bulk_assignee").input("bob")
    at.button(key="wb_bulk_assign_btn").click().run()
    assert not at.exception
    df = workflow.list_breaks(world, as_of=D2, status="ACTIVE")
    assert dict(zip(df["break_id"], df["assignee"], strict=True)) == {"BRK-1": "bob", "BRK-2": "bob"}


def test_confirm_suggested_match_and_four_eyes(world: Config) -> None:
    at = workbench(wb_current="BRK-2")
    assert at.selectbox(key="wb_sugg_pick").value.startswith("#1: T1002 ↔ S2002")
    at.button(key="wb_confirm").click().run()
    assert not at.exception
    assert status_of(world, "BRK-2") == "PENDING_APPROVAL"  # four_eyes.manual_match
    # the requester cannot approve; a second person can
    at.button(key="wb_approve").click().run()
    assert any("failed, nothing was saved" in e.value for e in at.error)
    at2 = workbench("carol", wb_current="BRK-2")
    at2.button(key="wb_approve").click().run()
    kinds = [(e[1], e[2]) for e in events(world)]
    assert kinds == [("MANUAL_MATCH", "alice"), ("APPROVE", "carol")]
    assert status_of(world, "BRK-2") == "MATCH_PENDING"


def test_download_is_the_cli_export_of_the_filtered_breaks(world: Config, tmp_path: Path) -> None:
    from dashboards import data

    filters = {"as_of": D2, "status": "ACTIVE", "break_type": None}
    got = data.export_breaks_bytes(world, "csv", filters)
    cli = workflow.export_breaks(world, tmp_path / "cli.csv", "csv", as_of=D2, status="ACTIVE")
    assert got == cli.read_bytes()
    rows = list(csv.DictReader(io.StringIO(got.decode("utf-8"))))
    assert [r["break_id"] for r in rows] == ["BRK-1", "BRK-2"]
    xlsx = data.export_breaks_bytes(world, "xlsx", filters)
    assert xlsx[:2] == b"PK"

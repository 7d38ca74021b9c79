"""Breaks across runs: stable ids, NEW / PERSISTING / RESOLVED, ageing, AUTO_RESOLVED events
written once (re-running a date adds nothing), a manual match taken between runs applied by
the next run (four-eyes first), and an unmatch reopening the breaks."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from engine import store
from engine.errors import WorkflowError
from engine.recon import workflow
from tests.recon_rows import D, breaks, config, load, run, settlement, trade

D1 = D - timedelta(days=2)   # Wednesday
D2 = D - timedelta(days=1)   # Thursday
D3 = D                       # Friday


def events(cfg) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    with store.connect_workflow(cfg) as con:
        return store.query(con, "SELECT event_id, break_id, event_type, actor, payload, as_of, match_id "
                                "FROM wf_break_events ORDER BY event_id")


def ids(df: pl.DataFrame, **where: str) -> dict[str, str]:
    """anchor -> break_id for rows matching ``where``."""
    for k, v in where.items():
        df = df.filter(pl.col(k) == v)
    return dict(zip(df["anchor"].to_list(), df["break_id"].to_list(), strict=True))


@pytest.fixture
def two_days(tmp_path: Path):  # type: ignore[no-untyped-def]
    cfg = config(tmp_path)
    q = Decimal
    load(cfg, [
        trade("T1", known_date=D1, trade_date=D1, settle_date=D3),
        trade("T2", known_date=D1, trade_date=D1, settle_date=D3),
        trade("T3", known_date=D1, trade_date=D1, settle_date=D3, quantity=q(40), net_amount=q("6000.00")),
    ], [
        settlement("S1", "T1", known_date=D1, trade_date=D1, status="MATCHED", settled_quantity=q(0), actual_settle_date=None),
        settlement("S2", "T2", known_date=D1, trade_date=D1, status="MATCHED", settled_quantity=q(0), actual_settle_date=None,
                   quantity=q(90), amount=q("13500.00")),
        # D2: the custodian corrects S2; an unknown settlement S9 appears (T3's, without our reference)
        settlement("S2", "T2", seq=2, known_date=D2, trade_date=D1, status="MATCHED", settled_quantity=q(0),
                   actual_settle_date=None),
        settlement("S9", None, known_date=D2, trade_date=D1, status="MATCHED", settled_quantity=q(0),
                   actual_settle_date=None, quantity=q(41), amount=q("6150.00")),
    ])
    r1 = run(cfg, D1, publish=True)
    r2 = run(cfg, D2, publish=True)
    return cfg, r1, r2


def test_new_persisting_resolved_with_stable_ids(two_days) -> None:  # type: ignore[no-untyped-def]
    cfg, r1, r2 = two_days
    b1, b2 = breaks(cfg, D1), breaks(cfg, D2)
    assert sorted(zip(b1["break_type"], b1["lifecycle"], strict=True)) == [("CMIS_FO_ONLY", "NEW"), ("DQUA", "NEW")]
    got = sorted(zip(b2["anchor"], b2["break_type"], b2["lifecycle"], strict=True))
    assert got == [("S:S9", "CMIS_BO_ONLY", "NEW"), ("T:T2", "DQUA", "RESOLVED"), ("T:T3", "CMIS_FO_ONLY", "PERSISTING")]
    # the same break keeps its id and its first-seen date; ageing in business days
    assert ids(b1, kind="UNMATCHED_FO")["T:T3"] == ids(b2, kind="UNMATCHED_FO")["T:T3"]
    t3 = b2.filter(pl.col("anchor") == "T:T3").row(0, named=True)
    assert t3["first_seen"] == D1 and t3["age_days"] == 1 and t3["age_bucket"] == "0-1"
    assert r2.steps["reconciliation"]["resolved"] == 1 and r2.steps["reconciliation"]["persisting"] == 1
    with store.connect(cfg, read_only=True) as con:
        life = store.query(con, "SELECT anchor, kind, status, first_seen, last_seen, resolved_on, days_seen "
                                "FROM life_breaks WHERE category <> 'CASH' ORDER BY anchor")
    assert life.rows() == [
        ("S:S9", "UNMATCHED_BO", "OPEN", D2, D2, None, 1),
        ("T:T2", "MISMATCH", "RESOLVED", D1, D1, D2, 1),
        ("T:T3", "UNMATCHED_FO", "OPEN", D1, D2, None, 2),
    ]


def test_auto_resolved_event_once_even_when_the_date_is_rerun(two_days) -> None:  # type: ignore[no-untyped-def]
    cfg, _, _ = two_days
    ev = events(cfg)
    dqua = ids(breaks(cfg, D1), kind="MISMATCH")["T:T2"]
    assert ev.select("break_id", "event_type", "actor", "as_of").rows() == [(dqua, "AUTO_RESOLVED", "system", D2)]
    run(cfg, D2, publish=True)
    run(cfg, D2, publish=True)
    assert events(cfg).height == 1
    b2 = breaks(cfg, D2)
    assert sorted(b2["lifecycle"].to_list()) == ["NEW", "PERSISTING", "RESOLVED"]
    listed = workflow.list_breaks(cfg, as_of=D2)
    assert dict(zip(listed["break_id"], listed["status"], strict=True))[dqua] == "RESOLVED"


def test_manual_match_between_runs_is_applied_by_the_next_run(two_days) -> None:  # type: ignore[no-untyped-def]
    cfg, _, _ = two_days
    b2 = breaks(cfg, D2)
    fo_only, bo_only = ids(b2, kind="UNMATCHED_FO")["T:T3"], ids(b2, kind="UNMATCHED_BO")["S:S9"]
    # the suggestion of T3 is S9
    sugg = workflow.suggestions(cfg, fo_only)
    assert sugg["candidate_id"][0] == "S9"
    res = workflow.manual_match(cfg, ["T3"], ["S9"], actor="alice")
    assert res.requires_approval and res.match_id == f"M:{res.event_ids[0]}"
    assert set(res.break_ids) == {fo_only, bo_only}
    status = lambda: dict(zip(*workflow.list_breaks(cfg, as_of=D2)[["break_id", "status"]].get_columns(), strict=True))  # noqa: E731
    assert status()[fo_only] == "PENDING_APPROVAL"
    with pytest.raises(WorkflowError, match="four-eyes"):
        workflow.approve(cfg, res.event_ids[0], actor="alice")
    # not in force before approval: a run now leaves them unmatched
    run(cfg, D2, publish=True)
    assert set(ids(breaks(cfg, D2, lifecycle="PERSISTING"))) == {"T:T3"}
    workflow.approve(cfg, res.event_ids[0], actor="bob")
    assert status()[fo_only] == "MATCH_PENDING" and status()[bo_only] == "MATCH_PENDING"
    with pytest.raises(WorkflowError, match="already"):
        workflow.approve(cfg, res.event_ids[0], actor="carol")
    with pytest.raises(WorkflowError, match="already in a manual match"):
        workflow.manual_match(cfg, ["T3"], ["S1"], actor="carol")
    r3 = run(cfg, D3, publish=True)
    b3 = breaks(cfg, D3)
    # both one-sided breaks resolved; the pair now shows its quantity difference (41 vs 40)
    assert sorted(zip(b3["anchor"], b3["kind"], b3["lifecycle"], strict=True)) == [
        ("S:S9", "UNMATCHED_BO", "RESOLVED"), ("T:T3", "MISMATCH", "NEW"), ("T:T3", "UNMATCHED_FO", "RESOLVED"),
    ]
    mism = b3.filter(pl.col("kind") == "MISMATCH").row(0, named=True)
    assert mism["match_id"] == res.match_id and mism["pass_name"] == "manual" and mism["break_type"] == "DQUA"
    assert r3.steps["reconciliation"]["matches_by_pass"]["manual"] == 1
    auto = events(cfg).filter(pl.col("event_type") == "AUTO_RESOLVED")
    assert {fo_only, bo_only} <= set(auto["break_id"].to_list())
    payload = json.loads(auto.filter(pl.col("break_id") == fo_only)["payload"][0])
    assert payload["reason"] == "matched" and payload["match_id"] == res.match_id
    assert status_at(cfg, D3)[fo_only] == "RESOLVED"

    # unmatching it reopens both one-sided breaks at the next run (AUTO_REOPENED)
    workflow.unmatch(cfg, res.match_id, actor="bob")
    run(cfg, D3, publish=True)
    b3 = breaks(cfg, D3)
    assert sorted(zip(b3["anchor"], b3["kind"], strict=True)) == [("S:S9", "UNMATCHED_BO"), ("T:T3", "UNMATCHED_FO")]
    reopened = events(cfg).filter(pl.col("event_type") == "AUTO_REOPENED")["break_id"].to_list()
    assert sorted(reopened) == sorted([fo_only, bo_only])
    assert status_at(cfg, D3)[fo_only] == "OPEN"
    with pytest.raises(WorkflowError, match="not in force"):
        workflow.unmatch(cfg, res.match_id, actor="bob")


def status_at(cfg, day) -> dict[str, str]:  # type: ignore[no-untyped-def]
    df = workflow.list_breaks(cfg, as_of=day)
    return dict(zip(df["break_id"], df["status"], strict=True))


def test_unmatching_an_automatic_match_keeps_the_pair_apart(two_days) -> None:  # type: ignore[no-untyped-def]
    cfg, _, _ = two_days
    workflow.unmatch(cfg, "T:T1", actor="alice")
    run(cfg, D3, publish=True)
    got = sorted(zip(breaks(cfg, D3)["anchor"], breaks(cfg, D3)["kind"], strict=True))
    assert ("T:T1", "UNMATCHED_FO") in got and ("S:S1", "UNMATCHED_BO") in got
    with store.connect(cfg, read_only=True) as con:
        matched = store.query(con, "SELECT trade_id, settlement_id FROM out_recon_matches WHERE as_of = $d", {"d": D3})
    assert "T1" not in matched["trade_id"].to_list() and "S1" not in matched["settlement_id"].to_list()
    assert "T2" in matched["trade_id"].to_list()       # the other pairs stay matched
    # a manual match can still pair them
    res = workflow.manual_match(cfg, ["T1"], ["S1"], actor="alice")
    workflow.approve(cfg, res.event_ids[0], actor="bob")
    run(cfg, D3, publish=True)
    anchors = breaks(cfg, D3).filter(pl.col("lifecycle") != "RESOLVED")["anchor"].to_list()
    assert "T:T1" not in anchors and "S:S1" not in anchors


def test_older_date_rerun_writes_no_events(two_days) -> None:  # type: ignore[no-untyped-def]
    cfg, _, _ = two_days
    n = events(cfg).height
    run(cfg, D1, publish=True)
    assert events(cfg).height == n
    with store.connect(cfg, read_only=True) as con:
        st = store.scalar(con, "SELECT status FROM life_breaks WHERE anchor = 'T:T2' AND kind = 'MISMATCH'")
    assert st == "RESOLVED"    # life_breaks is still judged at the latest run date

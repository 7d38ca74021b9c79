"""Breach incidents across days (NEW / CONTINUING / RESOLVED, peak, re-runs in any order) and
their workflow: acknowledge, comment, temporary increase with four-eyes approval applied by the
next run, the audit history; and the `midoffice limits` commands."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine import limits as lim
from engine.cli import app
from engine.errors import WorkflowError
from tests.positions_world import insert, limit, make_cfg, one, prices, read, reference, run, trade

D1, D2, D3, D4 = date(2024, 3, 11), date(2024, 3, 12), date(2024, 3, 13), date(2024, 3, 14)
# B1 holds 100 EQA; limit 1,000: closes 12 / 15 / 9 / 11 -> 120% / 150% / 90% / 110%
CLOSES = {D1: 12.0, D2: 15.0, D3: 9.0, D4: 11.0}


def _world(tmp_path: Path):  # type: ignore[no-untyped-def]
    cfg = make_cfg(tmp_path)
    reference(cfg)
    insert(cfg, "fo_trades", [trade("T1", "B1", "EQA", "BUY", 100, 10, date(2024, 3, 8))])
    prices(cfg, [("EQA", d, c) for d, c in CLOSES.items()])
    insert(cfg, "ref_limits", [limit("L-B1", "GROSS_EXPOSURE", 1000, scope_book="B1")])
    return cfg


def _breaches(cfg, d: date) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    df = read(cfg, "SELECT incident_id, state FROM out_limit_breaches WHERE as_of = $d ORDER BY state", {"d": d})
    return [(r["incident_id"], r["state"]) for r in df.to_dicts()]


def test_incidents_across_days_and_reruns(tmp_path: Path) -> None:
    cfg = _world(tmp_path)
    for d in (D1, D2, D3, D4):
        run(cfg, d)
    (inc1, s1), = _breaches(cfg, D1)
    assert s1 == "NEW"
    assert _breaches(cfg, D2) == [(inc1, "CONTINUING")]
    assert _breaches(cfg, D3) == [(inc1, "RESOLVED")]
    (inc2, s4), = _breaches(cfg, D4)
    assert s4 == "NEW" and inc2 != inc1
    first = one(cfg, "SELECT * FROM life_limit_incidents WHERE incident_id = $i", {"i": inc1})
    assert (first["status"], first["first_date"], first["last_date"], first["resolved_date"]) == ("RESOLVED", D1, D2, D3)
    assert first["days_in_breach"] == 2 and first["peak_utilisation_pct"] == pytest.approx(150.0)
    assert first["peak_date"] == D2 and float(first["peak_excess_base"]) == 500.0
    second = one(cfg, "SELECT * FROM life_limit_incidents WHERE incident_id = $i", {"i": inc2})
    assert second["status"] == "OPEN" and second["resolved_date"] is None
    before = read(cfg, "SELECT * EXCLUDE (updated_run_id, updated_at) FROM life_limit_incidents ORDER BY incident_id")
    # re-runs, also out of order, leave the lifecycle as it was
    run(cfg, D2)
    run(cfg, D3)
    after = read(cfg, "SELECT * EXCLUDE (updated_run_id, updated_at) FROM life_limit_incidents ORDER BY incident_id")
    assert after.equals(before)
    assert _breaches(cfg, D2) == [(inc1, "CONTINUING")]
    assert [r["incident_id"] for r in lim.list_incidents(cfg, status="OPEN").to_dicts()] == [inc2]
    assert [r["incident_id"] for r in lim.list_incidents(cfg, as_of=D2).to_dicts()] == [inc1]


def test_workflow_ack_comment_four_eyes_and_history(tmp_path: Path) -> None:
    cfg = _world(tmp_path)
    for d in (D3, D4):
        run(cfg, d)
    (inc, _), = _breaches(cfg, D4)
    lim.acknowledge(cfg, inc, actor="ann", text="looking")
    with pytest.raises(WorkflowError, match="already acknowledged by ann"):
        lim.acknowledge(cfg, inc, actor="ben")
    lim.comment(cfg, inc, actor="ben", text="client order, hedge tomorrow")
    for bad in (lambda: lim.comment(cfg, inc, actor="ben", text=" "),
                lambda: lim.acknowledge(cfg, "LB-nope", actor="ann"),
                lambda: lim.comment(cfg, inc, actor="", text="x")):
        with pytest.raises(WorkflowError):
            bad()
    row = lim.list_incidents(cfg, status="ACKNOWLEDGED").row(0, named=True)
    assert (row["incident_id"], row["acknowledged_by"], row["comments"]) == (inc, "ann", 1)
    assert row["last_comment"] == "client order, hedge tomorrow"

    with pytest.raises(WorkflowError):
        lim.request_temporary_increase(cfg, "NOPE", actor="ann", new_value=1, valid_from=D4, valid_to=D4, reason="x")
    with pytest.raises(WorkflowError):
        lim.request_temporary_increase(cfg, "L-B1", actor="ann", new_value=2000, valid_from=D4, valid_to=D3, reason="x")
    rid = lim.request_temporary_increase(cfg, "L-B1", actor="ann", new_value=2000, valid_from=D4,
                                         valid_to=date(2024, 3, 29), reason="month-end client flow")
    with pytest.raises(WorkflowError, match="four-eyes"):
        lim.approve_temporary_increase(cfg, rid, actor="ANN ")
    lim.approve_temporary_increase(cfg, rid, actor="ben")
    with pytest.raises(WorkflowError, match="already APPROVED"):
        lim.approve_temporary_increase(cfg, rid, actor="cat")
    assert lim.list_requests(cfg, status="APPROVED")["request_id"].to_list() == [rid]

    run(cfg, D4)  # the approved increase applies: 1,100 / 2,000
    u = one(cfg, "SELECT * FROM out_limit_utilisation WHERE as_of = $d", {"d": D4})
    assert (u["status"], u["source"], u["is_temporary"]) == ("OK", "WORKFLOW", True)
    assert u["utilisation_pct"] == pytest.approx(55.0)
    # the breach is gone: the incident is kept as VOID with its workflow
    void = lim.list_incidents(cfg, status="VOID").row(0, named=True)
    assert void["incident_id"] == inc and void["acknowledged_by"] == "ann"
    hist = lim.incident_history(cfg, inc)
    kinds = hist["kind"].to_list()
    assert kinds[0] == "DAILY" and {"ACK", "COMMENT", "REQUEST_INCREASE", "APPROVE_INCREASE"} <= set(kinds)
    assert hist.filter(hist["kind"] == "ACK")["actor"].to_list() == ["ann"]


def test_reject_and_dates_outside_the_increase(tmp_path: Path) -> None:
    cfg = _world(tmp_path)
    rid = lim.request_temporary_increase(cfg, "L-B1", actor="ann", new_value=5000, valid_from=D1, valid_to=D1, reason="r")
    lim.reject_temporary_increase(cfg, rid, actor="ben", text="no")
    ok = lim.request_temporary_increase(cfg, "L-B1", actor="ann", new_value=5000, valid_from=D2, valid_to=D2, reason="r")
    lim.approve_temporary_increase(cfg, ok, actor="ben")
    for d in (D1, D2):
        run(cfg, d)
    status = read(cfg, "SELECT as_of, status, source FROM out_limit_utilisation ORDER BY as_of").rows()
    assert status == [(D1, "BREACH", "REF"), (D2, "OK", "WORKFLOW")]


def test_cli_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = _world(tmp_path)
    run(cfg, D4)
    for key in ("path", "published_path", "workflow_path"):
        monkeypatch.setenv(f"MIDOFFICE_STORE__{key.upper()}", str(cfg.get(f"store.{key}")))
    from engine.cli import console

    monkeypatch.setattr(console, "width", 250)
    runner = CliRunner()
    r = runner.invoke(app, ["limits", "list"])
    assert r.exit_code == 0, r.output
    assert "L-B1" in r.output and "BREACH" in r.output
    r = runner.invoke(app, ["limits", "breaches", "--status", "OPEN"])
    assert r.exit_code == 0 and "L-B1" in r.output
    inc = lim.list_incidents(cfg)["incident_id"][0]
    assert runner.invoke(app, ["limits", "ack", inc, "--actor", "ann"]).exit_code == 0
    assert runner.invoke(app, ["limits", "comment", inc, "--actor", "ann", "--text", "noted"]).exit_code == 0
    r = runner.invoke(app, ["limits", "request-increase", "L-B1", "--actor", "ann", "--new-value", "3000",
                            "--from", "2024-03-14", "--to", "2024-03-20", "--reason", "flow"])
    assert r.exit_code == 0, r.output
    rid = lim.list_requests(cfg)["request_id"][0]
    r = runner.invoke(app, ["limits", "approve", rid, "--actor", "ann"])
    assert isinstance(r.exception, WorkflowError)  # main() maps it to exit code 2
    assert runner.invoke(app, ["limits", "approve", rid, "--actor", "ben"]).exit_code == 0
    r = runner.invoke(app, ["limits", "history", inc])
    assert r.exit_code == 0 and "ACK" in r.output and "COMMENT" in r.output

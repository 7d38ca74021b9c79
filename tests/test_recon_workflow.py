"""The break workbench API: list and filters (bound parameters), detail with lineage, actions and
their audit events, four-eyes write-offs, invalid actions, exports (CSV / XLSX / Parquet) safe
against formula injection, and actions from a second process while runs go on."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from engine import store
from engine.errors import WorkflowError
from engine.recon import workflow
from tests.recon_rows import D, config, load, run, settlement, trade

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("recon_wf")
    cfg = config(tmp)
    q = Decimal
    with store.connect(cfg) as con:
        con.execute("INSERT INTO ops_load_batches VALUES (7, 'blotter', 'csv', '/data/fo/trades.csv', 'trades.csv', "
                    "'x', 1, 3, 3, 0, 'fo_trades', now(), now())")
        con.execute("INSERT INTO ops_load_batches VALUES (8, 'custody', 'csv', '/data/bo/cust_a.csv', 'cust_a.csv', "
                    "'y', 1, 3, 3, 0, 'bo_settlements', now(), now())")
    load(cfg, [
        trade("T1", batch_id=7, src_line=2),
        trade("T2", batch_id=7, src_line=3, counterparty_id="CP2"),
        trade("T3", batch_id=7, src_line=4),
    ], [
        settlement("S1", "T1", quantity=q(90), amount=q("13500.00"), batch_id=8, src_line=5),
        settlement("S2", "T2", counterparty_id="CP2", status="FAILING", reason_code="CLAC", settled_quantity=q(0),
                   batch_id=8, src_line=6),
    ])
    run(cfg, publish=True)
    return cfg


def _ids(cfg) -> dict[str, str]:  # type: ignore[no-untyped-def]
    df = workflow.list_breaks(cfg, break_type=["MATCHING", "SETTLEMENT"])
    return {f"{r['trade_id']}:{r['break_type']}": r["break_id"] for r in df.iter_rows(named=True)}


def test_list_columns_and_filters(world) -> None:  # type: ignore[no-untyped-def]
    df = workflow.list_breaks(world)
    assert tuple(df.columns) == workflow.LIST_COLUMNS
    types = sorted(workflow.list_breaks(world, break_type=["MATCHING", "SETTLEMENT"])["break_type"].to_list())
    assert types == ["CMIS_FO_ONLY", "DQUA", "FAILING"]
    assert workflow.list_breaks(world, counterparty="CP2")["break_type"].to_list() == ["FAILING"]
    assert workflow.list_breaks(world, break_type="DQUA", custodian="CUST_A").height == 1
    assert workflow.list_breaks(world, min_age=1).height == 0 and workflow.list_breaks(world, max_age=0).height == df.height
    assert workflow.list_breaks(world, isin="'; DROP TABLE out_breaks; --").height == 0   # a bound value, nothing else
    assert workflow.list_breaks(world, limit=2, offset=1).height == 2
    assert workflow.list_breaks(world, as_of=D - dt.timedelta(days=1)).height == 0
    with pytest.raises(WorkflowError, match="unknown status"):
        workflow.list_breaks(world, status="WHATEVER")


def test_detail_has_both_sides_with_lineage(world) -> None:  # type: ignore[no-untyped-def]
    bid = _ids(world)["T1:DQUA"]
    d = workflow.break_detail(world, bid)
    assert d["break"]["status"] == "OPEN" and d["break"]["break_type"] == "DQUA"
    assert [(r["trade_id"], r["file_path"], r["src_line"]) for r in d["fo"]] == [("T1", "/data/fo/trades.csv", 2)]
    assert [(r["settlement_id"], r["file_path"], r["src_line"]) for r in d["bo"]] == [("S1", "/data/bo/cust_a.csv", 5)]
    assert [(f["field"], f["fo_value"], f["bo_value"]) for f in d["fields"]][0] == ("quantity", "100.000000", "90.000000")
    assert d["life"]["first_seen"] == D and d["events"] == []
    with pytest.raises(WorkflowError, match="unknown break"):
        workflow.break_detail(world, "BRK-NOPE")


def test_actions_append_audit_events_and_change_state(world) -> None:  # type: ignore[no-untyped-def]
    ids = _ids(world)
    dqua, fail = ids["T1:DQUA"], ids["T2:FAILING"]
    workflow.assign(world, [dqua, fail], actor="alice", assignee="bob")
    workflow.comment(world, dqua, actor="bob", text="custodian booked 90, asking them")
    workflow.set_reason(world, dqua, actor="bob", reason="custodian input error")
    got = workflow.list_breaks(world, assignee="bob")
    assert sorted(got["break_id"].to_list()) == sorted([dqua, fail])
    row = got.filter(pl.col("break_id") == dqua).row(0, named=True)
    assert row["reason"] == "custodian input error" and row["n_comments"] == 1
    assert row["last_comment"] == "custodian booked 90, asking them"
    workflow.resolve(world, dqua, actor="bob", resolution_code="fixed_at_source", text="amended")
    assert workflow.list_breaks(world, status="RESOLVED")["break_id"].to_list() == [dqua]
    with pytest.raises(WorkflowError, match="status RESOLVED"):
        workflow.resolve(world, dqua, actor="bob", resolution_code="FIXED_AT_SOURCE")
    workflow.reopen(world, dqua, actor="carol", text="not fixed yet")
    with pytest.raises(WorkflowError, match="only a resolved break"):
        workflow.reopen(world, dqua, actor="carol")
    hist = workflow.break_history(world, dqua)
    assert hist["event_type"].to_list() == ["ASSIGN", "COMMENT", "SET_REASON", "RESOLVE", "REOPEN"]
    assert hist["actor"].to_list() == ["alice", "bob", "bob", "bob", "carol"]
    assert json.loads(hist["payload"][3])["resolution_code"] == "FIXED_AT_SOURCE"
    assert all(isinstance(t, dt.datetime) for t in hist["at"].to_list())


def test_write_off_needs_a_second_person(world) -> None:  # type: ignore[no-untyped-def]
    fail = _ids(world)["T2:FAILING"]
    res = workflow.resolve(world, fail, actor="alice", resolution_code="WRITE_OFF")
    assert res.requires_approval
    status = dict(zip(*workflow.list_breaks(world)[["break_id", "status"]].get_columns(), strict=True))
    assert status[fail] == "PENDING_APPROVAL"
    with pytest.raises(WorkflowError, match="four-eyes"):
        workflow.approve(world, res.event_ids[0], actor="ALICE")
    workflow.approve(world, res.event_ids[0], actor="dave")
    status = dict(zip(*workflow.list_breaks(world)[["break_id", "status"]].get_columns(), strict=True))
    assert status[fail] == "RESOLVED"
    with pytest.raises(WorkflowError, match="already approved"):
        workflow.approve(world, res.event_ids[0], actor="erin")
    with pytest.raises(WorkflowError, match="does not need approval"):
        workflow.approve(world, workflow.comment(world, fail, actor="x", text="y").event_ids[0], actor="z")
    hist = workflow.break_history(world, fail)
    assert hist.filter(pl.col("event_type") == "RESOLVE")["decision"].to_list() == ["APPROVED"]


@pytest.mark.parametrize(("call", "message"), [
    (lambda c: workflow.assign(c, "BRK-0000", actor="a", assignee="b"), "unknown break"),
    (lambda c: workflow.assign(c, [], actor="a", assignee="b"), "no break id"),
    (lambda c: workflow.comment(c, _ids(c)["T1:DQUA"], actor="", text="x"), "actor"),
    (lambda c: workflow.comment(c, _ids(c)["T1:DQUA"], actor="system", text="x"), "reserved"),
    (lambda c: workflow.comment(c, _ids(c)["T1:DQUA"], actor="a", text="  "), "needs text"),
    (lambda c: workflow.resolve(c, _ids(c)["T1:DQUA"], actor="a", resolution_code="BECAUSE"), "unknown resolution code"),
    (lambda c: workflow.manual_match(c, ["T9"], ["S1"], actor="a"), "unknown trade or settlement"),
    (lambda c: workflow.unmatch(c, "T:NOPE", actor="a"), "unknown match"),
    (lambda c: workflow.unmatch(c, "M:999", actor="a"), "unknown manual match"),
    (lambda c: workflow.approve(c, 99999, actor="a"), "unknown event"),
])
def test_invalid_actions_raise_workflow_error(world, call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(WorkflowError, match=message):
        call(world)


def test_exports_csv_xlsx_parquet(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dqua = _ids(world)["T1:DQUA"]
    workflow.comment(world, dqua, actor="mallory", text="=HYPERLINK(\"http://x\",\"click\")")
    workflow.assign(world, dqua, actor="mallory", assignee="@evil")
    p = workflow.export_breaks(world, tmp_path / "b.csv", "csv", break_type="DQUA")
    rows = list(csv.DictReader(p.read_text(encoding="utf-8").splitlines()))
    assert list(rows[0]) == list(workflow.LIST_COLUMNS)
    assert rows[0]["last_comment"].startswith("'=HYPERLINK") and rows[0]["assignee"] == "'@evil"
    assert rows[0]["amount_diff"] == "-1500.0000"          # numbers stay numbers
    x = workflow.export_breaks(world, tmp_path / "b.xlsx", None, break_type="DQUA")
    wb = openpyxl.load_workbook(x)
    assert wb.sheetnames == ["Breaks", "Summary"]
    ws = wb["Breaks"]
    head = [c.value for c in ws[1]]
    assert head == list(workflow.LIST_COLUMNS)
    r2 = {h: c for h, c in zip(head, ws[2], strict=True)}
    assert isinstance(r2["as_of"].value, dt.datetime) and r2["as_of"].is_date
    assert r2["amount_diff"].data_type == "n" and r2["amount_diff"].value == -1500
    assert r2["quantity_fo"].value == 100 and r2["last_comment"].value.startswith("'=")
    assert r2["assignee"].value == "'@evil" and r2["last_comment"].data_type == "s"
    summary = [[c.value for c in row] for row in wb["Summary"].iter_rows()]
    assert ["DQUA", "OPEN", 1] in [r[:3] for r in summary]
    pq = workflow.export_breaks(world, tmp_path / "b.parquet", "parquet", break_type="DQUA")
    back = pl.read_parquet(pq)
    assert back.columns == list(workflow.LIST_COLUMNS) and back["amount_diff"].to_list() == [Decimal("-1500.0000")]
    assert back["trade_ids"].to_list() == [["T1"]]
    from engine.errors import BadInputError
    with pytest.raises(BadInputError, match="export format"):
        workflow.export_breaks(world, tmp_path / "b.txt", None)


ACTIONS = """
import sys
from engine.config import load_config
from engine.recon import workflow
cfg = load_config(environ={{}}, overrides={{"store": {{"path": {s!r}, "published_path": {p!r}, "workflow_path": {w!r}}}}})
for i in range({n}):
    workflow.comment(cfg, {bid!r}, actor="proc2", text=f"note {{i}}")
print("ok")
"""


def test_actions_from_another_process_while_runs_go_on(world) -> None:  # type: ignore[no-untyped-def]
    bid = _ids(world)["T1:DQUA"]
    before = workflow.break_history(world, bid).height
    code = ACTIONS.format(s=str(world.store_path), p=str(world.published_path), w=str(world.workflow_path), n=8, bid=bid)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    for _ in range(2):
        run(world, publish=True)   # each run reads and writes the workflow store too
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    hist = workflow.break_history(world, bid)
    assert hist.height == before + 8
    assert hist.filter(pl.col("actor") == "proc2")["payload"].map_elements(lambda p: json.loads(p)["text"],
                                                                             return_dtype=pl.Utf8).to_list() == [
        f"note {i}" for i in range(8)]

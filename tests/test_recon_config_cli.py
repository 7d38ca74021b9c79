"""The [reconciliation] configuration is validated with errors that name the key; the CLI's
options match the Python API's parameters; the `midoffice breaks` commands work end to end."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from engine.cli import app
from engine.cli import console as cli_console
from engine.config import load_config
from engine.errors import ConfigError
from engine.recon import workflow
from engine.recon.settings import load_settings
from tests.recon_rows import D, config, load, run, settlement, trade


def _settings(**recon: object):  # type: ignore[no-untyped-def]
    return load_settings(load_config(environ={}, overrides={"reconciliation": recon}))


def test_default_settings() -> None:
    s = _settings()
    assert [p.method for p in s.passes] == ["reference", "block", "economic", "aggregate"]
    assert s.scope_asset_classes == ("EQUITY", "GOVT_BOND", "CORP_BOND")
    assert s.penalties.liquid_shares_bp == 1 and s.penalties.sovereign_bonds_bp == s.penalties.other_bonds_bp / 2
    assert s.tol("amount").minor_units == 1 and s.four_eyes_manual_match and s.four_eyes_write_off


@pytest.mark.parametrize(("recon", "message"), [
    ({"tolerances": {"volume": {"abs": 1}}}, "unknown field 'volume'"),
    ({"tolerances": {"price": {"rel": -1}}}, "price.rel must be >= 0"),
    ({"tolerances": {"price": {"base": "left"}}}, "base must be one of"),
    ({"tolerances": {"price": {"tol": 1}}}, "unknown keys"),
    ({"passes": [{"name": "x", "method": "fuzzy"}]}, "method must be one of"),
    ({"passes": [{"name": "x", "method": "economic", "keys": ["isin", "colour"]}]}, "unknown key field"),
    ({"passes": [{"name": "x", "method": "economic"}]}, "needs keys"),
    ({"passes": [{"name": "x", "method": "reference"}, {"name": "x", "method": "block"}]}, "unique"),
    ({"precedence": ["DQUA"]}, "missing"),
    ({"age_buckets": [5, 1, 10]}, "increasing"),
    ({"max_rounds": 0}, "max_rounds"),
])
def test_bad_settings_are_refused(recon: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError, match=message):
        _settings(**recon)


def _options(name: str) -> set[str]:
    breaks = get_command(app).commands["breaks"]  # type: ignore[attr-defined]
    return {p.name for p in breaks.commands[name].params if p.param_type_name == "option"}


def test_cli_filter_options_match_the_library_signature() -> None:
    api = set(inspect.signature(workflow.list_breaks).parameters) - {"cfg"}
    # CLI names: --type for break_type (repeatable); everything else by the same name
    cli = {"break_type" if o == "types" else o for o in _options("list")}
    assert api == cli
    export_api = api - {"limit", "offset"}
    assert export_api <= {"break_type" if o == "types" else o for o in _options("export")}


def test_cli_commands_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = config(tmp_path)
    load(cfg, [trade("T1"), trade("T2")], [settlement("S1", "T1", quantity=90)])
    run(cfg, publish=True)
    conf = tmp_path / "midoffice.toml"
    conf.write_text(f'[store]\npath = "{cfg.store_path}"\npublished_path = "{cfg.published_path}"\n'
                    f'workflow_path = "{cfg.workflow_path}"\n', encoding="utf-8")
    runner = CliRunner()
    monkeypatch.setenv("MIDOFFICE_USER", "alice")
    monkeypatch.setattr(cli_console, "width", 250)

    def cli(*args: str) -> str:
        res = runner.invoke(app, ["--config", str(conf), "breaks", *args], catch_exceptions=False)
        assert res.exit_code == 0, res.output
        return res.output

    out = cli("list", "--type", "MATCHING")
    assert "DQUA" in out and "CMIS_FO_ONLY" in out
    dqua = workflow.list_breaks(cfg, break_type="DQUA")["break_id"][0]
    assert "quantity" in cli("show", dqua)
    cli("assign", dqua, "--to", "bob")
    cli("comment", dqua, "--text", "asked the custodian")
    cli("set-reason", dqua, "--reason", "custodian error")
    out = cli("resolve", dqua, "--code", "WRITE_OFF")
    assert "four-eyes" in out
    event_id = workflow.break_history(cfg, dqua).filter(workflow.pl.col("event_type") == "RESOLVE")["event_id"][0]
    res = runner.invoke(app, ["--config", str(conf), "breaks", "approve", str(event_id)])
    assert res.exit_code != 0                               # alice cannot approve her own write-off
    cli("approve", str(event_id), "--actor", "bob")
    assert workflow.list_breaks(cfg, status="RESOLVED")["break_id"].to_list() == [dqua]
    cli("reopen", dqua)
    out = cli("export", "--out", str(tmp_path / "x.parquet"), "--type", "DQUA")
    assert "1 breaks" in out
    cli("stats")
    assert "alice" in cli("history", dqua)
    cli("match", "--trade", "T2", "--settlement", "S1")
    hist = workflow.break_history(cfg, dqua)
    assert hist["actor"].to_list()[:3] == ["alice", "alice", "alice"]
    out = json.loads(cli("accuracy", "--world", str(_tiny_truth(tmp_path)), "--json").strip())
    assert out["truth_breaks"] == 1 and out["recall"] == 1.0 and out["precision"] < 1


def _tiny_truth(tmp_path: Path) -> Path:
    world = tmp_path / "world"
    (world / "truth").mkdir(parents=True)
    (world / "truth" / "breaks.csv").write_text(
        "break_id,as_of,recon,break_class,side,trade_id,settlement_id,movement_id\n"
        f"B1,{D.isoformat()},SECURITIES,CMIS_FO_ONLY,FO_ONLY,T2,,\n", encoding="utf-8")
    return world

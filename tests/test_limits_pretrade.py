"""Pre-trade check: which limits a proposed trade moves to WARNING or BREACH, and by how much,
worked by hand on a small book; and `midoffice limits check`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine.cli import app
from engine.errors import BadInputError, FindingsError
from engine.limits import check_trade
from tests.positions_world import insert, limit, make_cfg, prices, reference, run, trade

AS_OF = date(2024, 3, 15)


@pytest.fixture(scope="module")
def cfg(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """B1 holds 50 EQA at 10 (500); B2 holds 30 EQB at 20 (600). Limits: B1 gross 1,000
    (warning 80%), desk EQ gross 2,000, firm net 1,500, C1 current exposure 100."""
    c = make_cfg(tmp_path_factory.mktemp("pretrade"))
    reference(c)
    insert(c, "fo_trades", [trade("T1", "B1", "EQA", "BUY", 50, 10, date(2024, 3, 1)),
                            trade("T2", "B2", "EQB", "BUY", 30, 20, date(2024, 3, 1))])
    prices(c, [("EQA", AS_OF, 10.0), ("EQB", AS_OF, 20.0), ("EQE", AS_OF, 5.0)])
    insert(c, "ref_limits", [
        limit("L-B1", "GROSS_EXPOSURE", 1000, scope_book="B1"),
        limit("L-EQ", "GROSS_EXPOSURE", 2000, scope_desk="EQ"),
        limit("L-NET", "NET_EXPOSURE", 1500),
        limit("L-C1", "CURRENT_EXPOSURE", 100, scope_counterparty="C1"),
    ])
    run(c, AS_OF)
    return c


def test_trade_moving_limits_to_warning_and_breach(cfg) -> None:  # type: ignore[no-untyped-def]
    # buy 60 EQA at the close: B1 500 -> 1,100 (110% BREACH, 100 over); EQ 1,100 -> 1,700 (85% WARNING);
    # firm net 1,100 -> 1,700 (113.3% BREACH)
    res = check_trade(cfg, {"book_id": "B1", "instrument_id": "EQA", "side": "BUY", "quantity": 60})
    rows = {r["limit_id"]: r for r in res.to_dicts()}
    assert set(rows) == {"L-B1", "L-EQ", "L-NET"}
    b1 = rows["L-B1"]
    assert (b1["impact"], b1["status_before"], b1["status_after"]) == ("NEW_BREACH", "OK", "BREACH")
    assert (b1["value_before"], b1["value_after"], b1["change"]) == (500.0, 1100.0, 600.0)
    assert b1["utilisation_after"] == pytest.approx(110.0) and b1["excess_after_base"] == pytest.approx(100.0)
    assert rows["L-EQ"]["impact"] == "NEW_WARNING" and rows["L-EQ"]["utilisation_after"] == pytest.approx(85.0)
    assert rows["L-NET"]["impact"] == "NEW_BREACH" and rows["L-NET"]["excess_after_base"] == pytest.approx(200.0)
    assert res["impact"].to_list()[:2] == ["NEW_BREACH", "NEW_BREACH"]  # breaches first


def test_trade_price_counterparty_and_new_position(cfg) -> None:  # type: ignore[no-untyped-def]
    # buy 20 EQA at 3 from C1: replacement cost 20 x (10 - 3) = 140 > 100 -> C1 BREACH;
    # B1 500 -> 700 (70%) stays OK
    res = check_trade(cfg, {"book_id": "B1", "instrument_id": "EQA", "side": "BUY", "quantity": 20, "price": 3,
                            "counterparty_id": "C1"})
    c1 = res.filter(res["limit_id"] == "L-C1").row(0, named=True)
    assert c1["value_before"] == 0.0 and c1["value_after"] == pytest.approx(140.0) and c1["impact"] == "NEW_BREACH"
    assert "L-B1" not in res["limit_id"].to_list()
    # a sale that reduces exposure moves nothing to WARNING/BREACH, but shows with all_changes
    assert check_trade(cfg, {"book_id": "B1", "instrument_id": "EQA", "side": "SELL", "quantity": 10}).is_empty()
    every = check_trade(cfg, {"book_id": "B1", "instrument_id": "EQA", "side": "SELL", "quantity": 10}, all_changes=True)
    assert set(every["impact"]) == {"UNCHANGED_STATUS"} and set(every["limit_id"]) == {"L-B1", "L-EQ", "L-NET"}
    new = check_trade(cfg, {"book_id": "B3", "instrument_id": "EQB", "side": "BUY", "quantity": 30}, all_changes=True)
    assert new.filter(new["limit_id"] == "L-EQ")["value_after"][0] == pytest.approx(1700.0)


def test_bad_trades_are_refused(cfg) -> None:  # type: ignore[no-untyped-def]
    for bad in ({"book_id": "B1", "instrument_id": "EQA", "side": "BUY"},
                {"book_id": "NOPE", "instrument_id": "EQA", "side": "BUY", "quantity": 1},
                {"book_id": "B1", "instrument_id": "EQA", "side": "HOLD", "quantity": 1},
                {"book_id": "B1", "instrument_id": "EQA", "side": "BUY", "quantity": -5}):
        with pytest.raises(BadInputError):
            check_trade(cfg, bad)


def test_cli_check(cfg, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from engine.cli import console

    for key in ("path", "published_path", "workflow_path"):
        monkeypatch.setenv(f"MIDOFFICE_STORE__{key.upper()}", str(cfg.get(f"store.{key}")))
    monkeypatch.setattr(console, "width", 250)
    runner = CliRunner()
    args = ["limits", "check", "--book", "B1", "--instrument", "EQA", "--side", "BUY", "--quantity", "60"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "L-B1" in r.output and "NEW_BREACH" in r.output
    r = runner.invoke(app, [*args, "--fail-on-breach"])
    assert isinstance(r.exception, FindingsError)  # exit code 1 through main()
    r = runner.invoke(app, ["limits", "check", "--book", "B1", "--instrument", "EQA", "--side", "SELL", "--quantity", "1"])
    assert r.exit_code == 0 and "moves no limit" in r.output

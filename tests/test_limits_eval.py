"""Limit evaluation on a hand-computed world: utilisation and status (OK / WARNING / BREACH),
ceilings and floors, the absolute-value flag, limit currency, validity dates, temporary limits
(same id and separate id), precedence (most specific, temporary, priority), '*' scopes,
counterparty groups, concentration, VaR and EAD from the risk tables, NO_DATA.

World on 2024-03-15 (closes; EQA 11 on the 14th, else unchanged; EUR = 1.2 USD both days):
  B1 (EQ, alice):  EQA +100 -> 1,000 | EQB -50 -> -1,000
  B2 (EQ, bob):    EQE +10 @ 100 EUR -> 1,200
  R1 (RATES):      EQA +60 -> 600
  firm gross 3,800; EQ 3,200; RATES 600. Unsettled: B1's EQA buy @ 9 (C1: RC 100),
  R1's EQA buy @ 9.5 (C2: RC 30); C1 and C2 belong to parent P. Day's P&L: EQA 160 x (10 - 11).
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.positions_world import fx, insert, limit, make_cfg, prices, read, reference, run, trade

AS_OF = date(2024, 3, 15)
D13 = date(2024, 3, 13)


def _var(level: str, key: str, var: float, confidence: float = 0.99) -> dict:  # type: ignore[type-arg]
    return {"as_of": AS_OF, "run_id": 0, "level": level, "key": key, "method": "HISTORICAL", "model": "FULL_REVAL",
            "confidence": confidence, "horizon_days": 1, "var": var, "es": var * 1.2, "currency": "USD"}


LIMITS = [
    limit("F-GROSS", "GROSS_EXPOSURE", 5000),                                     # 76% OK
    limit("F-NET-EUR", "NET_EXPOSURE", 1500, scope_currency="EUR"),               # 80% WARNING (boundary)
    limit("D-STAR", "GROSS_EXPOSURE", 3000, scope_desk="*"),                      # EQ 106.67% BREACH
    limit("D-RATES", "GROSS_EXPOSURE", 500, scope_desk="RATES", severity="SOFT"),  # 120%, governs RATES
    limit("B-STAR", "NET_EXPOSURE", 1000, scope_book="*"),                        # R1 60%
    limit("B-EQ-STAR", "NET_EXPOSURE", 1500, scope_desk="EQ", scope_book="*"),    # governs B1, B2
    limit("S-ABS", "SHORT_EXPOSURE", 500, scope_book="B1"),                       # |-1,000| 200% BREACH
    limit("S-NOABS", "SHORT_EXPOSURE", 500, scope_trader="alice", use_abs=False),  # -1,000 <= 500 OK
    limit("P-FLOOR", "PNL_DAILY", -100, comparison=">=", use_abs=False),          # -160: 160% BREACH
    limit("F-EUR-LIM", "GROSS_EXPOSURE", 4000, scope_asset_class="EQUITY", currency="EUR"),  # 3,800 / 4,800
    limit("OLD", "GROSS_EXPOSURE", 1, scope_sector="TECH", valid_to=date(2024, 3, 1)),
    limit("FUTURE", "GROSS_EXPOSURE", 1, scope_sector="TECH", valid_from=date(2024, 4, 1)),
    limit("T1", "GROSS_EXPOSURE", 1000, scope_issuer="ISS_A"),
    limit("T1", "GROSS_EXPOSURE", 2000, scope_issuer="ISS_A", version=2, is_temporary=True,
          valid_from=date(2024, 3, 10), valid_to=date(2024, 3, 20)),               # 1,600 / 2,000 WARNING
    limit("T2", "GROSS_EXPOSURE", 500, scope_issuer="ISS_B"),
    limit("T2-TMP", "GROSS_EXPOSURE", 2000, scope_issuer="ISS_B", is_temporary=True, priority=10,
          valid_from=date(2024, 3, 10), valid_to=date(2024, 3, 20)),               # 50% OK, governs T2
    limit("T3", "GROSS_EXPOSURE", 1000, scope_issuer="ISS_E"),                     # 120% BREACH
    limit("T3-TMP", "GROSS_EXPOSURE", 5000, scope_issuer="ISS_E", is_temporary=True, priority=10,
          valid_from=date(2024, 2, 1), valid_to=date(2024, 3, 1)),                 # expired
    limit("PR-A", "GROSS_EXPOSURE", 100, scope_country="DE"),
    limit("PR-B", "GROSS_EXPOSURE", 5000, scope_country="DE", priority=5),        # governs: 24%
    limit("CP-GROUP", "CURRENT_EXPOSURE", 50, scope_counterparty="P"),            # 130: 260% BREACH
    limit("CP-STAR", "CURRENT_EXPOSURE", 120, scope_counterparty="*"),            # C1 83.3% WARNING, C2 25%
    limit("C-ISS", "CONCENTRATION_PCT", 40, scope_desk="EQ", scope_issuer="*"),   # of EQ's 3,200
    limit("V-FIRM", "VAR_99_1D", 1000),                                           # 900: 90% WARNING
    limit("V-DESK", "VAR_99_1D", 300, scope_desk="*"),                            # EQ 400 BREACH, RATES 100 OK
    limit("V-BOOK", "VAR_99_1D", 300, scope_book="B9"),                           # no such book: NO_DATA
    limit("V-TRADER", "VAR_99_1D", 300, scope_trader="alice"),                    # not a VaR level: NO_DATA
    limit("E-C3", "EAD", 100, scope_counterparty="C3"),                           # 150: BREACH
    limit("U-FOO", "FOO", 1),                                                     # unknown measure
]


@pytest.fixture(scope="module")
def util(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    cfg = make_cfg(tmp_path_factory.mktemp("limits"))
    reference(cfg)
    insert(
        cfg,
        "fo_trades",
        [
            trade("A", "B1", "EQA", "BUY", 100, 9, D13, date(2024, 3, 18), counterparty_id="C1"),
            trade("B", "B1", "EQB", "SELL", 50, 20, D13, D13, counterparty_id="C3"),
            trade("E", "B2", "EQE", "BUY", 10, 100, D13, D13, counterparty_id="C3", currency="EUR"),
            trade("R", "R1", "EQA", "BUY", 60, 9.5, D13, date(2024, 3, 19), counterparty_id="C2"),
        ],
    )
    prices(cfg, [("EQA", date(2024, 3, 14), 11.0), ("EQA", AS_OF, 10.0), ("EQB", AS_OF, 20.0), ("EQE", AS_OF, 100.0)])
    fx(cfg, [("EUR", date(2024, 3, 14), 1.2), ("EUR", AS_OF, 1.2)])
    insert(cfg, "ref_limits", LIMITS)
    insert(cfg, "out_var", [_var("FIRM", "FIRM", 900), _var("DESK", "EQ", 400), _var("DESK", "RATES", 100),
                            _var("FIRM", "FIRM", 5, confidence=0.95)])
    zeros = dict.fromkeys(["mtm", "collateral", "replacement_cost", "addon_ir", "addon_fx", "addon_credit", "addon_equity",
                           "addon_commodity", "addon_aggregate", "pfe_multiplier", "pfe", "ead_unmargined", "current_exposure"], 0.0)
    insert(cfg, "out_saccr", [{"as_of": AS_OF, "run_id": 0, "netting_set_id": "NS1", "counterparty_id": "C3", "margined": False,
                               "n_trades": 1, "ead": 150.0, "currency": "USD", **zeros}])
    res = run(cfg, AS_OF)
    df = read(cfg, "SELECT * FROM out_limit_utilisation WHERE as_of = $d", {"d": AS_OF})
    return {(r["limit_id"], r["point_key"]): r for r in df.to_dicts()}, res


def _check(util, limit_id: str, point: str, status: str, value: float | None = None, pct: float | None = None) -> dict:  # type: ignore[no-untyped-def,type-arg]
    rows, _ = util
    r = rows[(limit_id, point)]
    assert r["status"] == status, r
    if value is not None:
        assert float(r["measure_value"]) == pytest.approx(value, abs=1e-4)
    if pct is not None:
        assert r["utilisation_pct"] == pytest.approx(pct, abs=1e-6)
    return r  # type: ignore[no-any-return]


def test_firm_warning_and_breach(util) -> None:  # type: ignore[no-untyped-def]
    _check(util, "F-GROSS", "firm", "OK", 3800, 76.0)
    _check(util, "F-NET-EUR", "currency=EUR", "WARNING", 1200, 80.0)  # warning at exactly 80%
    r = _check(util, "D-STAR", "desk=EQ", "BREACH", 3200, 320 / 3)
    assert float(r["excess_base"]) == 200.0 and r["severity"] == "HARD"


def test_abs_flag_floor_and_limit_currency(util) -> None:  # type: ignore[no-untyped-def]
    _check(util, "S-ABS", "book_id=B1", "BREACH", -1000, 200.0)
    _check(util, "S-NOABS", "trader=alice", "OK", -1000, -200.0)
    r = _check(util, "P-FLOOR", "firm", "BREACH", -160, 160.0)
    assert float(r["excess_base"]) == 60.0  # 60 below the floor
    r = _check(util, "F-EUR-LIM", "asset_class=EQUITY", "OK", 3800, 3800 / 48)
    assert float(r["limit_value_base"]) == 4800.0 and r["limit_currency"] == "EUR"


def test_precedence_most_specific_then_temporary_then_priority(util) -> None:  # type: ignore[no-untyped-def]
    r = _check(util, "D-STAR", "desk=RATES", "SUPERSEDED", 600)
    assert r["governed_by"] == "D-RATES"
    r = _check(util, "D-RATES", "desk=RATES", "BREACH", 600, 120.0)
    assert r["severity"] == "SOFT"
    # a desk-scoped '*' book limit beats the firm-wide '*' book limit on the desk's books
    _check(util, "B-STAR", "book_id=B2", "SUPERSEDED")
    _check(util, "B-STAR", "book_id=B1", "SUPERSEDED")
    _check(util, "B-EQ-STAR", "desk=EQ;book_id=B2", "WARNING", 1200, 80.0)
    _check(util, "B-EQ-STAR", "desk=EQ;book_id=B1", "OK", 0, 0.0)
    _check(util, "B-STAR", "book_id=R1", "OK", 600, 60.0)
    _check(util, "PR-A", "country=DE", "SUPERSEDED")
    _check(util, "PR-B", "country=DE", "OK", 1200, 24.0)


def test_validity_and_temporary_limits(util) -> None:  # type: ignore[no-untyped-def]
    rows, _ = util
    assert not {k for k in rows if k[0] in ("OLD", "FUTURE", "T3-TMP")}
    r = _check(util, "T1", "issuer=ISS_A", "WARNING", 1600, 80.0)  # its temporary version 2 governs
    assert r["version"] == 2 and r["is_temporary"]
    _check(util, "T2-TMP", "issuer=ISS_B", "OK", 1000, 50.0)
    assert _check(util, "T2", "issuer=ISS_B", "SUPERSEDED")["governed_by"] == "T2-TMP"
    _check(util, "T3", "issuer=ISS_E", "BREACH", 1200, 120.0)  # its temporary limit expired


def test_counterparty_group_star_and_concentration(util) -> None:  # type: ignore[no-untyped-def]
    _check(util, "CP-GROUP", "counterparty_id=P", "BREACH", 130, 260.0)
    _check(util, "CP-STAR", "counterparty_id=C1", "WARNING", 100, 100 / 1.2)
    _check(util, "CP-STAR", "counterparty_id=C2", "OK", 30, 25.0)
    _check(util, "C-ISS", "desk=EQ;issuer=ISS_A", "OK", 31.25, 78.125)
    _check(util, "C-ISS", "desk=EQ;issuer=ISS_E", "WARNING", 37.5, 93.75)


def test_var_ead_and_no_data(util) -> None:  # type: ignore[no-untyped-def]
    _check(util, "V-FIRM", "firm", "WARNING", 900, 90.0)  # the 95% row is not VAR_99_1D
    _check(util, "V-DESK", "desk=EQ", "BREACH", 400)
    _check(util, "V-DESK", "desk=RATES", "OK", 100)
    assert "no VAR_99_1D" in _check(util, "V-BOOK", "book_id=B9", "NO_DATA")["note"]
    _check(util, "V-TRADER", "trader=alice", "NO_DATA")
    _check(util, "E-C3", "counterparty_id=C3", "BREACH", 150, 150.0)
    assert "unknown measure" in _check(util, "U-FOO", "firm", "NO_DATA")["note"]
    _, res = util
    s = res.steps["limits"]
    assert s["breaches"] == sum(1 for r in util[0].values() if r["status"] == "BREACH") and s["no_data"] == 3

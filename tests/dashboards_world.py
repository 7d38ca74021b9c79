"""Stores for the dashboard tests.

``build_inline_store`` writes a tiny world with hand-written rows (two legal entities, four books,
two run dates, positions, VaR, stress, backtest, SA-CCR, quarantine), so the expected figures
below are computed by hand, not by the code under test. ``build_generated_store`` builds a real
store with the sample-world generator, the loader and the end-of-day run when those exist.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from engine import store
from engine.config import Config, load_config

D1 = date(2024, 3, 27)
D2 = date(2024, 3, 28)

# Hand-computed expectations for the inline world (as of D2, no filters).
# positions D2 (market_value_base): B1 +1000.00, B1 -250.50, B2 +400.00, B3 -2000.00, B4 +300.00
EXPECTED = {
    "gross_d2": Decimal("3950.50"),   # 1000 + 250.50 + 400 + 2000 + 300
    "net_d2": Decimal("-550.50"),     # 1000 - 250.50 + 400 - 2000 + 300
    "gross_d1": Decimal("3500.00"),   # 900 + 600 + 2000
    "gross_le1_d2": Decimal("3250.50"),  # books B1 and B3 (LE1): 1000 + 250.50 + 2000
    "gross_eq_desk_d2": Decimal("1650.50"),  # desk EQ = B1 + B2
    "firm_var_d2": 1234.5,
    "ead_d2": 1500.0,                 # netting sets NS1 (1000) + NS2 (500)
    "quarantined": 3,
    "pnl_d2": Decimal("75"),           # B1 100, B3 -50, B4 25
    "pnl_d1": Decimal("30"),
    "realised_d2": Decimal("40"),
    "unrealised_d2": Decimal("30"),    # 70 - 60 + 20
    "attribution_d2": {"new_trade": 40, "price_move": 30, "fx_move": 5, "carry": 10, "fees": -10, "total": 75},
    "breaches_d2": 1, "warnings_d2": 1, "breaches_d1": 0, "warnings_d1": 1,
    "open_breaks_d2": 2, "open_breaks_d1": 1,   # BRK-1 and BRK-2 (BRK-3 resolved on D2)
    "rows_read": 23,
}


def make_cfg(tmp: Path) -> Config:
    return load_config(
        environ={},
        overrides={
            "store": {
                "path": str(tmp / "store.duckdb"),
                "published_path": str(tmp / "published.duckdb"),
                "workflow_path": str(tmp / "workflow.duckdb"),
                "lock_retry_seconds": 30,
            }
        },
    )


def config_file(tmp: Path, extra: str = "") -> Path:
    """A TOML file naming the store under ``tmp`` (for MIDOFFICE_CONFIG), plus ``extra`` TOML."""
    p = tmp / "midoffice.toml"
    p.write_text(
        "[store]\n"
        f"path = '{tmp / 'store.duckdb'}'\n"
        f"published_path = '{tmp / 'published.duckdb'}'\n"
        f"workflow_path = '{tmp / 'workflow.duckdb'}'\n" + extra,
        encoding="utf-8",
    )
    return p


def _ins(con, table: str, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    """Insert rows by column name (columns a row does not give take their defaults)."""
    groups: dict[tuple[str, ...], list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(r), []).append(r)
    for cols, group in groups.items():
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"  # noqa: S608
        con.executemany(sql, [[r[c] for c in cols] for r in group])


def build_inline_store(cfg: Config) -> Config:
    with store.connect(cfg) as con:
        _ins(con, "ref_legal_entities", [
            {"legal_entity_id": "LE1", "name": "Bank US", "base_currency": "USD"},
            {"legal_entity_id": "LE2", "name": "Bank EU", "base_currency": "USD"},
        ])
        _ins(con, "ref_books", [
            {"book_id": "B1", "desk": "EQ", "legal_entity_id": "LE1", "trader": "T1"},
            {"book_id": "B2", "desk": "EQ", "legal_entity_id": "LE2", "trader": "T2"},
            {"book_id": "B3", "desk": "RATES", "legal_entity_id": "LE1", "trader": "T3"},
            {"book_id": "B4", "desk": "FX", "legal_entity_id": "LE2", "trader": "T4"},
        ])
        _ins(con, "ref_instruments", [
            {"instrument_id": "US0378331005", "isin": "US0378331005", "name": "Apple", "asset_class": "EQUITY", "currency": "USD", "issuer": "APPLE", "sector": "TECH", "country": "US"},
            {"instrument_id": "DE0007164600", "isin": "DE0007164600", "name": "SAP", "asset_class": "EQUITY", "currency": "EUR", "issuer": "SAP", "sector": "TECH", "country": "DE"},
            {"instrument_id": "US912828XG55", "isin": "US912828XG55", "name": "UST 2029", "asset_class": "GOVT_BOND", "currency": "USD", "issuer": "UST", "sector": "GOVT", "country": "US"},
            {"instrument_id": "EURUSD", "name": "EURUSD spot", "asset_class": "FX_SPOT", "currency": "USD", "country": "EU"},
        ])
        _ins(con, "ref_counterparties", [
            {"counterparty_id": "CP1", "name": "Alpha Bank", "rating": "A"},
            {"counterparty_id": "CP2", "name": "Beta Securities", "rating": "BBB"},
        ])
        _ins(con, "ref_limits", [
            {"limit_id": "L_EAD_CP1", "measure": "EAD", "scope_counterparty": "CP1", "limit_value": Decimal("1200"), "currency": "USD", "valid_from": date(2024, 1, 1)},
            {"limit_id": "L_EAD_CP2", "measure": "EAD", "scope_counterparty": "CP2", "limit_value": Decimal("400"), "currency": "USD", "valid_from": date(2024, 1, 1)},
        ])
        now = datetime(2024, 3, 28, 18, 0, 0)
        _ins(con, "ops_load_batches", [
            {"batch_id": 1, "feed": "sample_trades", "connector": "csv", "file_path": "/data/trades.csv", "file_name": "trades.csv",
             "checksum_sha256": "a" * 64, "file_bytes": 100, "rows_read": 12, "rows_loaded": 10, "rows_quarantined": 2,
             "target_tables": "fo_trades", "started_at": now, "finished_at": now},
            {"batch_id": 2, "feed": "sample_settlements", "connector": "csv", "file_path": "/data/settle.csv", "file_name": "settle.csv",
             "checksum_sha256": "b" * 64, "file_bytes": 100, "rows_read": 11, "rows_loaded": 10, "rows_quarantined": 1,
             "target_tables": "bo_settlements", "started_at": now, "finished_at": now},
        ])
        _ins(con, "ops_quarantine", [
            {"batch_id": 1, "feed": "sample_trades", "file_path": "/data/trades.csv", "line_no": 4, "record_ref": "T0004",
             "target_table": "fo_trades", "rule": "bad_decimal", "reason": "quantity: expected a decimal, found 'abc'", "raw_text": "T0004,B1,abc"},
            {"batch_id": 1, "feed": "sample_trades", "file_path": "/data/trades.csv", "line_no": 9, "record_ref": "T0009",
             "target_table": "fo_trades", "rule": "unknown_isin", "reason": "isin: check digit fails for 'US0000000000'", "raw_text": "T0009,B2,US0000000000"},
            {"batch_id": 2, "feed": "sample_settlements", "file_path": "/data/settle.csv", "line_no": 3, "record_ref": "S0003",
             "target_table": "bo_settlements", "rule": "bad_date", "reason": "settle date: expected YYYY-MM-DD, found '2024-13-01'", "raw_text": "S0003,2024-13-01"},
        ])
        # take run ids 1 and 2 from the sequence so that later real runs get fresh ones
        assert [store.scalar(con, "SELECT nextval('seq_run_id')") for _ in range(2)] == [1, 2]
        _ins(con, "ops_runs", [
            {"run_id": 1, "as_of": D1, "started_at": datetime(2024, 3, 27, 18), "finished_at": datetime(2024, 3, 27, 18, 1), "status": "OK"},
            {"run_id": 2, "as_of": D2, "started_at": datetime(2024, 3, 28, 18), "finished_at": datetime(2024, 3, 28, 18, 2), "status": "OK"},
        ])
        pos = []
        for as_of, run_id, rows in (
            (D1, 1, [("LE1", "EQ", "B1", "US0378331005", "EQUITY", "900"), ("LE2", "EQ", "B2", "DE0007164600", "EQUITY", "600"),
                     ("LE1", "RATES", "B3", "US912828XG55", "GOVT_BOND", "-2000")]),
            (D2, 2, [("LE1", "EQ", "B1", "US0378331005", "EQUITY", "1000"), ("LE1", "EQ", "B1", "DE0007164600", "EQUITY", "-250.50"),
                     ("LE2", "EQ", "B2", "DE0007164600", "EQUITY", "400"), ("LE1", "RATES", "B3", "US912828XG55", "GOVT_BOND", "-2000"),
                     ("LE2", "FX", "B4", "EURUSD", "FX_SPOT", "300")]),
        ):
            for le, desk, book, inst, ac, mv in rows:
                for basis in ("TRADE", "SETTLE"):
                    pos.append({"as_of": as_of, "run_id": run_id, "basis": basis, "position_id": f"{book}|{inst}",
                                "legal_entity_id": le, "desk": desk, "book_id": book, "trader": "T" + book[1],
                                "instrument_id": inst, "asset_class": ac, "currency": "USD", "valuation": "PRICE",
                                "quantity": Decimal("10"), "price_source": "CLOSE", "price_multiplier": Decimal("1"),
                                "accrued_local": Decimal("0"), "trades": 1,
                                # settlement-date positions are half the trade-date ones in this world
                                "market_value_local": Decimal(mv) / (1 if basis == "TRADE" else 2),
                                "market_value_base": Decimal(mv) / (1 if basis == "TRADE" else 2)})
        _ins(con, "out_positions", pos)
        pnl = []
        for as_of, prev, run_id, rows in (
            (D1, date(2024, 3, 26), 1, [("LE1", "EQ", "B1", "US0378331005", 30, 10, 20, 0, 0, 0)]),
            (D2, D1, 2, [("LE1", "EQ", "B1", "US0378331005", 100, 40, 70, -10, 0, 0),
                         ("LE1", "RATES", "B3", "US912828XG55", -50, 0, -60, 0, 10, 0),
                         ("LE2", "FX", "B4", "EURUSD", 25, 0, 20, 0, 0, 5)]),
        ):
            for le, desk, book, inst, total, real, unreal, fees, carry, fxt in rows:
                pnl.append({"as_of": as_of, "run_id": run_id, "prev_date": prev, "legal_entity_id": le, "desk": desk,
                            "book_id": book, "trader": "T" + book[1], "instrument_id": inst, "asset_class": "EQUITY",
                            "currency": "USD", "lot_method": "FIFO", "quantity_prev": Decimal(10), "quantity": Decimal(10),
                            "fx_rate_prev": Decimal(1), "fx_rate": Decimal(1),
                            "market_value_prev_local": Decimal(0), "market_value_local": Decimal(0), "cash_flow_local": Decimal(0),
                            "realised_local": Decimal(real), "unrealised_local": Decimal(unreal), "fees_local": Decimal(fees),
                            "carry_local": Decimal(carry), "total_local": Decimal(total - fxt), "fx_translation_base": Decimal(fxt),
                            "total_base": Decimal(total), "realised_itd_local": Decimal(real * 2), "unrealised_itd_local": Decimal(unreal * 2),
                            "fees_itd_local": Decimal(fees * 2), "trades_today": 1})
        _ins(con, "out_pnl", pnl)
        _ins(con, "out_pnl_attribution", [
            {"as_of": D2, "run_id": 2, "book_id": b, "instrument_id": i, "currency": "USD",
             "new_trade_local": Decimal(nt), "price_move_local": Decimal(pm), "carry_local": Decimal(ca), "fees_local": Decimal(fe),
             "total_local": Decimal(nt + pm + ca + fe), "new_trade_base": Decimal(nt), "price_move_base": Decimal(pm),
             "fx_move_base": Decimal(fx), "carry_base": Decimal(ca), "fees_base": Decimal(fe), "total_base": Decimal(nt + pm + ca + fe + fx)}
            for b, i, nt, pm, fx, ca, fe in (("B1", "US0378331005", 40, 70, 0, 0, -10), ("B3", "US912828XG55", 0, -60, 0, 10, 0),
                                             ("B4", "EURUSD", 0, 20, 5, 0, 0))
        ])
        lu = []
        for as_of, run_id, rows in (
            (D1, 1, [("L_GROSS_EQ", "desk=EQ", "EQ", 90.0, "WARNING"), ("L_GROSS_RATES", "desk=RATES", "RATES", 70.0, "OK"),
                     ("L_FIRM", "firm", None, 40.0, "OK")]),
            (D2, 2, [("L_GROSS_EQ", "desk=EQ", "EQ", 110.0, "BREACH"), ("L_GROSS_RATES", "desk=RATES", "RATES", 85.0, "WARNING"),
                     ("L_FIRM", "firm", None, 50.0, "OK"), ("L_OLD", "desk=EQ", "EQ", 300.0, "SUPERSEDED")]),
        ):
            for lid, point, desk, used, status in rows:
                lu.append({"as_of": as_of, "run_id": run_id, "limit_id": lid, "version": 1, "source": "REF", "measure": "GROSS_EXPOSURE",
                           "point_key": point, "desk": desk, "comparison": "<=", "use_abs": True,
                           "measure_value": Decimal(str(used * 10)), "limit_value": Decimal(1000), "limit_currency": "USD",
                           "limit_value_base": Decimal(1000), "utilisation_pct": used, "warning_pct": Decimal(80),
                           "excess_base": Decimal(str(used * 10 - 1000)), "status": status, "severity": "HARD",
                           "is_temporary": False, "specificity": 0 if desk is None else 1, "priority": 0})
        _ins(con, "out_limit_utilisation", lu)
        _ins(con, "life_limit_incidents", [
            {"incident_id": "LB-EQ", "limit_id": "L_GROSS_EQ", "measure": "GROSS_EXPOSURE", "point_key": "desk=EQ",
             "severity": "HARD", "status": "OPEN", "first_date": D2, "last_date": D2, "days_in_breach": 1,
             "peak_utilisation_pct": 110.0, "peak_date": D2, "updated_run_id": 2, "updated_at": datetime(2024, 3, 28, 18)},
        ])
        brk = []
        for as_of, run_id, rows in (
            (D1, 1, [("BRK-1", "NEW", "DQUA", "T1001", "S1001", 0)]),
            (D2, 2, [("BRK-1", "PERSISTING", "DQUA", "T1001", "S1001", 1), ("BRK-2", "NEW", "CMIS_FO_ONLY", "T1002", None, 0),
                     ("BRK-3", "RESOLVED", "DDAT", "T1003", "S1003", 3)]),
        ):
            for bid, life, btype, t, s_, age in rows:
                brk.append({"as_of": as_of, "run_id": run_id, "break_id": bid, "category": "MATCHING", "kind": "MISMATCH",
                            "break_type": btype, "side": "BOTH", "lifecycle": life, "anchor": f"T:{t}", "trade_id": t,
                            "settlement_id": s_, "first_seen": D1, "age_days": age, "age_bucket": "0-1",
                            "amount_base": Decimal("100.00")})
        _ins(con, "out_breaks", brk)
        _ins(con, "life_breaks", [
            {"break_id": bid, "category": "MATCHING", "kind": "MISMATCH", "break_type": bt, "anchor": f"T:{t}", "trade_id": t,
             "settlement_id": s_, "first_seen": D1, "last_seen": D2, "days_seen": n, "status": st, "updated_run_id": 2}
            for bid, bt, t, s_, n, st in (("BRK-1", "DQUA", "T1001", "S1001", 2, "OPEN"), ("BRK-2", "CMIS_FO_ONLY", "T1002", None, 1, "OPEN"),
                                          ("BRK-3", "DDAT", "T1003", "S1003", 2, "RESOLVED"))
        ])
        con.execute("UPDATE out_breaks SET trade_ids = [trade_id], settlement_ids = CASE WHEN settlement_id IS NULL THEN NULL ELSE [settlement_id] END")
        _ins(con, "fo_trades", [
            {"trade_id": t, "version": 1, "status": "NEW", "known_date": D1, "book_id": "B1", "counterparty_id": "CP1",
             "instrument_id": "US0378331005", "isin": "US0378331005", "side": "BUY", "quantity": Decimal(q), "price": Decimal("10"),
             "currency": "USD", "trade_date": D1, "settle_date": D2, "net_amount": Decimal(q) * 10, "batch_id": 1, "src_line": line}
            for t, q, line in (("T1001", "100", 2), ("T1002", "50", 3), ("T1003", "70", 5))
        ])
        _ins(con, "bo_settlements", [
            {"settlement_id": sid, "seq": 1, "known_date": D1, "custodian": "CUST_A", "message_type": "CSV", "trade_ref": ref,
             "isin": "US0378331005", "direction": "RECEIVE", "quantity": Decimal(q), "amount": Decimal(q) * 10, "currency": "USD",
             "trade_date": D1, "intended_settle_date": D2, "status": "PENDING", "batch_id": 2, "src_line": line}
            for sid, ref, q, line in (("S1001", "T1001", "90", 2), ("S1003", "T1003", "70", 4), ("S2002", None, "50", 6))
        ])
        _ins(con, "out_break_fields", [
            {"as_of": D2, "run_id": 2, "break_id": "BRK-1", "category": "MATCHING", "field": "quantity", "iso_code": "DQUA", "precedence": 1,
             "fo_value": "100", "bo_value": "90", "difference": "-10", "diff_num": Decimal(-10), "tolerance": "exact"},
        ])
        _ins(con, "out_suggestions", [
            {"as_of": D2, "run_id": 2, "break_id": "BRK-2", "side": "FO", "record_id": "T1002", "candidate_id": "S2002",
             "rank": 1, "score": 0.92, "differing_fields": "settle_date"},
        ])
        if store.scalar(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'out_var'"):
            var = []
            for as_of, run_id, firm in ((D1, 1, 1100.0), (D2, 2, 1234.5)):
                for level, key, v in (("FIRM", "FIRM", firm), ("DESK", "EQ", 800.0), ("DESK", "RATES", 700.0), ("DESK", "FX", 90.0),
                                      ("BOOK", "B1", 600.0), ("BOOK", "B2", 300.0), ("BOOK", "B3", 700.0), ("BOOK", "B4", 90.0)):
                    var.append({"as_of": as_of, "run_id": run_id, "level": level, "key": key, "method": "HISTORICAL", "model": "FULL_REVAL",
                                "confidence": 0.99, "horizon_days": 1, "var": v, "es": v * 1.2, "n_scenarios": 250, "n_positions": 5, "currency": "USD"})
            _ins(con, "out_var", var)
            _ins(con, "out_var_components", [
                {"as_of": D2, "run_id": 2, "level": "DESK", "key": k, "desk": k, "method": "HISTORICAL", "model": "FULL_REVAL", "confidence": 0.99,
                 "horizon_days": 1, "component_var": c, "component_es": c * 1.2, "pct_of_var": c / 1234.5, "standalone_var": s}
                for k, c, s in (("EQ", 700.0, 800.0), ("RATES", 500.0, 700.0), ("FX", 34.5, 90.0))
            ])
            _ins(con, "out_stress", [
                {"as_of": D2, "run_id": 2, "scenario": s, "scenario_type": "WINDOW", "level": lv, "key": k, "pnl": p}
                for s, lv, k, p in (("GFC 2008", "FIRM", "FIRM", -5000.0), ("GFC 2008", "DESK", "EQ", -4000.0), ("GFC 2008", "DESK", "RATES", -1000.0),
                                    ("COVID 2020", "FIRM", "FIRM", -3000.0), ("COVID 2020", "DESK", "EQ", -3500.0), ("COVID 2020", "DESK", "RATES", 500.0))
            ])
            _ins(con, "out_backtest", [
                {"as_of": D2, "run_id": 2, "basis": "CURRENT_PORTFOLIO", "obs_date": date(2024, 3, d), "var_date": date(2024, 3, d - 1),
                 "method": "HISTORICAL", "confidence": 0.99, "var": 1000.0, "hypothetical_pnl": p, "actual_pnl": None,
                 "hyp_exception": -p > 1000.0, "actual_exception": None}
                for d, p in ((19, 200.0), (20, -1500.0), (21, 50.0), (22, -300.0), (25, 800.0), (26, -20.0), (27, 10.0), (28, -1100.0))
            ])
            _ins(con, "out_backtest_summary", [
                {"as_of": D2, "run_id": 2, "basis": "CURRENT_PORTFOLIO", "pnl_type": "HYPOTHETICAL", "method": "HISTORICAL", "confidence": 0.99,
                 "n_obs": 8, "exceptions": 2, "expected_exceptions": 0.08, "kupiec_lr": 9.1, "kupiec_pvalue": 0.0026, "zone": "GREEN",
                 "plus_factor": 0.0, "cumulative_probability": 0.99}
            ])
            _ins(con, "out_saccr", [
                {"as_of": D2, "run_id": 2, "netting_set_id": ns, "counterparty_id": cp, "legal_entity_id": le, "margined": False, "n_trades": 2,
                 "mtm": ead / 2, "collateral": 0.0, "replacement_cost": ead / 2, "addon_ir": ead / 4, "addon_fx": 0.0, "addon_credit": 0.0,
                 "addon_equity": 0.0, "addon_commodity": 0.0, "addon_aggregate": ead / 4, "pfe_multiplier": 1.0, "pfe": ead / 4,
                 "ead": ead, "ead_unmargined": ead, "current_exposure": ead / 2, "currency": "USD"}
                for ns, cp, le, ead in (("NS1", "CP1", "LE1", 1000.0), ("NS2", "CP2", "LE2", 500.0))
            ])
    store.publish(cfg)
    return cfg


#: Cheaper market-risk settings for test runs (fewer Monte Carlo paths, one distribution).
FAST_RISK_TOML = """
[market_risk]
scalings = ["SQRT"]
history_days = 250
[market_risk.monte_carlo]
paths = 500
distributions = ["NORMAL"]
"""


@dataclass(frozen=True)
class RealWorld:
    cfg: Config
    config_path: Path
    dates: tuple[date, ...]   # the run dates, oldest first

    @property
    def as_of(self) -> date:
        return self.dates[-1]


def build_generated_store(tmp: Path, *, trades: int = 1000, days: int = 5, runs: int = 2) -> RealWorld:
    """A real store: the sample-world generator -> the loader -> `runs` end-of-day runs of the
    last business dates (what `midoffice demo` does, smaller)."""
    from connectors.loader import load_paths
    from connectors.sample_world import generate_world
    from engine.run import run_eod

    path = config_file(tmp, FAST_RISK_TOML)
    cfg = load_config(path, environ={})
    out = tmp / "world"
    generate_world(out, trades=trades, days=days, seed=7, price_years=1)
    load_paths(cfg, sorted(p for p in out.iterdir() if p.is_dir() and p.name != "truth"))
    with store.connect(cfg, read_only=True) as con:
        dates = sorted(r[0] for r in con.sql(
            "SELECT DISTINCT trade_date FROM fo_trades ORDER BY trade_date DESC LIMIT $n", params={"n": runs}).fetchall())
    for d in dates:
        run_eod(cfg, d)
    return RealWorld(cfg, path, tuple(dates))


_REAL_WORLD: list[RealWorld] = []


@pytest.fixture(scope="session")
def real_world(tmp_path_factory: pytest.TempPathFactory) -> RealWorld:
    """One generated store per test run (1,000 trades, 5 days, 2 runs), shared by the test
    modules that import this fixture and by every xdist worker: the first builds it under the
    run's common temporary folder while holding a file lock, the others reuse it."""
    if _REAL_WORLD:
        return _REAL_WORLD[0]
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "dashboards_real_world"
    with open(root.with_name(root.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            ready = root / "READY.json"
            if ready.exists():
                dates = tuple(date.fromisoformat(d) for d in json.loads(ready.read_text(encoding="utf-8")))
                world = RealWorld(load_config(root / "midoffice.toml", environ={}), root / "midoffice.toml", dates)
            else:
                root.mkdir(parents=True, exist_ok=True)
                world = build_generated_store(root)
                ready.write_text(json.dumps([d.isoformat() for d in world.dates]), encoding="utf-8")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    _REAL_WORLD.append(world)
    return world

"""The market_risk run step on a small synthetic store (real DuckDB file under tmp_path)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from engine import store
from engine.config import Config, load_config
from engine.market_risk.step import read_results
from engine.market_risk.var import incremental_var
from engine.run import run_eod

STEPS = ["trades_asof", "market_risk"]
D = date(2024, 6, 28)  # a Friday
D_PREV = date(2024, 6, 27)

INSTRUMENTS = [
    # id, asset_class, currency, sector, underlying
    ("EQ1", "EQUITY", "USD", "Technology", None),
    ("EQ2", "EQUITY", "USD", "Financials", None),
    ("EQ3", "EQUITY", "EUR", "Energy", None),
    ("BD1", "GOVT_BOND", "USD", "Government", None),
    ("OPT1", "OPTION", "USD", None, "EQ1"),
]


def _weekdays(end: date, n: int) -> list[date]:
    days: list[date] = []
    d = end
    while len(days) < n:
        if d.weekday() < 5:
            days.append(d)
        d -= timedelta(days=1)
    return days[::-1]


def _cfg(tmp_path: Path, **market_risk: object) -> Config:
    mr = {
        "monte_carlo": {"paths": 2000},
        "stress_windows": [
            {"name": "SPRING_2024", "start": date(2024, 3, 1), "end": date(2024, 4, 30), "description": "synthetic"},
            {"name": "GFC_2008", "start": date(2008, 9, 1), "end": date(2008, 10, 31)},
            {"name": "WORST_5D", "worst_days": 5},
        ],
        **market_risk,
    }
    return load_config(
        overrides={
            "store": {
                "path": str(tmp_path / "s.duckdb"),
                "published_path": str(tmp_path / "p.duckdb"),
                "workflow_path": str(tmp_path / "w.duckdb"),
            },
            "market_risk": mr,
        }
    )


def _prices() -> tuple[list[date], dict[str, np.ndarray]]:
    days = _weekdays(D, 620)
    rng = np.random.default_rng(42)
    vols = {"EQ1": 0.02, "EQ2": 0.015, "EQ3": 0.012, "BD1": 0.003, "OPT1": 0.04, "FX:EUR": 0.006}
    start = {"EQ1": 100.0, "EQ2": 50.0, "EQ3": 30.0, "BD1": 99.0, "OPT1": 8.0, "FX:EUR": 1.08}
    out = {k: start[k] * np.exp(np.cumsum(rng.normal(0, v, len(days)))) for k, v in vols.items()}
    return days, out


def _positions(day: date, idx: int, paths: dict[str, np.ndarray], with_option: bool) -> pl.DataFrame:
    """out_positions rows (the positions step's contract) for ``day``, marked at ``paths[idx]``."""
    px = {k: float(v[idx]) for k, v in paths.items()}
    rows = [
        # book, desk, instrument, class, ccy, qty
        ("B1", "EQ", "EQ1", "EQUITY", "USD", 1000.0),
        ("B1", "EQ", "EQ2", "EQUITY", "USD", -500.0),
        ("B2", "EQ", "EQ3", "EQUITY", "EUR", 2000.0),
        ("B3", "RATES", "BD1", "GOVT_BOND", "USD", 100000.0),
    ]
    if with_option:
        rows.append(("B2", "EQ", "OPT1", "OPTION", "USD", 300.0))
    out = []
    for book, desk, inst, cls, ccy, qty in rows:
        mult = 0.01 if cls == "GOVT_BOND" else 1.0
        fx = px["FX:EUR"] if ccy == "EUR" else 1.0
        mv_local = qty * px[inst] * mult
        out.append({
            "as_of": day, "run_id": 0, "basis": "TRADE", "position_id": f"{book}|{inst}", "legal_entity_id": "LE1",
            "desk": desk, "book_id": book, "trader": "T1", "instrument_id": inst, "asset_class": cls, "currency": ccy,
            "valuation": "PRICE", "quantity": qty, "price": px[inst], "price_source": "CLOSE", "price_multiplier": mult,
            "accrued_local": 0.0, "market_value_local": mv_local, "fx_rate_to_base": fx, "market_value_base": mv_local * fx,
            "trades": 1,
        })
    return pl.DataFrame(out)


@pytest.fixture
def world(tmp_path: Path) -> Config:
    cfg = _cfg(tmp_path)
    days, paths = _prices()
    with store.connect(cfg) as con:
        con.executemany(
            "INSERT INTO ref_instruments (instrument_id, name, asset_class, currency, sector, underlying, price_multiplier) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(i, i, c, ccy, s, u, 0.01 if c == "GOVT_BOND" else 1) for i, c, ccy, s, u in INSTRUMENTS],
        )
        con.executemany(
            "INSERT INTO ref_books (book_id, desk, legal_entity_id) VALUES (?, ?, 'LE1')",
            [("B1", "EQ"), ("B2", "EQ"), ("B3", "RATES")],
        )
        prices = pl.DataFrame(
            {
                "instrument_id": np.repeat([i for i, *_ in INSTRUMENTS], len(days)),
                "price_date": days * len(INSTRUMENTS),
                "close": np.concatenate([paths[i] for i, *_ in INSTRUMENTS]).round(6),
            }
        )
        con.register("v_prices", prices)
        con.execute("INSERT INTO mkt_prices (instrument_id, price_date, close) SELECT * FROM v_prices")
        fx = pl.DataFrame({"currency": ["EUR"] * len(days), "rate_date": days, "rate_to_base": paths["FX:EUR"].round(8)})
        con.register("v_fx", fx)
        con.execute("INSERT INTO mkt_fx_rates (currency, rate_date, rate_to_base) SELECT * FROM v_fx")
        # the option's terms come from its trade
        con.execute(
            "INSERT INTO fo_trades (trade_id, version, status, known_date, book_id, instrument_id, side, quantity, price, "
            "currency, trade_date, option_type, option_strike, option_expiry, volatility) VALUES "
            "('TOPT', 1, 'NEW', '2024-06-03', 'B2', 'OPT1', 'BUY', 300, 8, 'USD', '2024-06-03', 'CALL', 100, '2025-06-27', 0.3)"
        )
        # round exactly like the store's DECIMAL columns so that the hand check sees the same numbers
        stored = {k: np.round(v, 8 if k == "FX:EUR" else 6) for k, v in paths.items()}
        positions = pl.concat([_positions(D_PREV, -2, stored, False), _positions(D, -1, stored, True)])
        con.register("v_positions", positions)
        con.execute("INSERT INTO out_positions BY NAME SELECT * FROM v_positions")
        pnl = pl.DataFrame({"book_id": ["B1", "B2"], "instrument_id": ["EQ1", "EQ3"], "total_base": [-1234.5, 234.5]}).with_columns(
            as_of=pl.lit(D), run_id=pl.lit(0), prev_date=pl.lit(D_PREV), currency=pl.lit("USD"), lot_method=pl.lit("FIFO"),
            **{c: pl.lit(0.0) for c in ("quantity_prev", "quantity", "market_value_prev_local", "market_value_local", "cash_flow_local",
                                        "realised_local", "unrealised_local", "fees_local", "carry_local", "total_local",
                                        "fx_translation_base", "realised_itd_local", "unrealised_itd_local", "fees_itd_local")},
            trades_today=pl.lit(0),
        )
        con.register("v_pnl", pnl)
        con.execute("INSERT INTO out_pnl BY NAME SELECT * FROM v_pnl")
    return cfg


def _independent_firm_pnl(cfg: Config, positions_day: date, day: date, n: int, horizon: int = 1) -> np.ndarray:
    """The P&L of the linear positions of ``positions_day`` over the last ``n`` daily moves up to
    ``day``, computed another way: a pivot of the prices and a loop over the positions."""
    with store.connect(cfg) as con:
        pos = store.query(
            con,
            "SELECT instrument_id, currency, CAST(market_value_base AS DOUBLE) AS mv FROM out_positions "
            "WHERE as_of = ? AND asset_class <> 'OPTION'",
            [positions_day],
        )
        px = store.query(con, "SELECT price_date AS d, instrument_id AS f, CAST(close AS DOUBLE) AS v FROM mkt_prices WHERE price_date <= ?", [day])
        fx = store.query(con, "SELECT rate_date AS d, 'FX:' || currency AS f, CAST(rate_to_base AS DOUBLE) AS v FROM mkt_fx_rates WHERE rate_date <= ?", [day])
    wide = pl.concat([px, fx]).pivot(on="f", index="d", values="v").sort("d").tail(n + horizon)
    total = np.zeros(n)
    for inst, ccy, mv in pos.iter_rows():
        p = wide[inst].to_numpy()
        rp = p[horizon:] / p[:-horizon] - 1
        rf = np.zeros(n)
        if ccy != "USD":
            f = wide[f"FX:{ccy}"].to_numpy()
            rf = f[horizon:] / f[:-horizon] - 1
        total += mv * ((1 + rp) * (1 + rf) - 1)
    return total


def test_step_writes_var_components_stress_backtest(world: Config) -> None:
    first = run_eod(world, D_PREV, steps=STEPS, publish=False)
    assert first.steps["market_risk"]["positions"] == 4
    res = run_eod(world, D, steps=STEPS)
    summ = res.steps["market_risk"]
    assert summ["positions"] == 5 and summ["books"] == 3
    assert summ["stress_windows_skipped"] == ["GFC_2008"]

    var = read_results(world, "out_var", D)
    # 4 models (historical, parametric EWMA, MC normal, MC t) x 3 horizons x 3 confidences x 6 keys
    assert var.height == 4 * 3 * 3 * 6
    assert set(var["level"]) == {"FIRM", "DESK", "BOOK"}
    assert set(var["key"]) == {"FIRM", "EQ", "RATES", "B1", "B2", "B3"}
    assert (var["es"] >= var["var"] - 1e-9).all()

    # Euler components by desk and by book add up to the firm VaR/ES for every combination
    comp = read_results(world, "out_var_components", D)
    keys = ["method", "model", "confidence", "horizon_days", "scaling"]
    sums = comp.group_by([*keys, "level"]).agg(pl.col("component_var").sum(), pl.col("component_es").sum())
    firm = var.filter(pl.col("level") == "FIRM").select(*keys, "var", "es")
    joined = sums.join(firm, on=keys, nulls_equal=True)
    assert joined.height == 4 * 3 * 3 * 2
    assert np.allclose(joined["component_var"], joined["var"], rtol=1e-9)
    assert np.allclose(joined["component_es"], joined["es"], rtol=1e-9)

    # the 10-day square-root-of-time figure is the 1-day figure x sqrt(10)
    hist = var.filter((pl.col("method") == "HISTORICAL") & (pl.col("key") == "FIRM") & (pl.col("confidence") == 0.99))
    one = hist.filter(pl.col("horizon_days") == 1)["var"][0]
    assert hist.filter(pl.col("scaling") == "SQRT")["var"][0] == pytest.approx(one * np.sqrt(10))

    stress = read_results(world, "out_stress", D)
    assert set(stress["scenario"]) == {"SPRING_2024", "WORST_5D", "EQUITY_MINUS_20", "USD_RALLY_10", "TECH_MINUS_30_BONDS_MINUS_5"}
    by = {(r["scenario"], r["key"]): r["pnl"] for r in stress.to_dicts()}
    assert by[("SPRING_2024", "FIRM")] == pytest.approx(by[("SPRING_2024", "EQ")] + by[("SPRING_2024", "RATES")])
    # USD rally: only the EUR stock moves (-10% of its base value)
    with store.connect(world) as con:
        eq3 = store.scalar(con, "SELECT CAST(market_value_base AS DOUBLE) FROM out_positions WHERE as_of = ? AND instrument_id = 'EQ3'", [D])
    assert by[("USD_RALLY_10", "FIRM")] == pytest.approx(-0.1 * eq3)

    bt = read_results(world, "out_backtest", D)
    daily = bt.filter(pl.col("basis") == "DAILY")
    assert daily.height == 1
    row = daily.row(0, named=True)
    prev_var = read_results(world, "out_var", D_PREV).filter(
        (pl.col("level") == "FIRM") & (pl.col("method") == "HISTORICAL") & (pl.col("horizon_days") == 1) & (pl.col("confidence") == 0.99)
    )["var"][0]
    assert row["var_date"] == D_PREV and row["var"] == pytest.approx(prev_var)
    assert row["actual_pnl"] == pytest.approx(-1000.0)
    # hypothetical: yesterday's positions revalued with today's moves (computed independently)
    assert row["hypothetical_pnl"] == pytest.approx(_independent_firm_pnl(world, D_PREV, D, 1)[0], rel=1e-9)
    cp = bt.filter(pl.col("basis") == "CURRENT_PORTFOLIO")
    assert cp.height == 250
    summary = read_results(world, "out_backtest_summary", D)
    assert {(r["basis"], r["pnl_type"]) for r in summary.to_dicts()} == {
        ("CURRENT_PORTFOLIO", "HYPOTHETICAL"), ("DAILY", "HYPOTHETICAL"), ("DAILY", "ACTUAL")
    }
    cps = summary.filter(pl.col("basis") == "CURRENT_PORTFOLIO").row(0, named=True)
    assert cps["n_obs"] == 250 and cps["exceptions"] == int(cp["hyp_exception"].sum())
    assert cps["zone"] in {"GREEN", "YELLOW", "RED"}


def test_historical_var_matches_an_independent_calculation(world: Config) -> None:
    # positions of D_PREV are linear only: full revaluation must match a pivot-and-loop reference
    run_eod(world, D_PREV, steps=STEPS, publish=True)
    var = read_results(world, "out_var", D_PREV)
    pnl = _independent_firm_pnl(world, D_PREV, D_PREV, 500)
    losses = np.sort(-pnl)[::-1]
    firm = var.filter((pl.col("level") == "FIRM") & (pl.col("method") == "HISTORICAL") & (pl.col("horizon_days") == 1))
    got = {r["confidence"]: (r["var"], r["es"]) for r in firm.to_dicts()}
    assert got[0.99][0] == pytest.approx(losses[4], rel=1e-9)  # 5th worst of 500
    assert got[0.99][1] == pytest.approx(losses[:5].mean(), rel=1e-9)
    assert got[0.95][0] == pytest.approx(losses[24], rel=1e-9)  # 25th worst
    # 10-day overlapping scenarios: the 5th worst of the last 500 overlapping 10-day P&Ls
    over = var.filter((pl.col("level") == "FIRM") & (pl.col("method") == "HISTORICAL") & (pl.col("scaling") == "OVERLAPPING"))
    pnl10 = _independent_firm_pnl(world, D_PREV, D_PREV, 500, horizon=10)
    assert over.filter(pl.col("confidence") == 0.99)["var"][0] == pytest.approx(np.sort(-pnl10)[::-1][4], rel=1e-9)
    # the worst 5-day window of the whole stored history (619 dates up to D_PREV: 614 moves)
    stress = read_results(world, "out_stress", D_PREV).filter((pl.col("scenario") == "WORST_5D") & (pl.col("level") == "FIRM"))
    assert stress["pnl"][0] == pytest.approx(_independent_firm_pnl(world, D_PREV, D_PREV, 614, horizon=5).min(), rel=1e-9)


def test_rerun_replaces_the_date_and_incremental_var(world: Config) -> None:
    run_eod(world, D, steps=STEPS, publish=False)
    second = run_eod(world, D, steps=STEPS)
    with store.connect(world) as con:
        counts = store.query(con, "SELECT count(*) AS n, count(DISTINCT run_id) AS runs FROM out_var WHERE as_of = ?", [D]).row(0)
    assert counts == (216, 1)
    assert read_results(world, "out_var", D)["run_id"][0] == second.run_id

    # selling all of B1's EQ1 removes it: the VaR after equals the VaR without that position
    none = incremental_var(world, {"instrument_id": "EQ1", "quantity": 0.0}, D)
    assert none.incremental_var == pytest.approx(0.0, abs=1e-9)
    with store.connect(world) as con:
        px = store.scalar(con, "SELECT CAST(close AS DOUBLE) FROM mkt_prices WHERE instrument_id = 'EQ1' AND price_date = ?", [D])
    hedge = incremental_var(world, {"instrument_id": "EQ1", "quantity": -1000.0, "book_id": "B1", "price": px}, D)
    assert hedge.var_before == pytest.approx(none.var_before)
    assert hedge.details == {"trade_market_value_base": pytest.approx(-1000.0 * px)}
    assert hedge.incremental_var != 0.0


def test_step_without_positions_is_a_no_op(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    res = run_eod(cfg, D, steps=STEPS, publish=False)
    assert res.steps["market_risk"]["positions"] == 0

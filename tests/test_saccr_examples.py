"""SA-CCR known answers: the worked examples 1, 2 and 3 of BCBS 279 (Annex 4a, "Application of
the SA-CCR to sample portfolios", March 2014; Basel Framework CRE52), amounts in USD thousands.

Trade details as published (BCBS 279 Annex 4a), cross-checked against public replications:
- Central Bank of the UAE, SA-CCR Guidance, Illustrations 1-3
  (https://rulebook.centralbank.ae/en/entiresection/2554, .../entiresection/2575,
  https://cbuae.thomsonreuters.com/en/rulebook/b-illustration-2);
- the R packages SACCR / Trading (openriskcalculator.com), whose documented examples encode the
  "Basel regulation IRD / Credit / Commodity examples" (e.g. IRDSwaption(Notional=5000, MtM=50,
  Currency="EUR", Si=1, Ei=11, UnderlyingPrice=0.06, StrikePrice=0.05),
  CommodityForward(Notional=10000, MtM=-50, Si=0, Ei=0.75, BuySell='Buy', commodity_type='Oil')).

Example 1 (interest rate, unmargined): EAD 569. Example 2 (credit): EAD 381. Example 3
(commodity): EAD 5,406. Basel rounds its intermediate figures, hence the +-1 tolerance.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from engine import store
from engine.config import load_config
from engine.counterparty.saccr import saccr_breakdown
from engine.counterparty.step import read_saccr
from engine.run import run_eod

AS_OF = date(2024, 1, 2)


def _years(y: float) -> date:
    """The date ``y`` years (whole months) after AS_OF: a published "9 months" is 2 October."""
    months = round(y * 12)
    year, month = divmod(AS_OF.month - 1 + months, 12)
    return AS_OF.replace(year=AS_OF.year + year, month=month + 1)


EXAMPLE_1 = pl.DataFrame(
    {
        # 1: IRS USD 10y, pay fixed / receive floating, MtM 30  -> long the rate, delta +1
        # 2: IRS USD 4y, pay floating / receive fixed, MtM -20  -> delta -1
        # 3: European swaption EUR 1 into 10y, bought, underlying pays floating / receives fixed
        #    (a receiver swaption: a put on the rate), forward swap rate 6%, strike 5%, MtM 50
        "trade_id": ["1", "2", "3"], "netting_set_id": ["EX1"] * 3, "asset_class": ["IR"] * 3,
        "notional": [10_000.0, 10_000.0, 5_000.0], "mtm": [30.0, -20.0, 50.0], "direction": [1.0, -1.0, 1.0],
        "option_type": [None, None, "PUT"], "underlying_price": [None, None, 0.06], "strike": [None, None, 0.05],
        "start_years": [0.0, 0.0, 1.0], "end_years": [10.0, 4.0, 11.0], "expiry_years": [None, None, 1.0],
        "currency": ["USD", "USD", "EUR"],
    }
)
EXAMPLE_2 = pl.DataFrame(
    {
        # 1: single-name CDS on Firm A (AA), 3y, protection buyer, MtM 20
        # 2: single-name CDS on Firm B (BBB), 6y, protection seller, MtM -40
        # 3: CDS index CDX.IG (investment grade), 5y, protection buyer, MtM 0
        "trade_id": ["1", "2", "3"], "netting_set_id": ["EX2"] * 3, "asset_class": ["CREDIT"] * 3,
        "notional": [10_000.0] * 3, "mtm": [20.0, -40.0, 0.0], "direction": [-1.0, 1.0, -1.0],
        "end_years": [3.0, 6.0, 5.0], "reference_entity": ["Firm A", "Firm B", "CDX.IG"],
        "rating": ["AA", "BBB", "IG"], "is_index": [False, False, True],
    }
)
EXAMPLE_3 = pl.DataFrame(
    {
        # 1: forward WTI crude oil, long, 9 months, 10,000, MtM -50
        # 2: forward Brent crude oil, short, 2 years, 20,000, MtM -30 (same commodity type: crude oil)
        # 3: forward silver, long, 5 years, 10,000, MtM 100
        "trade_id": ["1", "2", "3"], "netting_set_id": ["EX3"] * 3, "asset_class": ["COMMODITY"] * 3,
        "notional": [10_000.0, 20_000.0, 10_000.0], "mtm": [-50.0, -30.0, 100.0], "direction": [1.0, -1.0, 1.0],
        "end_years": [0.75, 2.0, 5.0], "commodity_type": ["CRUDE_OIL", "CRUDE_OIL", "SILVER"],
    }
)


def test_example_1_interest_rate_ead_569() -> None:
    res = saccr_breakdown(EXAMPLE_1)
    ns = res.netting_sets.row(0, named=True)
    assert ns["replacement_cost"] == pytest.approx(60.0)
    assert ns["pfe_multiplier"] == 1.0
    # published intermediates: swaption delta -0.27, USD add-on 296, EUR add-on 50, total 347
    delta = res.trades.filter(pl.col("trade_id") == "3")["supervisory_delta"][0]
    assert round(delta, 2) == -0.27
    addons = {r["hedging_set"]: r["addon"] for r in res.addons.to_dicts()}
    assert round(addons["USD"]) == 296 and round(addons["EUR"]) == 50
    assert round(ns["addon_aggregate"]) == 347
    assert ns["ead"] == pytest.approx(569, abs=1.0)


def test_example_2_credit_ead_381() -> None:
    ns = saccr_breakdown(EXAMPLE_2).netting_sets.row(0, named=True)
    assert ns["replacement_cost"] == 0.0
    assert round(ns["addon_credit"]) == 282  # published add-on 282
    assert ns["pfe_multiplier"] == pytest.approx(0.965, abs=5e-4)  # published multiplier 0.965
    assert ns["ead"] == pytest.approx(381, abs=1.0)


def test_example_3_commodity_ead_5406() -> None:
    res = saccr_breakdown(EXAMPLE_3)
    ns = res.netting_sets.row(0, named=True)
    assert ns["replacement_cost"] == pytest.approx(20.0)
    addons = {r["hedging_set"]: r["addon"] for r in res.addons.to_dicts()}
    assert round(addons["ENERGY"]) == 2041 and round(addons["METALS"]) == 1800  # published 2,041 and 1,800
    assert ns["ead"] == pytest.approx(5406, abs=1.0)


def test_examples_through_the_store_and_run_step(tmp_path: Path) -> None:
    """The same three portfolios as front-office trades, through tmp_trades_asof and the run."""
    cfg = load_config(
        overrides={
            "store": {
                "path": str(tmp_path / "s.duckdb"),
                "published_path": str(tmp_path / "p.duckdb"),
                "workflow_path": str(tmp_path / "w.duckdb"),
            }
        }
    )
    instruments = [
        ("USD_IRS", "IRS", "USD", None), ("EUR_IRS", "IRS", "EUR", None), ("EUR_SWAPTION", "OPTION", "EUR", "EUR_IRS"),
        ("CDS_A", "CDS", "USD", None), ("CDS_B", "CDS", "EUR", None), ("CDX_IG", "CDS", "USD", None),
        ("WTI_FWD", "COMMODITY_FWD", "USD", None), ("BRENT_FWD", "COMMODITY_FWD", "USD", None), ("SILVER_FWD", "COMMODITY_FWD", "USD", None),
    ]
    cols = ("trade_id, version, status, known_date, book_id, instrument_id, side, quantity, price, currency, trade_date, "
            "counterparty_id, notional, start_date, end_date, mtm, netting_set_id, option_type, option_strike, option_expiry, "
            "underlying_price, pay_leg, fixed_rate, reference_entity, ref_entity_rating, is_index, commodity_type")
    d = AS_OF
    trades = [
        # example 1
        ("E1T1", "USD_IRS", "BUY", "USD", 10_000, d, _years(10), 30, "EX1", None, None, None, None, "FIXED", 0.05, None, None, None, None),
        ("E1T2", "USD_IRS", "SELL", "USD", 10_000, d, _years(4), -20, "EX1", None, None, None, None, "FLOAT", 0.05, None, None, None, None),
        ("E1T3", "EUR_SWAPTION", "BUY", "EUR", 5_000, _years(1), _years(11), 50, "EX1", "PUT", 0.05, _years(1), 0.06, None, 0.05, None, None, None, None),
        # example 2
        ("E2T1", "CDS_A", "BUY", "USD", 10_000, d, _years(3), 20, "EX2", None, None, None, None, None, None, "Firm A", "AA", False, None),
        ("E2T2", "CDS_B", "SELL", "EUR", 10_000, d, _years(6), -40, "EX2", None, None, None, None, None, None, "Firm B", "BBB", False, None),
        ("E2T3", "CDX_IG", "BUY", "USD", 10_000, d, _years(5), 0, "EX2", None, None, None, None, None, None, "CDX.IG", "IG", True, None),
        # example 3
        ("E3T1", "WTI_FWD", "BUY", "USD", 10_000, d, _years(0.75), -50, "EX3", None, None, None, None, None, None, None, None, None, "CRUDE_OIL"),
        ("E3T2", "BRENT_FWD", "SELL", "USD", 20_000, d, _years(2), -30, "EX3", None, None, None, None, None, None, None, None, None, "CRUDE_OIL"),
        ("E3T3", "SILVER_FWD", "BUY", "USD", 10_000, d, _years(5), 100, "EX3", None, None, None, None, None, None, None, None, None, "SILVER"),
    ]
    rows = [
        (tid, 1, "NEW", d, "B1", inst, side, 1, 0, ccy, d, "CP1", notional, start, end, mtm, ns, ot, strike, expiry, up, leg, fixed, ref, rating, idx, comm)
        for tid, inst, side, ccy, notional, start, end, mtm, ns, ot, strike, expiry, up, leg, fixed, ref, rating, idx, comm in trades
    ]
    with store.connect(cfg) as con:
        con.executemany(
            "INSERT INTO ref_instruments (instrument_id, name, asset_class, currency, underlying) VALUES (?, ?, ?, ?, ?)",
            [(i, i, c, ccy, u) for i, c, ccy, u in instruments],
        )
        con.executemany(
            "INSERT INTO ref_netting_sets (netting_set_id, counterparty_id, margined) VALUES (?, 'CP1', FALSE)",
            [("EX1",), ("EX2",), ("EX3",)],
        )
        # BCBS gives every amount in USD: the EUR trades' notionals are already USD amounts
        con.execute("INSERT INTO mkt_fx_rates (currency, rate_date, rate_to_base) VALUES ('EUR', ?, 1.0)", [d])
        con.executemany(f"INSERT INTO fo_trades ({cols}) VALUES ({', '.join(['?'] * 27)})", rows)  # noqa: S608
    res = run_eod(cfg, AS_OF, steps=["trades_asof", "counterparty"])
    assert res.steps["counterparty"]["netting_sets"] == 3
    out = {r["netting_set_id"]: r for r in read_saccr(cfg, AS_OF).to_dicts()}
    assert out["EX1"]["ead"] == pytest.approx(569, abs=1.0)
    assert out["EX2"]["ead"] == pytest.approx(381, abs=1.0)
    assert out["EX3"]["ead"] == pytest.approx(5406, abs=1.0)
    assert {r["counterparty_id"] for r in out.values()} == {"CP1"}
    assert out["EX1"]["current_exposure"] == pytest.approx(60.0)
    addons = read_saccr(cfg, AS_OF, addons=True)
    assert set(zip(addons["netting_set_id"], addons["hedging_set"], strict=True)) == {
        ("EX1", "USD"), ("EX1", "EUR"), ("EX2", "CREDIT"), ("EX3", "ENERGY"), ("EX3", "METALS")
    }

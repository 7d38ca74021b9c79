"""Cross-checks: datacompy (Capital One's keyed one-to-one diff) finds the same mismatches as the
reconciliation on a one-to-one keyed case; and swapping the two sides mirrors the one-sided
breaks (a property test)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import datacompy
import duckdb
import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import store
from engine.recon import core, stage
from engine.recon.settings import PassSpec, ReconSettings
from tests.recon_rows import D, breaks, config, load, run, settlement, trade

FIELDS = ["quantity", "price", "amount", "currency", "settle_date"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")   # datacompy 1.1 calls a renamed polars argument
def test_same_mismatches_as_datacompy(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    n = 300
    trades, settlements = [], []
    fo_rows, bo_rows = [], []
    for i in range(n):
        qty = Decimal(int(rng.integers(1, 500)) * 10)
        px = Decimal(int(rng.integers(1000, 20000))) / 100
        amt = (qty * px).quantize(Decimal("0.01"))
        ccy, sd = "USD", D
        b_qty = qty + (Decimal(int(rng.choice([-1, 1]))) if rng.random() < 0.1 else 0)
        b_px = px + (Decimal("0.5") if rng.random() < 0.1 else 0)
        b_amt = amt + (Decimal(str(rng.choice(["0.05", "-1.00", "0.004"]))) if rng.random() < 0.15 else 0)
        b_ccy = "EUR" if rng.random() < 0.05 else ccy
        b_sd = sd + timedelta(days=3) if rng.random() < 0.05 else sd
        tid = f"T{i:04d}"
        if i % 50 == 1:   # front office only
            trades.append(trade(tid, quantity=qty + 1, price=px, net_amount=amt))
            fo_rows.append((tid, float(qty + 1), float(px), float(amt), ccy, sd))
            continue
        trades.append(trade(tid, quantity=qty, price=px, net_amount=amt, currency=ccy, settle_date=sd))
        status = {"status": "MATCHED", "settled_quantity": Decimal(0), "actual_settle_date": None}
        settlements.append(settlement(f"S{i:04d}", tid, quantity=b_qty, deal_price=b_px, amount=b_amt, currency=b_ccy,
                                      intended_settle_date=b_sd, **status))
        fo_rows.append((tid, float(qty), float(px), float(amt), ccy, sd))
        bo_rows.append((tid, float(b_qty), float(b_px), float(b_amt), b_ccy, b_sd))
    for j in range(3):   # back office only: references nobody booked, quantities nobody traded
        ref = f"X{j}"
        settlements.append(settlement(f"SX{j}", ref, quantity=Decimal(7 + j), amount=Decimal(70 + j),
                                      status="MATCHED", settled_quantity=Decimal(0), actual_settle_date=None))
        bo_rows.append((ref, float(7 + j), 150.0, float(70 + j), "USD", D))
    cfg = config(tmp_path)
    load(cfg, trades, settlements)
    run(cfg, steps=["trades_asof", "reconciliation"])

    schema = {"key": pl.Utf8, "quantity": pl.Float64, "price": pl.Float64, "amount": pl.Float64,
              "currency": pl.Utf8, "settle_date": pl.Date}
    fo = pl.DataFrame(fo_rows, schema=schema, orient="row")
    bo = pl.DataFrame(bo_rows, schema=schema, orient="row")
    # the same tolerance: 1 cent on amounts (no difference in the data sits on the boundary;
    # 0.004 rounds away in both: datacompy sees |0.004| <= 0.01, we see equal cents)
    cmp = datacompy.PolarsCompare(fo, bo, join_columns="key", abs_tol={"amount": 0.01})
    theirs = {f: set(cmp.intersect_rows.filter(~pl.col(f"{f}_match"))["key"].to_list()) for f in FIELDS}
    fo_only = set(cmp.df1_unq_rows["key"].to_list())
    bo_only = set(cmp.df2_unq_rows["key"].to_list())

    ours = breaks(cfg).filter(pl.col("category") == "MATCHING")
    with store.connect(cfg, read_only=True) as con:
        f = store.query(con, "SELECT b.trade_id, f.field FROM out_break_fields f JOIN out_breaks b USING (break_id, as_of) "
                             "WHERE f.as_of = $d", {"d": D})
    mine = {fld: set(f.filter(pl.col("field") == fld)["trade_id"].to_list()) for fld in FIELDS}
    assert mine == theirs
    assert set(ours.filter(pl.col("kind") == "UNMATCHED_FO")["trade_id"].to_list()) == fo_only
    bo_refs = {r: s for s, r in ((s["settlement_id"], s["trade_ref"]) for s in settlements)}
    assert {bo_refs[k] for k in bo_only} == set(ours.filter(pl.col("kind") == "UNMATCHED_BO")["settlement_id"].to_list())
    assert sum(len(v) for v in theirs.values()) > 30    # the case has differences on every field


# ---------------------------------------------------------------------------------------------
# swapping the sides mirrors the one-sided breaks
# ---------------------------------------------------------------------------------------------

COLS = ("isin VARCHAR, direction VARCHAR, currency VARCHAR, quantity DECIMAL(24,6), price DECIMAL(24,10), "
        "amount DECIMAL(24,4), settle_date DATE, trade_date DATE, place_of_settlement VARCHAR, "
        "counterparty_id VARCHAR, account_id VARCHAR")

record = st.tuples(
    st.sampled_from(["US0378331005", "DE0001102580"]), st.sampled_from(["RECEIVE", "DELIVER"]),
    st.integers(1, 6), st.sampled_from([0, 1]), st.sampled_from(["A1", "A2"]),
)

SETTINGS = ReconSettings(passes=(
    PassSpec("economic", "economic", ("isin", "account_id", "direction"), "settle_date", 0, ("quantity",)),
    PassSpec("aggregate", "aggregate", ("isin", "account_id", "settle_date"), None, 0, ("quantity", "amount")),
))


def _reconcile(con: duckdb.DuckDBPyConnection, fo: list, bo: list) -> pl.DataFrame:  # type: ignore[type-arg]
    con.execute(f"CREATE OR REPLACE TEMP TABLE tmp_rc_fo (trade_id VARCHAR, {COLS}, block_id VARCHAR, book_id VARCHAR, "
                "instrument_id VARCHAR, asset_class VARCHAR, liquidity VARCHAR, price_multiplier DECIMAL(18,6), "
                "batch_id BIGINT, src_line BIGINT)")
    con.execute(f"CREATE OR REPLACE TEMP TABLE tmp_rc_bo (settlement_id VARCHAR, trade_ref VARCHAR, {COLS}, "
                "counterparty_bic VARCHAR, custodian VARCHAR, payment VARCHAR, status VARCHAR, reason_code VARCHAR, "
                "reason_text VARCHAR, settled_quantity DECIMAL(24,6), settled_amount DECIMAL(24,4), "
                "actual_settle_date DATE, message_type VARCHAR, seq INTEGER, known_date DATE, batch_id BIGINT, src_line BIGINT)")
    day0 = date(2024, 3, 13)

    def vals(r: tuple) -> list:  # type: ignore[type-arg]
        isin, direction, q, dd, acc = r
        return [isin, direction, "USD", Decimal(q), Decimal(10), Decimal(q * 10), day0 + timedelta(days=dd), day0,
                None, None, acc]
    for i, r in enumerate(fo):
        con.execute("INSERT INTO tmp_rc_fo (trade_id, isin, direction, currency, quantity, price, amount, settle_date, "
                    "trade_date, place_of_settlement, counterparty_id, account_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [f"R{i:02d}", *vals(r)])
    for i, r in enumerate(bo):
        con.execute("INSERT INTO tmp_rc_bo (settlement_id, isin, direction, currency, quantity, price, amount, settle_date, "
                    "trade_date, place_of_settlement, counterparty_id, account_id, status, settled_quantity) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'MATCHED', 0)", [f"R{i:02d}", *vals(r)])
    core.reconcile(con, SETTINGS, D, "USD", staged=True, with_penalties=False)
    return store.query(con, "SELECT kind, coalesce(trade_id, settlement_id) AS id FROM tmp_rc_breaks "
                            "WHERE kind LIKE 'UNMATCHED%' ORDER BY 1, 2")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(record, max_size=7), st.lists(record, max_size=7))
def test_swapping_sides_mirrors_one_sided_breaks(fo: list, bo: list) -> None:  # type: ignore[type-arg]
    con = duckdb.connect()
    try:
        store.apply_schema(con)
        con.execute("CREATE OR REPLACE TEMP TABLE tmp_rc_fx (currency VARCHAR, rate_to_base DECIMAL(24,12))")
        stage.create_calendar(con, SETTINGS, D)
        straight = _reconcile(con, fo, bo)
        swapped = _reconcile(con, bo, fo)
    finally:
        con.close()
    mirror = {"UNMATCHED_FO": "UNMATCHED_BO", "UNMATCHED_BO": "UNMATCHED_FO"}
    got = sorted((mirror[k], i) for k, i in swapped.iter_rows())
    assert got == sorted(straight.iter_rows())

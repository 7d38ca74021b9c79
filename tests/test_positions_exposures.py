"""Exposures, concentration, net open FX and counterparty exposure on a hand-computed world,
plus the invariant that exposures add up across any grouping (property test)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.exposures import compute_exposures, concentration, exposure_positions, exposures
from tests.positions_world import fx, insert, make_cfg, one, prices, read, reference, run, trade

AS_OF = date(2024, 3, 15)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """B1: EQA +100 (unsettled, C1), EQB -50 (settling today, C2); B2: EQE +10 (EUR, settled);
    R1: EQA +60 (unsettled, C1), EQB +20 (due on the 12th, back office says FAILING, C3).
    Closes on the 15th: EQA 10, EQB 20, EQE 100 EUR; EUR = 1.2 USD.
    Market values: 1,000 / -1,000 / 1,200 / 600 / 400 (USD)."""
    cfg = make_cfg(tmp_path_factory.mktemp("exposures"))
    reference(cfg)
    insert(
        cfg,
        "fo_trades",
        [
            trade("A", "B1", "EQA", "BUY", 100, 9, date(2024, 3, 14), date(2024, 3, 18), counterparty_id="C1"),
            trade("B", "B1", "EQB", "SELL", 50, 21, date(2024, 3, 13), date(2024, 3, 15), counterparty_id="C2"),
            trade("E", "B2", "EQE", "BUY", 10, 90, date(2024, 3, 11), date(2024, 3, 13), counterparty_id="C1", currency="EUR"),
            trade("R", "R1", "EQA", "BUY", 60, 11, date(2024, 3, 14), date(2024, 3, 19), counterparty_id="C1"),
            trade("F", "R1", "EQB", "BUY", 20, 15, date(2024, 3, 8), date(2024, 3, 12), counterparty_id="C3"),
        ],
    )
    insert(
        cfg,
        "bo_settlements",
        [
            {"settlement_id": "S-F", "seq": 1, "known_date": date(2024, 3, 12), "custodian": "CUST", "message_type": "CSV",
             "trade_ref": "F", "direction": "RECEIVE", "quantity": 20, "settled_quantity": 0, "status": "FAILING",
             "reason_code": "LACK"},
            {"settlement_id": "S-E", "seq": 1, "known_date": date(2024, 3, 13), "custodian": "CUST", "message_type": "CSV",
             "trade_ref": "E", "direction": "RECEIVE", "quantity": 10, "settled_quantity": 10, "status": "SETTLED"},
        ],
    )
    prices(cfg, [("EQA", AS_OF, 10.0), ("EQB", AS_OF, 20.0), ("EQE", AS_OF, 100.0)])
    fx(cfg, [("EUR", AS_OF, 1.2)])
    run(cfg, AS_OF)
    return cfg


def _exp(cfg, grouping: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    df = read(cfg, "SELECT * FROM out_exposures WHERE as_of = $d AND grouping = $g", {"d": AS_OF, "g": grouping})
    dims = ["legal_entity_id", "desk", "book_id", "trader", "issuer", "sector", "country", "currency", "asset_class"]
    return {
        tuple(v for v in (r[c] for c in dims) if v is not None): (
            float(r["gross_base"]), float(r["net_base"]), float(r["long_base"]), float(r["short_base"])
        )
        for r in df.to_dicts()
    }


def test_hand_computed_exposures(world) -> None:  # type: ignore[no-untyped-def]
    cfg = world
    assert _exp(cfg, "firm") == {(): (4200.0, 2200.0, 3200.0, -1000.0)}
    assert _exp(cfg, "desk") == {("EQ",): (3200.0, 1200.0, 2200.0, -1000.0), ("RATES",): (1000.0, 1000.0, 1000.0, 0.0)}
    assert _exp(cfg, "currency") == {("USD",): (3000.0, 1000.0, 2000.0, -1000.0), ("EUR",): (1200.0, 1200.0, 1200.0, 0.0)}
    assert _exp(cfg, "desk+currency") == {
        ("EQ", "USD"): (2000.0, 0.0, 1000.0, -1000.0),
        ("EQ", "EUR"): (1200.0, 1200.0, 1200.0, 0.0),
        ("RATES", "USD"): (1000.0, 1000.0, 1000.0, 0.0),
    }
    assert _exp(cfg, "trader")[("bob",)] == (1200.0, 1200.0, 1200.0, 0.0)
    desk = read(cfg, "SELECT desk, share_pct, rank FROM out_exposures WHERE grouping = 'desk' ORDER BY rank")
    assert desk["desk"].to_list() == ["EQ", "RATES"]
    assert desk["share_pct"].to_list() == pytest.approx([3200 / 42, 1000 / 42])
    # any other combination on the fly
    adhoc = exposures(cfg, by=["sector", "book"], as_of=AS_OF)
    row = adhoc.filter((pl.col("sector") == "BANKS") & (pl.col("book_id") == "R1")).row(0, named=True)
    assert float(row["gross_base"]) == 400.0 and row["grouping"] == "book_id+sector"
    # lineage: the positions behind an exposure row
    assert exposure_positions(cfg, AS_OF, desk="EQ", currency="USD")["position_id"].to_list() == ["B1|EQA", "B1|EQB"]


def test_concentration_hhi_and_top_n(world) -> None:  # type: ignore[no-untyped-def]
    cfg = world
    c = one(cfg, "SELECT * FROM out_concentration WHERE grouping = 'issuer' AND as_of = $d", {"d": AS_OF})
    shares = [1600 / 42, 1400 / 42, 1200 / 42]  # ISS_A, ISS_B, ISS_E as % of 4,200
    assert c["members"] == 3 and c["largest_key"] == "ISS_A"
    assert c["hhi"] == pytest.approx(sum(s * s for s in shares))
    assert c["largest_share_pct"] == pytest.approx(shares[0])
    assert c["top_n_share_pct"] == pytest.approx(100.0)
    top2 = concentration(exposures(cfg, by=["issuer"], as_of=AS_OF), top_n=2).row(0, named=True)
    assert top2["top_n_share_pct"] == pytest.approx(shares[0] + shares[1])


def test_net_fx_and_counterparty_exposure(world) -> None:  # type: ignore[no-untyped-def]
    cfg = world
    nfx = one(cfg, "SELECT * FROM out_net_fx WHERE as_of = $d", {"d": AS_OF})
    assert nfx["currency"] == "EUR" and float(nfx["net_local"]) == 1000.0 and float(nfx["net_base"]) == 1200.0

    cp = {r["counterparty_id"]: r for r in read(cfg, "SELECT * FROM out_counterparty_exposures WHERE as_of = $d", {"d": AS_OF}).to_dicts()}
    # C1: A bought 100 @ 9, now 10: RC 100; R bought 60 @ 11: mark -60, RC 0; E settled
    assert cp["C1"]["unsettled_trades"] == 2 and float(cp["C1"]["replacement_cost_base"]) == 100.0
    assert float(cp["C1"]["unsettled_value_base"]) == 1600.0
    # C2: B settles today: we deliver 50 shares worth 1,000
    assert cp["C2"]["settling_trades"] == 1 and float(cp["C2"]["settlement_risk_base"]) == 1000.0
    assert float(cp["C2"]["current_exposure_base"]) == 0.0
    # C3: F was due on the 12th and is failing: still unsettled, RC 20 x (20 - 15)
    assert float(cp["C3"]["replacement_cost_base"]) == 100.0 and cp["C3"]["parent_id"] is None
    lineage = read(cfg, "SELECT trade_id, kind, settlement_status FROM out_counterparty_exposure_trades ORDER BY trade_id")
    assert lineage.rows() == [("A", "UNSETTLED", None), ("B", "SETTLING", None), ("F", "UNSETTLED", "FAILING"), ("R", "UNSETTLED", None)]


positions_strategy = st.lists(
    st.tuples(
        st.sampled_from(["D1", "D2"]),
        st.sampled_from(["B1", "B2", "B3"]),
        st.sampled_from(["USD", "EUR", "JPY"]),
        st.integers(-10_000, 10_000),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(positions_strategy)
def test_exposures_add_up_across_groupings(rows: list[tuple[str, str, str, int]]) -> None:
    pos = pl.DataFrame(rows, schema=["desk", "book_id", "currency", "market_value_base"], orient="row").with_columns(
        pl.col("market_value_base").cast(pl.Float64)
    )
    firm = compute_exposures(pos, []).row(0, named=True)
    for by in (["book_id"], ["desk", "currency"], ["currency"]):
        g = compute_exposures(pos, by)
        for col in ("gross_base", "net_base", "long_base", "short_base"):
            assert g[col].sum() == pytest.approx(firm[col])
        assert g["positions"].sum() == len(rows)
        if firm["gross_base"]:
            assert g["share_pct"].sum() == pytest.approx(100.0)

"""The sample-world generator: determinism, canonical headers, identifiers, counts, amounts,
break classes and the ground truth's consistency with the files."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from connectors.sample_world import FEED_WRITERS, FeedWriter, FormatPlan, FoShare, generate_world
from connectors.sample_world.writers import write_csv
from engine import store
from engine.errors import BadInputError
from engine.identifiers import (
    bic_ok,
    iban_ok,
    isin_check_digit,
    isin_check_digit_ok,
    lei_check_digits,
    lei_check_ok,
    valid_isins,
)

SMALL = {"trades": 500, "days": 10, "seed": 42, "price_years": 1}
CSV_ONLY = FormatPlan()  # every feed as CSV: the files this module reads back
SECURITIES_CLASSES = {"CMIS_FO_ONLY", "CMIS_BO_ONLY", "DQUA", "DDEA", "DMON", "NCRR", "DDAT", "DTRD", "DSEC", "DELN",
                      "ICAG", "DEPT", "PARTIAL", "FAILING", "PENDING_PAST_ISD"}
CASH_CLASSES = {"CASH_MISSING", "CASH_DMON"}
FEED_TABLES = {
    "reference/legal_entities.csv": "ref_legal_entities", "reference/books.csv": "ref_books",
    "reference/counterparties.csv": "ref_counterparties", "reference/instruments.csv": "ref_instruments",
    "reference/accounts.csv": "ref_accounts", "reference/netting_sets.csv": "ref_netting_sets",
    "reference/limits.csv": "ref_limits", "reference/holidays.csv": "ref_holidays",
    "market/prices.csv": "mkt_prices", "market/fx_rates.csv": "mkt_fx_rates",
    "fo/trades_*.csv": "fo_trades", "bo/*/settlements_*.csv": "bo_settlements", "cash/cash_*.csv": "bo_cash_movements",
}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sw_small") / "world"
    generate_world(out, format_plan=CSV_ONLY, **SMALL)
    return out


@pytest.fixture(scope="module")
def default_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default world (5,000 trades, 60 days, 2 years of prices), all feeds as CSV."""
    out = tmp_path_factory.mktemp("sw_default") / "world"
    generate_world(out, format_plan=CSV_ONLY)
    return out


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _read(world: Path, pattern: str) -> pl.DataFrame:
    """Every file matching ``pattern`` (same header), all values as text."""
    return pl.scan_csv(str(world / pattern), infer_schema=False).collect()


# ---- identifiers (published examples) ------------------------------------------------------------


def test_isin_check_digit_published_examples() -> None:
    assert isin_check_digit_ok("US0378331005")          # Apple Inc.
    assert not isin_check_digit_ok("US0378331006")
    assert isin_check_digit("US037833100") == 5
    assert isin_check_digit_ok("GB0002634946")          # BAE Systems
    assert isin_check_digit_ok("AU0000XVGZA3")          # letters in the NSIN
    assert not isin_check_digit_ok("us0378331005")
    assert not isin_check_digit_ok("US03783310")
    assert not isin_check_digit_ok(None)


def test_lei_check_published_examples() -> None:
    assert lei_check_ok("5493001KJTIIGC8Y1R12")         # Bloomberg Finance L.P.
    assert lei_check_digits("5493001KJTIIGC8Y1R") == "12"
    assert not lei_check_ok("5493001KJTIIGC8Y1R13")
    assert not lei_check_ok("5493001KJTIIGC8Y1R1")
    assert not lei_check_ok(12345)


def test_iban_and_bic_shapes() -> None:
    assert iban_ok("GB82WEST12345698765432")            # ISO 13616 example
    assert not iban_ok("GB82WEST12345698765433")
    assert bic_ok("DEUTDEFF") and bic_ok("DEUTDEFF500") and not bic_ok("DEUTDEFF5")


def test_valid_isins_series_keeps_nulls() -> None:
    out = valid_isins(pl.Series("isin", ["US0378331005", None, "US0378331006", "US0378331005"]))
    assert out.to_list() == [True, None, False, True]


# ---- determinism and layout ---------------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_differs(small: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate_world(again, format_plan=CSV_ONLY, **SMALL)
    assert _digest(small) == _digest(again)
    other = tmp_path / "other"
    generate_world(other, format_plan=CSV_ONLY, **{**SMALL, "seed": 43})
    a, b = _digest(small), _digest(other)
    assert a.keys() == b.keys()
    assert a["fo/trades_2026-10-30.csv"] != b["fo/trades_2026-10-30.csv"]
    assert a["truth/breaks.csv"] != b["truth/breaks.csv"]


def test_headers_are_canonical_columns(small: Path) -> None:
    con = duckdb.connect(":memory:")
    try:
        store.apply_schema(con)
        rows = con.sql(
            "SELECT table_name, list(column_name ORDER BY ordinal_position) FROM information_schema.columns "
            "WHERE column_name NOT IN ('batch_id', 'src_line', 'src_ref') GROUP BY table_name"
        ).fetchall()
    finally:
        con.close()
    canonical = dict(rows)
    for pattern, table in FEED_TABLES.items():
        files = sorted(small.glob(pattern))
        assert files, pattern
        for f in files:
            header = f.read_text(encoding="utf-8").splitlines()[0].split(",")
            assert header == canonical[table], f"{f}: header is not the canonical columns of {table}"


def test_counts_honoured(small: Path) -> None:
    trades = _read(small, "fo/trades_*.csv")
    assert trades["trade_id"].n_unique() == SMALL["trades"]
    fo_files = sorted(small.glob("fo/trades_*.csv"))
    assert len(fo_files) == SMALL["days"]
    assert fo_files[-1].name == "trades_2026-10-30.csv"
    assert fo_files[0].name == "trades_2026-10-19.csv"      # 10 business days ending Friday 2026-10-30
    for cust in ("CUST_A", "CUST_B", "CUST_C"):
        assert len(list(small.glob(f"bo/{cust}/settlements_*.csv"))) == SMALL["days"]
    assert len(list(small.glob("cash/cash_*.csv"))) == SMALL["days"]
    # every version became known on the file's day; versions start at 1 and grow by 1
    assert (trades["known_date"].str.strptime(pl.Date) >= trades["trade_date"].str.strptime(pl.Date)).all()
    v = trades.group_by("trade_id").agg(pl.col("version").cast(pl.Int64).sort())
    assert all(x == list(range(1, len(x) + 1)) for x in v["version"].to_list())
    summary = json.loads((small / "truth" / "summary.json").read_text())
    assert summary["trades"] == SMALL["trades"] and summary["as_of"] == "2026-10-30"


def test_weekend_end_date_rolls_back_and_bad_args(tmp_path: Path) -> None:
    s = generate_world(tmp_path / "w", trades=20, days=2, price_years=1, end_date=date(2026, 10, 31),
                       format_plan=CSV_ONLY)
    assert s.end_date == date(2026, 10, 30)
    assert sorted(p.name for p in (tmp_path / "w" / "fo").iterdir()) == ["trades_2026-10-29.csv", "trades_2026-10-30.csv"]
    with pytest.raises(BadInputError):
        generate_world(tmp_path / "x", trades=-1)
    with pytest.raises(BadInputError):
        generate_world(tmp_path / "x", days=0)


# ---- reference and market data ------------------------------------------------------------------


def test_identifiers_valid_and_reference_sizes(small: Path) -> None:
    ins = _read(small, "reference/instruments.csv")
    cps = _read(small, "reference/counterparties.csv")
    les = _read(small, "reference/legal_entities.csv")
    assert 250 <= ins.height <= 350 and 150 <= cps.height <= 250 and les.height == 3
    isins = ins["isin"].drop_nulls()
    assert isins.len() > 200 and all(isin_check_digit_ok(x) for x in isins)
    assert (ins.filter(pl.col("isin").is_not_null())["instrument_id"] == isins).all()
    assert all(lei_check_ok(x) for x in pl.concat([cps["lei"], les["lei"]]))
    assert all(bic_ok(x) for x in cps["bic"]) and {len(x) for x in cps["bic"]} == {8, 11}
    assert set(ins["asset_class"]) == {"EQUITY", "GOVT_BOND", "CORP_BOND", "FX_SPOT", "FX_FORWARD", "FUTURE", "IRS",
                                       "CDS", "COMMODITY_FWD", "OPTION"}
    bonds = ins.filter(pl.col("asset_class").is_in(["GOVT_BOND", "CORP_BOND"]))
    assert set(bonds["day_count"]) == {"ACT/ACT", "30/360"} and set(bonds["price_multiplier"]) == {"0.01"}
    assert bonds["coupon_rate"].null_count() == 0 and bonds["maturity_date"].null_count() == 0
    books = _read(small, "reference/books.csv")
    assert books.height == 30 and books["desk"].n_unique() == 6 and set(books["lot_method"]) == {"FIFO", "LIFO", "AVERAGE"}
    accounts = _read(small, "reference/accounts.csv")
    ours = accounts.filter(pl.col("counterparty_id").is_null())
    assert set(ours["custodian"]) == {"CUST_A", "CUST_B", "CUST_C"}
    assert accounts.filter(pl.col("counterparty_id").is_not_null())["place_of_settlement"].null_count() == 0
    limits = _read(small, "reference/limits.csv")
    assert {"GROSS_EXPOSURE", "NET_EXPOSURE", "CURRENT_EXPOSURE", "EAD", "VAR_99_1D", "CONCENTRATION_PCT",
            "NET_FX_OPEN"} <= set(limits["measure"])
    assert limits.filter(pl.col("is_temporary") == "true").height == 3


def test_prices_and_fx_every_business_day(small: Path) -> None:
    prices = _read(small, "market/prices.csv").with_columns(pl.col("close").cast(pl.Float64))
    fx = _read(small, "market/fx_rates.csv").with_columns(pl.col("rate_to_base").cast(pl.Float64))
    days = prices["price_date"].unique().sort()
    assert days.len() >= 250 and days[-1] == "2026-10-30"
    assert prices.group_by("instrument_id").len()["len"].unique().to_list() == [days.len()]
    assert (prices["close"] > 0).all()
    ins = _read(small, "reference/instruments.csv").select("instrument_id", "asset_class")
    bonds = prices.join(ins, on="instrument_id").filter(pl.col("asset_class").is_in(["GOVT_BOND", "CORP_BOND"]))
    assert bonds["close"].min() > 60 and bonds["close"].max() < 140
    assert fx["currency"].n_unique() == 10 and (fx.filter(pl.col("currency") == "USD")["rate_to_base"] == 1).all()


# ---- trades and amounts -------------------------------------------------------------------------


def test_amounts_consistent(small: Path) -> None:
    trades = _read(small, "fo/trades_*.csv")
    ins = _read(small, "reference/instruments.csv").select("instrument_id", "price_multiplier", "asset_class")
    minor = {"JPY": 0}
    rows = trades.join(ins, on="instrument_id").to_dicts()
    assert len(rows) == trades.height
    for r in rows:  # exact decimal arithmetic on a few hundred rows
        q = Decimal(10) ** -minor.get(r["currency"], 2)
        gross = (Decimal(r["quantity"]) * Decimal(r["price"]) * Decimal(r["price_multiplier"])).quantize(q, ROUND_HALF_UP)
        assert Decimal(r["gross_amount"]) == gross, r["trade_id"]
        fees, acc = Decimal(r["fees"]), Decimal(r["accrued_interest"])
        expected_net = gross + fees + acc if r["side"] == "BUY" else gross - fees + acc
        assert Decimal(r["net_amount"]) == expected_net, r["trade_id"]
        assert Decimal(r["quantity"]) > 0 and fees >= 0
        if r["asset_class"] in ("EQUITY", "GOVT_BOND", "CORP_BOND"):
            assert r["account_id"] and r["place_of_settlement"]
        else:
            assert r["account_id"] is None
    bonds = trades.join(ins, on="instrument_id").filter(pl.col("asset_class").is_in(["GOVT_BOND", "CORP_BOND"]))
    assert (bonds["accrued_interest"].cast(pl.Float64) > 0).mean() > 0.9


def test_settlement_lags_orders_and_derivatives(small: Path) -> None:
    t = _read(small, "fo/trades_*.csv").filter(pl.col("version") == "1").join(
        _read(small, "reference/instruments.csv").select("instrument_id", "asset_class"), on="instrument_id")
    t = t.with_columns(lag=pl.business_day_count(pl.col("trade_date").str.strptime(pl.Date),
                                                 pl.col("settle_date").str.strptime(pl.Date)))
    lags = dict(t.group_by("asset_class").agg(pl.col("lag").unique().sort()).iter_rows())
    assert lags["EQUITY"] == [2] and lags["GOVT_BOND"] == [1] and lags["CORP_BOND"] == [2]
    assert lags["FX_SPOT"] == [2] and min(lags["FX_FORWARD"]) >= 21
    fills = t.filter(pl.col("block_id").is_null()).group_by("order_id").agg(pl.len(), pl.col("exec_id").n_unique())
    assert fills.filter(pl.col("len") > 1).height > 0
    assert (fills["len"] == fills["exec_id"]).all()
    assert t["block_id"].drop_nulls().n_unique() > 0
    otc = t.filter(pl.col("asset_class").is_in(["IRS", "CDS", "COMMODITY_FWD", "OPTION"]))
    assert otc.height > 0 and otc["netting_set_id"].null_count() == 0 and otc["notional"].null_count() == 0
    assert otc.filter(pl.col("asset_class") == "OPTION")["option_strike"].null_count() == 0
    assert otc.filter(pl.col("asset_class") == "CDS")["reference_entity"].null_count() == 0
    statuses = set(_read(small, "fo/trades_*.csv")["status"])
    assert statuses == {"NEW", "AMEND", "CANCEL"}


# ---- breaks and ground truth ----------------------------------------------------------------------


def test_every_break_class_in_truth(small: Path, default_world: Path) -> None:
    for world in (small, default_world):
        truth = pl.read_csv(world / "truth" / "breaks.csv", infer_schema_length=0)
        assert set(truth["break_class"]) == SECURITIES_CLASSES | CASH_CLASSES
        assert truth["break_id"].is_unique().all() and set(truth["as_of"]) == {"2026-10-30"}
        fails = truth.filter(pl.col("break_class") == "FAILING")
        assert fails["reason_code"].null_count() == 0 and set(fails["reason_code"]) <= {
            "LACK", "MONY", "CLAC", "CMON", "LATE", "CYCL", "BLOC"}
        causes = set(truth["cause"])
        assert {"LATE_CONFIRMATION", "CANCELLED_TRADE_SETTLED", "UNKNOWN_TRADE", "DMON_NEAR"} <= causes
        nb = pl.read_csv(world / "truth" / "non_breaks.csv", infer_schema_length=0)
        assert {"AMOUNT_ROUNDING", "AMOUNT_TOLERANCE", "ONE_TO_MANY", "MANY_TO_ONE", "NO_TRADE_REF",
                "CANCELLED_BOTH_SIDES", "CASH_REVERSAL", "CASH_NO_REF"} <= set(nb["class"])
    nb = pl.read_csv(default_world / "truth" / "non_breaks.csv", infer_schema_length=0)
    assert {"LATE_CONFIRMATION", "RESOLVED_FAILING", "RESOLVED_PARTIAL", "RESOLVED_PENDING"} <= set(nb["class"])
    # breaks are a few percent of the custody trades
    truth = pl.read_csv(default_world / "truth" / "breaks.csv", infer_schema_length=0)
    assert 0.01 < truth.height / 5000 < 0.06


def test_near_misses_are_just_inside_and_just_outside_tolerance(default_world: Path) -> None:
    truth = pl.read_csv(default_world / "truth" / "breaks.csv", infer_schema_length=0)
    dmon = truth.filter(pl.col("break_class") == "DMON")["difference"].cast(pl.Float64).abs()
    assert dmon.min() == pytest.approx(0.02)                          # tolerance (0.01) + one minor unit
    nb = pl.read_csv(default_world / "truth" / "non_breaks.csv", infer_schema_length=0)
    assert nb.filter(pl.col("class") == "AMOUNT_TOLERANCE")["detail"].str.contains(r"\((-)?(0\.01|1) after").all()
    assert nb.filter(pl.col("class") == "AMOUNT_ROUNDING")["detail"].str.contains(r"\(0(\.00)? after").all()


def test_truth_matches_an_independent_reconciliation(small: Path, default_world: Path) -> None:
    from sample_world_refrecon import compare_with_truth

    for world in (small, default_world):
        mine, missed, extra = compare_with_truth(world)
        assert missed.height == 0, missed
        assert extra.height == 0, extra
        assert mine.height == pl.read_csv(world / "truth" / "breaks.csv", infer_schema_length=0).height


def test_cancelled_trades_are_not_settled_unless_injected(default_world: Path) -> None:
    t = _read(default_world, "fo/trades_*.csv")
    cancelled = t.filter(pl.col("status") == "CANCEL")["trade_id"]
    s = _read(default_world, "bo/*/settlements_*.csv")
    last = s.sort("settlement_id", pl.col("seq").cast(pl.Int64)).group_by("settlement_id").last()
    settled = last.filter(pl.col("trade_ref").is_in(cancelled.implode()) & (pl.col("status") != "CANCELLED"))
    truth = pl.read_csv(default_world / "truth" / "breaks.csv", infer_schema_length=0)
    injected = truth.filter(pl.col("cause") == "CANCELLED_TRADE_SETTLED")["settlement_id"]
    assert settled.height > 0 and sorted(settled["settlement_id"]) == sorted(injected)


def test_settlement_records_evolve_by_seq(default_world: Path) -> None:
    s = _read(default_world, "bo/*/settlements_*.csv").with_columns(pl.col("seq").cast(pl.Int64))
    g = s.group_by("settlement_id").agg(pl.col("seq").sort(), pl.col("known_date").sort_by("seq"))
    assert all(x == list(range(1, len(x) + 1)) for x in g["seq"].to_list())
    assert all(x == sorted(x) for x in g["known_date"].to_list())
    assert {"MATCHED", "UNMATCHED", "SETTLED", "FAILING", "PARTIAL", "CANCELLED"} <= set(s["status"])
    partial = s.filter(pl.col("status") == "PARTIAL")
    assert (partial["settled_quantity"].cast(pl.Float64) < partial["quantity"].cast(pl.Float64)).all()
    assert s["trade_ref"].null_count() > 0 and s["message_type"].unique().to_list() == ["CSV"]


def test_limits_calibrated_to_a_handful_of_warnings_and_breaches(default_world: Path) -> None:
    """Recompute the cash-equity books' gross exposure from the files (trade-date positions of the
    live versions, end-date close x multiplier x FX) and apply the book limits, temporary ones
    overriding official ones within their validity: two BREACH and three WARNING."""
    end = "2026-10-30"
    t = _read(default_world, "fo/trades_*.csv").filter(pl.col("known_date") <= end)
    live = t.sort("trade_id", pl.col("version").cast(pl.Int64)).group_by("trade_id").last().filter(pl.col("status") != "CANCEL")
    pos = live.group_by("book_id", "instrument_id", "currency").agg(
        (pl.when(pl.col("side") == "BUY").then(1).otherwise(-1) * pl.col("quantity").cast(pl.Float64)).sum().alias("qty"))
    close = _read(default_world, "market/prices.csv").filter(pl.col("price_date") == end).select(
        "instrument_id", pl.col("close").cast(pl.Float64))
    fx = _read(default_world, "market/fx_rates.csv").filter(pl.col("rate_date") == end).select(
        "currency", pl.col("rate_to_base").cast(pl.Float64))
    ins = _read(default_world, "reference/instruments.csv").select("instrument_id", pl.col("price_multiplier").cast(pl.Float64))
    books = _read(default_world, "reference/books.csv").filter(pl.col("desk") == "EQ_CASH").select("book_id")
    gross = (books.join(pos, on="book_id", how="left").join(close, on="instrument_id", how="left")
             .join(fx, on="currency", how="left").join(ins, on="instrument_id", how="left")
             .group_by("book_id").agg((pl.col("qty") * pl.col("close") * pl.col("price_multiplier")
                                       * pl.col("rate_to_base")).abs().sum().alias("gross")))
    lim = _read(default_world, "reference/limits.csv").filter(
        (pl.col("measure") == "GROSS_EXPOSURE") & pl.col("scope_book").is_not_null() & (pl.col("valid_from") <= end)
        & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= end)))
    applied = lim.sort("scope_book", pl.col("is_temporary") == "true", pl.col("priority").cast(pl.Int64)).group_by(
        "scope_book").last()
    util = gross.join(applied, left_on="book_id", right_on="scope_book").with_columns(
        u=pl.col("gross") / pl.col("limit_value").cast(pl.Float64) * 100)
    status = util.select(pl.when(pl.col("u") >= 100).then(pl.lit("BREACH"))
                         .when(pl.col("u") >= pl.col("warning_pct").cast(pl.Float64)).then(pl.lit("WARNING"))
                         .otherwise(pl.lit("OK")).alias("s"))["s"]
    assert status.value_counts().sort("s").rows() == [("BREACH", 2), ("OK", 2), ("WARNING", 3)]
    assert applied.filter(pl.col("is_temporary") == "true").height == 1   # expired / future ones do not apply


# ---- pluggable writers ------------------------------------------------------------------------------


def test_a_new_format_is_a_small_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def write_tsv(frame: pl.DataFrame, path: Path, table: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_csv(path, separator="\t", null_value="", date_format="%Y-%m-%d")

    monkeypatch.setitem(FEED_WRITERS, "TSV", FeedWriter("tsv", write_tsv))
    plan = FormatPlan(fo_shares=(FoShare("trades", "CSV", 0.7, "BLOTTER"), FoShare("oms", "TSV", 0.3, "OMS")),
                      custodians={"CUST_A": "CSV", "CUST_B": "TSV", "CUST_C": "CSV"}, cash="TSV")
    s = generate_world(tmp_path / "w", trades=200, days=3, price_years=1, format_plan=plan)
    assert len(list((tmp_path / "w" / "fo").glob("oms_*.tsv"))) == 3
    assert len(list((tmp_path / "w" / "cash").glob("cash_*.tsv"))) == 3
    b = pl.read_csv(next((tmp_path / "w" / "bo" / "CUST_B").glob("*.tsv")), separator="\t", infer_schema_length=0)
    assert set(b["message_type"]) <= {"TSV"}
    oms = pl.concat([pl.read_csv(p, separator="\t", infer_schema_length=0)
                     for p in (tmp_path / "w" / "fo").glob("oms_*.tsv")])
    blotter = pl.concat([pl.read_csv(p, infer_schema_length=0) for p in (tmp_path / "w" / "fo").glob("trades_*.csv")])
    assert set(oms["source_system"]) == {"OMS"} and set(blotter["source_system"]) == {"BLOTTER"}
    assert oms["trade_id"].n_unique() + blotter["trade_id"].n_unique() == s.trades == 200
    assert write_csv is FEED_WRITERS["CSV"].write


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    from engine.errors import ConfigError

    with pytest.raises(ConfigError):
        generate_world(tmp_path / "w", trades=10, days=1, format_plan=FormatPlan(cash="NOPE"))


# ---- command line --------------------------------------------------------------------------------


def test_cli_generate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from engine.cli import app

    monkeypatch.setenv("MIDOFFICE_GENERATE__TRADES", "120")   # defaults come from the [generate] section
    out = tmp_path / "cli_world"
    r = CliRunner().invoke(app, ["generate", "--days", "2", "--price-years", "1", "--seed", "5", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "Files written" in r.output and "Injected breaks" in r.output and "TOTAL" in r.output
    summary = json.loads((out / "truth" / "summary.json").read_text())
    assert summary["trades"] == 120 and summary["days"] == 2 and summary["seed"] == 5
    r = CliRunner().invoke(app, ["generate", "--trades", "-1", "--out", str(out)])
    assert r.exit_code != 0


def test_amount_scaling_does_not_overflow_on_large_nominals() -> None:
    """A 45.6 million amount in 1e-4 units times a 36.41 million nominal passes int64: the scaled
    amount (a quantity break, a partial or split settlement) is computed exactly, half up."""
    from connectors.sample_world.backoffice import _scale

    a = np.array([456_198_236_600, -456_198_236_600, 15, -15], dtype=np.int64)
    q = np.array([36_410_000, 36_410_000, 1, 1], dtype=np.int64)
    d = np.array([50_620_000, 50_620_000, 2, 2], dtype=np.int64)
    # 456,198,236,600 x 36,410,000 / 50,620,000 = 328,134,685,788.05...; 15 / 2 = 7.5 -> 8
    assert _scale(a, q, d).tolist() == [328_134_685_788, -328_134_685_788, 8, -8]

"""Accrued interest and coupons (positions/bond_accrual.sql) against QuantLib (test-only
dependency): fixed cases across day counts, short first periods and month ends, and coupon
amounts against QuantLib's cash flows."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from engine.positions import accrued_interest

ql = pytest.importorskip("QuantLib")

DAY_COUNTS = {
    "ACT/360": lambda s: ql.Actual360(),
    "ACT/365F": lambda s: ql.Actual365Fixed(),
    "30/360": lambda s: ql.Thirty360(ql.Thirty360.BondBasis),
    "30E/360": lambda s: ql.Thirty360(ql.Thirty360.European),
    "ACT/ACT": lambda s: ql.ActualActual(ql.ActualActual.ISMA, s),
}

# (coupon, freq, day count, issue, maturity, value date)
BONDS = [
    (0.045, 2, "ACT/ACT", date(2020, 2, 15), date(2030, 2, 15), date(2024, 3, 15)),  # UST-like
    (0.0125, 1, "ACT/ACT", date(2021, 5, 20), date(2031, 5, 20), date(2024, 11, 29)),  # Bund-like, annual
    (0.07, 2, "30/360", date(2019, 8, 31), date(2029, 8, 31), date(2024, 2, 29)),  # month-end coupons
    (0.07, 2, "30/360", date(2019, 8, 31), date(2029, 8, 31), date(2024, 3, 31)),
    (0.05, 4, "ACT/360", date(2022, 1, 10), date(2027, 1, 10), date(2024, 6, 3)),
    (0.05, 12, "ACT/365F", date(2023, 3, 31), date(2028, 3, 31), date(2024, 5, 15)),
    (0.06, 2, "30E/360", date(2020, 1, 31), date(2030, 7, 31), date(2024, 7, 30)),
    (0.045, 4, "ACT/ACT", date(2022, 2, 11), date(2027, 1, 31), date(2022, 4, 7)),  # short first period
    (0.03, 2, "ACT/360", date(2023, 9, 5), date(2033, 3, 15), date(2023, 12, 1)),  # short first period
]


def _ql_date(d: date):  # type: ignore[no-untyped-def]
    return ql.Date(d.day, d.month, d.year)


def _ql_bond(rate: float, freq: int, dc: str, issue: date, maturity: date):  # type: ignore[no-untyped-def]
    sched = ql.Schedule(
        _ql_date(issue), _ql_date(maturity), ql.Period(12 // freq, ql.Months), ql.NullCalendar(),
        ql.Unadjusted, ql.Unadjusted, ql.DateGeneration.Backward, False,
    )
    return ql.FixedRateBond(0, 100.0, sched, [rate], DAY_COUNTS[dc](sched))


def _frame(rows: list[tuple]) -> pl.DataFrame:  # type: ignore[type-arg]
    return pl.DataFrame(
        [
            {"key": f"B{k}", "value_date": v, "prev_date": p, "coupon_rate": r, "coupon_freq": f, "day_count": dc,
             "issue_date": i, "maturity_date": m}
            for k, (r, f, dc, i, m, v, p) in enumerate(rows)
        ],
        schema_overrides={"prev_date": pl.Date},
    )


def test_accrued_matches_quantlib() -> None:
    out = accrued_interest(_frame([(*b, None) for b in BONDS])).sort("key")
    got = dict(zip(out["key"], out["accrued_per_unit"], strict=True))
    for k, (rate, freq, dc, issue, maturity, vd) in enumerate(BONDS):
        expected = _ql_bond(rate, freq, dc, issue, maturity).accruedAmount(_ql_date(vd)) / 100.0
        assert got[f"B{k}"] == pytest.approx(expected, abs=1e-12), (dc, vd)


def test_coupon_paid_matches_quantlib_cashflows() -> None:
    rows = []
    expected = []
    for rate, freq, dc, issue, maturity, _ in BONDS:
        bond = _ql_bond(rate, freq, dc, issue, maturity)
        cf = [c for c in bond.cashflows() if ql.as_coupon(c) is not None][3]  # the fourth coupon
        pay = date(cf.date().year(), cf.date().month(), cf.date().dayOfMonth())
        rows.append((rate, freq, dc, issue, maturity, pay, pay - timedelta(days=1)))
        expected.append(cf.amount() / 100.0)
    out = accrued_interest(_frame(rows)).sort("key")
    got = dict(zip(out["key"], out["coupon_paid_per_unit"], strict=True))
    for k, e in enumerate(expected):
        assert got[f"B{k}"] == pytest.approx(e, abs=1e-12)
    # on the coupon date itself the new period has just started
    assert all(x == 0.0 for x in out["accrued_per_unit"])


def test_matured_bond_accrues_nothing_and_pays_the_last_coupon() -> None:
    out = accrued_interest(
        _frame([(0.04, 2, "ACT/ACT", date(2014, 6, 1), date(2024, 6, 1), date(2024, 6, 3), date(2024, 5, 31))])
    )
    assert out["accrued_per_unit"][0] == 0.0
    assert out["coupon_paid_per_unit"][0] == pytest.approx(0.02)

"""Constants and small vectorised helpers of the sample world: calendar, currencies, rates of
injected breaks, tolerances the ground truth assumes.

Business days are Monday to Friday (the ``WEEKDAYS`` calendar of the default configuration):
``ref_holidays`` lists TARGET and USNY holidays for information, but the generator's settlement
dates and the run dates ignore them, so the store's ``calendar = "WEEKDAYS"`` agrees with the files.
"""

from __future__ import annotations

import csv
import logging
from datetime import date
from importlib import resources

import numpy as np

log = logging.getLogger(__name__)

#: Default last business day of the world (a Friday), so outputs are stable without wall-clock.
DEFAULT_END_DATE = date(2026, 10, 30)

#: Currencies of the world; USD is the base (rate_to_base = 1).
CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "SEK", "NOK", "HKD")
BASE_CURRENCY = "USD"

CUSTODIANS: tuple[str, ...] = ("CUST_A", "CUST_B", "CUST_C")
CUSTODIAN_BICS: dict[str, str] = {"CUST_A": "CUSAUS33XXX", "CUST_B": "CUSBBEBBXXX", "CUST_C": "CUSCGB2LXXX"}
#: Asset classes that settle at a custodian (the securities reconciliation's scope).
CUSTODY_ASSET_CLASSES: tuple[str, ...] = ("EQUITY", "GOVT_BOND", "CORP_BOND")

#: Amount tolerance the ground truth assumes: after rounding both sides to the currency's minor
#: unit, a difference of at most this many minor units is not a break (DMON starts above it).
AMOUNT_TOLERANCE_MINOR_UNITS = 1

#: ISO 20022 / ISO 15022 pending and failing reason codes used for FAILING records.
FAIL_REASONS: tuple[tuple[str, str], ...] = (
    ("LACK", "Lack of securities"),
    ("MONY", "Insufficient money"),
    ("CLAC", "Counterparty insufficient securities"),
    ("CMON", "Counterparty insufficient money"),
    ("LATE", "Market deadline missed"),
    ("CYCL", "Awaiting next settlement cycle"),
    ("BLOC", "Account blocked"),
)
FAIL_REASON_WEIGHTS = np.array([0.28, 0.12, 0.3, 0.12, 0.08, 0.05, 0.05])

#: Securities-side scenarios, as a share of the custody trades that are eligible for injection
#: (not amended, not cancelled, not a block allocation, economically unambiguous). Each class has
#: at least ``MIN_PER_CLASS`` occurrences so that a small world still shows every class.
SCENARIO_RATES: dict[str, float] = {
    "AMEND": 0.03,            # versioned amendment (FO v2 and a re-instructed BO record): clean
    "CANCEL": 0.01,           # cancelled; the custodian cancels the instruction: clean
    "CANCEL_SETTLED": 0.0015, # cancelled in the FO but the custodian settles it anyway: CMIS_BO_ONLY
    "MISSING": 0.003,         # never confirmed by the custodian: CMIS_FO_ONLY
    "LATE": 0.003,            # first custodian record 1-6 business days after the ISD
    "DQUA": 0.002,
    "DDEA": 0.002,
    "DMON": 0.002,
    "DMON_NEAR": 0.001,       # amount off by tolerance + 1 minor unit: a break
    "NCRR": 0.001,
    "DDAT": 0.002,
    "DTRD": 0.001,
    "DSEC": 0.001,
    "DELN": 0.001,
    "ICAG": 0.0015,
    "DEPT": 0.0015,
    "PARTIAL": 0.004,
    "PARTIAL_P": 0.001,       # partial that stays partial (persistent)
    "FAILING": 0.008,
    "FAILING_P": 0.002,       # fail that is never resolved
    "PENDING": 0.003,
    "PENDING_P": 0.001,       # matched or unmatched, never settled
    "ROUNDING": 0.004,        # amount differs below half a minor unit: NOT a break
    "TOLERANCE": 0.002,       # amount differs by exactly the tolerance: NOT a break
    "ONE_TO_MANY": 0.003,     # two custodian settlements adding up to the trade: NOT a break
}
#: Extra custodian settlements with no front-office trade (CMIS_BO_ONLY), per custody trade.
EXTRA_RATE = 0.002
#: Settlements reported without our trade reference (matched on economic keys), per eligible trade.
REFLESS_RATE = 0.02
#: Cash-side scenarios among cleanly settled trades.
CASH_RATES: dict[str, float] = {
    "CASH_MISSING": 0.002,
    "CASH_DMON": 0.002,
    "CASH_REVERSAL": 0.002,   # a duplicate entry and its reversal: NOT a break
    "CASH_REFLESS": 0.02,     # entry without end-to-end id and entry reference: NOT a break
}
MIN_PER_CLASS = 2
#: Scenarios that must be open at the end date: injected only on trades whose ISD is before it.
PERSISTENT = ("PARTIAL_P", "FAILING_P", "PENDING_P")

#: Block allocations settled as ONE custodian settlement (MANY_TO_ONE) rather than one each.
BLOCK_NETTED_SHARE = 0.5


def minor_units() -> dict[str, int]:
    """Minor units per currency from the packaged ISO 4217 list."""
    text = resources.files("engine").joinpath("data", "currencies.csv").read_text("utf-8")
    return {r["currency"]: int(r["minor_units"]) for r in csv.DictReader(text.splitlines())}


def to_np(d: date) -> np.datetime64:
    return np.datetime64(d.isoformat(), "D")


def is_business_day(d: date) -> bool:
    return bool(np.is_busday(to_np(d)))


def add_bdays(dates: np.ndarray, n: np.ndarray | int) -> np.ndarray:
    """Business-day offset (Mon-Fri), vectorised; ``dates`` must be business days."""
    return np.busday_offset(dates.astype("datetime64[D]"), n, roll="forward")


def bday_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Business days from ``a`` to ``b`` (b - a), vectorised."""
    return np.busday_count(a.astype("datetime64[D]"), b.astype("datetime64[D]"))


def business_days(start: np.datetime64, end: np.datetime64) -> np.ndarray:
    """Business days in [start, end]."""
    first = np.busday_offset(start, 0, roll="forward")
    n = int(np.busday_count(first, end + np.timedelta64(1, "D")))
    return np.busday_offset(first, np.arange(n), roll="forward")


def last_business_days(end: np.datetime64, count: int) -> np.ndarray:
    """The ``count`` business days ending at ``end`` (a business day), ascending."""
    return np.busday_offset(end, np.arange(-(count - 1), 1), roll="backward")


def split_evenly(total: int, parts: int) -> np.ndarray:
    """``parts`` non-negative integers summing to ``total``, as equal as possible (spread)."""
    idx = np.arange(parts + 1, dtype=np.int64)
    cuts = (idx * total) // parts
    return np.diff(cuts)

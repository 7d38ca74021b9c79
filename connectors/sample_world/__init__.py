"""The deterministic sample-world generator: reference and market data, a front office, three
custodians, cash statements, and the ground truth of every break injected on purpose.

    from connectors.sample_world import generate_world
    summary = generate_world(Path("data/sample"), trades=5000, days=60, seed=42)

Determinism: one ``numpy.random.Generator(PCG64(seed))`` drawn in a fixed order, no wall clock;
the same arguments give byte-identical files. The default end date is 2026-10-30 (a Friday); an
``end_date`` on a weekend is rolled back to the Friday. Business days are Monday-Friday.

Bounded memory: trades are drawn one business day at a time (vectorised, about
``trades / days`` per day) and processed in batches of consecutive days holding at most 100,000
trades (a single day when a day alone has more, e.g. 166k a day for 10M trades over 60 days);
each batch's days are written before the next batch starts. Only records that become known on
later days (amendments, cancels, later settlement statuses, cash entries) wait in a buffer keyed
by their known date, plus small position aggregates for the limits; memory does not grow with
the number of days.

Layout under ``out_dir`` (the sub-folders below are owned by the generator and replaced; load
``feed_paths(out_dir)``, i.e. everything but ``truth/``, which is the answer key, not a feed):

- ``reference/``: legal_entities, books, counterparties, instruments, accounts, netting_sets,
  limits, holidays (``ref_*`` tables);
- ``market/``: prices (every priced instrument, every business day of ``price_years`` years up
  to the end date; bonds in % of par), fx_rates (10 currencies, ``rate_to_base``, USD = 1);
- ``fo/<share>_YYYY-MM-DD.<ext>``: every trade version that became known that day (``fo_trades``),
  one file per front-office share of :data:`FORMAT_PLAN` (``trades_*.csv`` is the CSV blotter;
  other shares are written by the writers registered for FIX, XLSX ...);
- ``bo/<CUSTODIAN>/settlements_YYYY-MM-DD.<ext>``: every custodian status record of that day;
- ``cash/cash_YYYY-MM-DD.<ext>``: cash statement entries booked that day (``bo_cash_movements``);
- ``truth/breaks.csv``, ``truth/non_breaks.csv``, ``truth/summary.json``.

CSV headers are exactly the canonical columns of the target table (DDL order, lineage columns
``batch_id``, ``src_line``, ``src_ref`` left out). Decimals are exact; amounts carry the
currency's minor units (custodian amounts may carry up to 4 decimals: sub-minor-unit noise).
Other formats plug in through :mod:`connectors.sample_world.writers`; ``format_plan=FormatPlan()``
writes every feed as CSV (what the tests read back). The data and the ground truth do not depend
on the formats, provided each format's connector loads every field back unchanged.

Front office conventions: ``quantity > 0`` with ``side``; ``gross_amount = quantity x price x
price_multiplier`` rounded half-up to the minor unit; ``net_amount = gross + fees + accrued``
for a BUY (paid) and ``gross - fees + accrued`` for a SELL (received), as the ``fo_trades`` DDL
says. Versions: NEW on the trade date; AMEND (version 2: quantity, price or settlement date
changed) and CANCEL (the previous terms, status CANCEL) one business day later for custody
trades (1-3 days for others). Orders: partial fills share ``order_id`` (distinct ``exec_id``);
allocation blocks share ``block_id`` and price. Custody trades (EQUITY, GOVT_BOND, CORP_BOND;
exactly the trades with an ``account_id``) settle at CUST_A (US), CUST_B (EUR markets and
Eurobonds) or CUST_C (GB, JP, CH): equities and corporate bonds T+2, government bonds T+1. FX
spot T+2, forwards at their tenor (21/63/126 business days), futures T+1, OTC trades carry
notional (trade currency), start/end dates, ``mtm`` (USD) and a netting set.

Ground truth (``truth/breaks.csv``): the breaks OPEN AS OF THE END DATE, one row per break,
``as_of`` = end date. A reconciliation run for the end date, with every file loaded, must find
exactly these. The rules it encodes:

1. Scope: live front-office trades (per ``trade_id`` the highest version with known_date <= as_of,
   dropped if CANCEL) of custody asset classes, against custodian settlements whose current
   state is their highest ``seq`` with known_date <= as_of; settlements whose current status is
   CANCELLED are out of scope (and so are cancelled trades).
2. Pairing: by ``trade_ref`` = ``trade_id``; some settlements have no trade_ref (non-break class
   NO_TRADE_REF) and are unique on (isin, account_id, direction, intended_settle_date, quantity)
   among what reference matching leaves; settlements with a trade_ref that is a ``block_id``
   settle all allocations of that block together (MANY_TO_ONE, not a break); two settlements with
   the same trade_ref whose quantities and amounts add up to the trade are ONE_TO_MANY (not a
   break). Settlements nobody booked use foreign references (``CPREF...``) or none, and a
   quantity that no trade has (lot x k + lot/2), so economic matching must require quantity.
3. ``CMIS_FO_ONLY``: a live custody trade with no settlement known (``cause`` MISSING, or
   LATE_CONFIRMATION when the custodian's record arrives only after the end date).
   ``CMIS_BO_ONLY``: a settlement (not CANCELLED) with no live trade (``cause`` UNKNOWN_TRADE,
   or CANCELLED_TRADE_SETTLED when its trade_ref is a cancelled trade).
4. Field breaks of a matched pair, one row per pair, the class of the first differing field in
   this precedence: DSEC (isin), DELN (direction; BUY = RECEIVE), NCRR (currency), DQUA
   (quantity), DDEA (deal_price vs price), DMON (amount vs net_amount), DTRD (trade_date), DDAT
   (intended_settle_date vs settle_date; the custodian's date is the earlier one, and the
   custodian settles on it), ICAG (counterparty_id), DEPT (place_of_settlement);
   ``fields`` lists every differing field (a quantity or price difference also moves the amount).
   Amounts are compared after rounding both sides half-up to the currency's minor unit; a
   difference of at most 1 minor unit is within tolerance (non-breaks AMOUNT_ROUNDING: equal
   after rounding; AMOUNT_TOLERANCE: exactly 1 minor unit); DMON rows differ by 2 minor units
   ("just above tolerance") or more. Quantities, prices and dates compare exactly.
5. Settlement state of a matched pair (a separate row from any field break): FAILING (status
   FAILING, ``reason_code`` the latest ISO code: LACK, MONY, CLAC, CMON, LATE, CYCL, BLOC);
   PARTIAL (status PARTIAL; ``difference`` = remaining quantity); PENDING_PAST_ISD (status
   PENDING, MATCHED or UNMATCHED and the custodian's intended_settle_date before as_of;
   ``difference`` = business days past it).
6. Cash (``recon`` = CASH): expected cash = one entry per settlement event (a record whose
   settled_quantity grew), amount = the growth of settled_amount, rounded half-up, signed
   (DELIVER +, RECEIVE -), currency and value date (actual_settle_date) of the settlement, on
   the cash account of the settlement's account_id (``ref_accounts.cash_account``); statement
   entries carry end_to_end_id = trade_ref and entry_ref = settlement_id (both missing for
   non-break CASH_NO_REF: match on account, value date, amount, currency). CASH_MISSING: an
   expected entry with no statement entry (``side`` EXPECTED_ONLY);
   CASH_DMON: amounts differ by more than 1 minor unit. Not breaks: a duplicate entry and its
   reversal (``is_reversal``, same group_id, CASH_REVERSAL) and fee entries (bank_tx_code
   ``ACMT/MDOP/CHRG``, no references).

Columns of ``truth/breaks.csv``: ``break_id`` (BRK + number, stable for a seed), ``as_of``,
``recon`` (SECURITIES | CASH), ``break_class``, ``side`` (FO_ONLY | BO_ONLY | BOTH; cash:
EXPECTED_ONLY | BOTH), ``trade_id`` (the true front-office trade, also when the custodian record
carries no reference), ``settlement_id``, ``movement_id`` (cash), ``custodian``, ``isin`` (the
trade's), ``field`` (canonical bo_settlements column of the primary difference, ``settlement``
for CMIS, ``status`` / ``settled_quantity`` for states), ``fo_value``, ``bo_value``,
``difference`` (bo - fo; business days for dates; remaining quantity for PARTIAL; business days
past the ISD for FAILING and PENDING_PAST_ISD), ``fields`` (every differing field, ``;``),
``reason_code``, ``intended_settle_date``, ``cause`` (the injected scenario, e.g. DMON_NEAR,
FAILING_P for a fail that never resolves, LATE_CONFIRMATION). A break's identity for scoring is
(recon, break_class, trade_id, settlement_id).

``truth/non_breaks.csv`` lists what must NOT be reported as of the end date: AMOUNT_ROUNDING,
AMOUNT_TOLERANCE, ONE_TO_MANY, MANY_TO_ONE, NO_TRADE_REF, LATE_CONFIRMATION (arrived),
RESOLVED_FAILING / RESOLVED_PARTIAL / RESOLVED_PENDING (settled later), CANCELLED_BOTH_SIDES,
CASH_REVERSAL, CASH_NO_REF. ``truth/summary.json`` has the counts and the tolerances.
"""

from __future__ import annotations

from connectors.sample_world.world import WorldSummary, feed_paths, generate_world
from connectors.sample_world.writers import (
    FEED_WRITERS,
    FORMAT_PLAN,
    FeedWriter,
    FormatPlan,
    FoShare,
)

__all__ = ["FEED_WRITERS", "FORMAT_PLAN", "FeedWriter", "FoShare", "FormatPlan", "WorldSummary", "feed_paths",
           "generate_world"]

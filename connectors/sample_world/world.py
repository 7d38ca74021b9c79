"""``generate_world``: the orchestration, one business day at a time with bounded memory."""

from __future__ import annotations

import json
import logging
import shutil
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

import numpy as np
import polars as pl

from connectors.sample_world import backoffice as bo
from connectors.sample_world import trading
from connectors.sample_world.conventions import (
    AMOUNT_TOLERANCE_MINOR_UNITS,
    CASH_RATES,
    CUSTODIANS,
    DEFAULT_END_DATE,
    EXTRA_RATE,
    MIN_PER_CLASS,
    PERSISTENT,
    REFLESS_RATE,
    SCENARIO_RATES,
    business_days,
    last_business_days,
    split_evenly,
    to_np,
)
from connectors.sample_world.fmt import shape
from connectors.sample_world.limits import build_limits
from connectors.sample_world.market import build_market, fx_frame, prices_frame
from connectors.sample_world.reference import build_reference
from connectors.sample_world.writers import FORMAT_PLAN, FormatPlan, write_feed
from engine.errors import BadInputError

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
#: Sub-folders the generator owns under ``out_dir`` (removed before a new world is written).
OWNED_DIRS = ("reference", "market", "fo", "bo", "cash", "truth")
#: The sub-folders that hold feeds (``truth/`` is the answer key, not a feed).
FEED_DIRS = ("reference", "market", "fo", "bo", "cash")


def feed_paths(out_dir: Path) -> list[Path]:
    """The folders of a generated world to load (everything but ``truth/``)."""
    return [Path(out_dir) / d for d in FEED_DIRS if (Path(out_dir) / d).is_dir()]
SEMANTICS_VERSION = 1
#: Trades generated and processed together: several days at once for small worlds (less per-call
#: overhead), one day at a time when a day alone has more (memory stays bounded by this).
BATCH_TRADES = 100_000


@dataclass(frozen=True)
class WorldSummary:
    """What a generation wrote. ``files``/``rows`` per feed kind; ``breaks``/``non_breaks`` per class."""

    out_dir: str
    seed: int
    trades: int
    days: int
    price_years: int
    start_date: date
    end_date: date
    price_start_date: date
    files: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    breaks: dict[str, int] = field(default_factory=dict)
    non_breaks: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "out_dir": self.out_dir,
            "seed": self.seed,
            "trades": self.trades,
            "days": self.days,
            "price_years": self.price_years,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "price_start_date": self.price_start_date.isoformat(),
            "files": dict(sorted(self.files.items())),
            "rows": dict(sorted(self.rows.items())),
            "breaks": dict(sorted(self.breaks.items())),
            "non_breaks": dict(sorted(self.non_breaks.items())),
            "breaks_total": sum(self.breaks.values()),
        }


class _TruthWriter:
    """Appends truth rows day by day to a CSV (header once), numbering breaks in write order."""

    def __init__(self, path: Path, columns: tuple[str, ...], id_prefix: str | None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fh: IO[bytes] = path.open("wb")
        self.columns = columns
        self.id_prefix = id_prefix
        self.n = 0
        self.counts: dict[str, int] = defaultdict(int)
        pl.DataFrame(schema=dict.fromkeys(columns, pl.String)).write_csv(self.fh, include_header=True)

    def write(self, frame: pl.DataFrame, class_col: str, sort: list[str]) -> None:
        if frame.height == 0:
            return
        frame = frame.sort(sort, nulls_last=True)
        if self.id_prefix:
            frame = frame.with_columns(
                break_id=pl.format(f"{self.id_prefix}{{}}", (pl.int_range(frame.height) + self.n + 1).cast(pl.String).str.zfill(8)))
        self.n += frame.height
        for k, v in frame.group_by(class_col).len().iter_rows():
            self.counts[k] += v
        frame.select(self.columns).write_csv(self.fh, include_header=False, null_value="", date_format="%Y-%m-%d",
                                             line_terminator="\n")

    def close(self) -> None:
        self.fh.close()


def _batches(per_day: np.ndarray, limit: int) -> list[tuple[int, int]]:
    """Consecutive day ranges [a, b) of at most ``limit`` trades (at least one day each)."""
    out: list[tuple[int, int]] = []
    a, acc = 0, 0
    for i, n in enumerate(per_day.tolist()):  # one step per business day
        if i > a and acc + n > limit:
            out.append((a, i))
            a, acc = i, 0
        acc += n
    out.append((a, len(per_day)))
    return out


def _quota_plan(total: int, n_days: int, days_ok: np.ndarray | None = None) -> np.ndarray:
    """Spread ``total`` occurrences over the days (only over ``days_ok`` if given)."""
    out = np.zeros(n_days, dtype=np.int64)
    idx = np.arange(n_days) if days_ok is None else np.flatnonzero(days_ok)
    if len(idx) == 0 or total <= 0:
        return out
    out[idx] = split_evenly(total, len(idx))
    return out


def generate_world(
    out_dir: Path,
    *,
    trades: int = 5000,
    days: int = 60,
    seed: int = 42,
    price_years: int = 2,
    end_date: date | None = None,
    progress: Progress | None = None,
    format_plan: FormatPlan | None = None,
) -> WorldSummary:
    """Write a deterministic sample world under ``out_dir``; see :mod:`connectors.sample_world`."""
    if trades < 0:
        raise BadInputError("trades must be zero or more", expected=">= 0", found=str(trades))
    if days < 1:
        raise BadInputError("days must be at least 1", expected=">= 1", found=str(days))
    if price_years < 1:
        raise BadInputError("price_years must be at least 1", expected=">= 1", found=str(price_years))
    plan = format_plan or FORMAT_PLAN
    plan.validate()
    out_dir = Path(out_dir)
    end = np.busday_offset(to_np(end_date or DEFAULT_END_DATE), 0, roll="backward")
    end_d: date = end.astype(object)
    report = progress or (lambda _s, _d, _t: None)

    rng = np.random.Generator(np.random.PCG64(seed))
    trade_days = last_business_days(end, days)
    price_start = min(end - np.timedelta64(int(round(365.25 * price_years)), "D"), trade_days[0])
    price_dates = business_days(price_start, end)

    for sub in OWNED_DIRS:
        if (out_dir / sub).exists():
            shutil.rmtree(out_dir / sub)
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, int] = defaultdict(int)
    rows: dict[str, int] = defaultdict(int)

    def emit(kind: str, fmt: str, frame: pl.DataFrame, stem: Path, table: str) -> None:
        write_feed(fmt, frame, stem, table)
        files[kind] += 1
        rows[kind] += frame.height

    # ---- reference and market data -----------------------------------------------------------
    report("reference", 0, 1)
    ref = build_reference(rng, price_dates[0], end)
    minor_by_ccy = trading._minor(ref)
    for name, frame, table in (
        ("legal_entities", ref.legal_entities, "ref_legal_entities"), ("books", ref.books, "ref_books"),
        ("counterparties", ref.counterparties, "ref_counterparties"), ("instruments", ref.instruments, "ref_instruments"),
        ("accounts", ref.accounts, "ref_accounts"), ("netting_sets", ref.netting_sets, "ref_netting_sets"),
        ("holidays", ref.holidays, "ref_holidays"),
    ):
        emit(name, "CSV", shape(frame, table), out_dir / "reference" / name, table)
    report("reference", 1, 1)
    report("market", 0, 1)
    mkt = build_market(rng, ref, price_dates)
    emit("prices", "CSV", prices_frame(ref, mkt), out_dir / "market" / "prices", "mkt_prices")
    emit("fx_rates", "CSV", fx_frame(mkt), out_dir / "market" / "fx_rates", "mkt_fx_rates")
    report("market", 1, 1)

    # ---- plan of injected scenarios -----------------------------------------------------------------
    probs = trading.instrument_probabilities(ref)
    custody_share = float(probs[ref.ins_custodian >= 0].sum())
    est = trades * custody_share * 0.88
    per_day = split_evenly(trades, days)
    isd_before_end = trade_days < np.busday_offset(end, -2, roll="backward")
    plan_q: dict[str, np.ndarray] = {}
    for name, rate in SCENARIO_RATES.items():
        total = max(MIN_PER_CLASS, int(round(rate * est))) if trades else 0
        plan_q[name] = _quota_plan(total, days, isd_before_end if name in PERSISTENT else None)
    cash_q = {name: _quota_plan(max(MIN_PER_CLASS, int(round(rate * est))) if trades else 0, days, isd_before_end)
              for name, rate in CASH_RATES.items()}
    extra_q = _quota_plan(max(MIN_PER_CLASS, int(round(EXTRA_RATE * est))) if trades else 0, days)
    refless_q = _quota_plan(max(MIN_PER_CLASS, int(round(REFLESS_RATE * est))) if trades else 0, days)

    truth_w = _TruthWriter(out_dir / "truth" / "breaks.csv", bo.TRUTH_COLUMNS, "BRK")
    nb_w = _TruthWriter(out_dir / "truth" / "non_breaks.csv", bo.NON_BREAK_COLUMNS, None)
    counters = bo.Counters()
    pending_fo: dict[date, list[pl.DataFrame]] = defaultdict(list)
    pending_bo: dict[date, list[pl.DataFrame]] = defaultdict(list)
    pending_cash: dict[date, list[pl.DataFrame]] = defaultdict(list)
    pos_parts: list[pl.DataFrame] = []
    otc_parts: list[pl.DataFrame] = []
    message_types = {c: plan.custodians[c] for c in CUSTODIANS}
    shares = tuple(trading.Share(s.name, s.source_system, s.fraction) for s in plan.fo_shares)
    share_fmt = {s.name: s.format for s in plan.fo_shares}
    end_lit = pl.lit(end_d)

    def defer(store: dict[date, list[pl.DataFrame]], frame: pl.DataFrame) -> None:
        """Keep rows (known by the end date) for the day they become known."""
        visible = frame.filter(pl.col("known_date") <= end_lit)
        if visible.height:
            for (k,), part in visible.partition_by("known_date", as_dict=True, maintain_order=True).items():
                store[k].append(part)

    try:
        for a, b in _batches(per_day, BATCH_TRADES):
            # trades of the batch's days (drawn day by day), then their whole life at once
            frames = []
            for di in range(a, b):
                report("days", di, days)
                n = int(per_day[di])
                new, n_orders = trading.generate_day(rng, ref, mkt, minor_by_ccy, probs, trade_days[di], n,
                                                     counters.trade_no, counters.order_no)
                counters.trade_no += n
                counters.order_no += n_orders
                if n:
                    frames.append(new)
            if frames:
                new = trading.assign_shares(trading.with_ids(pl.concat(frames, how="vertical")), shares)
                new = bo.assign_scenarios(
                    rng, new, ref, end, {k: int(v[a:b].sum()) for k, v in plan_q.items()},
                    {k: int(v[a:b].sum()) for k, v in cash_q.items()}, int(refless_q[a:b].sum()),
                )
                versions = bo.build_versions(rng, new, ref, minor_by_ccy)
                out = bo.build_back_office(rng, new, versions, ref, mkt.close_ticks, mkt.dates, minor_by_ccy, end, counters,
                                           np.repeat(trade_days[a:b], extra_q[a:b]), message_types)
                # rows in (trade_no, version) order: day files need no sort (batches are in trade order)
                fo_vis = (pl.concat([new, versions], how="vertical").filter(pl.col("known_date") <= end_lit)
                          .sort("trade_no", "version"))
                defer(pending_fo, _wire_fo(fo_vis, ref, minor_by_ccy).with_columns(known_date=fo_vis["known_date"]))
                defer(pending_bo, _wire_bo(out.records, ref))
                if out.cash.height:
                    defer(pending_cash, _wire_cash(out.cash))
                truth_w.write(out.truth, "break_class", ["recon", "break_class", "trade_id", "settlement_id", "movement_id"])
                nb_w.write(out.non_breaks, "class", ["recon", "class", "trade_id", "settlement_id", "movement_id"])
                pos, otc = _position_parts(new, versions, ref, end_d)
                pos_parts.append(pos)
                otc_parts.append(otc)
                if len(pos_parts) >= 20:
                    pos_parts = [_compact_positions(pos_parts)]
                    otc_parts = [_compact_otc(otc_parts)]
                del frames, new, versions, out
            for di in range(a, b):
                today: date = trade_days[di].astype(object)
                cash_today = pending_cash.pop(today, [])
                fees = _fee_entries(rng, ref, today, counters)
                if fees.height:
                    cash_today.append(_wire_cash(fees))
                _write_day(emit, out_dir, today, pending_fo.pop(today, []), pending_bo.pop(today, []), cash_today,
                           shares, share_fmt, plan)
        report("days", days, days)
    finally:
        truth_w.close()
        nb_w.close()

    # ---- limits, calibrated on the end-of-period positions ---------------------------------------
    report("limits", 0, 1)
    positions = _compact_positions(pos_parts) if pos_parts else pl.DataFrame(
        schema={"book": pl.Int64, "trader": pl.Int64, "ins": pl.Int64, "qty": pl.Int64, "notional_abs_usd": pl.Int64})
    otc = _compact_otc(otc_parts) if otc_parts else pl.DataFrame(
        schema={"cp": pl.Int64, "le": pl.Int64, "mtm_usd": pl.Int64, "addon_usd": pl.Int64})
    positions = positions.with_columns(pl.col("notional_abs_usd") / 100.0)
    otc = otc.with_columns(pl.col("mtm_usd") / 100.0, pl.col("addon_usd") / 100.0)
    limits = build_limits(ref, mkt, positions, otc, end, price_dates[0])
    emit("limits", "CSV", limits, out_dir / "reference" / "limits", "ref_limits")
    report("limits", 1, 1)

    summary = WorldSummary(
        out_dir=str(out_dir), seed=seed, trades=trades, days=days, price_years=price_years,
        start_date=trade_days[0].astype(object), end_date=end_d, price_start_date=price_dates[0].astype(object),
        files=dict(files), rows=dict(rows), breaks=dict(truth_w.counts), non_breaks=dict(nb_w.counts),
    )
    doc = summary.to_dict()
    doc.pop("out_dir")
    doc["semantics_version"] = SEMANTICS_VERSION
    doc["as_of"] = end_d.isoformat()
    doc["tolerances"] = {
        "amount_abs_minor_units": AMOUNT_TOLERANCE_MINOR_UNITS,
        "amount_rounding": "both sides rounded half-up to the currency's minor unit before comparing",
        "quantity": "exact", "deal_price": "exact (injected differences are at least 0.5%)",
        "dates": "exact (business days, Monday-Friday)",
    }
    (out_dir / "truth" / "summary.json").write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    log.info("sample world: %s trades, %s breaks in %s", trades, summary.to_dict()["breaks_total"], out_dir)
    return summary


def _wire_fo(frame: pl.DataFrame, ref: Any, minor_by_ccy: np.ndarray) -> pl.DataFrame:
    """Canonical fo_trades text plus the share key the day files are split by."""
    return trading.wire_trades(frame, ref, minor_by_ccy).with_columns(_share=frame["share"])


def _wire_bo(records: pl.DataFrame, ref: Any) -> pl.DataFrame:
    """Canonical bo_settlements text plus the custodian key (records are in (s_no, seq) order)."""
    return bo.wire_settlements(records, ref).with_columns(_cust=records["cust"])


def _wire_cash(entries: pl.DataFrame) -> pl.DataFrame:
    return bo.wire_cash(entries)


def _write_day(
    emit: Callable[[str, str, pl.DataFrame, Path, str], None], out_dir: Path, today: date, fo_parts: list[pl.DataFrame],
    bo_parts: list[pl.DataFrame], cash_parts: list[pl.DataFrame], shares: tuple[trading.Share, ...],
    share_fmt: dict[str, str], plan: FormatPlan,
) -> None:
    """Write one business day's files from wired (canonical text) parts."""
    stamp = today.isoformat()
    empty_fo = shape(pl.DataFrame(), "fo_trades").clear()
    fo = [p for p in fo_parts if p.height]
    by_share: dict[str, pl.DataFrame] = {}
    if fo:
        allfo = pl.concat(fo, how="vertical_relaxed")
        by_share = {k: v.drop("_share")
                    for (k,), v in allfo.partition_by("_share", as_dict=True, maintain_order=True).items()}
    for s in shares:
        emit("fo_trades", share_fmt[s.name], by_share.get(s.name, empty_fo), out_dir / "fo" / f"{s.name}_{stamp}",
             "fo_trades")
    recs = [p for p in bo_parts if p.height]
    by_cust: dict[int, pl.DataFrame] = {}
    if recs:
        allrec = pl.concat(recs, how="vertical_relaxed")
        by_cust = {k: v.drop("_cust")
                   for (k,), v in allrec.partition_by("_cust", as_dict=True, maintain_order=True).items()}
    for ci, cust in enumerate(CUSTODIANS):
        frame = by_cust.get(ci, shape(pl.DataFrame(), "bo_settlements").clear())
        emit("bo_settlements", plan.custodians[cust], frame, out_dir / "bo" / cust / f"settlements_{stamp}", "bo_settlements")
    cash = [p for p in cash_parts if p.height]
    if cash:
        frame = pl.concat(cash, how="vertical_relaxed").sort("movement_id")
    else:
        frame = shape(pl.DataFrame(), "bo_cash_movements").clear()
    emit("bo_cash_movements", plan.cash, frame, out_dir / "cash" / f"cash_{stamp}", "bo_cash_movements")


def _fee_entries(rng: np.random.Generator, ref: Any, today: date, counters: bo.Counters) -> pl.DataFrame:
    """Custody and transaction fees: a few debit entries per day on our cash accounts (not breaks)."""
    n_le, n_c = ref.cash_account.shape
    hit = rng.random((n_le, n_c)) < 0.15
    le, cu = np.nonzero(hit)
    k = len(le)
    if k == 0:
        return pl.DataFrame()
    fee = rng.integers(1000, 50000, k).astype(np.int64)  # minor units, USD-like accounts
    no = counters.movement_no + np.arange(k)
    counters.movement_no += k
    letters = np.array([bo.CUST_LETTER[c] for c in CUSTODIANS])
    les = np.array([x.split("-")[1] for x in ref.le_id])
    stamp = today.strftime("%Y%m%d")
    stmt = np.char.add(np.char.add(np.char.add(letters[cu], "-"), np.char.add(les[le], "-")), stamp)
    mid = np.char.add(np.char.add(stmt, "-"), np.char.add(np.char.zfill(no.astype(str), 10), "-9"))
    return pl.DataFrame(
        {
            "movement_id": mid, "statement_id": stmt, "account": ref.cash_account[le, cu].astype(str),
            "booking_date": pl.Series([today] * k, dtype=pl.Date), "value_date": pl.Series([today] * k, dtype=pl.Date),
            "amount": -fee, "minor": np.full(k, 2, dtype=np.int64), "ccy": np.zeros(k, dtype=np.int64),
            "is_reversal": np.zeros(k, dtype=bool), "bank_tx_code": np.full(k, "ACMT/MDOP/CHRG"),
            "end_to_end_id": pl.Series([None] * k, dtype=pl.String), "entry_ref": pl.Series([None] * k, dtype=pl.String),
            "counterparty_name": np.array(CUSTODIANS)[cu], "description": np.full(k, "CUSTODY AND TRANSACTION FEES"),
            "known_date": pl.Series([today] * k, dtype=pl.Date),
        }
    )


def _position_parts(new: pl.DataFrame, versions: pl.DataFrame, ref: Any, end_d: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Signed quantities of the day's live trades as of the end date, and OTC exposure inputs."""
    cols = ["trade_no", "version", "status", "known_date", "book", "trader", "cp", "ins", "side", "qty", "mtm",
            "notional_usd", "tenor_y"]
    allv = pl.concat([new.select(cols), versions.select(cols)], how="vertical") if versions.height else new.select(cols)
    live = (allv.filter(pl.col("known_date") <= pl.lit(end_d)).sort("trade_no", "version")
            .group_by("trade_no", maintain_order=True).last().filter(pl.col("status") != "CANCEL"))
    ins = live["ins"].to_numpy()
    ac = ref.ins_ac[ins]
    notional = live["notional_usd"].to_numpy()
    # money as integer cents so that sums do not depend on summation order (determinism)
    live = live.with_columns(
        sq=(pl.col("side").cast(pl.Int64) * pl.col("qty")),
        notional_abs_usd=pl.Series(np.rint(np.abs(notional) * 100).astype(np.int64)),
        le=pl.Series(ref.book_le[live["book"].to_numpy()]),
        addon=pl.Series(np.rint(_addon(ref, ins, ac, np.abs(notional), live["tenor_y"].to_numpy()) * 100).astype(np.int64)),
    )
    pos = live.group_by("book", "trader", "ins").agg(pl.col("sq").sum().alias("qty"), pl.col("notional_abs_usd").sum())
    otc = live.filter(pl.col("notional_abs_usd") > 0).group_by("cp", "le").agg(
        pl.col("mtm").cast(pl.Int64).sum().alias("mtm_usd"), pl.col("addon").sum().alias("addon_usd"))
    return pos.cast({"book": pl.Int64, "trader": pl.Int64, "ins": pl.Int64}), otc.cast({"cp": pl.Int64, "le": pl.Int64})


def _addon(ref: Any, ins: np.ndarray, ac: np.ndarray, notional: np.ndarray, tenor: np.ndarray) -> np.ndarray:
    """A rough SA-CCR add-on per trade (no hedging-set offsets: an upper bound), USD."""
    sd = (1 - np.exp(-0.05 * np.maximum(tenor, 1))) / 0.05
    hy = np.isin(ref.ins_rating[ins], ("BB+", "BB", "BB-", "B+", "B"))
    sf = np.select(
        [ac == "IRS", ac == "CDS", ac == "COMMODITY_FWD", ac == "FX_FORWARD", ac == "OPTION"],
        [0.005 * sd, np.where(hy, 0.016, 0.0054) * sd,
         np.where(ref.ins_commodity[ins] == "ELECTRICITY", 0.4, 0.18), 0.04, 0.32], 0.0,
    )
    return notional * sf


def _compact_positions(parts: list[pl.DataFrame]) -> pl.DataFrame:
    return pl.concat(parts, how="vertical").group_by("book", "trader", "ins").agg(
        pl.col("qty").sum(), pl.col("notional_abs_usd").sum()).sort("book", "trader", "ins")


def _compact_otc(parts: list[pl.DataFrame]) -> pl.DataFrame:
    return pl.concat(parts, how="vertical").group_by("cp", "le").agg(
        pl.col("mtm_usd").sum(), pl.col("addon_usd").sum()).sort("cp", "le")

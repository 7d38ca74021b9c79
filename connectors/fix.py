"""FIX 4.2 / 4.4 logs: execution reports (35=8) and trade capture reports (35=AE) -> ``fo_trades``.

A FIX log is read as lines; each line holds one message (or, in some session dumps, several
messages back to back), SOH- or ``|``-delimited, possibly behind a log prefix (``outgoing:``, a
timestamp...). Messages are framed by their ``8=FIX`` start and the line end, never by BodyLength
(9): BodyLength and CheckSum (10) are *checked* against the bytes read.

Two visible steps (after beangulp): **extract** frames every message into its tags, **map** turns
trade events into canonical candidate rows.

- Tokenising: messages whose fields are all plain ``tag=value`` (the overwhelming majority) are
  read with vectorised Polars string expressions; any message with a raw-data field (95/96,
  212/213...) or an irregular field is parsed by **simplefix**, the FIX library, which also names
  the fault of a malformed message. ``parser = "simplefix"`` in the feed sends every message
  through simplefix (the two paths give identical rows; see the tests).
- Which messages carry trades (35=8 and 35=AE): fills (4.4 150=F; 4.2 150=1/2 with 20=0),
  corrections (150=G; 4.2 20=2) and cancels/busts (150=H; 4.2 20=1) through 19 ExecRefID
  (AE: 572 TradeReportRefID, 487 TradeReportTransType). Other messages (session, orders, order
  acknowledgements, status) carry no trade: they are counted per type in the load's warnings and
  are neither loaded nor quarantined. ``rows_read`` counts the messages of the trade-carrying
  types that are faulty or are trade events (or the orders they aggregate to).
- Faults, quarantined with every reason found: no MsgType, malformed fields, truncated message
  (no CheckSum), bad checksum, BodyLength mismatch (both checks can be switched off per feed), a
  required tag missing, an unparseable date or number, an unmapped side, a duplicate (43
  PossDupFlag resend, or a sender/target/ExecID already seen), a correction or cancel whose
  ExecRefID is unknown.

Mapping (fill level, ``aggregate = "fill"``): trade_id = 1003 TradeID when the message names
its trade, else the ExecID (AE: TradeReportID) of the original fill, version 1
for a fill and +1 for each correction or cancel of it (status AMEND / CANCEL, attributes absent
from the message carried forward from the previous version); known_date = SendingTime (52)
date, else TransactTime (60); trade_date = TradeDate (75), else the 60 / 52 date; settle_date =
64; side from 54 (1,3 BUY; 2,4,5,6 SELL); quantity = 32 LastQty; price = 31 LastPx; currency =
15, else 120, else the feed's ``default_currency`` (else the base currency); instrument = the
feed's ``instruments`` map of 55 Symbol / 48 SecurityID, else 48 when 22 IDSource = 4 (ISIN),
else 55; book = the feed's ``books`` map of 1 Account, else ``default_book``; counterparty = the
``counterparties`` map of the contra-firm party (448 with 452=17), 375 ContraBroker or 49
SenderCompID, else ``default_counterparty`` (``account_as_book`` / ``party_as_counterparty`` take
an unmapped Account / contra PartyID as the id itself); gross 381, fees 12 (13=3 absolute),
accrued 159, net 118; safekeeping account and place of settlement from parties 452=24 / 452=10;
block 583 ClOrdLinkID; source_system = ``source_system_prefix`` + SenderCompID.

``aggregate = "order"`` sums the fills of an order (trade_id = OrderID, else ClOrdID) into one
trade at the volume-weighted price, with a new version for each correction or cancel of one of
its fills (an order filled on several trade dates gives one trade per date, ``OrderID/YYYYMMDD``).

A correction or cancel whose original is not in the file is resolved against the store at load
time (:meth:`FixConnector.resolve`, inside the load's transaction): the next version of the
stored trade, missing attributes from its latest version; if the store does not have it either,
the message is quarantined.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import simplefix
from simplefix.data import RAW_DATA_TAGS, RAW_LEN_TAGS

from connectors.base import QUARANTINE_SCHEMA, Parsed
from engine.config import Config
from engine.errors import BadInputError

log = logging.getLogger(__name__)

SOH = "\x01"
_SEP = "\x1f"  # separates a fault's rule from its reason inside the fault list
TABLE = "fo_trades"

#: Tags read from every trade-carrying message: column name -> tag.
TAGS: dict[str, int] = {
    "begin": 8, "body_length": 9, "msg_type": 35, "sender": 49, "target": 56, "seq": 34,
    "sending_time": 52, "poss_dup": 43, "poss_resend": 97, "exec_id": 17, "exec_ref_id": 19,
    "exec_trans_type": 20, "exec_type": 150, "order_id": 37, "cl_ord_id": 11, "account": 1,
    "side_code": 54, "last_qty": 32, "last_px": 31, "currency_15": 15, "settl_currency": 120,
    "security_id": 48, "id_source": 22, "symbol": 55, "transact_time": 60, "trade_date_75": 75,
    "settl_date": 64, "trade_report_id": 571, "trade_report_ref_id": 572,
    "trade_report_trans_type": 487, "contra_broker": 375, "commission": 12, "comm_type": 13,
    "accrued": 159, "target_sub_id": 57, "checksum": 10, "trade_id_1003": 1003, "gross_trade_amt": 381,
    "net_money": 118, "block_ref": 583,
}
#: Party roles (452) read from the Parties group (448 PartyID, 447 PartyIDSource, 452 PartyRole).
PARTY_ROLES = {"contra_party": 17, "pset_party": 10, "account_party": 24}

MSG_TYPE_NAMES = {
    "0": "Heartbeat", "1": "TestRequest", "2": "ResendRequest", "3": "Reject", "4": "SequenceReset",
    "5": "Logout", "6": "IOI", "8": "ExecutionReport", "9": "OrderCancelReject", "A": "Logon",
    "D": "NewOrderSingle", "F": "OrderCancelRequest", "G": "OrderCancelReplaceRequest",
    "AD": "TradeCaptureReportRequest", "AE": "TradeCaptureReport", "AR": "TradeCaptureReportAck",
    "J": "Allocation", "P": "AllocationAck", "X": "MarketDataIncrementalRefresh",
    "W": "MarketDataSnapshot", "n": "XMLnonFIX",
}
EXEC_TYPE_NAMES = {
    "0": "New", "1": "PartialFill", "2": "Fill", "3": "DoneForDay", "4": "Canceled", "5": "Replaced",
    "6": "PendingCancel", "7": "Stopped", "8": "Rejected", "9": "Suspended", "A": "PendingNew",
    "B": "Calculated", "C": "Expired", "D": "Restated", "E": "PendingReplace", "F": "Trade",
    "G": "TradeCorrect", "H": "TradeCancel", "I": "OrderStatus",
}
SIDE_NAMES = {
    "7": "Undisclosed", "8": "Cross", "9": "CrossShort", "A": "CrossShortExempt", "B": "AsDefined",
    "C": "Opposite", "D": "Subscribe", "E": "Redeem", "F": "Lend", "G": "Borrow",
}
BUY_CODES = ["1", "3"]          # Buy, Buy minus
SELL_CODES = ["2", "4", "5", "6"]  # Sell, Sell plus, Sell short, Sell short exempt

_RAW_LEN_RE = "|".join(str(t) for t in RAW_LEN_TAGS)
#: A message whose every field is a plain tag=value pair ending with its CheckSum field.
_REGULAR = r"^8=[^\x01=]+\x01(?:[0-9]+=[^\x01]+\x01)*10=[^\x01]*\x01$"
_HAS_RAW = rf"\x01(?:{_RAW_LEN_RE})="
_NUMBER = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)$"
_IDENTIFY = re.compile(rb"8=FIX[A-Za-z0-9.]*[\x01|]9=[0-9]*[\x01|]")
_SENDER = re.compile(rb"[\x01|]49=([^\x01|]*)[\x01|]")

#: Output columns of the candidate rows (canonical columns plus lineage).
OUT_COLUMNS = [
    "trade_id", "version", "status", "known_date", "book_id", "trader", "counterparty_id",
    "instrument_id", "isin", "side", "quantity", "price", "currency", "trade_date", "settle_date",
    "gross_amount", "fees", "accrued_interest", "net_amount", "account_id", "place_of_settlement",
    "order_id", "exec_id", "block_id", "source_system", "src_line", "src_ref", "_raw",
]
#: Attributes a correction or cancel takes from the previous version when its message lacks them.
CARRY = [
    "book_id", "trader", "counterparty_id", "instrument_id", "isin", "side", "quantity", "price",
    "currency", "trade_date", "settle_date", "order_id", "gross_amount", "net_amount", "fees",
    "accrued_interest", "account_id", "place_of_settlement", "block_id",
]


# ---------------------------------------------------------------------------------------------
# Feed options
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FixOptions:
    """The ``[feeds.NAME]`` options of a FIX feed (see ``engine/midoffice.toml``)."""

    aggregate: str = "fill"                 # fill | order
    verify_checksum: bool = True
    verify_body_length: bool = True
    parser: str = "auto"                    # auto | simplefix
    default_book: str | None = None
    default_currency: str = "USD"
    default_counterparty: str | None = None
    trader_tag: int | None = None
    books: dict[str, str] = field(default_factory=dict)
    counterparties: dict[str, str] = field(default_factory=dict)
    instruments: dict[str, str] = field(default_factory=dict)
    match_sender: tuple[str, ...] = ()
    account_as_book: bool = False           # an Account not in `books` is the book id itself
    party_as_counterparty: bool = False     # a contra-firm PartyID not in `counterparties` is the id itself
    source_system_prefix: str = "FIX "      # source_system = prefix + SenderCompID

    @classmethod
    def from_config(cls, cfg: Config, feed: str) -> FixOptions:
        f: dict[str, Any] = cfg.section("feeds").get(feed, {})
        aggregate = str(f.get("aggregate", "fill")).lower()
        parser = str(f.get("parser", "auto")).lower()
        from engine.errors import ConfigError

        if aggregate not in ("fill", "order"):
            raise ConfigError(f"[feeds.{feed}] aggregate must be 'fill' or 'order', found {aggregate!r}")
        if parser not in ("auto", "simplefix"):
            raise ConfigError(f"[feeds.{feed}] parser must be 'auto' or 'simplefix', found {parser!r}")
        return cls(
            aggregate=aggregate,
            verify_checksum=bool(f.get("verify_checksum", True)),
            verify_body_length=bool(f.get("verify_body_length", True)),
            parser=parser,
            default_book=f.get("default_book") or None,
            default_currency=str(f.get("default_currency") or cfg.base_currency),
            default_counterparty=f.get("default_counterparty") or None,
            trader_tag=int(f["trader_tag"]) if f.get("trader_tag") else None,
            books={str(k): str(v) for k, v in dict(f.get("books", {})).items()},
            counterparties={str(k): str(v) for k, v in dict(f.get("counterparties", {})).items()},
            instruments={str(k): str(v) for k, v in dict(f.get("instruments", {})).items()},
            match_sender=tuple(str(s) for s in f.get("match_sender", ())),
            account_as_book=bool(f.get("account_as_book", False)),
            party_as_counterparty=bool(f.get("party_as_counterparty", False)),
            source_system_prefix=str(f.get("source_system_prefix", "FIX ")),
        )


def fix_feeds(cfg: Config) -> dict[str, dict[str, Any]]:
    return {n: f for n, f in cfg.section("feeds").items() if f.get("format") == "fix"}


# ---------------------------------------------------------------------------------------------
# Extract: lines -> messages -> tags
# ---------------------------------------------------------------------------------------------


def _read_text(path: Path) -> tuple[str, str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInputError(f"cannot read the file: {exc}", path=str(path)) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def split_messages(text: str) -> tuple[pl.DataFrame, int]:
    """Frame the messages of a log: (src_line, raw message as read, msg SOH-delimited and ending
    with SOH), and the number of non-blank lines that carry no FIX message."""
    lines = pl.DataFrame({"line": text.split("\n")}).with_row_index("src_line", offset=1)
    lines = lines.with_columns(pl.col("line").str.strip_chars_end("\r"))
    has_fix = pl.col("line").str.contains("8=FIX", literal=True)
    other = lines.filter(~has_fix & (pl.col("line").str.strip_chars() != "")).height
    pieces = (
        lines.filter(has_fix)
        .with_columns(
            pl.col("line")
            .str.replace_all("\x018=FIX", "\x01\n8=FIX", literal=True)
            .str.replace_all("|8=FIX", "|\n8=FIX", literal=True)
            .str.split("\n")
        )
        .explode("line", empty_as_null=False)
    )
    start = (
        pl.when(pl.col("line").str.starts_with("8=FIX"))
        .then(pl.lit(0, pl.UInt32))
        .otherwise(pl.col("line").str.find(r"[^0-9]8=FIX") + 1)
    )
    pieces = pieces.with_columns(_start=start)
    other += pieces.filter(pl.col("_start").is_null()).height
    raw = pl.col("line").str.slice(pl.col("_start")).str.strip_chars_end(" \t\r\n")
    msgs = (
        pieces.filter(pl.col("_start").is_not_null())
        .select(pl.col("src_line").cast(pl.Int64), raw.alias("raw"))
        .with_columns(
            pl.when(pl.col("raw").str.contains(SOH, literal=True))
            .then(pl.col("raw"))
            .otherwise(pl.col("raw").str.replace_all("|", SOH, literal=True))
            .alias("msg")
        )
        .with_columns(
            pl.when(pl.col("msg").str.ends_with(SOH)).then(pl.col("msg")).otherwise(pl.col("msg") + SOH)
        )
        .with_row_index("msg_no")
    )
    return msgs, other


def _bad_field(msg: str) -> str | None:
    """Describe the first field of a message that is not ``tag=value`` (for a parse fault)."""
    for i, f in enumerate(msg.split(SOH), start=1):
        if not f:
            continue
        if "=" not in f:
            return f"malformed field {i}: {f[:40]!r} has no '=' separator"
        tag = f.split("=", 1)[0]
        if not tag.isdigit():
            return f"malformed field {i}: tag {tag[:20]!r} is not a number"
    return None


def _simplefix_tokenise(msg: str, encoding: str) -> tuple[str | None, str | None]:
    """Parse one message with simplefix. Returns (the message re-serialised with its plain
    fields only, for tag extraction; None if it does not parse) and the parse fault."""
    parser = simplefix.FixParser(allow_empty_values=False)
    parser.append_buffer(msg.encode(encoding, errors="replace"))
    try:
        m = parser.get_message()
    except simplefix.errors.TagNotNumberError as exc:
        return None, _bad_field(msg) or f"malformed field: a tag is not a number ({exc})"
    except simplefix.errors.EmptyValueError as exc:
        return None, f"malformed field: tag {exc} has an empty value"
    except simplefix.errors.RawLengthNotNumberError as exc:
        return None, f"malformed raw-data length field ({exc})"
    except simplefix.errors.FieldOrderError:
        return None, "malformed message: it does not start with BeginString (8)"
    except simplefix.errors.ParsingError as exc:
        return None, f"malformed message: {type(exc).__name__} {exc}"
    if m is None:
        pending = [int(t) for t, _ in parser.pairs]
        if parser.raw_len:
            return None, (
                f"truncated raw-data field: its length field says {parser.raw_len} bytes "
                f"but the message ends before them"
            )
        if b"=" not in parser.buf and parser.buf.strip(b"\x01"):
            return None, f"malformed field: {parser.buf[:40].decode(encoding, 'replace')!r} has no '=' separator"
        last = pending[-1] if pending else None
        return None, f"truncated message: no CheckSum (10) field (last field read: tag {last})"
    rest = parser.get_buffer().strip(b"\x01 \r\n")
    if rest:
        return None, f"text after the CheckSum (10) field: {rest[:40].decode(encoding, 'replace')!r}"
    fields = [
        (int(t), v.decode(encoding, "replace"))
        for t, v in m.pairs
        if int(t) not in RAW_DATA_TAGS
    ]
    fields = [(t, v) for t, v in fields if SOH not in v]
    return SOH.join(f"{t}={v}" for t, v in fields) + SOH, None


def _integrity(msgs: pl.Series, encoding: str) -> pl.DataFrame:
    """Per message: the stated and the computed CheckSum and BodyLength.

    CheckSum is the sum of the message's bytes up to and including the SOH before ``10=``, modulo
    256; BodyLength counts the bytes after the SOH that ends ``9=`` up to that same SOH."""
    head = msgs.str.split_exact(SOH, 2)
    first, second = head.struct.field("field_0"), head.struct.field("field_1")
    frame = pl.DataFrame({"msg": msgs}).with_columns(
        pos10=pl.col("msg").str.find(r"\x0110=[^\x01]*\x01$"),
        cs_stated=pl.col("msg").str.extract(r"\x0110=([^\x01]*)\x01$", 1),
        bl_stated=pl.when(second.str.starts_with("9=")).then(second.str.slice(2)),
    )
    n = frame.height
    pos = frame["pos10"].fill_null(-1).cast(pl.Int64).to_numpy()
    if encoding == "utf-8":
        arr = pc.cast(frame["msg"].to_arrow(), pa.large_string())
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
        data = np.frombuffer(arr.buffers()[2], dtype=np.uint8) if n else np.zeros(0, np.uint8)
        # prefix sums modulo 256 (uint8 arithmetic wraps): sum(data[s:e]) = C[e-1] - C[s-1]
        prefix = np.cumsum(data, dtype=np.uint8)
        starts = offsets[:-1]
        ends = starts + pos + 1
        ok = pos >= 0
        last = np.where(ok, ends - 1, 0)
        before = np.where(starts > 0, prefix[np.maximum(starts - 1, 0)] if len(prefix) else 0, 0).astype(np.uint8)
        sums = np.where(ok, (prefix[last] if len(prefix) else 0) - before, 0).astype(np.uint8)
        cs = pl.Series("cs_computed", sums.astype(np.int64))
        body_start = first.str.len_bytes().cast(pl.Int64) + second.str.len_bytes().cast(pl.Int64) + 2
        bl = frame["pos10"].cast(pl.Int64) + 1 - body_start
    else:  # latin-1 text: one character per byte, so count characters
        texts = frame["msg"].to_list()
        p10 = [t.rfind(SOH + "10=") if p >= 0 else -1 for t, p in zip(texts, pos, strict=True)]
        cs = pl.Series(
            "cs_computed",
            [sum(t[: q + 1].encode("latin-1", "replace")) % 256 if q >= 0 else 0 for t, q in zip(texts, p10, strict=True)],
            dtype=pl.Int64,
        )
        body_start = first.str.len_chars().cast(pl.Int64) + second.str.len_chars().cast(pl.Int64) + 2
        bl = pl.Series(p10, dtype=pl.Int64) + 1 - body_start
    return frame.select(
        "pos10", "cs_stated", "bl_stated",
        cs.alias("cs_computed"),
        pl.when(pl.col("pos10").is_not_null() & pl.lit(bl).is_not_null()).then(pl.lit(bl)).alias("bl_computed"),
    )


def _tag_value(src: pl.Expr, tag: int) -> pl.Expr:
    """The first value of ``tag`` in an SOH-delimited message that starts with SOH (null if
    absent): a literal search and a split, much faster than a capturing regex."""
    key = f"{SOH}{tag}="
    pos = src.str.find(key, literal=True)
    return src.str.slice(pos + len(key)).str.split_exact(SOH, 1).struct.field("field_0")


def _extract_tags(frame: pl.DataFrame, column: str, trader_tag: int | None) -> pl.DataFrame:
    """One column per tag in :data:`TAGS` (first occurrence), from SOH-delimited ``column``."""
    src = pl.lit(SOH) + pl.col(column)
    exprs = [_tag_value(src, tag).alias(name) for name, tag in TAGS.items()]
    exprs += [
        src.str.extract(rf"\x01448=([^\x01]*)\x01(?:447=[^\x01]*\x01)?452={role}\x01", 1).alias(name)
        for name, role in PARTY_ROLES.items()
    ]
    if trader_tag:
        exprs.append(_tag_value(src, trader_tag).alias("trader_value"))
    else:
        exprs.append(pl.lit(None, pl.String).alias("trader_value"))
    return frame.with_columns(exprs)


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------


Fault = tuple[pl.Expr, str, pl.Expr]


def _fault(cond: pl.Expr, rule: str, reason: pl.Expr | str) -> Fault:
    """A check: the condition that makes a message faulty, its rule and its reason."""
    return cond.fill_null(False), rule, pl.lit(reason) if isinstance(reason, str) else reason


def _apply_faults(df: pl.DataFrame, faults: list[Fault]) -> pl.DataFrame:
    """Add ``faults`` (list of 'rule<US>reason'). Conditions are evaluated on every message,
    reason texts only on the faulty ones."""
    names = [f"_c{i}" for i in range(len(faults))]
    df = df.with_columns([c.alias(n) for (c, _, _), n in zip(faults, names, strict=True)])
    any_fault = pl.any_horizontal(names)
    bad = df.filter(any_fault).with_columns(
        faults=pl.concat_list(
            [pl.when(pl.col(n)).then(pl.lit(rule + _SEP) + reason) for (_, rule, reason), n in zip(faults, names, strict=True)]
        ).list.drop_nulls()
    )
    good = df.filter(~any_fault).with_columns(faults=pl.lit([], dtype=pl.List(pl.String)))
    return pl.concat([bad, good], how="vertical_relaxed").drop(names)


def _s(col: str) -> pl.Expr:
    """A column as text for a reason (null shown as empty)."""
    return pl.col(col).fill_null("")


def _noun() -> pl.Expr:
    return pl.col("kind").replace_strict({"CORRECT": "correction", "CANCEL": "cancel", "FILL": "fill"}, default="message")


def _fix_date(col: str) -> pl.Expr:
    """The date of a FIX UTCTimestamp / LocalMktDate value (its first 8 characters, YYYYMMDD)."""
    return pl.col(col).str.slice(0, 8).str.to_date("%Y%m%d", strict=False)


def _classify() -> pl.Expr:
    """FILL | CORRECT | CANCEL for trade events, null for messages that carry no trade."""
    et, tt, mt = pl.col("exec_type"), pl.col("exec_trans_type"), pl.col("msg_type")
    rtt = pl.col("trade_report_trans_type")
    er = (
        pl.when((et == "H") | (tt == "1")).then(pl.lit("CANCEL"))
        .when((et == "G") | (tt == "2")).then(pl.lit("CORRECT"))
        .when(et.is_in(["F", "1", "2"]) & (tt.is_null() | (tt == "0"))).then(pl.lit("FILL"))
    )
    ae = (
        pl.when((et == "H") | rtt.is_in(["1", "4"])).then(pl.lit("CANCEL"))
        .when((et == "G") | (rtt == "2")).then(pl.lit("CORRECT"))
        .otherwise(pl.lit("FILL"))
    )
    return pl.when(mt == "8").then(er).when(mt == "AE").then(ae)


def _checks(df: pl.DataFrame, opts: FixOptions) -> pl.DataFrame:
    """Add ``kind`` (trade event or null) and ``faults`` (list of 'rule<US>reason')."""
    df = df.with_columns(
        kind=_classify(),
        event_id=pl.when(pl.col("msg_type") == "AE")
        .then(pl.coalesce("trade_report_id", "exec_id"))
        .otherwise(pl.col("exec_id")),
        ref_id=pl.when(pl.col("msg_type") == "AE")
        .then(pl.coalesce("trade_report_ref_id", "trade_report_id"))
        .otherwise(pl.col("exec_ref_id")),
        session=_s("sender") + pl.lit(">") + _s("target"),
    )
    id_name = pl.when(pl.col("msg_type") == "AE").then(pl.lit("TradeReportID (571)")).otherwise(pl.lit("ExecID (17)"))
    ref_name = (
        pl.when(pl.col("msg_type") == "AE").then(pl.lit("TradeReportRefID (572)")).otherwise(pl.lit("ExecRefID (19)"))
    )
    # duplicates: the same sender/target/id seen earlier in the file
    dup_domain = (
        pl.col("msg_type").is_in(["8", "AE"])
        & pl.col("event_id").is_not_null()
        & (pl.col("event_id") != "0")
        & (pl.col("exec_trans_type").fill_null("") != "3")
    )
    df = df.with_columns(_dup_domain=dup_domain)
    firsts = (
        df.filter("_dup_domain")
        .group_by("session", "event_id")
        .agg(_first_msg=pl.col("msg_no").min(), _first_line=pl.col("src_line").min())
    )
    df = df.join(firsts, on=["session", "event_id"], how="left")
    is_dup = pl.col("_dup_domain") & (pl.col("msg_no") > pl.col("_first_msg"))
    resend = ((pl.col("poss_dup") == "Y") | (pl.col("poss_resend") == "Y")).fill_null(False)
    trade = pl.col("kind").is_not_null()
    needs_fields = trade & (pl.col("kind") != "CANCEL")
    has_instrument = pl.col("symbol").is_not_null() | pl.col("security_id").is_not_null()
    bad_date = []
    for col, label in (
        ("sending_time", "SendingTime (52)"), ("transact_time", "TransactTime (60)"),
        ("trade_date_75", "TradeDate (75)"), ("settl_date", "SettlDate (64)"),
    ):
        bad_date.append(
            _fault(
                trade & pl.col(col).is_not_null() & _fix_date(col).is_null(), "bad_date",
                pl.format(f"{label} '{{}}' is not a valid date", _s(col)),
            )
        )
    bad_num = [
        _fault(
            trade & pl.col(col).is_not_null() & ~pl.col(col).str.contains(_NUMBER), "bad_number",
            pl.format(f"{label} '{{}}' is not a number", _s(col)),
        )
        for col, label in (("last_qty", "LastQty (32)"), ("last_px", "LastPx (31)"), ("commission", "Commission (12)"))
    ]
    faults = [
        _fault(pl.col("parse_fault").str.starts_with("truncated"), "truncated", _s("parse_fault")),
        _fault(
            pl.col("parse_fault").is_not_null() & ~pl.col("parse_fault").str.starts_with("truncated"),
            "malformed", _s("parse_fault"),
        ),
        _fault(
            pl.col("parse_fault").is_null() & pl.col("msg_type").is_null(), "malformed",
            "no MsgType (35) field: not a readable FIX message",
        ),
        _fault(
            pl.col("parse_fault").is_null() & pl.col("msg_type").is_not_null() & pl.col("pos10").is_null(),
            "truncated", "no CheckSum (10) field at the end of the message (truncated or trailing text)",
        ),
    ]
    if opts.verify_checksum:
        faults.append(
            _fault(
                pl.col("pos10").is_not_null()
                & (pl.col("cs_stated").cast(pl.Int64, strict=False).fill_null(-1) != pl.col("cs_computed")),
                "bad_checksum",
                pl.format(
                    "bad checksum: CheckSum (10) says '{}' but the message's bytes sum to {} (mod 256)",
                    _s("cs_stated"), pl.col("cs_computed").cast(pl.String).str.zfill(3),
                ),
            )
        )
    if opts.verify_body_length:
        faults.append(
            _fault(
                pl.col("pos10").is_not_null()
                & (pl.col("bl_stated").cast(pl.Int64, strict=False).fill_null(-1) != pl.col("bl_computed")),
                "body_length_mismatch",
                pl.format(
                    "BodyLength (9) says '{}' but the body has {} bytes",
                    _s("bl_stated"), pl.col("bl_computed").cast(pl.String),
                ),
            )
        )
    faults += [
        _fault(trade & pl.col("event_id").is_null(), "missing_tag", pl.format("required {} missing", id_name)),
        _fault(
            trade & pl.col("kind").is_in(["CORRECT", "CANCEL"]) & pl.col("ref_id").is_null(), "missing_tag",
            pl.format("a {} needs {}, which is missing", _noun(), ref_name),
        ),
        _fault(needs_fields & pl.col("side_code").is_null(), "missing_tag", "required Side (54) missing"),
        _fault(needs_fields & pl.col("last_qty").is_null(), "missing_tag", "required LastQty (32) missing"),
        _fault(needs_fields & pl.col("last_px").is_null(), "missing_tag", "required LastPx (31) missing"),
        _fault(
            needs_fields & ~has_instrument, "missing_tag",
            "no instrument: neither Symbol (55) nor SecurityID (48)",
        ),
        _fault(
            needs_fields
            & pl.col("trade_date_75").is_null()
            & pl.col("transact_time").is_null()
            & pl.col("sending_time").is_null(),
            "missing_tag", "no date: none of TradeDate (75), TransactTime (60), SendingTime (52)",
        ),
        *bad_date,
        *bad_num,
        _fault(
            trade & pl.col("side_code").is_not_null() & ~pl.col("side_code").is_in(BUY_CODES + SELL_CODES),
            "unmapped_side",
            pl.format(
                "Side (54) '{}' ({}) has no BUY/SELL meaning",
                _s("side_code"), pl.col("side_code").replace_strict(SIDE_NAMES, default="unknown"),
            ),
        ),
        _fault(
            is_dup & resend, "possible_duplicate",
            pl.format(
                "PossDupFlag/PossResend = Y: a resend of {} '{}' from {} already received at line {}",
                id_name, _s("event_id"), _s("session"), pl.col("_first_line").cast(pl.String),
            ),
        ),
        _fault(
            is_dup & ~resend, "duplicate_exec_id",
            pl.format(
                "{} '{}' from {} reused: first used at line {}",
                id_name, _s("event_id"), _s("session"), pl.col("_first_line").cast(pl.String),
            ),
        ),
    ]
    return _apply_faults(df, faults).drop("_dup_domain", "_first_msg")


# ---------------------------------------------------------------------------------------------
# Map: trade events -> fo_trades candidate rows
# ---------------------------------------------------------------------------------------------


def _map_lookup(col: str, mapping: dict[str, str]) -> pl.Expr:
    if not mapping:
        return pl.lit(None, pl.String)
    return pl.col(col).replace_strict(mapping, default=None, return_dtype=pl.String)


def _canonical(ev: pl.DataFrame, opts: FixOptions) -> pl.DataFrame:
    """Canonical attributes of each clean trade event (before versioning)."""
    side = (
        pl.when(pl.col("side_code").is_in(BUY_CODES)).then(pl.lit("BUY"))
        .when(pl.col("side_code").is_in(SELL_CODES)).then(pl.lit("SELL"))
    )
    isin = pl.when(pl.col("id_source") == "4").then(pl.col("security_id"))
    instrument = pl.coalesce(
        _map_lookup("symbol", opts.instruments), _map_lookup("security_id", opts.instruments), isin, pl.col("symbol"),
        pl.col("security_id"),
    )
    counterparty = pl.coalesce(
        _map_lookup("contra_party", opts.counterparties),
        pl.col("contra_party") if opts.party_as_counterparty else pl.lit(None, pl.String),
        _map_lookup("contra_broker", opts.counterparties),
        _map_lookup("sender", opts.counterparties),
    )
    book = pl.coalesce(
        _map_lookup("account", opts.books), pl.col("account") if opts.account_as_book else pl.lit(None, pl.String)
    )
    fees = pl.when(pl.col("comm_type") == "3").then(pl.col("commission"))
    iso = "%Y-%m-%d"
    fallback_date = pl.coalesce(_fix_date("transact_time"), _fix_date("sending_time"))
    return ev.select(
        "msg_no", "src_line", "session", "kind", "event_id", "ref_id", "raw",
        pl.coalesce("order_id", "cl_ord_id").alias("order_key"),
        "trade_id_1003",
        pl.coalesce(_fix_date("sending_time"), _fix_date("transact_time")).dt.strftime(iso).alias("known_date"),
        book.alias("book_id"),
        pl.col("trader_value").alias("trader"),
        counterparty.alias("counterparty_id"),
        instrument.alias("instrument_id"),
        isin.alias("isin"),
        side.alias("side"),
        pl.col("last_qty").alias("quantity"),
        pl.col("last_px").alias("price"),
        pl.coalesce("currency_15", "settl_currency").alias("currency"),
        # a fill's trade date: 75, else its 60/52 date; a correction or cancel without 75 keeps
        # the previous version's trade date (carried forward, or from the store)
        pl.when(pl.col("kind") == "FILL")
        .then(pl.coalesce(_fix_date("trade_date_75"), fallback_date))
        .otherwise(_fix_date("trade_date_75"))
        .dt.strftime(iso)
        .alias("trade_date"),
        fallback_date.dt.strftime(iso).alias("_date_fallback"),
        _fix_date("settl_date").dt.strftime(iso).alias("settle_date"),
        fees.alias("fees"),
        pl.col("accrued").alias("accrued_interest"),
        pl.col("gross_trade_amt").alias("gross_amount"),
        pl.col("net_money").alias("net_amount"),
        pl.col("account_party").alias("account_id"),
        pl.col("pset_party").alias("place_of_settlement"),
        pl.col("block_ref").alias("block_id"),
        pl.col("order_id"),
        pl.col("event_id").alias("exec_id"),
        (pl.lit(opts.source_system_prefix) + _s("sender")).alias("source_system"),
        (
            pl.col("account").is_not_null() & ~pl.col("account").is_in(list(opts.books)) & (not opts.account_as_book)
        ).alias("_unmapped_account"),
        pl.col("account"),
    )


def _resolve_roots(ev: pl.DataFrame) -> pl.DataFrame:
    """``root``: the id of the original fill a correction/cancel chain refers to (within the file;
    a chain whose start is not in the file keeps the last reference it reached)."""
    ids = ev.filter(pl.col("kind").is_in(["CORRECT", "CANCEL"])).select(
        "session", pl.col("event_id").alias("root"), pl.col("ref_id").alias("_next")
    ).unique(subset=["session", "root"], keep="first")
    # a message that names its trade (1003 TradeID) needs no chain
    ev = ev.with_columns(
        root=pl.coalesce(
            "trade_id_1003",
            pl.when(pl.col("kind") == "FILL").then(pl.col("event_id")).otherwise(pl.col("ref_id")),
        )
    )
    follow = (pl.col("kind") != "FILL") & pl.col("trade_id_1003").is_null()
    for _ in range(64):  # chain depth, not rows
        step = ev.join(ids, on=["session", "root"], how="left")
        moves = pl.col("_next").is_not_null() & follow
        if not step.filter(moves).height:
            break
        ev = step.with_columns(root=pl.when(moves).then(pl.col("_next")).otherwise(pl.col("root"))).drop("_next")
    return ev


def _versions(ev: pl.DataFrame) -> pl.DataFrame:
    """Fill level: trade_id = root, version by arrival, attributes carried forward.

    Only trades with a correction or cancel need ranking and carrying forward; the others (the
    bulk of a log) are version 1 as they are."""
    if "root" not in ev.columns:
        ev = _resolve_roots(ev)
    status = pl.col("kind").replace_strict({"FILL": "NEW", "CORRECT": "AMEND", "CANCEL": "CANCEL"})
    touched = ev.filter(pl.col("kind") != "FILL").select("session", "root").unique()
    simple = ev.join(touched, on=["session", "root"], how="anti").with_columns(
        trade_id=pl.col("root"), version=pl.lit(1, pl.Int64), status=status,
        _internal=pl.lit(True), _rank=pl.lit(1, pl.Int64),
    )
    chains = ev.join(touched, on=["session", "root"], how="semi")
    originals = chains.filter(pl.col("kind") == "FILL").select("session", "root").unique()
    chains = chains.join(originals.with_columns(_internal=pl.lit(True)), on=["session", "root"], how="left")
    chains = chains.sort("msg_no").with_columns(
        pl.col("_internal").fill_null(False),
        _rank=pl.col("msg_no").rank("ordinal").over("session", "root").cast(pl.Int64),
    )
    chains = chains.with_columns(
        # carry attributes forward from the previous version of the same trade
        *[pl.col(c).forward_fill().over("session", "root") for c in CARRY],
        trade_id=pl.col("root"),
        version=pl.when(pl.col("_internal")).then(pl.col("_rank")),
        status=status,
    )
    return pl.concat([simple, chains.select(simple.columns)], how="vertical_relaxed").sort("msg_no")


_SUMMED = ("quantity", "price", "fees", "accrued_interest", "gross_amount", "net_amount")


def _sum_or_null(col: str, live: pl.Expr) -> pl.Expr:
    """Sum of an amount over the live fills of an order; null when no fill carries it."""
    value = pl.col(col).cast(pl.Decimal(38, 4))
    return pl.when(value.filter(live).count() > 0).then(value.filter(live).sum().cast(pl.String))


def _aggregate_orders(ev: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Order level: the fills of an order (and trade date) summed into one trade at the
    volume-weighted price; each correction/cancel of one of its fills makes a new version.
    Returns (order rows, events that cannot be aggregated -> quarantine)."""
    fills = _versions(ev)
    external = fills.filter(~pl.col("_internal"))
    fills = fills.filter(pl.col("_internal"))
    # group of each fill chain: its original fill's order and trade date
    origin = (
        fills.filter(pl.col("kind") == "FILL")
        .select(
            "session", "root",
            pl.col("order_key").alias("_order"),
            pl.coalesce("trade_date", "_date_fallback").alias("_tdate"),
        )
    )
    fills = fills.join(origin, on=["session", "root"], how="left").filter(pl.col("_order").is_not_null())
    dates_per_order = origin.group_by("session", "_order").agg(_ndates=pl.col("_tdate").n_unique())
    fills = fills.join(dates_per_order, on=["session", "_order"], how="left").with_columns(
        _group_id=pl.when(pl.col("_ndates") > 1)
        .then(pl.col("_order") + pl.lit("/") + pl.col("_tdate").str.replace_all("-", ""))
        .otherwise(pl.col("_order"))
    )
    keys = ["session", "_group_id"]
    # version points: 0 = the original fills; then each correction/cancel in arrival order
    points = pl.concat(
        [
            fills.group_by(keys).agg(_point_msg=pl.lit(-1, pl.Int64), _kmsg=pl.col("msg_no").max()),
            fills.filter(pl.col("kind") != "FILL").select(*keys, _point_msg=pl.col("msg_no").cast(pl.Int64), _kmsg=pl.col("msg_no")),
        ],
        how="vertical_relaxed",
    )
    state = points.join(fills, on=keys, how="inner").filter(
        (pl.col("kind") == "FILL") | (pl.col("msg_no").cast(pl.Int64) <= pl.col("_point_msg"))
    )
    state = state.sort("msg_no").group_by(*keys, "_point_msg", "root").agg(pl.all().last())
    qty = pl.col("quantity").cast(pl.Decimal(38, 6))
    px = pl.col("price").cast(pl.Decimal(38, 10))
    live = pl.col("status") != "CANCEL"
    agg = (
        state.sort("msg_no")
        .group_by(*keys, "_point_msg")
        .agg(
            _qty=qty.filter(live).sum(),
            _notional=(qty * px).filter(live).sum(),
            _live=live.sum(),
            fees=pl.col("fees").cast(pl.Decimal(38, 4)).filter(live).sum().cast(pl.String),
            accrued_interest=pl.col("accrued_interest").cast(pl.Decimal(38, 4)).filter(live).sum().cast(pl.String),
            _kmsg=pl.col("_kmsg").first(),
            known_date=pl.col("known_date").max(),
            src_line=pl.col("src_line").filter(pl.col("msg_no") == pl.col("_kmsg").first()).first(),
            raw=pl.col("raw").filter(pl.col("msg_no") == pl.col("_kmsg").first()).first(),
            exec_id=pl.col("exec_id").filter(pl.col("msg_no") == pl.col("_kmsg").first()).first(),
            gross_amount=_sum_or_null("gross_amount", live),
            net_amount=_sum_or_null("net_amount", live),
            **{c: pl.col(c).first() for c in CARRY if c not in _SUMMED},
            _date_fallback=pl.col("_date_fallback").first(),
            _order=pl.col("_order").first(),
            source_system=pl.col("source_system").first(),
            _unmapped_account=pl.col("_unmapped_account").any(),
            account=pl.col("account").first(),
        )
    )
    agg = agg.sort("_point_msg").with_columns(
        version=pl.col("_point_msg").rank("ordinal").over(keys).cast(pl.Int64),
        trade_id=pl.col("_group_id"),
        order_id=pl.col("_order"),
    )
    agg = agg.with_columns(
        status=pl.when(pl.col("_live") == 0).then(pl.lit("CANCEL"))
        .when(pl.col("version") == 1).then(pl.lit("NEW"))
        .otherwise(pl.lit("AMEND")),
        quantity=pl.when(pl.col("_live") > 0).then(pl.col("_qty").cast(pl.String)),
        price=(pl.col("_notional") / pl.when(pl.col("_qty") != 0).then(pl.col("_qty"))).round(10).cast(pl.String),
        src_ref=pl.col("exec_id"),
        _internal=pl.lit(True),
        _rank=pl.col("version"),
    )
    # a cancelled order keeps the last live quantity and price (NOT NULL columns)
    agg = agg.sort("version").with_columns(
        pl.col("quantity").forward_fill().over(keys), pl.col("price").forward_fill().over(keys)
    )
    return agg.sort("src_line", "trade_id", "version"), external


def _defaults(opts: FixOptions) -> dict[str, pl.Expr]:
    """The feed's defaults, applied after corrections and cancels took their previous version's
    attributes (a fill without an Account is booked to the default book; a cancel keeps its trade's)."""
    return {
        "book_id": pl.coalesce(pl.col("book_id"), pl.lit(opts.default_book, pl.String)),
        "counterparty_id": pl.coalesce(pl.col("counterparty_id"), pl.lit(opts.default_counterparty, pl.String)),
        "currency": pl.coalesce(pl.col("currency"), pl.lit(opts.default_currency, pl.String)),
    }


def _finish(rows: pl.DataFrame, opts: FixOptions) -> pl.DataFrame:
    """Fallback dates, defaults and the output column order."""
    internal = pl.col("_internal")
    rows = rows.with_columns(
        **{c: pl.when(internal).then(e).otherwise(pl.col(c)) for c, e in _defaults(opts).items()},
        # corrections/cancels of trades from earlier files take the stored trade date first
        trade_date=pl.when(pl.col("_internal")).then(pl.coalesce("trade_date", "_date_fallback"))
        .otherwise(pl.col("trade_date")),
        fees=pl.when(internal).then(pl.col("fees").fill_null("0")).otherwise(pl.col("fees")),
        accrued_interest=pl.when(internal)
        .then(pl.col("accrued_interest").fill_null("0"))
        .otherwise(pl.col("accrued_interest")),
        src_ref=pl.col("exec_id"),
        _raw=pl.col("raw"),
        version=pl.col("version").cast(pl.Int64),
    )
    extra = [c for c in ("_internal", "_rank", "_date_fallback") if c in rows.columns]
    return rows.select([pl.col(c) for c in OUT_COLUMNS] + [pl.col(c) for c in extra])


# ---------------------------------------------------------------------------------------------
# The connector
# ---------------------------------------------------------------------------------------------


#: The latest stored version of each trade in the relation ``ids`` (column names come from CARRY).
_CARRY_SELECT = ", ".join(f"CAST(t.{c} AS VARCHAR) AS _s_{c}" for c in CARRY)
_LATEST_VERSION_SQL = (
    f"SELECT t.trade_id, t.version AS _stored_version, {_CARRY_SELECT} "  # noqa: S608 - no values in the text
    "FROM fo_trades AS t JOIN ids USING (trade_id) "
    "QUALIFY row_number() OVER (PARTITION BY t.trade_id ORDER BY t.version DESC) = 1"
)


class FixConnector:
    name = "fix"
    description = "FIX 4.2/4.4 log of execution reports (35=8) and trade capture reports (35=AE)"
    priority = 20

    def identify(self, path: Path, head: bytes, cfg: Config) -> str | None:
        if not _IDENTIFY.search(head):
            return None
        feeds = fix_feeds(cfg)
        senders = {m.group(1).decode("latin-1") for m in _SENDER.finditer(head)}
        fallback = None
        for name, f in feeds.items():
            wanted = {str(s) for s in f.get("match_sender", ())}
            if wanted and wanted & senders:
                return name
            if not wanted and fallback is None:
                fallback = name
        return fallback

    def parse(self, path: Path, feed: str, cfg: Config) -> Parsed:
        opts = FixOptions.from_config(cfg, feed)
        text, encoding = _read_text(path)
        return parse_text(text, feed, opts, encoding=encoding)

    def resolve(self, con: duckdb.DuckDBPyConnection, parsed: Parsed, cfg: Config) -> Parsed:
        """Inside the load's transaction: give corrections/cancels of trades loaded by earlier
        files their next version and the attributes they lack; quarantine those whose original
        the store does not have either."""
        frame = parsed.tables.get(TABLE)
        if frame is None or "_internal" not in frame.columns:
            return parsed
        opts = FixOptions.from_config(cfg, parsed.feed)
        ext = frame.filter(~pl.col("_internal"))
        internal = frame.filter(pl.col("_internal"))
        if ext.height:
            ids = ext.select("trade_id").unique()  # noqa: F841 - referenced by name in SQL
            latest = con.sql(_LATEST_VERSION_SQL).pl()
            ext = ext.join(latest, on="trade_id", how="left")
            unknown = ext.filter(pl.col("_stored_version").is_null())
            known = ext.filter(pl.col("_stored_version").is_not_null()).with_columns(
                version=pl.col("_stored_version") + pl.col("_rank"),
                **{c: pl.coalesce(pl.col(c), pl.col(f"_s_{c}")) for c in CARRY},
            ).with_columns(
                trade_date=pl.coalesce("trade_date", "_date_fallback"),
                fees=pl.col("fees").fill_null("0"),
                accrued_interest=pl.col("accrued_interest").fill_null("0"),
                **_defaults(opts),
            )
            internal = pl.concat([internal, known.select(internal.columns)], how="vertical_relaxed")
            if unknown.height:
                q = unknown.select(
                    pl.col("src_line").alias("line_no"),
                    pl.col("src_ref").alias("record_ref"),
                    pl.lit(TABLE).alias("target_table"),
                    pl.lit("unknown_trade_reference").alias("rule"),
                    pl.format(
                        "{} refers to trade '{}' (ExecRefID / TradeReportRefID), which is neither earlier "
                        "in this file nor in the store",
                        pl.when(pl.col("status") == "CANCEL").then(pl.lit("cancel")).otherwise(pl.lit("correction")),
                        pl.col("trade_id"),
                    ).alias("reason"),
                    pl.col("_raw").alias("raw_text"),
                ).cast(QUARANTINE_SCHEMA)  # type: ignore[arg-type]
                parsed.quarantine = pl.concat([parsed.quarantine, q], how="vertical_relaxed")
        parsed.tables[TABLE] = internal.drop([c for c in ("_internal", "_rank", "_date_fallback") if c in internal.columns])
        return parsed


def parse_text(text: str, feed: str, opts: FixOptions, *, encoding: str = "utf-8") -> Parsed:
    """Extract and map a FIX log's text (see the module docstring)."""
    msgs, other_lines = split_messages(text)
    msgs = msgs.with_columns(msg_type=(pl.lit(SOH) + pl.col("msg")).str.extract(r"\x0135=([^\x01]*)\x01", 1))
    carrying = pl.col("msg_type").is_null() | pl.col("msg_type").is_in(["8", "AE"])
    others = msgs.filter(~carrying)
    cand = msgs.filter(carrying)
    warnings: list[str] = []
    # tokenise: vectorised for plain messages, simplefix for the rest (or for all)
    if opts.parser == "simplefix":
        regular = pl.Series([False] * cand.height, dtype=pl.Boolean)
    else:
        regular = cand["msg"].str.contains(_REGULAR) & ~cand["msg"].str.contains(_HAS_RAW)
    cand = cand.with_columns(regular.alias("_regular"))
    irregular = cand.filter(~pl.col("_regular"))
    parsed_irregular = [_simplefix_tokenise(m, encoding) for m in irregular["msg"].to_list()]
    tokens = pl.DataFrame(
        {
            "msg_no": irregular["msg_no"],
            "_fields": [p[0] for p in parsed_irregular],
            "parse_fault": [p[1] for p in parsed_irregular],
        },
        schema={"msg_no": pl.UInt32, "_fields": pl.String, "parse_fault": pl.String},
    )
    cand = cand.join(tokens, on="msg_no", how="left").with_columns(
        _fields=pl.when(pl.col("_regular")).then(pl.col("msg")).otherwise(pl.col("_fields"))
    )
    cand = cand.hstack(_integrity(cand["msg"], encoding).get_columns())
    cand = _extract_tags(cand, "_fields", opts.trader_tag)
    # a message that simplefix could not parse still shows its MsgType (read from the raw text)
    cand = cand.with_columns(pl.coalesce(pl.col("msg_type"), msgs_type_fallback()).alias("msg_type"))
    cand = _checks(cand, opts).sort("msg_no")

    faulty = cand.filter(pl.col("faults").list.len() > 0)
    clean = cand.filter(pl.col("faults").list.len() == 0)
    events = clean.filter(pl.col("kind").is_not_null())
    non_trade = clean.filter(pl.col("kind").is_null())

    # references to messages quarantined in this file: name that fault
    quarantined_ids = (
        faulty.filter(pl.col("event_id").is_not_null())
        .group_by("session", pl.coalesce("trade_id_1003", "event_id").alias("event_id"))
        .agg(_q_line=pl.col("src_line").min())
    )
    ev = _canonical(events, opts)
    ev = _resolve_roots(ev) if ev.height else ev.with_columns(root=pl.lit(None, pl.String))
    originals = ev.filter(pl.col("kind") == "FILL").select("session", "root").unique()
    dangling = (
        ev.filter(pl.col("kind") != "FILL")
        .join(originals, on=["session", "root"], how="anti")
        .join(quarantined_ids.rename({"event_id": "root"}), on=["session", "root"], how="inner")
    )
    ev = ev.join(dangling.select("msg_no"), on="msg_no", how="anti")
    ref_faults = dangling.select(
        pl.col("src_line").alias("line_no"),
        pl.col("event_id").alias("record_ref"),
        pl.lit(TABLE).alias("target_table"),
        pl.lit("unknown_trade_reference").alias("rule"),
        pl.format(
            "{} refers to '{}', whose message (line {}) was quarantined",
            _noun(), pl.col("root"), pl.col("_q_line").cast(pl.String),
        ).alias("reason"),
        pl.col("raw").alias("raw_text"),
    )

    quarantine = pl.concat(
        [
            faulty.select(
                pl.col("src_line").alias("line_no"),
                pl.coalesce("event_id", "seq").alias("record_ref"),
                pl.lit(TABLE).alias("target_table"),
                pl.col("faults").list.first().str.split(_SEP).list.first().alias("rule"),
                pl.col("faults")
                .list.eval(pl.element().str.split(_SEP).list.last())
                .list.join("; ")
                .alias("reason"),
                pl.col("raw").alias("raw_text"),
            ),
            ref_faults,
        ],
        how="vertical_relaxed",
    ).cast(QUARANTINE_SCHEMA)  # type: ignore[arg-type]

    if opts.aggregate == "order":
        rows, external = _aggregate_orders(ev) if ev.height else (ev.clear(), ev.clear())
        if external.height:
            quarantine = pl.concat(
                [
                    quarantine,
                    external.select(
                        pl.col("src_line").alias("line_no"),
                        pl.col("exec_id").alias("record_ref"),
                        pl.lit(TABLE).alias("target_table"),
                        pl.lit("unknown_trade_reference").alias("rule"),
                        pl.format(
                            "{} refers to fill '{}', which is not in this file: order-level aggregation "
                            "cannot amend an order loaded from another file (use aggregate = \"fill\")",
                            _noun(), pl.col("trade_id"),
                        ).alias("reason"),
                        pl.col("raw").alias("raw_text"),
                    ).cast(QUARANTINE_SCHEMA),  # type: ignore[arg-type]
                ],
                how="vertical_relaxed",
            )
        n_fills = events.filter(pl.col("kind") == "FILL").height
        if rows.height:
            warnings.append(f"{n_fills} fills aggregated into {rows.filter(pl.col('version') == 1).height} orders")
    else:
        rows = _versions(ev) if ev.height else ev.with_columns(
            root=pl.lit(None, pl.String), trade_id=pl.lit(None, pl.String), version=pl.lit(None, pl.Int64),
            status=pl.lit(None, pl.String), _internal=pl.lit(True), _rank=pl.lit(None, pl.Int64),
        )
    unmapped = rows.filter(pl.col("_unmapped_account")).get_column("account").unique().sort().to_list() if rows.height else []
    if unmapped:
        warnings.append(
            f"accounts not in the feed's books map, booked to {opts.default_book!r}: {', '.join(unmapped[:10])}"
            + (" ..." if len(unmapped) > 10 else "")
        )
    rows = _finish(rows, opts) if rows.height else pl.DataFrame(schema={c: pl.String for c in OUT_COLUMNS}).with_columns(
        pl.col("src_line").cast(pl.Int64), pl.col("version").cast(pl.Int64), _internal=pl.lit(True), _rank=pl.lit(None, pl.Int64)
    )
    # non-trade messages: counted, reported, neither loaded nor quarantined
    labels = pl.concat(
        [
            others.select(pl.col("msg_type")),
            non_trade.select(
                pl.when(pl.col("msg_type") == "8")
                .then(pl.lit("8 ExecType=") + _s("exec_type"))
                .otherwise(pl.col("msg_type"))
                .alias("msg_type"),
                pl.col("exec_type"),
            ).select("msg_type"),
        ]
    )
    if labels.height:
        counts = labels.group_by("msg_type").len().sort("len", "msg_type", descending=[True, False])
        parts = []
        for label, n in counts.iter_rows():
            if label.startswith("8 ExecType="):
                et = label.split("=", 1)[1]
                parts.append(f"{n} x 35=8 ExecType {et} ({EXEC_TYPE_NAMES.get(et, 'unknown')})")
            else:
                parts.append(f"{n} x 35={label} ({MSG_TYPE_NAMES.get(label, 'unknown')})")
        warnings.append(f"{labels.height} messages carry no trade (not loaded): " + ", ".join(parts))
    if other_lines:
        warnings.append(f"{other_lines} non-blank lines carry no FIX message")
    if encoding != "utf-8":
        warnings.append(f"decoded as {encoding} (not valid UTF-8)")
    return Parsed(
        feed=feed,
        tables={TABLE: rows},
        quarantine=quarantine,
        rows_read=rows.height + quarantine.height,
        warnings=warnings,
    )


def _byte_sums(texts: pl.Series) -> np.ndarray:
    """Sum of the UTF-8 bytes of each string, modulo 256 (vectorised over the Arrow buffer)."""
    arr = pc.cast(texts.to_arrow(), pa.large_string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)
    sums = np.add.reduceat(data, offsets[:-1], dtype=np.int64) if len(data) else np.zeros(n, np.int64)
    sums[offsets[1:] == offsets[:-1]] = 0  # reduceat gives the element itself for empty slices
    return sums % 256


def encode_messages(
    fields: pl.DataFrame, tags: list[tuple[int, str]], *, begin_string: str = "FIX.4.4"
) -> pl.Series:
    """Encode one FIX message per row (vectorised): ``tags`` lists (tag, column) in message
    order, starting with MsgType (35); null values are left out. BodyLength (9) and CheckSum (10)
    are computed as :meth:`simplefix.FixMessage.encode` does (the tests check they agree)."""
    parts = [
        pl.when(pl.col(col).is_not_null()).then(pl.lit(f"{tag}=") + pl.col(col).cast(pl.String) + pl.lit(SOH))
        for tag, col in tags
    ]
    body = fields.select(pl.concat_str(parts, ignore_nulls=True).alias("body"))["body"]
    head = pl.Series([f"8={begin_string}{SOH}9="] * len(body))
    framed = head + body.str.len_bytes().cast(pl.String) + SOH + body
    checksum = pl.Series(_byte_sums(framed)).cast(pl.String).str.zfill(3)
    return (framed + "10=" + checksum + SOH).rename("message")


def msgs_type_fallback() -> pl.Expr:
    return (pl.lit(SOH) + pl.col("msg")).str.extract(r"\x0135=([^\x01]*)\x01", 1)


# ---------------------------------------------------------------------------------------------
# Writer for the sample world (connectors/sample_world/writers.py: FEED_WRITERS["FIX"])
# ---------------------------------------------------------------------------------------------

#: fo_trades columns only OTC / derivative trades carry; a row with any of them is not a FIX fill.
DERIVATIVE_COLUMNS = (
    "notional", "start_date", "end_date", "mtm", "netting_set_id", "option_type", "option_strike",
    "option_expiry", "underlying_price", "volatility", "pay_leg", "fixed_rate", "reference_entity",
    "ref_entity_rating", "is_index", "commodity_type",
)
SAMPLE_TARGET = "MIDOFFICE"


def write_sample_trades_fix(frame: pl.DataFrame, path: Path, table: str) -> None:
    """Write canonical ``fo_trades`` rows as a FIX 4.4 drop-copy log (one execution report per
    trade version; the ``sample_fix`` feed reads it back to the same rows).

    Version 1 is a fill (150=F, 17 = exec_id), a later version a trade correction (150=G) or
    cancel (150=H) with 17 = exec_id-version and 19 = the previous version's ExecID; every
    message names its trade in 1003 TradeID. The book travels in 1 Account, the trader in 50, the
    counterparty, place of settlement and safekeeping account as parties (452 = 17, 10, 24),
    amounts in 381/12/159/118, the block in 583. Rows of OTC trades (any derivative column set)
    cannot be expressed as fills: they go to a CSV sidecar ``<stem>_otc.csv`` next to the log, as
    an OMS would export them."""
    if table != TABLE:
        raise ValueError(f"the FIX writer carries fo_trades only, not {table}")
    path.parent.mkdir(parents=True, exist_ok=True)
    deriv = [c for c in DERIVATIVE_COLUMNS if c in frame.columns]
    is_otc = pl.any_horizontal([pl.col(c).is_not_null() for c in deriv]) if deriv else pl.lit(False)
    otc = frame.filter(is_otc)
    fills = frame.filter(~is_otc)
    if otc.height:
        otc.write_csv(path.with_name(f"{path.stem}_otc.csv"), null_value="", date_format="%Y-%m-%d", line_terminator="\n")
    if not fills.height:
        path.write_text("")
        return
    ymd = "%Y%m%d"
    exec_base = pl.coalesce(pl.col("exec_id"), pl.col("trade_id"))
    v = pl.col("version").cast(pl.Int64)
    party = [("cp", "counterparty_id", "D", "17"), ("ps", "place_of_settlement", "B", "10"), ("ac", "account_id", "D", "24")]
    cols = fills.with_row_index("_seq", offset=1).select(
        pl.lit("8").alias("mt"),
        pl.coalesce(pl.col("source_system"), pl.lit("SAMPLE_OMS")).alias("sender"),
        pl.lit(SAMPLE_TARGET).alias("target"),
        pl.col("_seq").cast(pl.String).alias("seq"),
        (pl.col("known_date").dt.strftime(ymd) + "-18:00:00.000").alias("sending"),
        pl.col("trader"),
        pl.col("book_id").alias("account"),
        pl.col("order_id").alias("clordid"),
        pl.when(v == 1).then(exec_base).otherwise(exec_base + "-" + v.cast(pl.String)).alias("execid"),
        pl.when(v == 2).then(exec_base).when(v > 2).then(exec_base + "-" + (v - 1).cast(pl.String)).alias("execref"),
        pl.col("trade_id"),
        pl.col("order_id"),
        pl.col("block_id"),
        pl.col("side").replace_strict({"BUY": "1", "SELL": "2"}, default=None).alias("side"),
        pl.col("instrument_id").alias("symbol"),
        pl.col("isin"),
        pl.when(pl.col("isin").is_not_null()).then(pl.lit("4")).alias("idsource"),
        pl.col("currency"),
        pl.col("quantity").cast(pl.String).alias("qty"),
        pl.col("price").cast(pl.String).alias("px"),
        pl.col("gross_amount").cast(pl.String).alias("gross"),
        pl.col("fees").cast(pl.String).alias("fees"),
        pl.when(pl.col("fees").is_not_null()).then(pl.lit("3")).alias("commtype"),
        pl.col("accrued_interest").cast(pl.String).alias("accrued"),
        pl.col("net_amount").cast(pl.String).alias("net"),
        pl.col("trade_date").dt.strftime(ymd).alias("tdate"),
        pl.col("settle_date").dt.strftime(ymd).alias("sdate"),
        (pl.col("trade_date").dt.strftime(ymd) + "-12:00:00.000").alias("transact"),
        pl.col("status").replace_strict({"NEW": "F", "AMEND": "G", "CANCEL": "H"}).alias("exectype"),
        pl.lit("2").alias("ordstatus"),
        pl.sum_horizontal([pl.col(c).is_not_null() for _, c, _, _ in party]).cast(pl.String).alias("nparties"),
        *[
            expr
            for key, col, src, role in party
            for expr in (
                pl.col(col).alias(f"{key}_id"),
                pl.when(pl.col(col).is_not_null()).then(pl.lit(src)).alias(f"{key}_src"),
                pl.when(pl.col(col).is_not_null()).then(pl.lit(role)).alias(f"{key}_role"),
            )
        ],
    ).with_columns(pl.when(pl.col("nparties") != "0").then(pl.col("nparties")).alias("nparties"))
    tags = [
        (35, "mt"), (49, "sender"), (56, "target"), (34, "seq"), (52, "sending"), (50, "trader"), (1, "account"),
        (11, "clordid"), (17, "execid"), (19, "execref"), (37, "order_id"), (583, "block_id"), (1003, "trade_id"),
        (39, "ordstatus"), (150, "exectype"), (54, "side"), (55, "symbol"), (48, "isin"), (22, "idsource"),
        (15, "currency"), (32, "qty"), (31, "px"), (381, "gross"), (12, "fees"), (13, "commtype"), (159, "accrued"),
        (118, "net"), (75, "tdate"), (64, "sdate"), (60, "transact"), (453, "nparties"),
        *[(t, f"{key}_{suffix}") for key, _, _, _ in party for t, suffix in ((448, "id"), (447, "src"), (452, "role"))],
    ]
    messages = encode_messages(cols, tags, begin_string="FIX.4.4")
    path.write_text("\n".join(messages.to_list()) + "\n", encoding="utf-8")

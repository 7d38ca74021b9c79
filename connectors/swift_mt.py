"""SWIFT ISO 15022 settlement messages (MT537, MT540-MT548): block/field parser, connector, writer.

No maintained Python library parses MT54x fields, so this module carries a small, table-driven
parser of its own:

1. **Blocks.** A file holds one or more FIN messages ``{1:..}{2:..}[{3:..}]{4:\\n..\\n-}[{5:..}]``
   (optionally separated by ``$``, SOH/ETX or blank lines). The block structure is checked: blocks
   1, 2 and 4 present, in order, no duplicates, braces balanced, block 4 closed by ``-}``, block 1
   and 2 headers well formed. A broken message is quarantined with what is broken.
2. **Fields.** Block 4 is split into ``:TAG:value`` fields (continuation lines appended); generic
   ISO 15022 fields ``:QUAL/[DSS]/data`` are split into qualifier, data source scheme and data;
   ``:16R:``/``:16S:`` sequences are tracked and must balance (``:16S:TRADFOO`` closing
   ``:16R:TRADDET`` is an unbalanced sequence).
3. **Mapping.** :data:`FIELD_MAP` says, per canonical column, which ``(tag, qualifier, sequence)``
   carries it; :data:`STATUS_MAP` maps ``25D`` statuses to canonical statuses. Dates must be real
   ``YYYYMMDD`` dates in 1900-2099 (``11111111`` is refused), decimals use the SWIFT comma.

Canonical values (``bo_settlements``):

- ``direction``: MT540/541/544/545 RECEIVE, MT542/543/546/547 DELIVER; MT548/MT537 from
  ``:22H::REDE//RECE|DELI`` (else from the linked message type ``:13A::LINK//54x``).
- ``payment``: MT540/542/544/546 FREE, MT541/543/545/547 APMT; MT548/MT537 ``:22H::PAYM//``.
- ``status``: MT540-543 NEWM -> PENDING, CANC -> CANCELLED; MT544-547 -> SETTLED, or PARTIAL when
  ``:22F::PARS//PAIN`` (PARC, the last part of a partial settlement, -> SETTLED); a reversed
  confirmation (23G CANC/RVSL) -> PENDING. MT548 and MT537: :data:`STATUS_MAP` (several ``25D`` in
  one message: the highest :data:`STATUS_RANK` wins, e.g. MTCH//MACH + SETT//PENF -> FAILING);
  a status advice reports nothing settled: ``settled_quantity`` 0 (``settled_amount`` 0 with an
  amount) unless it carries an ESTT quantity.
- ``reason_code``: the ``24B`` code of the chosen status (``:24B::PENF//LACK`` -> LACK),
  ``reason_text`` the ``70D::REAS`` narrative.
- ``settlement_id``: the custodian's transaction reference ``:20C::ASRF//`` when given, else the
  related instruction ``:20C::RELA//`` (so every status and confirmation about one instruction
  lands on the same settlement), else ``:20C::SEME//``. For our own instructions (MT540-543) the
  instruction's ``SEME``, and for a cancellation (CANC) the cancelled instruction ``:20C::PREV//``,
  so the cancel appends to the instruction it cancels. MT537: ASRF, RELA/ACOW, else MITI.
  The message's own ``SEME`` is kept as ``src_ref``.
- ``trade_ref``: ``:20C::RELA//`` (our instruction reference = our trade id), else ``TRRF``; for
  MT540-543 the instruction's own SEME (PREV for a cancellation).
- ``seq``: seconds since 2000-01-01 of the message's preparation time (``:98C::PREP//``; a date-only
  ``:98A::PREP//`` takes the time from the output header of block 2; else the file's date), raised
  where needed so that it strictly increases over the messages about one settlement in a file (in
  time order, then file order): :func:`with_seq`. So later messages about a settlement get a
  higher ``seq``, across files too, and the newest status wins.
- ``known_date``: the preparation date (``PREP``), else statement date (``:98A::STAT//``), else the
  block-2 output date, else a date in the file name, else the file's modification date.
- ``custodian``: the account servicer's BIC (the sender of MT544-548/537, the receiver of
  MT540-543), mapped to a custodian name by ``[swift.custodians]``, else at load time by
  ``ref_accounts.custodian_bic`` of our accounts (:func:`resolve_custodians`), else kept as the BIC.
- ``counterparty_bic``: the seller (we receive) or buyer (we deliver), else their agent;
  ``counterparty_id`` is filled at load time from ``ref_counterparties.bic``.

One record = one message (MT537: one per transaction ``TRAN`` sequence; a statement without any
transaction is quarantined with that reason), so ``rows_read = candidate rows + quarantined``.

Two paths, one result: well-formed MT540-548 are mapped column-wise by
:mod:`connectors.swift_mt_fast` (Polars); MT537 and every message that path flags are parsed one
by one here (:func:`parse_message`, :func:`map_message`), which also names a broken message's
fault. ``[swift] parser = "python"`` sends every message through this module.

The writer half (:func:`instruction_fields`, :func:`confirmation_fields`, :func:`status_fields`,
:func:`render_message`) produces MT540-543 for ``midoffice instruct`` and MT544-548 for the sample
world; everything it writes reads back through the parser to the same values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import polars as pl

from connectors.base import Parsed, quarantine_frame
from engine.config import Config
from engine.errors import BadInputError

log = logging.getLogger(__name__)

TABLE = "bo_settlements"
SUPPORTED_TYPES = frozenset({"537", "540", "541", "542", "543", "544", "545", "546", "547", "548"})

#: Columns of a candidate bo_settlements row produced here, in order.
COLUMNS: tuple[str, ...] = (
    "settlement_id", "seq", "known_date", "custodian", "message_type", "trade_ref", "account_id",
    "counterparty_id", "counterparty_bic", "place_of_settlement", "isin", "direction", "payment",
    "quantity", "settled_quantity", "amount", "settled_amount", "currency", "trade_date",
    "deal_price", "intended_settle_date", "actual_settle_date", "status", "reason_code",
    "reason_text", "src_line", "src_ref", "_raw", "_custodian_bic",
)
_INT_COLUMNS = {"seq", "src_line"}

#: MT type -> (direction, payment) for the types whose type says it.
TYPE_DIRECTION: dict[str, tuple[str, str]] = {
    "540": ("RECEIVE", "FREE"), "541": ("RECEIVE", "APMT"),
    "542": ("DELIVER", "FREE"), "543": ("DELIVER", "APMT"),
    "544": ("RECEIVE", "FREE"), "545": ("RECEIVE", "APMT"),
    "546": ("DELIVER", "FREE"), "547": ("DELIVER", "APMT"),
}
REDE = {"RECE": "RECEIVE", "DELI": "DELIVER"}

#: 25D ``qualifier//code`` -> canonical status. Anything else is quarantined (unknown_status).
STATUS_MAP: dict[tuple[str, str], str] = {
    # instruction processing status
    ("IPRC", "PACK"): "PENDING",      # acknowledged/accepted
    ("IPRC", "PPRC"): "PENDING",      # pending processing
    ("IPRC", "REPR"): "PENDING",      # repair
    ("IPRC", "CANP"): "PENDING",      # cancellation pending
    ("IPRC", "CPRC"): "PENDING",      # cancellation requested
    ("IPRC", "MODP"): "PENDING",      # modification pending
    ("IPRC", "REJT"): "REJECTED",     # rejected: the instruction will not settle (reason in 24B REJT)
    ("IPRC", "CAND"): "CANCELLED",    # cancelled
    # cancellation request processing status (23G CAST)
    ("CPRC", "CAND"): "CANCELLED",
    ("CPRC", "PACK"): "PENDING",
    ("CPRC", "CANP"): "PENDING",
    ("CPRC", "REJT"): "PENDING",      # cancellation rejected: the instruction lives on
    ("CPRC", "DEND"): "PENDING",      # cancellation denied
    # matching status
    ("MTCH", "MACH"): "MATCHED",
    ("MTCH", "NMAT"): "UNMATCHED",
    # settlement status
    ("SETT", "PEND"): "PENDING",
    ("SETT", "PENF"): "FAILING",
}
#: When a message carries several statuses, the highest rank is the settlement's state.
STATUS_RANK: dict[str, int] = {
    "PENDING": 1, "MATCHED": 2, "UNMATCHED": 3, "REJECTED": 4, "FAILING": 5, "PARTIAL": 6, "SETTLED": 7,
    "CANCELLED": 8,
}

#: canonical column -> candidates (tag, qualifier or None, innermost sequences or None = anywhere).
#: The first candidate present (in this order, then message order) wins.
FieldSpec = tuple[str, str | None, tuple[str, ...] | None]
FIELD_MAP: dict[str, tuple[FieldSpec, ...]] = {
    "seme": (("20C", "SEME", ("GENL",)),),
    "function": (("23G", None, ("GENL",)),),
    "prep": (("98C", "PREP", ("GENL",)), ("98E", "PREP", ("GENL",)), ("98A", "PREP", ("GENL",))),
    "stat_date": (("98A", "STAT", ("GENL",)), ("98C", "STAT", ("GENL",))),
    "rela": (("20C", "RELA", None),),
    "prev": (("20C", "PREV", None),),
    "asrf": (("20C", "ASRF", None),),
    "trrf": (("20C", "TRRF", None),),
    "acow": (("20C", "ACOW", None),),
    "miti": (("20C", "MITI", None),),
    "link_type": (("13A", "LINK", ("LINK",)),),
    "trade_date": (("98A", "TRAD", None), ("98C", "TRAD", None)),
    "intended_settle_date": (("98A", "SETT", None), ("98C", "SETT", None), ("98E", "SETT", None)),
    "actual_settle_date": (("98A", "ESET", None), ("98C", "ESET", None), ("98E", "ESET", None)),
    "deal_price": (("90B", "DEAL", None), ("90A", "DEAL", None)),
    "isin": (("35B", None, None),),
    "quantity": (("36B", "SETT", None), ("36B", "PSTA", None)),
    "settled_quantity": (("36B", "ESTT", None),),
    "prev_settled_quantity": (("36B", "PSTT", None),),
    "remaining_quantity": (("36B", "RSTT", None),),
    "account_id": (("97A", "SAFE", ("FIAC", "SETTRAN", "TRAN", "GENL")), ("97B", "SAFE", ("FIAC", "SETTRAN", "TRAN", "GENL"))),
    "amount": (("19A", "SETT", None), ("19A", "PSTA", None)),
    "settled_amount": (("19A", "ESTT", None),),
    "prev_settled_amount": (("19A", "PSTT", None),),
    "remaining_amount": (("19A", "RSTT", None),),
    "pset": (("95P", "PSET", ("SETPRTY",)), ("95Q", "PSET", ("SETPRTY",)), ("95P", "PSET", None)),
    "buyr": (("95P", "BUYR", ("SETPRTY",)),),
    "sell": (("95P", "SELL", ("SETPRTY",)),),
    "reag": (("95P", "REAG", ("SETPRTY",)),),
    "deag": (("95P", "DEAG", ("SETPRTY",)),),
    "pars": (("22F", "PARS", None),),
    "rede": (("22H", "REDE", None),),
    "paym": (("22H", "PAYM", None),),
}

# --- low-level grammar ------------------------------------------------------------------------

_MSG_START = re.compile(r"\{1:")
_BLOCK_ID = re.compile(r"\{([1-5]|[A-Z]{1,3}):")
_BRACE = re.compile(r"[{}]")
_B1 = re.compile(r"([FAL])(\d{2})([A-Z0-9]{12})([A-Z0-9]{4})([A-Z0-9]{6})")
_B2_IN = re.compile(r"I(\d{3})([A-Z0-9]{12})([USN]?)(\d?)(\d{3})?")
_B2_OUT = re.compile(r"O(\d{3})(\d{4})(\d{6})([A-Z0-9]{12})([A-Z0-9]{4})([A-Z0-9]{6})(\d{6})(\d{4})([USN]?)")
_FIELD_LINE = re.compile(r":(\d{2}[A-Z]?):(.*)")
_SEPARATORS = " \t\r\n$\x01\x03"
_DEC = re.compile(r"\d+,\d*")
_DATE_IN_NAME = re.compile(r"(20\d{2})-?([01]\d)-?([0-3]\d)")
_EPOCH = dt.datetime(2000, 1, 1)
_DATE_TAGS = frozenset({"98A", "98C", "98E"})


class MtError(Exception):
    """A message (or a field of it) breaks the FIN format; ``rule`` is the quarantine rule id."""

    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(reason)
        self.rule = rule
        self.reason = reason


class MtField(NamedTuple):
    tag: str                 # e.g. '98A'
    qualifier: str | None    # e.g. 'SETT' for generic fields, else None
    dss: str | None          # data source scheme ('' when the field has '//')
    value: str               # the data after the qualifier (or the whole value)
    line: int                # line in the file
    seq: str                 # innermost 16R sequence name ('' at the top level)


class MtNode:
    """A 16R/16S sequence instance: its own fields and its child sequences, in order."""

    __slots__ = ("name", "fields", "children", "parent")

    def __init__(self, name: str, parent: MtNode | None = None) -> None:
        self.name = name
        self.fields: list[MtField] = []
        self.children: list[MtNode] = []
        self.parent = parent

    def walk_fields(self) -> Iterable[MtField]:
        yield from self.fields
        for c in self.children:
            yield from c.walk_fields()

    def find_all(self, name: str) -> Iterable[MtNode]:
        for c in self.children:
            if c.name == name:
                yield c
            yield from c.find_all(name)


@dataclass
class MtMessage:
    number: int                   # message number in the file (1-based)
    line: int                     # line where the message starts
    raw: str
    mt: str                       # '541'
    io: str                       # 'I' (input: block 1 = sender) | 'O' (output: block 2 MIR = sender)
    sender: str | None            # BIC11
    receiver: str | None          # BIC11
    output_time: dt.datetime | None
    fields: list[MtField]
    tree: MtNode
    idx: dict[tuple[str, str | None], list[MtField]] = field(default_factory=dict)


def lt_to_bic(lt: str) -> str:
    """Logical terminal address (12) -> BIC11: ``FOOOFRPPAXXX`` -> ``FOOOFRPPXXX``."""
    return lt[:8] + lt[9:12] if len(lt) >= 12 else lt


def split_messages(text: str) -> tuple[list[tuple[int, int, str]], list[dict[str, object]]]:
    """Split a file's text into ``(message_no, start_line, raw)`` and stray-text faults."""
    starts = [m.start() for m in _MSG_START.finditer(text)]
    faults: list[dict[str, object]] = []
    lead = text[: starts[0]] if starts else text
    if lead.strip(_SEPARATORS + "\ufeff"):
        faults.append({
            "line_no": 1, "record_ref": None, "target_table": TABLE, "rule": "stray_text",
            "reason": "text outside any message: expected a message starting with '{1:', found "
                      f"{lead.strip()[:40]!r}",
            "raw_text": lead[:2000],
        })
    out: list[tuple[int, int, str]] = []
    line = 1 + text.count("\n", 0, starts[0]) if starts else 1
    for i, s in enumerate(starts):
        e = starts[i + 1] if i + 1 < len(starts) else len(text)
        raw = text[s:e]
        out.append((i + 1, line, raw))
        line += raw.count("\n")
    return out, faults


def _close_nested(raw: str, start: int, bid: str, opened_at: int) -> int:
    """Index just past the '}' closing a block whose content starts at ``start``."""
    depth = 1
    pos = start
    while True:
        m = _BRACE.search(raw, pos)
        if m is None:
            raise MtError("unbalanced_block", f"block {{{bid}: opened at offset {opened_at} is never closed "
                                              "(a '{' without its '}')")
        depth += 1 if m.group() == "{" else -1
        pos = m.end()
        if depth == 0:
            return pos


def parse_blocks(raw: str) -> dict[str, str]:
    """Blocks of one message by id, with the structure checked (raises :class:`MtError`)."""
    blocks: dict[str, str] = {}
    order: list[str] = []
    pos = 0
    n = len(raw)
    while pos < n:
        ch = raw[pos]
        if ch in _SEPARATORS:
            pos += 1
            continue
        if ch == "}":
            raise MtError("unbalanced_block", f"a '}}' at offset {pos} closes no block")
        m = _BLOCK_ID.match(raw, pos)
        if m is None:
            raise MtError("bad_block", f"expected a block '{{n:' at offset {pos}, found {raw[pos:pos + 20]!r}")
        bid = m.group(1)
        if bid in blocks:
            raise MtError("bad_block", f"block {{{bid}: appears twice")
        if bid == "4":
            end = raw.find("\n-}", m.end())
            if end < 0:
                raise MtError("unterminated_block", "block {4: is not closed by a line '-}' (truncated message?)")
            content = raw[m.end():end + 1]
            if "{" in content or "}" in content:
                bad = content.find("{") if "{" in content else content.find("}")
                raise MtError("unbalanced_block", "block {4: contains a brace "
                              f"at line {content.count(chr(10), 0, bad) + 1} of the block")
            pos = end + 3
        else:
            close = _close_nested(raw, m.end(), bid, pos)
            content = raw[m.end():close - 1]
            pos = close
        blocks[bid] = content
        order.append(bid)
    for need in ("1", "2", "4"):
        if need not in blocks:
            raise MtError("missing_block", f"block {{{need}: is missing (blocks found: {', '.join(order) or 'none'})")
    numeric = [b for b in order if b.isdigit()]
    if numeric != sorted(numeric):
        raise MtError("bad_block", f"blocks out of order: {' '.join(numeric)} (expected 1 2 3 4 5)")
    return blocks


_FIELD_RE = re.compile(r"^:(\d{2}[A-Z]?):([^\n]*(?:\n(?!:)[^\n]*)*)", re.M)


def parse_block4(text: str, first_line: int) -> tuple[list[MtField], MtNode]:
    """Fields of block 4 (flat, in order) and their 16R/16S sequence tree."""
    root = MtNode("")
    node = root
    fields: list[MtField] = []
    opened: list[int] = []
    line = first_line
    pos = 0
    for m in _FIELD_RE.finditer(text):
        start = m.start()
        if start != pos:
            gap = text[pos:start]
            if gap.strip():
                bad_line = line + gap.count("\n", 0, len(gap) - len(gap.lstrip()))
                raise MtError("bad_field", f"line {bad_line}: {gap.strip()[:40]!r} is not a ':TAG:value' field")
            line += gap.count("\n")
        pos = m.end()
        tag, value = m.group(1), m.group(2)
        ln = line
        nl = value.count("\n")
        line += nl
        if nl:
            value = value.rstrip("\n")
        if tag == "16R":
            child = MtNode(value.strip(), node)
            node.children.append(child)
            node = child
            opened.append(ln)
            continue
        if tag == "16S":
            name = value.strip()
            if node is root:
                raise MtError("unbalanced_sequence", f":16S:{name} at line {ln} closes no open sequence")
            if name != node.name:
                raise MtError("unbalanced_sequence", f":16S:{name} at line {ln} does not close sequence "
                              f"{node.name} opened by :16R:{node.name} at line {opened[-1]}")
            node = node.parent  # type: ignore[assignment]
            opened.pop()
            continue
        if len(value) > 5 and value[0] == ":" and value[5] == "/":
            rest = value[6:]
            slash = rest.find("/")
            if slash < 0:
                raise MtError("bad_field", f":{tag}:{value[:40]} at line {ln}: expected ':QUAL//data' or ':QUAL/DSS/data'")
            f = MtField(tag, value[1:5], rest[:slash], rest[slash + 1:], ln, node.name)
        else:
            f = MtField(tag, None, None, value, ln, node.name)
        fields.append(f)
        node.fields.append(f)
    tail = text[pos:]
    if tail.strip():
        raise MtError("bad_field", f"line {line}: {tail.strip()[:40]!r} is not a ':TAG:value' field")
    if node is not root:
        raise MtError("unbalanced_sequence", f"sequence {node.name} opened by :16R:{node.name} at line "
                      f"{opened[-1]} is never closed by :16S:{node.name}")
    return fields, root


class MtHeader(NamedTuple):
    """A message whose blocks and headers are well formed; block 4 still unparsed."""

    number: int
    line: int
    raw: str
    mt: str
    io: str
    sender: str
    receiver: str
    output_time: dt.datetime | None
    block4: str
    block4_line: int


def parse_header(number: int, line: int, raw: str) -> MtHeader:
    """Blocks and basic/application headers of one message (raises :class:`MtError`)."""
    text = raw.replace("\r\n", "\n") if "\r" in raw else raw
    blocks = parse_blocks(text)
    b1 = _B1.fullmatch(blocks["1"])
    if b1 is None:
        raise MtError("bad_header", f"block 1 {blocks['1']!r} is not a basic header "
                      "'F01' + 12-character logical terminal + session + sequence")
    b2 = blocks["2"]
    out_time: dt.datetime | None = None
    if b2.startswith("I"):
        m2 = _B2_IN.fullmatch(b2)
        if m2 is None:
            raise MtError("bad_header", f"block 2 {b2!r} is not an input application header 'I' + type + receiver")
        mt, io = m2.group(1), "I"
        sender, receiver = lt_to_bic(b1.group(3)), lt_to_bic(m2.group(2))
    elif b2.startswith("O"):
        m2 = _B2_OUT.fullmatch(b2)
        if m2 is None:
            raise MtError("bad_header", f"block 2 {b2!r} is not an output application header "
                          "'O' + type + time + MIR + date + time")
        mt, io = m2.group(1), "O"
        sender, receiver = lt_to_bic(m2.group(4)), lt_to_bic(b1.group(3))
        try:
            d6, t4 = m2.group(7), m2.group(8)
            yy = int(d6[:2])
            out_time = dt.datetime((1900 if yy >= 80 else 2000) + yy, int(d6[2:4]), int(d6[4:6]), int(t4[:2]), int(t4[2:]))
        except ValueError as exc:
            raise MtError("invalid_date", f"block 2 output date/time {m2.group(7)}{m2.group(8)} is not a date") from exc
    else:
        raise MtError("bad_header", f"block 2 {b2[:20]!r} must start with 'I' or 'O'")
    # block 4 starts on the line of '{4:'
    b4_line = line + text.count("\n", 0, text.find("{4:"))
    return MtHeader(number, line, raw, mt, io, sender, receiver, out_time, blocks["4"], b4_line)


def parse_message(number: int, line: int, raw: str) -> MtMessage:
    """Parse one raw message; raises :class:`MtError` naming what is broken."""
    h = parse_header(number, line, raw)
    fields, tree = parse_block4(h.block4, h.block4_line)
    return MtMessage(number, line, raw, h.mt, h.io, h.sender, h.receiver, h.output_time, fields, tree,
                     index_fields(fields))


# --- field values ---------------------------------------------------------------------------


Index = dict[tuple[str, str | None], list[MtField]]


def index_fields(fields: Iterable[MtField]) -> Index:
    """Fields by (tag, qualifier), each list in message order."""
    idx: Index = {}
    for f in fields:
        idx.setdefault((f.tag, f.qualifier), []).append(f)
    return idx


def _first(idx: Index, specs: Sequence[FieldSpec]) -> MtField | None:
    for tag, qual, seqs in specs:
        for f in idx.get((tag, qual), ()):
            if seqs is None or f.seq in seqs:
                return f
    return None


def _fmt(f: MtField) -> str:
    q = f":{f.qualifier}/{f.dss}/" if f.qualifier else ""
    return f":{f.tag}:{q}{f.value}"


def field_date(f: MtField) -> tuple[str, dt.datetime]:
    """98A/98C/98E -> ISO date and datetime; a date must be a real date in 1900-2099."""
    v = f.value
    long = f.tag != "98A"
    digits = v[:14] if long else v[:8]
    try:
        if not digits.isdigit() or len(digits) != (14 if long else 8):
            raise ValueError(digits)
        d = dt.datetime(int(digits[:4]), int(digits[4:6]), int(digits[6:8]),
                        *((int(digits[8:10]), int(digits[10:12]), int(digits[12:14])) if long else ()))
    except ValueError as exc:
        raise MtError("invalid_date", f"{_fmt(f)} at line {f.line} is not a valid date "
                      f"(expected {'YYYYMMDDHHMMSS' if long else 'YYYYMMDD'})") from exc
    if not 1900 <= d.year <= 2099:
        raise MtError("invalid_date", f"{_fmt(f)} at line {f.line} is not a valid date "
                      f"(year {d.year} outside 1900-2099)")
    return d.date().isoformat(), d


def swift_decimal(text: str, f: MtField) -> str:
    """SWIFT decimal ``1234,5`` -> ``1234.5`` (string, exact)."""
    if not _DEC.fullmatch(text):
        raise MtError("bad_decimal", f"{_fmt(f)} at line {f.line}: {text!r} is not a SWIFT decimal (digits and one comma)")
    whole, frac = text.split(",")
    return whole + ("." + frac if frac else "")


def field_quantity(f: MtField) -> str:
    """36B ``UNIT/1000,`` or ``FAMT/31000000,`` -> decimal string."""
    kind, _, num = f.value.partition("/")
    if kind not in ("UNIT", "FAMT", "AMOR", "DIGI") or not num:
        raise MtError("bad_field", f"{_fmt(f)} at line {f.line}: expected UNIT|FAMT|AMOR/quantity")
    return swift_decimal(num, f)


def field_amount(f: MtField) -> tuple[str, str]:
    """19A ``[N]EUR1234,5`` -> (currency, absolute amount)."""
    v = f.value[1:] if f.value.startswith("N") else f.value
    ccy, num = v[:3], v[3:]
    if not (ccy.isalpha() and ccy.isupper()):
        raise MtError("bad_field", f"{_fmt(f)} at line {f.line}: expected a currency code then an amount")
    return ccy, swift_decimal(num, f)


def field_price(f: MtField) -> tuple[str | None, str]:
    """90A ``PRCT/101,5`` or 90B ``ACTU/EUR11,11`` -> (currency or None, price)."""
    _, _, rest = f.value.partition("/")
    if f.tag == "90B":
        return rest[:3], swift_decimal(rest[3:], f)
    return None, swift_decimal(rest, f)


def field_isin(f: MtField) -> str | None:
    first = f.value.split("\n", 1)[0].strip()
    if first.startswith("ISIN "):
        return first[5:].strip()
    return None


def _add(*vals: str | None) -> str | None:
    if any(v is None for v in vals):
        return None
    total = sum((Decimal(v) for v in vals if v is not None), Decimal(0))
    return format(total.normalize(), "f") if total == total.to_integral() else format(total, "f")


# --- mapping to canonical rows ----------------------------------------------------------------


@dataclass(frozen=True)
class MtContext:
    """What the mapping needs from the file and configuration."""

    file_date: str
    file_datetime: dt.datetime
    custodians: Mapping[str, str]
    our_bics: frozenset[str]


def _custodian(msg: MtMessage, instruction: bool, ctx: MtContext) -> tuple[str, str]:
    """(custodian name or BIC, the account servicer's BIC)."""
    sender, receiver = msg.sender or "", msg.receiver or ""
    bic = receiver if instruction else sender
    if ctx.our_bics and bic in ctx.our_bics:  # the configured "us" is never the custodian
        bic = sender if bic == receiver else receiver
    return ctx.custodians.get(bic) or ctx.custodians.get(bic[:8]) or bic, bic


def _statuses(stats: Iterable[MtNode]) -> tuple[str | None, str | None, str | None, list[str]]:
    """(status, reason_code, reason_text, unknown codes) from STAT sequences (highest rank wins)."""
    best: tuple[int, int, str, str | None, str | None] | None = None
    unknown: list[str] = []
    for st in stats:
        f25 = next((f for f in st.fields if f.tag == "25D"), None)
        if f25 is None or f25.qualifier is None:
            continue
        code = f25.value.strip()
        status = STATUS_MAP.get((f25.qualifier, code))
        if status is None:
            unknown.append(f":25D::{f25.qualifier}//{code}")
            continue
        reason = text = None
        for reas in (c for c in st.children if c.name == "REAS"):
            for f in reas.fields:
                if f.tag == "24B" and reason is None:
                    reason = f.value.strip()
                elif f.tag == "70D" and text is None:
                    text = " ".join(x.strip() for x in f.value.split("\n") if x.strip())
        key = (STATUS_RANK[status], 1 if reason else 0)
        if best is None or key >= best[:2]:
            best = (key[0], key[1], status, reason, text)
    if best is None:
        return None, None, None, unknown
    return best[2], best[3], best[4], unknown


def _base_row(msg: MtMessage, flat: Index, ctx: MtContext) -> dict[str, Any]:
    """Columns common to every message type, read from ``flat`` (the fields that apply)."""
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row["message_type"] = f"MT{msg.mt}"
    row["src_line"] = msg.number
    row["_raw"] = msg.raw
    seme = _first(flat, FIELD_MAP["seme"]) or _first(msg.idx, FIELD_MAP["seme"])
    row["src_ref"] = seme.value.strip() if seme else None
    f = _first(flat, FIELD_MAP["isin"])
    if f is not None:
        row["isin"] = field_isin(f)
    for col in ("trade_date", "intended_settle_date", "actual_settle_date"):
        f = _first(flat, FIELD_MAP[col])
        if f is not None:
            row[col] = field_date(f)[0]
    f = _first(flat, FIELD_MAP["deal_price"])
    price_ccy = None
    if f is not None:
        price_ccy, row["deal_price"] = field_price(f)
    for col in ("quantity", "settled_quantity", "prev_settled_quantity", "remaining_quantity"):
        f = _first(flat, FIELD_MAP[col])
        row[col] = field_quantity(f) if f is not None else None
    ccy = None
    for col in ("amount", "settled_amount", "prev_settled_amount", "remaining_amount"):
        f = _first(flat, FIELD_MAP[col])
        if f is not None:
            c, row[col] = field_amount(f)
            ccy = ccy or c
        else:
            row[col] = None
    row["currency"] = ccy or price_ccy
    f = _first(flat, FIELD_MAP["account_id"])
    row["account_id"] = f.value.strip() if f else None
    f = _first(flat, FIELD_MAP["pset"])
    row["place_of_settlement"] = f.value.strip() if f else None
    return row


def _known(msg: MtMessage, ctx: MtContext) -> tuple[str, dt.datetime]:
    f = _first(msg.idx, FIELD_MAP["prep"])
    if f is not None:
        d, t = field_date(f)
        if f.tag == "98A" and msg.output_time is not None and msg.output_time.date() == t.date():
            t = msg.output_time
        return d, t
    f = _first(msg.idx, FIELD_MAP["stat_date"])
    if f is not None:
        return field_date(f)
    if msg.output_time is not None:
        return msg.output_time.date().isoformat(), msg.output_time
    return ctx.file_date, ctx.file_datetime


def _ref(f: MtField | None) -> str | None:
    if f is None:
        return None
    v = f.value.strip()
    return None if v in ("", "NONREF") else v


def _map_single(msg: MtMessage, ctx: MtContext) -> dict[str, Any]:
    """MT540-548: one row per message."""
    flat = msg.idx
    row = _base_row(msg, flat, ctx)
    row["known_date"], when = _known(msg, ctx)
    row["_when"] = when
    fn_f = _first(flat, FIELD_MAP["function"])
    function = fn_f.value.split("/")[0].strip() if fn_f else "NEWM"
    seme, rela = row["src_ref"], _ref(_first(flat, FIELD_MAP["rela"]))
    asrf, trrf = _ref(_first(flat, FIELD_MAP["asrf"])), _ref(_first(flat, FIELD_MAP["trrf"]))
    prev = _ref(_first(flat, FIELD_MAP["prev"]))
    mt = msg.mt
    instruction = mt in ("540", "541", "542", "543")
    if seme is None:
        raise MtError("missing_field", "mandatory :20C::SEME// (sender's message reference) is missing in GENL")
    if instruction:
        own = prev if function == "CANC" and prev else seme
        if function == "CANC" and not prev:
            raise MtError("missing_field", "a cancellation (:23G:CANC) must name the cancelled instruction in :20C::PREV//")
        row["settlement_id"] = own
        row["trade_ref"] = rela or trrf or own
        row["status"] = "CANCELLED" if function == "CANC" else "PENDING"
        row["direction"], row["payment"] = TYPE_DIRECTION[mt]
        if function == "CANC":
            row["reason_text"] = f"instruction {own} cancelled by {seme}"
    else:
        row["settlement_id"] = asrf or rela or seme
        row["trade_ref"] = rela or trrf
        if mt in TYPE_DIRECTION:  # confirmations MT544-547
            row["direction"], row["payment"] = TYPE_DIRECTION[mt]
            pars = _first(flat, FIELD_MAP["pars"])
            partial = pars is not None and pars.value.strip() == "PAIN"
            if function in ("CANC", "RVSL"):
                row["status"] = "PENDING"
                row["reason_text"] = f"settlement confirmation reversed (23G:{function})"
            else:
                row["status"] = "PARTIAL" if partial else "SETTLED"
            est_q = row["settled_quantity"]
            if est_q is None:
                raise MtError("missing_field", "a settlement confirmation needs :36B::ESTT// (quantity settled)")
            if row["prev_settled_quantity"]:
                row["settled_quantity"] = _add(est_q, row["prev_settled_quantity"])
            if row["settled_amount"] is not None and row["prev_settled_amount"]:
                row["settled_amount"] = _add(row["settled_amount"], row["prev_settled_amount"])
            if row["quantity"] is None:
                row["quantity"] = (_add(row["settled_quantity"], row["remaining_quantity"])
                                   if row["remaining_quantity"] else
                                   (None if partial else row["settled_quantity"]))
            if row["amount"] is None and row["settled_amount"] is not None:
                row["amount"] = (_add(row["settled_amount"], row["remaining_amount"])
                                 if row["remaining_amount"] else
                                 (None if partial else row["settled_amount"]))
        else:  # MT548
            stats = list(msg.tree.find_all("STAT"))
            status, reason, text, unknown = _statuses(stats)
            if status is None:
                raise MtError("unknown_status", "no known settlement status in the message"
                              + (f" (found {', '.join(unknown)})" if unknown else " (no :25D: status)"))
            row["status"], row["reason_code"], row["reason_text"] = status, reason, text
            _nothing_settled(row)
            _direction_from_fields(row, flat)
    _counterparty(row, flat)
    row["custodian"], row["_custodian_bic"] = _custodian(msg, instruction, ctx)
    return row


def _nothing_settled(row: dict[str, Any]) -> None:
    """A status advice reports an instruction not settled (yet): settled quantity 0 (and settled
    amount 0 when it has an amount), unless it says otherwise."""
    if row["settled_quantity"] is None:
        row["settled_quantity"] = "0"
    if row["settled_amount"] is None and row["amount"] is not None:
        row["settled_amount"] = "0"


def _direction_from_fields(row: dict[str, Any], flat: Index) -> None:
    rede = _first(flat, FIELD_MAP["rede"])
    paym = _first(flat, FIELD_MAP["paym"])
    link = _first(flat, FIELD_MAP["link_type"])
    linked = TYPE_DIRECTION.get(link.value.strip()[-3:]) if link else None
    if rede is not None:
        row["direction"] = REDE.get(rede.value.strip())
    elif linked:
        row["direction"] = linked[0]
    if paym is not None:
        row["payment"] = paym.value.strip()
    elif linked:
        row["payment"] = linked[1]
    if row["direction"] is None:
        raise MtError("missing_field", "direction unknown: no :22H::REDE//RECE|DELI and no linked "
                      "instruction type :13A::LINK//540..543")
    if row["payment"] not in ("APMT", "FREE"):
        row["payment"] = "APMT" if row["payment"] is None else row["payment"]


def _counterparty(row: dict[str, Any], flat: Index) -> None:
    """Counterparty = the other side: the seller when we receive, the buyer when we deliver."""
    if row["direction"] == "RECEIVE":
        f = _first(flat, FIELD_MAP["sell"]) or _first(flat, FIELD_MAP["deag"])
    else:
        f = _first(flat, FIELD_MAP["buyr"]) or _first(flat, FIELD_MAP["reag"])
    row["counterparty_bic"] = f.value.strip() if f else None


def _map_statement(msg: MtMessage, ctx: MtContext) -> list[dict[str, Any]]:
    """MT537: one row per TRAN sequence, with fields from the TRAN and its enclosing sequences
    (nearest first, never one that also encloses another transaction)."""
    trans = list(msg.tree.find_all("TRAN"))
    if not trans:
        raise MtError("no_transactions", "MT537 statement lists no transaction (no TRAN sequence): "
                      "nothing to load")
    known, when = _known(msg, ctx)
    rows = []
    for tran in trans:
        fields: list[MtField] = list(tran.walk_fields())
        seen = {id(f) for f in fields}
        node = tran.parent
        while node is not None and node.name and sum(1 for _ in node.find_all("TRAN")) == 1:
            fields.extend(f for f in node.walk_fields() if id(f) not in seen)
            seen = {id(f) for f in fields}
            node = node.parent
        scope = index_fields(fields)
        row = _base_row(msg, scope, ctx)
        row["known_date"], row["_when"] = known, when
        asrf, rela = _ref(_first(scope, FIELD_MAP["asrf"])), _ref(_first(scope, FIELD_MAP["rela"]))
        acow, miti = _ref(_first(scope, FIELD_MAP["acow"])), _ref(_first(scope, FIELD_MAP["miti"]))
        row["settlement_id"] = asrf or rela or acow or miti
        row["trade_ref"] = rela or acow
        if row["settlement_id"] is None:
            raise MtError("missing_field", f"MT537 transaction at line {fields[0].line if fields else '?'} "
                          "has no reference (ASRF, RELA, ACOW or MITI)")
        stats = [c for c in tran.children if c.name == "STAT"]
        if not stats:  # statement by status: the enclosing STAT
            p = tran.parent
            while p is not None and not stats:
                stats = [p] if p.name == "STAT" else []
                p = p.parent
        status, reason, text, unknown = _statuses(stats)
        if status is None:
            raise MtError("unknown_status", "MT537 transaction without a known status"
                          + (f" (found {', '.join(unknown)})" if unknown else ""))
        row["status"], row["reason_code"], row["reason_text"] = status, reason, text
        _nothing_settled(row)
        _direction_from_fields(row, scope)
        _counterparty(row, scope)
        row["custodian"], row["_custodian_bic"] = _custodian(msg, False, ctx)
        rows.append(row)
    return rows


def map_message(msg: MtMessage, ctx: MtContext) -> list[dict[str, Any]]:
    """Canonical candidate rows of one parsed message (raises :class:`MtError`)."""
    if msg.mt not in SUPPORTED_TYPES:
        raise MtError("unsupported_message_type",
                      f"MT{msg.mt} carries no settlement (supported: MT537, MT540-MT548)")
    bad = []
    for f in msg.fields:
        if f.tag in _DATE_TAGS:
            try:
                field_date(f)
            except MtError:
                bad.append(f"{_fmt(f)} (line {f.line})")
    if bad:
        raise MtError("invalid_date", f"invalid date{'s' if len(bad) > 1 else ''} (expected a real YYYYMMDD "
                      f"date in 1900-2099): {', '.join(bad)}")
    if msg.mt == "537":
        return _map_statement(msg, ctx)
    return [_map_single(msg, ctx)]


def file_date(path: Path) -> tuple[str, dt.datetime]:
    m = _DATE_IN_NAME.search(path.name)
    if m:
        try:
            d = dt.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            return d.date().isoformat(), d
        except ValueError:
            pass
    try:
        d = dt.datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0)
    except OSError:  # text parsed without a file
        d = dt.datetime.now().replace(microsecond=0)
    return d.date().isoformat(), d


def swift_settings(cfg: Config) -> tuple[dict[str, str], frozenset[str]]:
    """``[swift.custodians]`` (BIC -> custodian name) and ``[swift] our_bics``."""
    sw = cfg.section("swift") if "swift" in cfg.data else {}
    cust = {str(k).upper(): str(v) for k, v in (sw.get("custodians") or {}).items()}
    ours = frozenset(str(b).upper() for b in (sw.get("our_bics") or []))
    return cust, ours


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInputError(f"cannot read the file: {exc}", path=str(path)) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def rows_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    schema = {c: (pl.Int64 if c in _INT_COLUMNS else pl.String) for c in COLUMNS}
    if not rows:
        return pl.DataFrame(schema=schema)
    return pl.DataFrame({c: [r.get(c) for r in rows] for c in COLUMNS}, schema=schema)


def with_seq(frame: pl.DataFrame) -> pl.DataFrame:
    """``seq`` from ``_when``, set-based: seconds since 2000-01-01, made strictly increasing per
    settlement within the file (in time order, file order for equal times):
    ``seq_i = max(base_i, seq_(i-1) + 1)``, i.e. ``rank + cummax(base - rank)``. Rows keep their order."""
    base = ((pl.col("_when") - pl.lit(_EPOCH)).dt.total_seconds()).cast(pl.Int64)
    rank = pl.col("_rank")
    return (frame.with_columns(_base=base, _ord=pl.int_range(pl.len()))
            .sort(["settlement_id", "_base", "_ord"], nulls_last=True)
            .with_columns(_rank=pl.int_range(pl.len()).over("settlement_id"))
            .with_columns(seq=rank + (pl.col("_base") - rank).cum_max().over("settlement_id"))
            .sort("_ord")
            .drop("_base", "_ord", "_rank", "_when"))


def parse_text(text: str, path: Path, cfg: Config, feed: str = "mt54x") -> Parsed:
    """Parse the text of an MT file into candidate rows and parse quarantine (see :func:`parse_texts`)."""
    return parse_texts([(text, path)], cfg, feed)[0]


_FILE_SHIFT = 1 << 24   # message keys across files: file index * 2**24 + message number


def parse_texts(items: Sequence[tuple[str, Path]], cfg: Config, feed: str = "mt54x") -> list[Parsed]:
    """Parse several MT files' texts, well-formed MT540-548 of all of them in one vectorised pass.

    ``[swift] parser``: ``auto`` (default) maps well-formed MT540-548 with the vectorised path of
    :mod:`connectors.swift_mt_fast` and everything else (MT537, and any message it flags) message
    by message; ``python``: every message by the per-message path. A file without any message is
    refused (BadInputError)."""
    from connectors.swift_mt_fast import VECTOR_TYPES, vector_rows

    cust, ours = swift_settings(cfg)
    vectorised = str(cfg.get("swift.parser", "auto")) == "auto"
    states: list[_FileState] = []
    headers: list[MtHeader] = []
    file_dts: list[dt.datetime] = []
    for fi, (text, path) in enumerate(items):
        messages, faults = split_messages(text)
        if not messages:
            raise BadInputError("no SWIFT FIN message in the file", path=str(path),
                                expected="messages starting with '{1:F01...}'",
                                found=repr(text.strip()[:40]) if text.strip() else "an empty file")
        fdate, fdt = file_date(path)
        state = _FileState(MtContext(fdate, fdt, cust, ours), [], list(faults), len(messages))
        states.append(state)
        for number, line, raw in messages:
            if not vectorised:
                _one_by_one(state, number, line, raw)
                continue
            try:
                h = parse_header(number, line, raw)
            except MtError:
                _one_by_one(state, number, line, raw)   # quarantined there with its reason
                continue
            if h.mt in VECTOR_TYPES:
                headers.append(h._replace(number=fi * _FILE_SHIFT + number))
                file_dts.append(fdt)
            else:
                _one_by_one(state, number, line, raw)
    chunk = int(cfg.get("swift.chunk_messages", 20_000))   # bounds the vectorised path's memory
    parts = []
    ctx0 = MtContext("", dt.datetime(2000, 1, 1), cust, ours)
    for start in range(0, len(headers), chunk):
        part, flagged = vector_rows(headers[start:start + chunk], ctx0, file_dts[start:start + chunk])
        if part.height:
            parts.append(part)
        for h in headers[start:start + chunk]:
            if h.number in flagged:
                fi, number = divmod(h.number, _FILE_SHIFT)
                _one_by_one(states[fi], number, h.line, h.raw)
    fast = pl.concat(parts, how="vertical") if parts else None
    if fast is not None:
        fast = fast.with_columns(_file=pl.col("src_line") // _FILE_SHIFT, src_line=pl.col("src_line") % _FILE_SHIFT)
    out = []
    for fi, state in enumerate(states):
        rows = state.rows
        slow = rows_frame(rows).with_columns(_when=pl.Series("_when", [r["_when"] for r in rows], dtype=pl.Datetime("us")))
        mine = fast.filter(pl.col("_file") == fi).drop("_file") if fast is not None else None
        frame = pl.concat([mine, slow], how="vertical") if mine is not None and mine.height else slow
        frame = with_seq(frame.sort("src_line", maintain_order=True))
        quarantine = state.quarantine
        quarantine.sort(key=lambda q: int(q["line_no"] or 0))  # type: ignore[call-overload]
        warnings = [f"{len(quarantine)} of {state.messages} MT messages quarantined"] if quarantine else []
        out.append(Parsed(feed=feed, tables={TABLE: frame}, quarantine=quarantine_frame(quarantine),
                          rows_read=frame.height + len(quarantine), warnings=warnings))
    return out


@dataclass
class _FileState:
    ctx: MtContext
    rows: list[dict[str, Any]]
    quarantine: list[dict[str, object]]
    messages: int


def _one_by_one(state: _FileState, number: int, line: int, raw: str) -> None:
    """The per-message path: rows into ``state.rows`` or the reason into its quarantine."""
    try:
        msg = parse_message(number, line, raw)
        state.rows.extend(map_message(msg, state.ctx))
    except MtError as exc:
        state.quarantine.append({
            "line_no": number, "record_ref": _seme_guess(raw), "target_table": TABLE, "rule": exc.rule,
            "reason": f"message {number} (line {line}): {exc.reason}", "raw_text": raw,
        })


_SEME_RE = re.compile(r":20C::SEME//([^\r\n]*)")


def _seme_guess(raw: str) -> str | None:
    m = _SEME_RE.search(raw)
    return m.group(1).strip() if m else None


def resolve_custodians(con: Any, parsed: Parsed, cfg: Config) -> Parsed:
    """Loader hook (inside the load's transaction): a custodian still named by its BIC (not in
    ``[swift.custodians]``) is renamed to ``ref_accounts.custodian`` of our account with that BIC
    (BIC11, else BIC8); a counterparty named only by its BIC gets the ``ref_counterparties`` id of
    that BIC (when one counterparty has it). Set-based: joins."""
    from engine import store

    frame = parsed.tables.get(TABLE)
    if frame is None or frame.height == 0 or "_custodian_bic" not in frame.columns:
        return parsed
    names = store.query_named(con, "backoffice/custodian_bics")
    bic = pl.col("_custodian_bic").str.to_uppercase()
    cps = store.query_named(con, "backoffice/counterparty_bics")
    if cps.height and "counterparty_bic" in frame.columns:
        frame = (frame.join(cps.rename({"bic": "counterparty_bic", "counterparty_id": "_cp"}), on="counterparty_bic",
                            how="left")
                 .with_columns(counterparty_id=pl.coalesce("counterparty_id", "_cp")).drop("_cp"))
    out = (
        frame.with_columns(_b11=bic, _b8=bic.str.slice(0, 8))
        .join(names.rename({"bic": "_b11", "custodian": "_c11"}), on="_b11", how="left")
        .join(names.rename({"bic": "_b8", "custodian": "_c8"}), on="_b8", how="left")
        .with_columns(
            custodian=pl.when(pl.col("custodian") == pl.col("_custodian_bic"))
            .then(pl.coalesce("_c11", "_c8", "custodian"))
            .otherwise(pl.col("custodian"))
        )
        .drop("_b11", "_b8", "_c11", "_c8")
    )
    tables = dict(parsed.tables)
    tables[TABLE] = out
    return Parsed(parsed.feed, tables, parsed.quarantine, parsed.rows_read, parsed.warnings)


_IDENT = re.compile(rb"\{1:[FAL]\d{2}[A-Z0-9]{12}")
_IDENT_TYPE = re.compile(rb"\{2:[IO](537|54[0-8])")


class MtConnector:
    """SWIFT ISO 15022 settlement messages: MT537, MT540-MT548 (FIN text, one or more per file)."""

    name = "mt54x"
    description = "SWIFT MT537/MT540-548 settlement messages (FIN blocks {1:}{2:}{4:})"
    #: load order among files of one load (loader): after reference and front-office data
    priority = 30

    def identify(self, path: Path, head: bytes, cfg: Config) -> str | None:
        body = head.lstrip(b"\xef\xbb\xbf \t\r\n\x01")
        if not body.startswith(b"{1:") or _IDENT.match(body) is None:
            return None
        return "mt54x" if _IDENT_TYPE.search(head) else None

    #: ``resolve`` only reads reference data, never rows of earlier files of the same feed, so
    #: files may be validated and committed together (a loader that honours this flag groups them).
    resolve_groupable = True

    def parse(self, path: Path, feed: str, cfg: Config) -> Parsed:
        return parse_text(read_text(path), path, cfg, feed)

    def parse_many(self, paths: Sequence[Path], feed: str, cfg: Config) -> list[Parsed]:
        """Several files in one vectorised pass (the loader's grouped load)."""
        return parse_texts([(read_text(p), p) for p in paths], cfg, feed)

    def resolve(self, con: Any, parsed: Parsed, cfg: Config) -> Parsed:
        return resolve_custodians(con, parsed, cfg)


# =============================================================================================
# Writer: MT540-543 instructions, MT544-547 confirmations, MT548 status advice
# =============================================================================================

_X_CHARS = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")


def x_text(value: object, width: int | None = None) -> str:
    """Text restricted to the SWIFT X character set (and a width)."""
    s = _X_CHARS.sub(" ", str(value)).strip()
    return s[:width] if width else s


def swift_ref(value: object) -> str:
    """A 16x reference: the value when it fits, else a stable 16-character digest of it."""
    s = str(value)
    if 0 < len(s) <= 16 and not _X_CHARS.search(s) and not s.startswith("/") and not s.endswith("/") and "//" not in s:
        return s
    return "MO" + hashlib.sha1(s.encode()).hexdigest()[:14].upper()


def swift_amount(value: object) -> str:
    """Decimal -> SWIFT decimal with a comma: ``1234.50`` -> ``1234,5``; ``100`` -> ``100,``."""
    d = Decimal(str(value))
    if d < 0:
        d = -d
    s = format(d.normalize(), "f") if d != d.to_integral() else str(int(d))
    whole, _, frac = s.partition(".")
    return f"{whole},{frac}"


def _d8(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y%m%d")
    if isinstance(value, dt.date):
        return value.strftime("%Y%m%d")
    return str(value).replace("-", "")[:8]


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def bic_lt(bic: str) -> str:
    """BIC8/BIC11 -> 12-character logical terminal address (terminal code 'A')."""
    b = bic.upper()
    return b[:8] + "A" + (b[8:11] if len(b) >= 11 else "XXX")


def render_message(mt: str, sender_bic: str, receiver_bic: str, fields: Sequence[tuple[str, str]],
                   *, io: str = "O", when: dt.datetime | None = None, session: int = 1, isn: int = 1) -> str:
    """A complete FIN message. ``io='O'``: as received by ``receiver`` (block 2 = output header with
    the sender's MIR); ``io='I'``: as sent by ``sender`` (block 2 = input header)."""
    when = when or dt.datetime(2000, 1, 1)
    body = "\n".join(f":{tag}:{val}" for tag, val in fields)
    if io == "I":
        b1 = f"F01{bic_lt(sender_bic)}{session:04d}{isn:06d}"
        b2 = f"I{mt}{bic_lt(receiver_bic)}N"
    else:
        b1 = f"F01{bic_lt(receiver_bic)}{session:04d}{isn:06d}"
        stamp = when.strftime("%y%m%d")
        hhmm = when.strftime("%H%M")
        b2 = f"O{mt}{hhmm}{stamp}{bic_lt(sender_bic)}{session:04d}{isn:06d}{stamp}{hhmm}N"
    return f"{{1:{b1}}}{{2:{b2}}}{{4:\n{body}\n-}}"


def _seq(name: str, inner: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("16R", name), *inner, ("16S", name)]


def _v(row: Mapping[str, Any], key: str) -> Any:
    v = row.get(key)
    return None if v is None or (isinstance(v, float) and v != v) else v


def _party_seqs(row: Mapping[str, Any], receive: bool) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    agent_bic = _v(row, "counterparty_agent_bic")
    if agent_bic:
        inner = [("95P", f":{'DEAG' if receive else 'REAG'}//{agent_bic}")]
        if _v(row, "counterparty_account"):
            inner.append(("97A", f":SAFE//{x_text(row['counterparty_account'], 35)}"))
        out += _seq("SETPRTY", inner)
    if _v(row, "counterparty_bic"):
        out += _seq("SETPRTY", [("95P", f":{'SELL' if receive else 'BUYR'}//{row['counterparty_bic']}")])
    if _v(row, "place_of_settlement"):
        out += _seq("SETPRTY", [("95P", f":PSET//{row['place_of_settlement']}")])
    return out


def _qty(row: Mapping[str, Any], qual: str, key: str) -> tuple[str, str]:
    kind = "FAMT" if str(_v(row, "quantity_type") or "UNIT").upper() == "FAMT" else "UNIT"
    return ("36B", f":{qual}//{kind}/{swift_amount(row[key])}")


def instruction_fields(row: Mapping[str, Any], when: dt.datetime) -> tuple[str, list[tuple[str, str]]]:
    """MT540-543 for one settlement instruction. ``row``: direction, payment, settlement_id (our
    instruction reference, SEME), trade_ref (TRRF link when it differs), isin, quantity, amount,
    currency, trade_date, intended_settle_date, deal_price, account_id, counterparty_bic,
    counterparty_agent_bic, counterparty_account, place_of_settlement, [quantity_type]."""
    receive = row["direction"] == "RECEIVE"
    free = row.get("payment") == "FREE"
    mt = {(True, True): "540", (True, False): "541", (False, True): "542", (False, False): "543"}[(receive, free)]
    seme = swift_ref(row["settlement_id"])
    genl: list[tuple[str, str]] = [("20C", f":SEME//{seme}"), ("23G", "NEWM"),
                                   ("98C", f":PREP//{when.strftime('%Y%m%d%H%M%S')}")]
    if _v(row, "trade_ref") and str(row["trade_ref"]) != str(row["settlement_id"]):
        genl += _seq("LINK", [("20C", f":TRRF//{swift_ref(row['trade_ref'])}")])
    trad: list[tuple[str, str]] = []
    if _v(row, "trade_date"):
        trad.append(("98A", f":TRAD//{_d8(row['trade_date'])}"))
    trad.append(("98A", f":SETT//{_d8(row['intended_settle_date'])}"))
    if _v(row, "deal_price") is not None and not free:
        trad.append(("90B", f":DEAL//ACTU/{row['currency']}{swift_amount(row['deal_price'])}"))
    trad.append(("35B", f"ISIN {row['isin']}"))
    fiac = [_qty(row, "SETT", "quantity"), ("97A", f":SAFE//{x_text(row['account_id'], 35)}")]
    setdet: list[tuple[str, str]] = [("22F", ":SETR//TRAD"), *_party_seqs(row, receive)]
    if not free and _v(row, "amount") is not None:
        setdet += _seq("AMT", [("19A", f":SETT//{row['currency']}{swift_amount(row['amount'])}")])
    fields = _seq("GENL", genl) + _seq("TRADDET", trad) + _seq("FIAC", fiac) + _seq("SETDET", setdet)
    return mt, fields


def confirmation_fields(row: Mapping[str, Any], msg_ref: str, when: dt.datetime) -> tuple[str, list[tuple[str, str]]]:
    """MT544-547 for a SETTLED or PARTIAL bo_settlements row (trade_ref -> RELA, settlement_id ->
    ASRF, settled quantity/amount -> ESTT, the rest of a partial -> RSTT with PARS//PAIN)."""
    receive = row["direction"] == "RECEIVE"
    free = row.get("payment") == "FREE"
    mt = {(True, True): "544", (True, False): "545", (False, True): "546", (False, False): "547"}[(receive, free)]
    linked = {"544": "540", "545": "541", "546": "542", "547": "543"}[mt]
    genl = [("20C", f":SEME//{swift_ref(msg_ref)}"), ("23G", "NEWM"),
            ("98C", f":PREP//{when.strftime('%Y%m%d%H%M%S')}")]
    genl += _links(row, linked)
    trad: list[tuple[str, str]] = []
    if _v(row, "trade_date"):
        trad.append(("98A", f":TRAD//{_d8(row['trade_date'])}"))
    if _v(row, "intended_settle_date"):
        trad.append(("98A", f":SETT//{_d8(row['intended_settle_date'])}"))
    trad.append(("98A", f":ESET//{_d8(row.get('actual_settle_date') or row['intended_settle_date'])}"))
    if _v(row, "deal_price") is not None and _v(row, "currency"):
        trad.append(("90B", f":DEAL//ACTU/{row['currency']}{swift_amount(row['deal_price'])}"))
    trad.append(("35B", f"ISIN {row['isin']}"))
    partial = row.get("status") == "PARTIAL"
    fiac = [_qty(row, "ESTT", "settled_quantity")]
    if partial and _v(row, "quantity") is not None:
        rest = Decimal(str(row["quantity"])) - Decimal(str(row["settled_quantity"]))
        if rest > 0:
            fiac.append(_qty({**row, "_rest": rest}, "RSTT", "_rest"))
    if _v(row, "account_id"):
        fiac.append(("97A", f":SAFE//{x_text(row['account_id'], 35)}"))
    setdet: list[tuple[str, str]] = [("22F", ":SETR//TRAD")]
    if partial:
        setdet.append(("22F", ":PARS//PAIN"))
    setdet += _party_seqs(row, receive)
    if not free and _v(row, "settled_amount") is not None and _v(row, "currency"):
        amt = [("19A", f":ESTT//{row['currency']}{swift_amount(row['settled_amount'])}")]
        if partial and _v(row, "amount") is not None:
            rest_a = Decimal(str(row["amount"])) - Decimal(str(row["settled_amount"]))
            if rest_a > 0:
                amt.append(("19A", f":RSTT//{row['currency']}{swift_amount(rest_a)}"))
        setdet += _seq("AMT", amt)
    return mt, _seq("GENL", genl) + _seq("TRADDET", trad) + _seq("FIAC", fiac) + _seq("SETDET", setdet)


def _links(row: Mapping[str, Any], linked: str) -> list[tuple[str, str]]:
    """LINK sequences: RELA = our reference (``trade_ref``; NONREF when the custodian has none),
    ASRF = the custodian's settlement id when it differs."""
    trade_ref = _v(row, "trade_ref")
    rela = swift_ref(trade_ref) if trade_ref else "NONREF"
    out = _seq("LINK", [("13A", f":LINK//{linked}"), ("20C", f":RELA//{rela}")])
    if str(row["settlement_id"]) != str(trade_ref):
        out += _seq("LINK", [("20C", f":ASRF//{swift_ref(row['settlement_id'])}")])
    return out


#: canonical status -> the 25D statuses an MT548 carries for it (the reason goes on the last one).
STATUS_TO_25D: dict[str, tuple[tuple[str, str], ...]] = {
    "REJECTED": (("IPRC", "REJT"),),
    "PENDING": (("IPRC", "PACK"), ("SETT", "PEND")),
    "MATCHED": (("IPRC", "PACK"), ("MTCH", "MACH")),
    "FAILING": (("MTCH", "MACH"), ("SETT", "PENF")),
    "UNMATCHED": (("IPRC", "PACK"), ("MTCH", "NMAT")),
    "CANCELLED": (("IPRC", "CAND"),),
}


def status_fields(row: Mapping[str, Any], msg_ref: str, when: dt.datetime) -> tuple[str, list[tuple[str, str]]]:
    """MT548 for a PENDING/MATCHED/FAILING/UNMATCHED/CANCELLED bo_settlements row."""
    receive = row["direction"] == "RECEIVE"
    free = row.get("payment") == "FREE"
    linked = {(True, True): "540", (True, False): "541", (False, True): "542", (False, False): "543"}[(receive, free)]
    genl = [("20C", f":SEME//{swift_ref(msg_ref)}"), ("23G", "INST"),
            ("98C", f":PREP//{when.strftime('%Y%m%d%H%M%S')}")]
    genl += _links(row, linked)
    codes = STATUS_TO_25D[str(row["status"])]
    for i, (qual, code) in enumerate(codes):
        inner: list[tuple[str, str]] = [("25D", f":{qual}//{code}")]
        if i == len(codes) - 1 and _v(row, "reason_code"):
            reas = [("24B", f":{code}//{x_text(row['reason_code'], 4)}")]
            if _v(row, "reason_text"):
                reas.append(("70D", f":REAS//{x_text(row['reason_text'], 35)}"))
            inner += _seq("REAS", reas)
        genl += _seq("STAT", inner)
    st: list[tuple[str, str]] = [("35B", f"ISIN {row['isin']}")]
    if _v(row, "quantity") is not None:
        st.append(_qty(row, "SETT", "quantity"))
    if not free and _v(row, "amount") is not None and _v(row, "currency"):
        st.append(("19A", f":SETT//{row['currency']}{swift_amount(row['amount'])}"))
    st.append(("97A", f":SAFE//{x_text(row.get('account_id') or 'UNKNOWN', 35)}"))
    st += [("22F", ":SETR//TRAD"), ("22H", f":REDE//{'RECE' if receive else 'DELI'}"),
           ("22H", f":PAYM//{'FREE' if free else 'APMT'}")]
    if _v(row, "intended_settle_date"):
        st.append(("98A", f":SETT//{_d8(row['intended_settle_date'])}"))
    if _v(row, "trade_date"):
        st.append(("98A", f":TRAD//{_d8(row['trade_date'])}"))
    st += _party_seqs(row, receive)
    return "548", _seq("GENL", genl) + _seq("SETTRAN", st)


def settlement_message(row: Mapping[str, Any], *, custodian_bic: str, our_bic: str, msg_no: int,
                       when: dt.datetime | None = None) -> str:
    """One MT544-548 message, from the custodian to us, for a bo_settlements-shaped row."""
    when = when or dt.datetime.combine(_as_date(row["known_date"]), dt.time(0, 0)) + dt.timedelta(
        seconds=min(int(row.get("seq") or 0), 86399))
    msg_ref = f"{when.strftime('%y%m%d')}{msg_no:010d}"
    if row["status"] in ("SETTLED", "PARTIAL"):
        mt, fields = confirmation_fields(row, msg_ref, when)
    else:
        mt, fields = status_fields(row, msg_ref, when)
    return render_message(mt, custodian_bic, our_bic, fields, io="O", when=when, isn=msg_no % 1_000_000)


def write_settlements_mt(frame: pl.DataFrame, path: Path, *, custodian_bic: str, our_bic: str) -> int:
    """Write a bo_settlements-shaped frame as MT544-548 messages (one file). Returns messages written."""
    rows = frame.to_dicts()
    text = "\n".join(settlement_message(r, custodian_bic=custodian_bic, our_bic=our_bic, msg_no=i + 1)
                     for i, r in enumerate(rows))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + ("\n" if text else ""), encoding="ascii", errors="replace")
    return len(rows)


def write_instructions_mt(rows: Sequence[Mapping[str, Any]], path: Path, *, our_bic: str, when: dt.datetime) -> int:
    """Write MT540-543 instructions (input messages from us to each row's ``custodian_bic``)."""
    msgs = []
    for i, r in enumerate(rows):
        mt, fields = instruction_fields(r, when)
        msgs.append(render_message(mt, our_bic, str(r["custodian_bic"]), fields, io="I", isn=i + 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(msgs) + ("\n" if msgs else ""), encoding="ascii", errors="replace")
    return len(msgs)


def write_sample_settlements_mt(frame: pl.DataFrame, path: Path, table: str) -> None:
    """Sample-world feed writer (``FEED_WRITERS["MT54X"]``): one custodian's bo_settlements records
    of a day as MT544-547 confirmations and MT548 status advices, from the custodian's BIC
    (``sample_world.conventions.CUSTODIAN_BICS``) to ours (``[swift] our_bics`` default)."""
    from connectors.sample_world.conventions import CUSTODIAN_BICS

    if table != TABLE:
        raise ValueError(f"the MT54X writer carries bo_settlements only, not {table}")
    custodians = frame["custodian"].unique().to_list() if frame.height else []
    if len(custodians) > 1:
        raise ValueError(f"one custodian per MT file, found {custodians}")
    if frame.height == 0:   # a custodian sends no message on a day with nothing to report
        return
    bic = CUSTODIAN_BICS.get(custodians[0], "CUSTXXXXXXX")
    write_settlements_mt(frame, path, custodian_bic=bic, our_bic=SAMPLE_OUR_BIC)


#: Our BIC in the sample world (the default ``[swift] our_bics``).
SAMPLE_OUR_BIC = "MIDOUS33XXX"

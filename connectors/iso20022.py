"""ISO 20022 securities settlement: sese.023 instructions, sese.024 status advice, sese.025
confirmations (connector + writer), and the XML helpers shared with :mod:`connectors.camt`.

A file holds a ``Document`` alone, or inside a business application header pair (``AppHdr``
head.001 + ``Document``) and any envelope (SWIFT ``Envelope``, head.003 ``RequestPayload``, a
``<message>`` wrapper, or our batch wrapper ``BizMsgBatch``). Documents are found by local name and
by namespace prefix (``urn:iso:std:iso:20022:tech:xsd:sese.025.001.*``), so every message version is
read by the same code; elements are addressed by local names within the document's namespace.

Each document is validated against ``<xsd_dir>/<msg_def>.xsd`` when that file exists
(``[iso20022] xsd_dir``, default ``../shared/samples/xsd`` relative to the repository): an invalid
document is quarantined with the schema errors (``[iso20022] on_invalid = "warn"`` loads it with a
warning instead). A version with no XSD at hand is loaded with a recorded warning.

Canonical values (``bo_settlements``), one row per document:

- ``direction``: ``SctiesMvmntTp`` RECE -> RECEIVE, DELI -> DELIVER; ``payment``: ``Pmt`` APMT|FREE.
- ``settlement_id``: sese.023 ``TxId``; sese.024/025 ``AcctSvcrTxId`` (the custodian's
  transaction id) else ``AcctOwnrTxId`` (so status advices and confirmations about one instruction
  land on the same settlement). ``trade_ref``: ``AcctOwnrTxId`` (sese.023: ``TxId``); ``NONREF``
  reads as no reference.
- A status advice (sese.024) reports nothing settled: ``settled_quantity`` 0 (``settled_amount``
  0 when it has an amount).
- ``status``: sese.023 PENDING; sese.025 SETTLED, or PARTIAL when ``AddtlParams/PrtlSttlm`` is
  PAIN (PARC, the last part, -> SETTLED); sese.024 from :data:`SESE024_STATUS` (highest
  :data:`connectors.swift_mt.STATUS_RANK` wins), ``reason_code`` the reason's code (``Cd/Cd`` or
  ``Cd/Prtry/Id``), ``reason_text`` its ``AddtlRsnInf``.
- Partial settlement: ``settled_quantity`` = ``SttldQty`` + ``PrevslySttldQty``; ``quantity`` =
  settled + ``RmngToBeSttldQty`` when given (a full settlement: the settled quantity); amounts alike.
- ``known_date``/``seq``: the AppHdr ``CreDt`` (else the file's date); ``seq`` as for MT messages
  (seconds since 2000-01-01, see :mod:`connectors.swift_mt`).
- ``custodian``: the AppHdr sender (``Fr``; the receiver ``To`` for a sese.023 we sent), mapped by
  ``[swift.custodians]``; without an AppHdr ``[iso20022] default_custodian`` (default ``UNKNOWN``).
- ``src_line``: the line of the ``Document`` element; ``src_ref``: ``BizMsgIdr`` (else the id).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from lxml import etree

from connectors.base import Parsed, quarantine_frame
from connectors.swift_mt import (
    STATUS_RANK,
    file_date,
    resolve_custodians,
    rows_frame,
    swift_settings,
    with_seq,
)
from engine.config import Config
from engine.errors import BadInputError

log = logging.getLogger(__name__)

TABLE = "bo_settlements"
ISO_NS = "urn:iso:std:iso:20022:tech:xsd:"
HEAD_PREFIX = ISO_NS + "head.001"
BATCH_NS = "urn:midoffice:xsd:batch"
_REPO = Path(__file__).resolve().parents[1]
_DEFAULT_XSD_DIR = "../shared/samples/xsd"

#: sese.024 status (parent element, chosen status element) -> canonical status.
SESE024_STATUS: dict[tuple[str, str], str] = {
    ("PrcgSts", "AckdAccptd"): "PENDING",
    ("PrcgSts", "PdgPrcg"): "PENDING",
    ("PrcgSts", "Rpr"): "PENDING",
    ("PrcgSts", "PdgCxl"): "PENDING",
    ("PrcgSts", "CxlReqd"): "PENDING",
    ("PrcgSts", "ModReqd"): "PENDING",
    ("PrcgSts", "Prtry"): "PENDING",
    ("PrcgSts", "Rjctd"): "REJECTED",    # rejected: will not settle (reason kept)
    ("PrcgSts", "Canc"): "CANCELLED",
    ("MtchgSts", "Mtchd"): "MATCHED",
    ("MtchgSts", "Umtchd"): "UNMATCHED",
    ("MtchgSts", "Prtry"): "PENDING",
    ("SttlmSts", "Pdg"): "PENDING",
    ("SttlmSts", "Flng"): "FAILING",
    ("SttlmSts", "Prtry"): "PENDING",
}


# =============================================================================================
# Shared XML helpers (also used by connectors.camt)
# =============================================================================================


def local(el: etree._Element) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def namespace(el: etree._Element) -> str:
    tag = el.tag
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)


def read_xml(path: Path) -> etree._Element:
    """Parse a file safely (no entities, no network); a file lxml cannot read is refused."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInputError(f"cannot read the file: {exc}", path=str(path)) from exc
    if not data.strip():
        raise BadInputError("the file is empty", path=str(path), expected="an ISO 20022 XML document",
                            found="no content")
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise BadInputError("not well-formed XML (truncated or corrupted file?)", path=str(path), line=line,
                            expected="a complete ISO 20022 XML document", found=str(exc.msg)) from exc


@dataclass
class IsoDoc:
    """One ISO 20022 Document found in a file."""

    element: etree._Element
    ns: str
    msg_def: str          # e.g. 'sese.025.001.09'
    kind: str             # e.g. 'sese.025'
    app_hdr: etree._Element | None

    @property
    def line(self) -> int:
        return int(self.element.sourceline or 0)

    def body(self) -> etree._Element | None:
        """The message element (the Document's only child)."""
        return next((c for c in self.element if isinstance(c.tag, str)), None)


def find_documents(root: etree._Element, kinds: Sequence[str]) -> list[IsoDoc]:
    """Every ``Document`` whose namespace is ``ISO_NS + kind + '.*'`` for one of ``kinds``, with
    the AppHdr that precedes it in the same wrapper (or the only AppHdr in the file)."""
    prefixes = tuple(ISO_NS + k + "." for k in kinds)
    docs: list[IsoDoc] = []
    hdrs = list(itertools.islice(root.iter("{*}AppHdr"), 2))   # enough to tell whether it is the only one
    for el in root.iter("{*}Document"):
        ns = namespace(el)
        if not ns.startswith(prefixes):
            continue
        if any(namespace(a).startswith(prefixes) for a in el.iterancestors("{*}Document")):
            continue
        msg_def = ns[len(ISO_NS):]
        kind = ".".join(msg_def.split(".")[:2])
        hdr = next(el.itersiblings("{*}AppHdr", preceding=True), None)
        if hdr is None and len(hdrs) == 1:
            hdr = hdrs[0]
        docs.append(IsoDoc(el, ns, msg_def, kind, hdr))
    return docs


@functools.lru_cache(maxsize=4096)
def _ns_path(ns: str, path: str) -> str:
    return "/".join(p if p in (".", "..") else f"{{{ns}}}{p}" for p in path.split("/"))


@functools.lru_cache(maxsize=4096)
def _ns_steps(ns: str, path: str) -> tuple[str, ...]:
    return tuple(f"{{{ns}}}{p}" for p in path.split("/"))


class Nav:
    """Find elements by local-name paths within one namespace (``Nav(ns).text(el, 'A/B')``)."""

    def __init__(self, ns: str) -> None:
        self.ns = ns

    def _path(self, path: str) -> str:
        return _ns_path(self.ns, path)

    def find(self, el: etree._Element | None, path: str) -> etree._Element | None:
        """The first element at ``path`` (child steps; faster than ElementPath for short paths)."""
        for tag in _ns_steps(self.ns, path):
            if el is None:
                return None
            el = next(el.iterchildren(tag), None)
        return el

    def findall(self, el: etree._Element | None, path: str) -> list[etree._Element]:
        return [] if el is None else el.findall(self._path(path))

    def text(self, el: etree._Element | None, path: str) -> str | None:
        e = self.find(el, path)
        if e is None or e.text is None:
            return None
        t = e.text.strip()
        return t or None

    def first_text(self, el: etree._Element | None, *paths: str) -> str | None:
        for p in paths:
            t = self.text(el, p)
            if t is not None:
                return t
        return None


class Paths:
    """The elements below one element by local-name path, found in one pass over its subtree.

    ``Paths(ns, el).text("A/B")`` equals ``Nav(ns).text(el, "A/B")``: each step is the first child
    of that name in namespace ``ns`` (no namespace when ``ns`` is ''), so below a later sibling
    of the same name, or below an element of another namespace, nothing is indexed, as no step
    reaches it. A lookup is then a dict get instead of a walk per call. The elements at the paths
    in ``stop`` are indexed without what is below them (parts the caller reads one by one).
    """

    __slots__ = ("first",)

    def __init__(self, ns: str, root: etree._Element | None, stop: frozenset[str] = frozenset()) -> None:
        self.first: dict[str, etree._Element] = {}
        if root is None:
            return
        first = self.first
        in_ns = f"{{{ns}}}*"
        skip = len(ns) + 2                       # the '{ns}' of a tag
        for top in root.iterchildren(in_ns):
            path = top.tag[skip:]
            if path in first:                    # a later sibling: skipped with all below it
                continue
            first[path] = top
            if path in stop:
                continue
            base = {top: path + "/"}             # indexed element -> its path + '/'
            for el in top.iterdescendants(in_ns):   # document order, parents first
                parent = base.get(el.getparent())
                if parent is None:
                    continue
                path = parent + el.tag[skip:]
                if path not in first:
                    first[path] = el
                    if path not in stop:
                        base[el] = path + "/"

    def find(self, path: str) -> etree._Element | None:
        return self.first.get(path)

    def text(self, path: str) -> str | None:
        e = self.first.get(path)
        if e is None or e.text is None:
            return None
        return e.text.strip() or None

    def first_text(self, *paths: str) -> str | None:
        for p in paths:
            t = self.text(p)
            if t is not None:
                return t
        return None


class IsoValueError(Exception):
    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(reason)
        self.rule, self.reason = rule, reason


_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_date(text: str | None, what: str) -> str | None:
    """ISODate or ISODateTime text -> ISO date string (validated)."""
    if text is None:
        return None
    d = text[:10]
    try:
        if not _DATE_RE.fullmatch(d):
            raise ValueError(d)
        dt.date.fromisoformat(d)
    except ValueError as exc:
        raise IsoValueError("invalid_date", f"{what} {text!r} is not a valid date (expected YYYY-MM-DD)") from exc
    return d


def iso_datetime(text: str | None) -> dt.datetime | None:
    """ISODateTime -> naive datetime in its own local time (time zone dropped)."""
    if not text:
        return None
    t = re.sub(r"(Z|[+-]\d{2}:\d{2})$", "", text.strip())
    t = t.split(".")[0]
    try:
        return dt.datetime.fromisoformat(t) if "T" in t else dt.datetime.fromisoformat(t[:10])
    except ValueError:
        return None


def iso_decimal(text: str | None, what: str) -> str | None:
    if text is None:
        return None
    try:
        Decimal(text)
    except Exception as exc:
        raise IsoValueError("bad_decimal", f"{what} {text!r} is not a decimal number") from exc
    if not re.fullmatch(r"-?\d+(\.\d+)?", text):
        raise IsoValueError("bad_decimal", f"{what} {text!r} is not a decimal number")
    return text


def xsd_dir(cfg: Config) -> Path:
    """The folder of ISO 20022 XSDs: ``[iso20022] xsd_dir`` (relative paths: to the working
    directory if that exists, else to the repository root)."""
    return _resolve_dir(str(cfg.get("iso20022.xsd_dir", _DEFAULT_XSD_DIR)), os.getcwd())


@functools.lru_cache(maxsize=16)
def _resolve_dir(raw: str, cwd: str) -> Path:
    p = Path(raw).expanduser()
    if p.is_absolute():
        return p
    return (Path(cwd) / p).resolve() if (Path(cwd) / p).is_dir() else (_REPO / p).resolve()


@functools.lru_cache(maxsize=32)
def load_schema(path: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(path, etree.XMLParser(resolve_entities=False, no_network=True)))


@functools.lru_cache(maxsize=64)
def _xsd_file(folder: str, msg_def: str) -> str | None:
    p = Path(folder) / f"{msg_def}.xsd"
    return str(p) if p.is_file() else None


def validate(doc: IsoDoc, cfg: Config) -> tuple[list[str] | None, str | None]:
    """(schema errors, or None when not validated; a warning when no XSD is at hand)."""
    folder = xsd_dir(cfg)
    xsd = _xsd_file(str(folder), doc.msg_def)
    if xsd is None:
        return None, f"no XSD for {doc.msg_def} in {folder}: {doc.kind} documents of this version not validated"
    schema = load_schema(xsd)
    if schema.validate(doc.element):
        return [], None
    errors = [f"line {e.line}: {e.message}" for e in list(schema.error_log)[:5]]
    return errors, None


def validate_tree(el: etree._Element, msg_def: str, cfg: Config) -> list[str] | None:
    """Validate a Document element we built; None when no XSD is at hand."""
    xsd = xsd_dir(cfg) / f"{msg_def}.xsd"
    if not xsd.is_file():
        return None
    schema = load_schema(str(xsd))
    if schema.validate(el):
        return []
    return [f"{e.message}" for e in list(schema.error_log)[:5]]


def header_info(hdr: etree._Element | None) -> dict[str, str | None]:
    """Sender and receiver BICs, message id and creation time from a head.001 AppHdr."""
    if hdr is None:
        return {"from": None, "to": None, "id": None, "created": None}
    p = Paths(namespace(hdr), hdr)
    return {
        "from": p.first_text("Fr/FIId/FinInstnId/BICFI", "Fr/OrgId/Id/OrgId/AnyBIC"),
        "to": p.first_text("To/FIId/FinInstnId/BICFI", "To/OrgId/Id/OrgId/AnyBIC"),
        "id": p.text("BizMsgIdr"),
        "created": p.text("CreDt"),
    }


def map_custodian(bic: str | None, custodians: Mapping[str, str]) -> str | None:
    if not bic:
        return None
    b = bic.upper()
    return custodians.get(b) or custodians.get(b[:8]) or (custodians.get(b + "XXX") if len(b) == 8 else None) or b


def xml_quarantine(line: int | None, ref: str | None, table: str, rule: str, reason: str,
                   el: etree._Element | None) -> dict[str, object]:
    raw = etree.tostring(el, encoding="unicode")[:20000] if el is not None else None
    return {"line_no": line, "record_ref": ref, "target_table": table, "rule": rule, "reason": reason,
            "raw_text": raw}


def check_head(head: bytes, pattern: re.Pattern[bytes]) -> bool:
    body = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if body.startswith(b"\xff\xfe") or body.startswith(b"\xfe\xff"):
        return False
    return body.startswith(b"<") and pattern.search(head) is not None


# =============================================================================================
# sese.023 / sese.024 / sese.025 -> bo_settlements
# =============================================================================================

SESE_KINDS = ("sese.023", "sese.024", "sese.025")
_IDENT = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:sese\.02[345]\.")


def _qty(p: Paths, base: str, name: str) -> str | None:
    """The quantity at ``base + name`` (``base``: '' or a path ending in '/')."""
    if p.find(base + name) is None:
        return None
    for leaf in ("Qty/Unit", "Qty/FaceAmt", "Qty/AmtsdVal", "Unit", "FaceAmt", "AmtsdVal", "OrgnlAndCurFace/FaceAmt"):
        t = p.text(f"{base}{name}/{leaf}")
        if t is not None:
            return iso_decimal(t, f"{name}/{leaf}")
    return None


def _amt(p: Paths, base: str, name: str) -> tuple[str | None, str | None]:
    a = p.find(f"{base}{name}/Amt")
    if a is None or a.text is None:
        return None, None
    return a.get("Ccy"), iso_decimal(a.text.strip(), f"{name}/Amt")


def _date_choice(p: Paths, base: str, name: str) -> str | None:
    path = base + name
    return iso_date(p.first_text(path + "/Dt/Dt", path + "/Dt/DtTm", path + "/Dt", path + "/DtTm"), name)


def _party_bic(p: Paths, path: str) -> str | None:
    return p.first_text(path + "/Id/AnyBIC", path + "/Id/BIC", path + "/AnyBIC", path + "/BIC")


def _reason(p: Paths) -> tuple[str | None, str | None]:
    """(code, text) of a status choice element (``Rsn/Cd/Cd`` | ``Rsn/Cd/Prtry/Id`` | ``Rsn/Id``)."""
    if p.find("Rsn") is None:
        return None, None
    code = p.first_text("Rsn/Cd/Cd", "Rsn/Cd/Prtry/Id", "Rsn/Id", "Rsn/Cd")
    return code, p.text("Rsn/AddtlRsnInf")


def _sese024_status(ns: str, p: Paths) -> tuple[str | None, str | None, str | None, list[str]]:
    best: tuple[int, int, str, str | None, str | None] | None = None
    unknown: list[str] = []
    for parent in ("PrcgSts", "MtchgSts", "SttlmSts"):
        box = p.find(parent)
        if box is None:
            continue
        chosen = next((c for c in box if isinstance(c.tag, str)), None)
        if chosen is None:
            continue
        status = SESE024_STATUS.get((parent, local(chosen)))
        if status is None:
            unknown.append(f"{parent}/{local(chosen)}")
            continue
        code, text = _reason(Paths(ns, chosen))
        key = (STATUS_RANK[status], 1 if code else 0)
        if best is None or key >= best[:2]:
            best = (key[0], key[1], status, code, text)
    if best is None:
        return None, None, None, unknown
    return best[2], best[3], best[4], unknown


@dataclass(frozen=True)
class _Ctx:
    custodians: Mapping[str, str]
    default_custodian: str
    file_date: str
    file_dt: dt.datetime


def map_sese(doc: IsoDoc, ctx: _Ctx, paths: Paths | None = None) -> dict[str, Any]:
    """One canonical candidate row for a sese.023/024/025 document (raises IsoValueError).
    ``paths``: the message element's :class:`Paths` when the caller has them already."""
    body = doc.body()
    if body is None:
        raise IsoValueError("empty_document", f"{doc.msg_def} Document has no message element")
    p = Paths(doc.ns, body) if paths is None else paths
    hdr = header_info(doc.app_hdr)
    row: dict[str, Any] = {"message_type": doc.kind, "src_line": doc.line}
    created = iso_datetime(hdr["created"])
    if created is not None:
        row["known_date"], row["_when"] = created.date().isoformat(), created
    else:
        row["known_date"], row["_when"] = ctx.file_date, ctx.file_dt
    # ids, trad, qty: the paths (below the message element, '' for itself) of the blocks holding
    # the movement type and payment, the trade details, and the quantities and account
    if doc.kind == "sese.023":
        ids = "SttlmTpAndAddtlParams/"
        tx = p.text("TxId")
        row["settlement_id"] = row["trade_ref"] = tx
        trad = "TradDtls/"
        row["intended_settle_date"] = _date_choice(p, trad, "SttlmDt")
        qty = "QtyAndAcctDtls/"
        row["quantity"] = _qty(p, qty, "SttlmQty")
        row["currency"], row["amount"] = _amt(p, "", "SttlmAmt")
        row["status"] = "PENDING"
        bic = hdr["to"]
    elif doc.kind == "sese.025":
        ids = "TxIdDtls/"
        own = _own_ref(p.text(ids + "AcctOwnrTxId"))
        row["settlement_id"] = p.text(ids + "AcctSvcrTxId") or own
        row["trade_ref"] = own
        trad = "TradDtls/"
        row["intended_settle_date"] = _date_choice(p, trad, "SttlmDt")
        row["actual_settle_date"] = _date_choice(p, trad, "FctvSttlmDt")
        qty = "QtyAndAcctDtls/"
        settled = _qty(p, qty, "SttldQty")
        prev = _qty(p, qty, "PrevslySttldQty")
        rest = _qty(p, qty, "RmngToBeSttldQty")
        partial = p.text("AddtlParams/PrtlSttlm") == "PAIN"
        row["status"] = "PARTIAL" if partial else "SETTLED"
        row["settled_quantity"] = _sum(settled, prev)
        row["quantity"] = _sum(row["settled_quantity"], rest) if rest else (None if partial else row["settled_quantity"])
        row["currency"], s_amt = _amt(p, "", "SttldAmt")
        _, p_amt = _amt(p, qty, "PrevslySttldAmt")
        _, r_amt = _amt(p, qty, "RmngToBeSttldAmt")
        row["settled_amount"] = _sum(s_amt, p_amt)
        row["amount"] = _sum(row["settled_amount"], r_amt) if r_amt else (None if partial else row["settled_amount"])
        if settled is None:
            raise IsoValueError("missing_field", "sese.025 without QtyAndAcctDtls/SttldQty (quantity settled)")
        bic = hdr["from"]
    else:  # sese.024
        ids = "TxId/"
        own = _own_ref(p.text(ids + "AcctOwnrTxId"))
        row["settlement_id"] = p.text(ids + "AcctSvcrTxId") or own
        row["trade_ref"] = own
        status, code, text, unknown = _sese024_status(doc.ns, p)
        if status is None:
            raise IsoValueError("unknown_status", "no known status in the sese.024"
                                + (f" (found {', '.join(unknown)})" if unknown else " (no PrcgSts/MtchgSts/SttlmSts)"))
        row["status"], row["reason_code"], row["reason_text"] = status, code, text
        trad = ids = qty = "TxDtls/"
        if p.find("TxDtls") is None:
            raise IsoValueError("missing_field", "sese.024 without TxDtls: direction (SctiesMvmntTp) unknown")
        row["intended_settle_date"] = _date_choice(p, trad, "SttlmDt")
        row["quantity"] = _qty(p, trad, "SttlmQty")
        row["currency"], row["amount"] = _amt(p, trad, "SttlmAmt")
        row["settled_quantity"] = "0"      # a status advice: nothing settled
        row["settled_amount"] = "0" if row["amount"] is not None else None
        bic = hdr["from"]
    if not row["settlement_id"]:
        raise IsoValueError("missing_field", f"{doc.kind} without a transaction identification")
    mvmt = p.text(ids + "SctiesMvmntTp")
    row["direction"] = {"RECE": "RECEIVE", "DELI": "DELIVER"}.get(mvmt or "")
    if row["direction"] is None:
        raise IsoValueError("missing_field", f"SctiesMvmntTp {mvmt!r}: expected RECE or DELI")
    row["payment"] = p.text(ids + "Pmt") or "APMT"
    row["trade_date"] = _date_choice(p, trad, "TradDt")
    price = p.find(trad + "DealPric/Val/Amt")
    if price is not None and price.text:
        row["deal_price"] = iso_decimal(price.text.strip(), "DealPric/Val/Amt")
        row["currency"] = row.get("currency") or price.get("Ccy")
    parties = "" if doc.kind != "sese.024" else trad   # the block holding the instrument and the parties
    row["isin"] = p.text(parties + "FinInstrmId/ISIN")
    row["account_id"] = p.text(qty + "SfkpgAcct/Id")
    receive = row["direction"] == "RECEIVE"
    ours, theirs = ("RcvgSttlmPties", "DlvrgSttlmPties") if receive else ("DlvrgSttlmPties", "RcvgSttlmPties")
    row["place_of_settlement"] = _party_bic(p, f"{parties}{ours}/Dpstry") or _party_bic(p, f"{parties}{theirs}/Dpstry")
    row["counterparty_bic"] = _party_bic(p, f"{parties}{theirs}/Pty1")
    row["custodian"] = map_custodian(bic, ctx.custodians) or ctx.default_custodian
    row["_custodian_bic"] = bic.upper() if bic else None
    row["src_ref"] = hdr["id"] or row["settlement_id"]
    return row


def _own_ref(v: str | None) -> str | None:
    """The account owner's transaction id; NONREF (no reference) reads as none."""
    return None if v is None or v.upper() == "NONREF" else v


def _sum(*vals: str | None) -> str | None:
    present = [v for v in vals if v is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return format(sum((Decimal(v) for v in present), Decimal(0)), "f")


def parse_sese(path: Path, cfg: Config, feed: str = "sese") -> Parsed:
    root = read_xml(path)
    docs = find_documents(root, SESE_KINDS)
    if not docs:
        raise BadInputError("no ISO 20022 sese.023/024/025 Document in the file", path=str(path),
                            expected="a Document in namespace urn:iso:std:iso:20022:tech:xsd:sese.02[345].*",
                            found=f"root <{local(root)}> in namespace {namespace(root) or '(none)'}")
    custodians, _ = swift_settings(cfg)
    fdate, fdt = file_date(path)
    ctx = _Ctx(custodians, str(cfg.get("iso20022.default_custodian", "UNKNOWN")), fdate, fdt)
    on_invalid = str(cfg.get("iso20022.on_invalid", "quarantine"))
    rows: list[dict[str, Any]] = []
    quarantine: list[dict[str, object]] = []
    warnings: list[str] = []
    for doc in docs:
        errors, warning = validate(doc, cfg)
        if warning and warning not in warnings:
            warnings.append(warning)
        paths = Paths(doc.ns, doc.body())
        ref = paths.first_text("TxId", "TxIdDtls/AcctOwnrTxId", "TxId/AcctOwnrTxId")
        if errors:
            if on_invalid != "warn":
                quarantine.append(xml_quarantine(doc.line, ref, TABLE, "schema_invalid",
                                                 f"{doc.msg_def} document at line {doc.line} is not valid against "
                                                 f"{doc.msg_def}.xsd: " + "; ".join(errors), doc.element))
                continue
            warnings.append(f"{doc.msg_def} at line {doc.line} not valid against its XSD: {errors[0]}")
        try:
            row = map_sese(doc, ctx, paths)
        except IsoValueError as exc:
            quarantine.append(xml_quarantine(doc.line, ref, TABLE, exc.rule,
                                             f"{doc.msg_def} document at line {doc.line}: {exc.reason}",
                                             doc.element))
            continue
        if row["custodian"] == ctx.default_custodian and doc.app_hdr is None:
            warnings.append(f"{doc.msg_def} at line {doc.line}: no AppHdr naming the sender; "
                            f"custodian set to {ctx.default_custodian!r} ([iso20022] default_custodian)")
        row["_raw"] = etree.tostring(doc.element, encoding="unicode")
        rows.append(row)
    frame = with_seq(rows_frame(rows).with_columns(
        _when=pl.Series("_when", [r["_when"] for r in rows], dtype=pl.Datetime("us"))))
    return Parsed(feed=feed, tables={TABLE: frame}, quarantine=quarantine_frame(quarantine),
                  rows_read=len(rows) + len(quarantine), warnings=warnings)


class SeseConnector:
    """ISO 20022 sese.023/024/025 documents (with or without AppHdr/envelope)."""

    name = "sese"
    description = "ISO 20022 sese.023 instructions, sese.024 status advice, sese.025 confirmations (XML)"
    #: load order among files of one load (loader): after reference and front-office data
    priority = 30
    #: ``resolve`` (custodian and counterparty BICs) only reads reference data, never rows of
    #: earlier files of the same feed, so files are validated and committed together (as MT54x).
    resolve_groupable = True

    def identify(self, path: Path, head: bytes, cfg: Config) -> str | None:
        return "sese" if check_head(head, _IDENT) else None

    def parse(self, path: Path, feed: str, cfg: Config) -> Parsed:
        return parse_sese(path, cfg, feed)

    def resolve(self, con: Any, parsed: Parsed, cfg: Config) -> Parsed:
        return resolve_custodians(con, parsed, cfg)


# =============================================================================================
# Writers: sese.023 instructions; sese.024/sese.025 for the sample world
# =============================================================================================

SESE023_DEFAULT = "sese.023.001.12"
SESE024_DEFAULT = "sese.024.001.13"
SESE025_DEFAULT = "sese.025.001.12"
HEAD_NS = "urn:iso:std:iso:20022:tech:xsd:head.001.001.02"


class _B:
    """Tiny element builder in one namespace."""

    def __init__(self, ns: str) -> None:
        self.ns = ns

    def __call__(self, parent: etree._Element | None, name: str, text: object | None = None,
                 **attrs: str) -> etree._Element:
        tag = f"{{{self.ns}}}{name}"
        el = etree.Element(tag, nsmap={None: self.ns}) if parent is None else etree.SubElement(parent, tag)
        if text is not None:
            el.text = str(text)
        for k, v in attrs.items():
            el.set(k, v)
        return el

    def path(self, parent: etree._Element, names: str, text: object | None = None, **attrs: str) -> etree._Element:
        el = parent
        parts = names.split("/")
        for i, n in enumerate(parts):
            el = self(el, n, text if i == len(parts) - 1 else None, **(attrs if i == len(parts) - 1 else {}))
        return el


def _dec(v: object) -> str:
    d = Decimal(str(v))
    d = -d if d < 0 else d
    return format(d.normalize(), "f") if d != d.to_integral() else str(int(d))


def _d(v: object) -> str:
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)[:10]


def _present(row: Mapping[str, Any], key: str) -> bool:
    v = row.get(key)
    return v is not None and not (isinstance(v, float) and v != v) and v != ""


def _qty_el(b: _B, parent: etree._Element, name: str, row: Mapping[str, Any], value: object) -> None:
    kind = "FaceAmt" if str(row.get("quantity_type") or "UNIT").upper() == "FAMT" else "Unit"
    b.path(parent, f"{name}/Qty/{kind}", _dec(value))


def _parties(b: _B, body: etree._Element, row: Mapping[str, Any], receive: bool) -> None:
    """Delivering/receiving parties: the place of settlement (depository) on both sides, and the
    counterparty (or its agent) as Pty1 on the other side."""
    for side in ("DlvrgSttlmPties", "RcvgSttlmPties"):
        theirs = (side == "DlvrgSttlmPties") == receive
        if not (_present(row, "place_of_settlement") or (theirs and (_present(row, "counterparty_bic")
                                                                  or _present(row, "counterparty_agent_bic")))):
            continue
        p = b(body, side)
        if _present(row, "place_of_settlement"):
            b.path(p, "Dpstry/Id/AnyBIC", row["place_of_settlement"])
        if theirs:
            bic = row.get("counterparty_agent_bic") if _present(row, "counterparty_agent_bic") else row.get("counterparty_bic")
            if bic:
                pty = b(p, "Pty1")
                b.path(pty, "Id/AnyBIC", bic)
                if _present(row, "counterparty_account"):
                    b.path(pty, "SfkpgAcct/Id", str(row["counterparty_account"])[:35])
            if _present(row, "counterparty_agent_bic") and _present(row, "counterparty_bic"):
                b.path(b(p, "Pty2"), "Id/AnyBIC", row["counterparty_bic"])


def sese023_document(row: Mapping[str, Any], msg_def: str = SESE023_DEFAULT) -> etree._Element:
    """A sese.023 Document for one instruction (``row`` as for
    :func:`connectors.swift_mt.instruction_fields`; settlement_id -> TxId)."""
    b = _B(ISO_NS + msg_def)
    doc = b(None, "Document")
    body = b(doc, "SctiesSttlmTxInstr")
    receive = row["direction"] == "RECEIVE"
    free = row.get("payment") == "FREE"
    b(body, "TxId", str(row["settlement_id"])[:35])
    p = b(body, "SttlmTpAndAddtlParams")
    b(p, "SctiesMvmntTp", "RECE" if receive else "DELI")
    b(p, "Pmt", "FREE" if free else "APMT")
    if _present(row, "trade_ref") and str(row["trade_ref"]) != str(row["settlement_id"]):
        b.path(body, "Lnkgs/Ref/OthrTxId", str(row["trade_ref"])[:35])
    t = b(body, "TradDtls")
    if _present(row, "trade_ref"):
        b(t, "TradId", str(row["trade_ref"])[:35])
    if _present(row, "trade_date"):
        b.path(t, "TradDt/Dt/Dt", _d(row["trade_date"]))
    b.path(t, "SttlmDt/Dt/Dt", _d(row["intended_settle_date"]))
    if _present(row, "deal_price") and _present(row, "currency") and not free:
        dp = b(t, "DealPric")
        b.path(dp, "Tp/Yldd", "false")
        b.path(dp, "Val/Amt", _dec(row["deal_price"]), Ccy=str(row["currency"]))
    b.path(body, "FinInstrmId/ISIN", row["isin"])
    q = b(body, "QtyAndAcctDtls")
    _qty_el(b, q, "SttlmQty", row, row["quantity"])
    if _present(row, "account_id"):
        b.path(q, "SfkpgAcct/Id", str(row["account_id"])[:35])
    b.path(body, "SttlmParams/SctiesTxTp/Cd", "TRAD")
    _parties(b, body, row, receive)
    if not free and _present(row, "amount") and _present(row, "currency"):
        a = b(body, "SttlmAmt")
        b(a, "Amt", _dec(row["amount"]), Ccy=str(row["currency"]))
        b(a, "CdtDbtInd", "DBIT" if receive else "CRDT")
    return doc


def sese025_document(row: Mapping[str, Any], msg_def: str = SESE025_DEFAULT) -> etree._Element:
    """A sese.025 confirmation for a SETTLED/PARTIAL bo_settlements row."""
    b = _B(ISO_NS + msg_def)
    doc = b(None, "Document")
    body = b(doc, "SctiesSttlmTxConf")
    receive = row["direction"] == "RECEIVE"
    free = row.get("payment") == "FREE"
    ids = b(body, "TxIdDtls")
    b(ids, "AcctOwnrTxId", str(row.get("trade_ref") or "NONREF")[:35])
    b(ids, "AcctSvcrTxId", str(row["settlement_id"])[:35])
    b(ids, "SctiesMvmntTp", "RECE" if receive else "DELI")
    b(ids, "Pmt", "FREE" if free else "APMT")
    partial = row.get("status") == "PARTIAL"
    if partial:
        b.path(body, "AddtlParams/PrtlSttlm", "PAIN")
    t = b(body, "TradDtls")
    if _present(row, "trade_date"):
        b.path(t, "TradDt/Dt/Dt", _d(row["trade_date"]))
    if _present(row, "intended_settle_date"):
        b.path(t, "SttlmDt/Dt/Dt", _d(row["intended_settle_date"]))
    b.path(t, "FctvSttlmDt/Dt/Dt", _d(row.get("actual_settle_date") or row["intended_settle_date"]))
    if _present(row, "deal_price") and _present(row, "currency"):
        dp = b(t, "DealPric")
        b.path(dp, "Tp/Yldd", "false")
        b.path(dp, "Val/Amt", _dec(row["deal_price"]), Ccy=str(row["currency"]))
    b.path(body, "FinInstrmId/ISIN", row["isin"])
    q = b(body, "QtyAndAcctDtls")
    _qty_el(b, q, "SttldQty", row, row["settled_quantity"])
    if partial and _present(row, "quantity"):
        rest = Decimal(str(row["quantity"])) - Decimal(str(row["settled_quantity"]))
        if rest > 0:
            kind = "FaceAmt" if str(row.get("quantity_type") or "UNIT").upper() == "FAMT" else "Unit"
            b.path(q, f"RmngToBeSttldQty/{kind}", _dec(rest))
            if not free and _present(row, "amount") and _present(row, "settled_amount") and _present(row, "currency"):
                rest_a = Decimal(str(row["amount"])) - Decimal(str(row["settled_amount"]))
                if rest_a > 0:
                    ra = b(q, "RmngToBeSttldAmt")
                    b(ra, "Amt", _dec(rest_a), Ccy=str(row["currency"]))
                    b(ra, "CdtDbtInd", "DBIT" if receive else "CRDT")
    if _present(row, "account_id"):
        b.path(q, "SfkpgAcct/Id", str(row["account_id"])[:35])
    b.path(body, "SttlmParams/SctiesTxTp/Cd", "TRAD")
    _parties(b, body, row, receive)
    if not free and _present(row, "settled_amount") and _present(row, "currency"):
        a = b(body, "SttldAmt")
        b(a, "Amt", _dec(row["settled_amount"]), Ccy=str(row["currency"]))
        b(a, "CdtDbtInd", "DBIT" if receive else "CRDT")
    return doc


#: canonical status -> (sese.024 status parent, status element, reason code type in the XSD)
STATUS_TO_SESE024: dict[str, tuple[str, str, str]] = {
    "REJECTED": ("PrcgSts", "Rjctd", "RejectionReason75Code"),
    "PENDING": ("SttlmSts", "Pdg", "PendingReason24Code"),
    "MATCHED": ("MtchgSts", "Mtchd", ""),
    "FAILING": ("SttlmSts", "Flng", "FailingReason4Code"),
    "UNMATCHED": ("MtchgSts", "Umtchd", "UnmatchedReason11Code"),
    "CANCELLED": ("PrcgSts", "Canc", "CancelledStatusReason16Code"),
}


@functools.lru_cache(maxsize=64)
def enum_values(xsd_path: str, type_name: str) -> frozenset[str]:
    """Enumerated codes of a simple type in an XSD (empty when the file or type is absent)."""
    p = Path(xsd_path)
    if not p.is_file() or not type_name:
        return frozenset()
    xs = "{http://www.w3.org/2001/XMLSchema}"
    tree = etree.parse(str(p), etree.XMLParser(resolve_entities=False, no_network=True))
    for st in tree.getroot().iter(xs + "simpleType"):
        if st.get("name") == type_name:
            return frozenset(e.get("value") for e in st.iter(xs + "enumeration"))
    return frozenset()


def sese024_document(row: Mapping[str, Any], cfg: Config, msg_def: str = SESE024_DEFAULT) -> etree._Element:
    """A sese.024 status advice for a PENDING/MATCHED/FAILING/UNMATCHED/CANCELLED row. Reason codes
    outside the XSD's list for that status go in ``Prtry`` (issuer ``MIDO``)."""
    b = _B(ISO_NS + msg_def)
    doc = b(None, "Document")
    body = b(doc, "SctiesSttlmTxStsAdvc")
    receive = row["direction"] == "RECEIVE"
    free = row.get("payment") == "FREE"
    ids = b(body, "TxId")
    b(ids, "AcctOwnrTxId", str(row.get("trade_ref") or "NONREF")[:35])
    b(ids, "AcctSvcrTxId", str(row["settlement_id"])[:35])
    parent, elem, code_type = STATUS_TO_SESE024[str(row["status"])]
    st = b(b(body, parent), elem)
    code = str(row["reason_code"]) if _present(row, "reason_code") else None
    text = str(row["reason_text"])[:210] if _present(row, "reason_text") else None
    if elem == "Mtchd":
        if code:
            r = b(st, "Rsn")
            b(r, "Id", code[:4])
            b(r, "Issr", "MIDO")
        if text:
            b(st, "AddtlRsnInf", text)
    elif code:
        rsn = b(st, "Rsn")
        codes = enum_values(str(xsd_dir(cfg) / f"{msg_def}.xsd"), code_type)
        if code in codes:
            b.path(rsn, "Cd/Cd", code)
        else:
            pr = b.path(rsn, "Cd/Prtry")
            b(pr, "Id", code[:4])
            b(pr, "Issr", "MIDO")
        if text:
            b(rsn, "AddtlRsnInf", text)
    else:
        b(st, "NoSpcfdRsn", "NORE")
    tx = b(body, "TxDtls")
    b.path(tx, "FinInstrmId/ISIN", row["isin"])
    _qty_el(b, tx, "SttlmQty", row, row["quantity"])
    if not free and _present(row, "amount") and _present(row, "currency"):
        a = b(tx, "SttlmAmt")
        b(a, "Amt", _dec(row["amount"]), Ccy=str(row["currency"]))
        b(a, "CdtDbtInd", "DBIT" if receive else "CRDT")
    b.path(tx, "SttlmDt/Dt/Dt", _d(row["intended_settle_date"]))
    if _present(row, "trade_date"):
        b.path(tx, "TradDt/Dt/Dt", _d(row["trade_date"]))
    b(tx, "SctiesMvmntTp", "RECE" if receive else "DELI")
    b(tx, "Pmt", "FREE" if free else "APMT")
    b.path(tx, "SttlmParams/SctiesTxTp/Cd", "TRAD")
    # sese.024 orders RcvgSttlmPties before DlvrgSttlmPties
    tmp = b(None, "Tmp")
    _parties(b, tmp, row, receive)
    for side in ("RcvgSttlmPties", "DlvrgSttlmPties"):
        for el in tmp.findall(f"{{{b.ns}}}{side}"):
            tx.append(el)
    if _present(row, "account_id"):
        # SfkpgAcct sits after AcctOwnr and before FinInstrmId in TxDtls
        acct = etree.Element(f"{{{b.ns}}}SfkpgAcct")
        etree.SubElement(acct, f"{{{b.ns}}}Id").text = str(row["account_id"])[:35]
        tx.insert(0, acct)
    return doc


def app_header(msg_def: str, biz_id: str, sender: str, receiver: str, created: dt.datetime) -> etree._Element:
    """A head.001.001.02 business application header."""
    b = _B(HEAD_NS)
    h = b(None, "AppHdr")
    b.path(h, "Fr/FIId/FinInstnId/BICFI", sender)
    b.path(h, "To/FIId/FinInstnId/BICFI", receiver)
    b(h, "BizMsgIdr", biz_id[:35])
    b(h, "MsgDefIdr", msg_def)
    b(h, "CreDt", created.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return h


def batch(pairs: Iterable[tuple[etree._Element, etree._Element]]) -> etree._Element:
    """Our transport wrapper for many AppHdr + Document pairs in one file."""
    root = etree.Element(f"{{{BATCH_NS}}}BizMsgBatch", nsmap={None: BATCH_NS})
    for hdr, doc in pairs:
        m = etree.SubElement(root, f"{{{BATCH_NS}}}BizMsg")
        m.append(hdr)
        m.append(doc)
    return root


def write_xml(root: etree._Element, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def write_settlements_sese(frame: Any, path: Path, *, custodian_bic: str, our_bic: str, cfg: Config,
                           validate_docs: bool = True) -> int:
    """Write a bo_settlements-shaped frame as sese.025 (SETTLED/PARTIAL) and sese.024 (other
    statuses) documents with AppHdrs, in one batch file. Returns documents written."""
    rows = frame.to_dicts() if hasattr(frame, "to_dicts") else list(frame)
    pairs = []
    for i, r in enumerate(rows):
        created = dt.datetime.combine(dt.date.fromisoformat(_d(r["known_date"])), dt.time(0, 0)) + dt.timedelta(
            seconds=min(int(r.get("seq") or 0), 86399))
        if r["status"] in ("SETTLED", "PARTIAL"):
            msg_def, doc = SESE025_DEFAULT, sese025_document(r)
        else:
            msg_def, doc = SESE024_DEFAULT, sese024_document(r, cfg)
        if validate_docs:
            errors = validate_tree(doc, msg_def, cfg)
            if errors:
                raise ValueError(f"{msg_def} for settlement {r['settlement_id']} is not valid: {errors}")
        hdr = app_header(msg_def, f"{created:%Y%m%d}-{i + 1:08d}", custodian_bic, our_bic, created)
        pairs.append((hdr, doc))
    write_xml(batch(pairs), path)
    return len(pairs)


def write_sample_settlements_sese(frame: Any, path: Path, table: str) -> None:
    """Sample-world feed writer (``FEED_WRITERS["SESE"]``): one custodian's bo_settlements records
    of a day as sese.025 confirmations and sese.024 status advices (AppHdr + Document pairs in one
    ``BizMsgBatch`` file), from the custodian's BIC to ours. Documents are built to the XSDs
    (checked by the tests), not re-validated here."""
    from connectors.sample_world.conventions import CUSTODIAN_BICS
    from connectors.swift_mt import SAMPLE_OUR_BIC
    from engine.config import load_config

    if table != TABLE:
        raise ValueError(f"the SESE writer carries bo_settlements only, not {table}")
    custodians = frame["custodian"].unique().to_list() if frame.height else []
    if len(custodians) > 1:
        raise ValueError(f"one custodian per sese file, found {custodians}")
    if frame.height == 0:   # a custodian sends no message on a day with nothing to report
        return
    bic = CUSTODIAN_BICS.get(custodians[0], "CUSTXXXXXXX")
    write_settlements_sese(frame, path, custodian_bic=bic, our_bic=SAMPLE_OUR_BIC, cfg=load_config(environ={}),
                           validate_docs=False)

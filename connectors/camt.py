"""ISO 20022 cash: camt.053 bank-to-customer statements and camt.054 debit/credit notifications
into ``bo_cash_movements`` (and camt.053 balances into ``bo_cash_balances``); plus a camt.053 writer
for the sample world.

Documents are found as in :mod:`connectors.iso20022` (any version, with or without AppHdr or
envelope) and validated against ``<xsd_dir>/<msg_def>.xsd`` when one is at hand.

Mapping (one ``bo_cash_movements`` row per transaction):

- A booked entry (``Ntry``, status BOOK) with transaction details (``NtryDtls/TxDtls``, possibly in
  several ``NtryDtls`` batches) gives one movement per ``TxDtls`` with the detail's own amount and
  credit/debit indicator; their signed sum must equal the entry's amount, otherwise the entry is
  quarantined (``batch_mismatch``). Details without amounts: a single detail takes the entry's
  amount; several make one entry-level movement. An entry without details is one movement.
- ``amount`` is signed: CRDT positive, DBIT negative. ``is_reversal`` from ``RvslInd`` (a reversal
  carries the opposite indicator of what it reverses, so the sign already nets it out).
- ``movement_id``: the bank's reference of the transaction (``TxDtls/Refs/AcctSvcrRef``) when it
  gives one, else ``<account>/<statement id>/<entry number in the statement>/<detail number>``
  (detail 0 for an entry-level movement; the account because banks reuse statement ids across
  accounts), stable for a re-sent statement.
- ``end_to_end_id``: ``Refs/EndToEndId`` (NOTPROVIDED/NONREF read as none); ``entry_ref``:
  ``NtryRef`` else ``AcctSvcrRef``; ``bank_tx_code``: ``Domn/Fmly/SubFmly`` codes joined with '/',
  else the proprietary code; ``counterparty_name``: the creditor of a debit, the debtor of a credit;
  ``description``: ``AddtlTxInf``, ``RmtInf/Ustrd`` or ``AddtlNtryInf``.
- ``known_date``: the statement's (else group header's) creation date; ``value_date`` falls back to
  the booking date.
- Entries not booked (PDNG, INFO, FUTR) are quarantined (``entry_not_booked``): they are not cash.
- Balances: every ``Bal`` (OPBD, CLBD, ITBD, OPAV, ...) as a signed row. When a statement has an
  opening and a closing booked balance, opening + booked entries must equal closing; a gap is
  reported as a warning of the load (the bank said it; nothing is changed).

``src_line`` is the XML line of the entry (movements) or balance (balances).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from lxml import etree

from connectors.base import Parsed, quarantine_frame
from connectors.iso20022 import (
    _B,
    ISO_NS,
    IsoDoc,
    IsoValueError,
    Nav,
    Paths,
    app_header,
    check_head,
    find_documents,
    header_info,
    iso_date,
    iso_datetime,
    local,
    read_xml,
    validate,
    validate_tree,
    write_xml,
    xml_quarantine,
)
from connectors.swift_mt import file_date
from engine.config import Config
from engine.errors import BadInputError

log = logging.getLogger(__name__)

MOVEMENTS = "bo_cash_movements"
BALANCES = "bo_cash_balances"
CAMT_KINDS = ("camt.053", "camt.054")
_IDENT = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:camt\.05[34]\.")
_NO_REF = {"NOTPROVIDED", "NONREF", ""}

MOVEMENT_COLUMNS = ("movement_id", "statement_id", "account", "booking_date", "value_date", "amount",
                    "currency", "is_reversal", "bank_tx_code", "end_to_end_id", "entry_ref",
                    "counterparty_name", "description", "known_date", "src_line", "src_ref", "_raw")
BALANCE_COLUMNS = ("statement_id", "account", "balance_type", "balance_date", "amount", "currency",
                   "src_line")


def _signed(amount: str, ind: str | None, what: str) -> Decimal:
    if ind not in ("CRDT", "DBIT"):
        raise IsoValueError("missing_field", f"{what}: CdtDbtInd {ind!r}, expected CRDT or DBIT")
    try:
        d = Decimal(amount)
    except Exception as exc:
        raise IsoValueError("bad_decimal", f"{what}: amount {amount!r} is not a decimal") from exc
    if not re.fullmatch(r"\d+(\.\d+)?", amount):
        raise IsoValueError("bad_decimal", f"{what}: amount {amount!r} is not a non-negative decimal")
    return -d if ind == "DBIT" else d


def _dec_str(d: Decimal) -> str:
    return format(d, "f")


def _amount(p: Paths, path: str = "Amt") -> tuple[str | None, str | None]:
    a = p.find(path)
    if a is None or a.text is None:
        return None, None
    return a.text.strip(), a.get("Ccy")


def _date_of(p: Paths, path: str) -> str | None:
    return iso_date(p.first_text(f"{path}/Dt", f"{path}/DtTm"), path)


def _ref(v: str | None) -> str | None:
    return None if v is None or v.strip().upper() in _NO_REF else v.strip()


def _name(p: Paths, role: str) -> str | None:
    return p.first_text(f"RltdPties/{role}/Pty/Nm", f"RltdPties/{role}/Nm",
                        f"RltdPties/{role}/Agt/FinInstnId/Nm", f"RltdPties/{role}/Agt/FinInstnId/BICFI",
                        f"RltdAgts/{role}Agt/FinInstnId/BICFI")


def _account(nav: Nav, acct: etree._Element | None) -> str | None:
    return nav.first_text(acct, "Id/IBAN", "Id/Othr/Id")


def _bank_code(p: Paths) -> str | None:
    dom = p.text("BkTxCd/Domn/Cd")
    if dom:
        parts = [dom, p.text("BkTxCd/Domn/Fmly/Cd"), p.text("BkTxCd/Domn/Fmly/SubFmlyCd")]
        return "/".join(part for part in parts if part)
    return p.text("BkTxCd/Prtry/Cd")


#: an entry's own fields are read from its Paths; its transaction details one by one
_ENTRY_STOP = frozenset({"NtryDtls"})


def _entry_rows(nav: Nav, ntry: etree._Element, stmt: dict[str, Any], entry_no: int,
                p: Paths | None = None) -> list[dict[str, Any]]:
    """Movements of one booked entry (raises IsoValueError). ``p``: the entry's Paths (built with
    ``stop=_ENTRY_STOP``) when the caller has them already."""
    if p is None:
        p = Paths(nav.ns, ntry, _ENTRY_STOP)
    amt, ccy = _amount(p)
    if amt is None:
        raise IsoValueError("missing_field", "entry without Amt")
    e_ind = p.text("CdtDbtInd")
    e_amount = _signed(amt, e_ind, "entry")
    value_date = _date_of(p, "ValDt")
    booking = _date_of(p, "BookgDt")
    if value_date is None and booking is None:
        raise IsoValueError("missing_field", "entry without a value date (ValDt) or booking date (BookgDt)")
    rvsl = (p.text("RvslInd") or "false").lower() in ("true", "1")
    base = {
        "statement_id": stmt["id"], "account": stmt["account"], "booking_date": booking,
        "value_date": value_date or booking, "currency": ccy or stmt["currency"], "is_reversal": rvsl,
        "bank_tx_code": _bank_code(p),
        "entry_ref": _ref(p.text("NtryRef")) or _ref(p.text("AcctSvcrRef")),
        "known_date": stmt["known_date"], "src_line": int(ntry.sourceline or 0), "src_ref": stmt["id"],
    }
    details = [Paths(nav.ns, tx) for nd in nav.findall(ntry, "NtryDtls") for tx in nav.findall(nd, "TxDtls")]
    entry_desc = p.text("AddtlNtryInf")

    def detail_row(tx: Paths | None, n: int, amount: Decimal, tx_ccy: str | None) -> dict[str, Any]:
        row = dict(base)
        own_ref = _ref(tx.text("Refs/AcctSvcrRef")) if tx is not None else None
        row["movement_id"] = own_ref or f"{stmt['account']}/{stmt['id']}/{entry_no}/{n}"
        row["amount"] = _dec_str(amount)
        if tx_ccy:
            row["currency"] = tx_ccy
        if tx is not None:
            row["end_to_end_id"] = _ref(tx.text("Refs/EndToEndId"))
            row["counterparty_name"] = _name(tx, "Cdtr" if amount < 0 else "Dbtr")
            row["description"] = tx.first_text("AddtlTxInf", "RmtInf/Ustrd") or entry_desc
            row["bank_tx_code"] = _bank_code(tx) or row["bank_tx_code"]
        else:
            row["description"] = entry_desc
        return row

    if not details:
        return [detail_row(None, 0, e_amount, None)]
    amounts = []
    for tx in details:
        t_amt, t_ccy = _amount(tx)
        if t_amt is None:
            t_amt, t_ccy = _amount(tx, "AmtDtls/TxAmt/Amt")
        amounts.append((t_amt, t_ccy, tx.text("CdtDbtInd")))
    if any(a is None for a, _, _ in amounts):
        if len(details) == 1:
            return [detail_row(details[0], 1, e_amount, None)]
        row = detail_row(None, 0, e_amount, None)
        return [row]
    rows = []
    total = Decimal(0)
    for n, (tx, (t_amt, t_ccy, ind)) in enumerate(zip(details, amounts, strict=True), start=1):
        assert t_amt is not None
        signed = _signed(t_amt, ind or e_ind, f"transaction detail {n}")
        total += signed
        rows.append(detail_row(tx, n, signed, t_ccy))
    same_ccy = all((c or ccy) == ccy for _, c, _ in amounts)
    if same_ccy and total != e_amount:
        raise IsoValueError("batch_mismatch", f"the {len(details)} transaction details add up to {total}, "
                            f"the entry says {e_amount} {ccy}")
    return rows


def parse_camt(path: Path, cfg: Config, feed: str = "camt") -> Parsed:
    root = read_xml(path)
    docs = find_documents(root, CAMT_KINDS)
    if not docs:
        raise BadInputError("no ISO 20022 camt.053/camt.054 Document in the file", path=str(path),
                            expected="a Document in namespace urn:iso:std:iso:20022:tech:xsd:camt.05[34].*",
                            found=f"root <{local(root)}>")
    fdate, _ = file_date(path)
    on_invalid = str(cfg.get("iso20022.on_invalid", "quarantine"))
    moves: list[dict[str, Any]] = []
    bals: list[dict[str, Any]] = []
    quarantine: list[dict[str, object]] = []
    warnings: list[str] = []
    for doc in docs:
        errors, warning = validate(doc, cfg)
        if warning and warning not in warnings:
            warnings.append(warning)
        if errors:
            if on_invalid != "warn":
                quarantine.append(xml_quarantine(doc.line, None, MOVEMENTS, "schema_invalid",
                                                 f"{doc.msg_def} document at line {doc.line} is not valid against "
                                                 f"{doc.msg_def}.xsd: " + "; ".join(errors), doc.element))
                continue
            warnings.append(f"{doc.msg_def} at line {doc.line} not valid against its XSD: {errors[0]}")
        _parse_doc(doc, fdate, moves, bals, quarantine, warnings)
    mframe = pl.DataFrame({c: [r.get(c) for r in moves] for c in MOVEMENT_COLUMNS},
                          schema={c: (pl.Int64 if c == "src_line" else pl.Boolean if c == "is_reversal" else pl.String)
                                  for c in MOVEMENT_COLUMNS})
    bframe = pl.DataFrame({c: [r.get(c) for r in bals] for c in BALANCE_COLUMNS},
                          schema={c: (pl.Int64 if c == "src_line" else pl.String) for c in BALANCE_COLUMNS})
    return Parsed(feed=feed, tables={MOVEMENTS: mframe, BALANCES: bframe},
                  quarantine=quarantine_frame(quarantine),
                  rows_read=mframe.height + bframe.height + len(quarantine), warnings=warnings)


def _parse_doc(doc: IsoDoc, fdate: str, moves: list[dict[str, Any]], bals: list[dict[str, Any]],
               quarantine: list[dict[str, object]], warnings: list[str]) -> None:
    nav = Nav(doc.ns)
    body = doc.body()
    grp_created = iso_datetime(nav.text(body, "GrpHdr/CreDtTm")) or iso_datetime(header_info(doc.app_hdr)["created"])
    blocks = nav.findall(body, "Stmt") if doc.kind == "camt.053" else nav.findall(body, "Ntfctn")
    for blk in blocks:
        created = iso_datetime(nav.text(blk, "CreDtTm")) or grp_created
        acct_el = nav.find(blk, "Acct")
        stmt = {
            "id": nav.text(blk, "Id") or nav.text(body, "GrpHdr/MsgId"),
            "account": _account(nav, acct_el),
            "currency": nav.text(acct_el, "Ccy"),
            "known_date": created.date().isoformat() if created else fdate,
        }
        if not stmt["account"]:
            quarantine.append(xml_quarantine(int(blk.sourceline or 0), stmt["id"], MOVEMENTS, "missing_field",
                                             f"{doc.kind} {stmt['id']}: no account identification (Acct/Id)", blk))
            continue
        balances: dict[str, Decimal] = {}
        for bal in nav.findall(blk, "Bal"):
            line = int(bal.sourceline or 0)
            bp = Paths(doc.ns, bal)
            try:
                btype = bp.first_text("Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry", "Tp/Cd")
                amt, ccy = _amount(bp)
                if btype is None or amt is None:
                    raise IsoValueError("missing_field", "balance without type or amount")
                signed = _signed(amt, bp.text("CdtDbtInd"), f"balance {btype}")
                bdate = _date_of(bp, "Dt")
                if bdate is None:
                    raise IsoValueError("missing_field", f"balance {btype} without a date")
            except IsoValueError as exc:
                quarantine.append(xml_quarantine(line, stmt["id"], BALANCES, exc.rule,
                                                 f"{doc.kind} {stmt['id']} balance at line {line}: {exc.reason}", bal))
                continue
            balances.setdefault(btype, signed)
            bals.append({"statement_id": stmt["id"], "account": stmt["account"], "balance_type": btype,
                         "balance_date": bdate, "amount": _dec_str(signed), "currency": ccy or stmt["currency"],
                         "src_line": line})
        booked = Decimal(0)
        for entry_no, ntry in enumerate(nav.findall(blk, "Ntry"), start=1):
            line = int(ntry.sourceline or 0)
            ep = Paths(doc.ns, ntry, _ENTRY_STOP)
            status = ep.first_text("Sts/Cd", "Sts/Prtry", "Sts")
            ref = _ref(ep.text("NtryRef")) or _ref(ep.text("AcctSvcrRef"))
            if status != "BOOK":
                quarantine.append(xml_quarantine(line, ref, MOVEMENTS, "entry_not_booked",
                                                 f"{doc.kind} {stmt['id']} entry {entry_no} at line {line}: status "
                                                 f"{status!r} is not booked (BOOK); not a cash movement", ntry))
                continue
            try:
                rows = _entry_rows(nav, ntry, stmt, entry_no, ep)
            except IsoValueError as exc:
                quarantine.append(xml_quarantine(line, ref, MOVEMENTS, exc.rule,
                                                 f"{doc.kind} {stmt['id']} entry {entry_no} at line {line}: {exc.reason}",
                                                 ntry))
                continue
            raw = etree.tostring(ntry, encoding="unicode")
            for r in rows:
                r["_raw"] = raw
                booked += Decimal(r["amount"])
            moves.extend(rows)
        opening = balances.get("OPBD", balances.get("PRCD"))
        closing = balances.get("CLBD")
        if doc.kind == "camt.053" and opening is not None and closing is not None and opening + booked != closing:
            warnings.append(f"statement {stmt['id']} ({stmt['account']}): opening {opening} + booked entries "
                            f"{booked} = {opening + booked}, but the closing balance is {closing}")


class CamtConnector:
    """ISO 20022 camt.053 statements and camt.054 notifications (cash)."""

    name = "camt"
    description = "ISO 20022 camt.053 bank statements / camt.054 debit-credit notifications (XML)"
    #: load order among files of one load (loader): after reference and front-office data
    priority = 40

    def identify(self, path: Path, head: bytes, cfg: Config) -> str | None:
        return "camt" if check_head(head, _IDENT) else None

    def parse(self, path: Path, feed: str, cfg: Config) -> Parsed:
        return parse_camt(path, cfg, feed)


# =============================================================================================
# Writer: camt.053 statements from bo_cash_movements-shaped frames (the sample world)
# =============================================================================================

CAMT053_DEFAULT = "camt.053.001.13"


def _d(v: object) -> str:
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)[:10]


def camt053_document(stmt_id: str, account: str, currency: str, day: str, entries: Sequence[Mapping[str, Any]],
                     opening: Decimal, created: dt.datetime, msg_def: str = CAMT053_DEFAULT) -> tuple[etree._Element, Decimal]:
    """One camt.053 statement (one account, one day): OPBD, the entries, CLBD. Returns the
    Document and the closing balance. Each entry row: amount (signed), value_date, booking_date,
    is_reversal, bank_tx_code ('PMNT/RCDT/ESCT' or proprietary), movement_id (-> the transaction's
    AcctSvcrRef), end_to_end_id, entry_ref, counterparty_name, description; rows sharing an
    ``entry_ref``, reversal flag and sign form one batch entry with one TxDtls each."""
    b = _B(ISO_NS + msg_def)
    doc = b(None, "Document")
    body = b(doc, "BkToCstmrStmt")
    g = b(body, "GrpHdr")
    b(g, "MsgId", stmt_id[:35])
    b(g, "CreDtTm", created.strftime("%Y-%m-%dT%H:%M:%S"))
    st = b(body, "Stmt")
    b(st, "Id", stmt_id[:35])
    b(st, "CreDtTm", created.strftime("%Y-%m-%dT%H:%M:%S"))
    acct = b(st, "Acct")
    if re.fullmatch(r"[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}", account):
        b.path(acct, "Id/IBAN", account)
    else:
        b.path(acct, "Id/Othr/Id", account[:34])
    b(acct, "Ccy", currency)
    total = sum((Decimal(str(e["amount"])) for e in entries), Decimal(0))
    closing = opening + total
    for btype, value in (("OPBD", opening), ("CLBD", closing)):
        bal = b(st, "Bal")
        b.path(bal, "Tp/CdOrPrtry/Cd", btype)
        b(bal, "Amt", format(abs(value), "f"), Ccy=currency)
        b(bal, "CdtDbtInd", "DBIT" if value < 0 else "CRDT")
        b.path(bal, "Dt/Dt", day)
    groups: dict[tuple[str, bool, bool], list[Mapping[str, Any]]] = {}
    for i, e in enumerate(entries):   # a batch: rows sharing entry_ref, reversal flag and sign
        group = (str(e.get("entry_ref") or f"#{i}"), bool(e.get("is_reversal")), Decimal(str(e["amount"])) < 0)
        groups.setdefault(group, []).append(e)
    for (key, _, _), rows in groups.items():
        amount = sum((Decimal(str(r["amount"])) for r in rows), Decimal(0))
        first = rows[0]
        n = b(st, "Ntry")
        if not key.startswith("#"):
            b(n, "NtryRef", key[:35])
        b(n, "Amt", format(abs(amount), "f"), Ccy=currency)
        b(n, "CdtDbtInd", "DBIT" if amount < 0 else "CRDT")
        if first.get("is_reversal"):
            b(n, "RvslInd", "true")
        b.path(n, "Sts/Cd", "BOOK")
        b.path(n, "BookgDt/Dt", _d(first.get("booking_date") or first["value_date"]))
        b.path(n, "ValDt/Dt", _d(first["value_date"]))
        code = str(first.get("bank_tx_code") or "PMNT/RCDT/ESCT")
        parts = code.split("/")
        if len(parts) == 3:
            dom = b.path(n, "BkTxCd/Domn")
            b(dom, "Cd", parts[0])
            fm = b(dom, "Fmly")
            b(fm, "Cd", parts[1])
            b(fm, "SubFmlyCd", parts[2])
        else:
            b.path(n, "BkTxCd/Prtry/Cd", code[:35])
        nd = b(n, "NtryDtls")
        if len(rows) > 1:
            bt = b(nd, "Btch")
            b(bt, "NbOfTxs", str(len(rows)))
            b(bt, "TtlAmt", format(abs(amount), "f"), Ccy=currency)
            b(bt, "CdtDbtInd", "DBIT" if amount < 0 else "CRDT")
        for r in rows:
            tx = b(nd, "TxDtls")
            if r.get("movement_id") or r.get("end_to_end_id"):
                refs = b(tx, "Refs")
                if r.get("movement_id"):
                    b(refs, "AcctSvcrRef", str(r["movement_id"])[:35])
                if r.get("end_to_end_id"):
                    b(refs, "EndToEndId", str(r["end_to_end_id"])[:35])
            a = Decimal(str(r["amount"]))
            b(tx, "Amt", format(abs(a), "f"), Ccy=currency)
            b(tx, "CdtDbtInd", "DBIT" if a < 0 else "CRDT")
            if r.get("counterparty_name"):
                b.path(tx, f"RltdPties/{'Cdtr' if a < 0 else 'Dbtr'}/Pty/Nm", str(r["counterparty_name"])[:140])
            if r.get("description"):
                b(tx, "AddtlTxInf", str(r["description"])[:500])
    return doc, closing


def write_cash_camt053(frame: pl.DataFrame, path: Path, *, bank_bic: str, our_bic: str, cfg: Config,
                       opening: Mapping[str, Decimal] | None = None, accounts: Sequence[tuple[str, str]] = (),
                       day: str | None = None, validate_docs: bool = True) -> dict[str, Decimal]:
    """Write a bo_cash_movements-shaped frame as camt.053 statements (one per account, currency and
    known date; AppHdr + Document pairs in one batch file), plus a balances-only statement on
    ``day`` for each ``(account, currency)`` of ``accounts`` without movements. ``opening`` gives
    opening balances (key ``account``, or ``account/currency`` for an account with several
    currencies; 0 when absent); returns the closing balances with the same keys, to chain days."""
    from connectors.iso20022 import batch

    closing: dict[str, Decimal] = dict(opening or {})
    rows = frame.sort("value_date").to_dicts() if frame.height else []
    keys: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in rows:
        keys.setdefault((_d(r.get("known_date") or r["value_date"]), str(r["account"]), str(r.get("currency") or "")),
                        []).append(r)
    if day:
        for account, ccy in accounts:
            keys.setdefault((day, account, ccy), [])
    n_ccy: dict[tuple[str, str], int] = {}
    ccys: dict[str, set[str]] = {}
    for d, account, ccy in keys:
        n_ccy[(d, account)] = n_ccy.get((d, account), 0) + 1
        ccys.setdefault(account, set()).add(ccy)
    pairs = []
    for (d, account, ccy), entries in sorted(keys.items()):
        stmt_id = str(entries[0].get("statement_id") or "") if entries else ""
        stmt_id = stmt_id or f"S{d.replace('-', '')}-{account}"
        if n_ccy[(d, account)] > 1:   # one statement per currency of a multi-currency account
            stmt_id = f"{stmt_id[:31]}-{ccy}"
        stmt_id = stmt_id[:35]
        created = dt.datetime.combine(dt.date.fromisoformat(d), dt.time(18, 0))
        key = account if len(ccys[account]) == 1 else f"{account}/{ccy}"
        doc, close = camt053_document(stmt_id, account, ccy, d, entries,
                                      closing.get(key, closing.get(account, Decimal(0))), created)
        closing[key] = close
        if validate_docs:
            errors = validate_tree(doc, CAMT053_DEFAULT, cfg)
            if errors:
                raise ValueError(f"camt.053 statement {stmt_id} is not valid: {errors}")
        pairs.append((app_header(CAMT053_DEFAULT, stmt_id, bank_bic, our_bic, created), doc))
    write_xml(batch(pairs), path)
    return closing


#: The sample world's cash statements per output folder: (last day written, closing balances,
#: accounts seen); a day not after the last one starts a new chain (a new world).
_SAMPLE_STATE: dict[str, tuple[str, dict[str, Decimal], set[tuple[str, str]]]] = {}
_STEM_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def write_sample_cash_camt053(frame: pl.DataFrame, path: Path, table: str) -> None:
    """Sample-world feed writer (``FEED_WRITERS["CAMT053"]``): a day's bo_cash_movements as
    camt.053.001.13 statements (AppHdr + Document pairs in one ``BizMsgBatch`` file). Opening
    balances chain from the previous day's closing balances written to the same folder (starting at
    0), so consecutive statements agree; an account seen before gets a balances-only statement on
    a day without movements; nothing at all is written before the first movement."""
    from connectors.swift_mt import SAMPLE_OUR_BIC
    from engine.config import load_config

    if table != MOVEMENTS:
        raise ValueError(f"the CAMT053 writer carries bo_cash_movements only, not {table}")
    folder = str(path.parent.resolve())
    m = _STEM_DATE.search(path.name)
    day = m.group(1) if m else (str(frame["known_date"].min()) if frame.height else "")
    last, balances, known = _SAMPLE_STATE.get(folder, ("", {}, set()))
    if not day or day <= last:
        balances, known = {}, set()
    if frame.height == 0 and not known:
        return
    closing = write_cash_camt053(frame, path, bank_bic="CASHUS33XXX", our_bic=SAMPLE_OUR_BIC,
                                 cfg=load_config(environ={}), opening=balances, accounts=sorted(known), day=day,
                                 validate_docs=False)
    seen = set(known) | {(str(a), str(c)) for a, c in frame.select("account", "currency").unique().iter_rows()} \
        if frame.height else set(known)
    _SAMPLE_STATE[folder] = (day, closing, seen)

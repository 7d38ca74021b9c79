"""``midoffice instruct``: settlement instructions out, for the trades due to settle.

The middle office passes validated trades on to the back office: every live trade (as of
``--as-of``) in a securities asset class (``[instruct] asset_classes``) whose intended settlement
date is on or after the as-of date becomes one instruction to the custodian of its safekeeping
account (``ref_accounts``), with the counterparty's SSI (its agent, account and place of
settlement) and BIC:

- ``--format mt``: MT541 (receive against payment) / MT543 (deliver against payment), MT540 / MT542
  when free of payment (a trade with no settlement amount), one ``.fin`` file per custodian. Each
  file is parsed back by :mod:`connectors.swift_mt` before the command succeeds (round trip).
- ``--format sese``: one sese.023 Document per trade (``[iso20022] sese023_version``), each
  validated against its XSD when one is at hand; a trade whose document is invalid is skipped
  with the schema error as its reason.

References: the instruction's reference (MT ``:20C::SEME//``, sese ``TxId``) is the trade id (for MT
a 16-character digest when the id does not fit 16x); ``instructions_<as_of>.csv`` lists every
trade with its file, message type and reference, or why it was skipped. The preparation time
stamped in the messages is the as-of date at 07:00, so re-running a date writes the same files.
This module is CLI wiring: it is the one place that joins the engine's store to the connectors'
writers.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer

from engine import store
from engine.config import Config
from engine.errors import BadInputError, MidofficeError

log = logging.getLogger(__name__)

FORMATS = ("mt", "sese")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class InstructResult:
    """What ``instruct`` wrote."""

    as_of: dt.date
    fmt: str
    out: Path
    files: tuple[Path, ...]
    written: int
    skipped: int
    by_custodian: tuple[dict[str, Any], ...] = ()
    skip_reasons: dict[str, int] = field(default_factory=dict)
    manifest: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "format": self.fmt, "out": str(self.out),
                "files": [str(f) for f in self.files], "written": self.written, "skipped": self.skipped,
                "by_custodian": list(self.by_custodian), "skip_reasons": dict(self.skip_reasons),
                "manifest": str(self.manifest) if self.manifest else None}


def trades_due(cfg: Config, as_of: dt.date) -> pl.DataFrame:
    """The trades to instruct (and those that cannot be, with ``skip_reason``), from the store."""
    from engine.trades import create_trades_asof

    section = cfg.section("instruct") if "instruct" in cfg.data else {}
    classes = list(section.get("asset_classes", ["EQUITY", "GOVT_BOND", "CORP_BOND"]))
    famt = list(section.get("face_amount_classes", ["GOVT_BOND", "CORP_BOND"]))
    with store.connect(cfg, read_only=True) as con:
        create_trades_asof(con, as_of)
        return store.query_named(con, "instruct/trades_due",
                                 {"as_of": as_of, "asset_classes": classes, "famt_classes": famt})


def _our_bic(cfg: Config) -> str:
    bics = cfg.get("swift.our_bics") or []
    if not bics:
        raise MidofficeError("no BIC of ours to send instructions from",
                             hint="set [swift] our_bics = [\"YOURBICXXXX\"] in the configuration")
    return str(bics[0])


def _rows_for_writer(frame: pl.DataFrame) -> list[dict[str, Any]]:
    rows = frame.with_columns(
        settlement_id=pl.col("trade_id"), trade_ref=pl.col("trade_id"),
    ).to_dicts()
    return rows


def write_instructions(cfg: Config, frame: pl.DataFrame, fmt: str, out: Path, as_of: dt.date) -> InstructResult:
    """Write the instructions for ``frame`` (as from :func:`trades_due`) into ``out``."""
    from connectors import iso20022, swift_mt

    if fmt not in FORMATS:
        raise BadInputError(f"unknown format {fmt!r}", expected=" or ".join(FORMATS), found=fmt)
    out.mkdir(parents=True, exist_ok=True)
    when = dt.datetime.combine(as_of, dt.time(7, 0))
    manifest: list[dict[str, Any]] = []
    files: list[Path] = []
    ok = frame.filter(pl.col("skip_reason").is_null())
    for r in frame.filter(pl.col("skip_reason").is_not_null()).to_dicts():
        manifest.append({"trade_id": r["trade_id"], "version": r["version"], "custodian": r["custodian"],
                         "status": "SKIPPED", "message_type": None, "reference": None, "file": None,
                         "reason": r["skip_reason"]})
    if fmt == "mt":
        our_bic = _our_bic(cfg)
        for (custodian,), part in ok.group_by(["custodian"], maintain_order=True):
            rows = _rows_for_writer(part)
            path = out / f"instructions_{_SAFE.sub('_', str(custodian))}_{as_of.isoformat()}.fin"
            swift_mt.write_instructions_mt(rows, path, our_bic=our_bic, when=when)
            back = swift_mt.parse_text(path.read_text(encoding="ascii"), path, cfg)
            if back.quarantine.height:
                raise MidofficeError(f"{path}: {back.quarantine.height} instruction(s) do not read back: "
                                     f"{back.quarantine['reason'][0]}")
            files.append(path)
            for r in rows:
                mt, _ = swift_mt.instruction_fields(r, when)
                manifest.append({"trade_id": r["trade_id"], "version": r["version"], "custodian": custodian,
                                 "status": "WRITTEN", "message_type": f"MT{mt}",
                                 "reference": swift_mt.swift_ref(r["trade_id"]), "file": path.name, "reason": None})
    else:
        from lxml import etree

        msg_def = str(cfg.get("iso20022.sese023_version", iso20022.SESE023_DEFAULT))
        if not re.fullmatch(r"sese\.023\.001\.\d{2}", msg_def):
            raise BadInputError(f"[iso20022] sese023_version {msg_def!r} is not a sese.023 version",
                                expected="e.g. sese.023.001.12")
        if iso20022.validate_tree(etree.Element("x"), msg_def, cfg) is None:
            log.warning("no XSD for %s in %s: sese.023 instructions not validated", msg_def, iso20022.xsd_dir(cfg))
        for r in _rows_for_writer(ok):
            doc = iso20022.sese023_document(r, msg_def)
            errors = iso20022.validate_tree(doc, msg_def, cfg)
            entry = {"trade_id": r["trade_id"], "version": r["version"], "custodian": r["custodian"],
                     "message_type": msg_def, "reference": str(r["trade_id"])[:35]}
            if errors:
                manifest.append({**entry, "status": "SKIPPED", "file": None,
                                 "reason": f"sese.023 not valid against {msg_def}.xsd: {errors[0]}"})
                continue
            path = out / f"{msg_def}_{_SAFE.sub('_', str(r['custodian']))}_{_SAFE.sub('_', str(r['trade_id']))}.xml"
            iso20022.write_xml(doc, path)
            files.append(path)
            manifest.append({**entry, "status": "WRITTEN", "file": path.name, "reason": None})
    mpath = out / f"instructions_{as_of.isoformat()}.csv"
    cols = ["trade_id", "version", "custodian", "status", "message_type", "reference", "file", "reason"]
    with mpath.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for m in manifest:
            w.writerow({c: m.get(c) for c in cols})
    mf = pl.DataFrame(manifest, schema={c: pl.String for c in cols}, strict=False) if manifest else pl.DataFrame(
        schema={c: pl.String for c in cols})
    written = mf.filter(pl.col("status") == "WRITTEN")
    by_cust = (written.group_by("custodian", "message_type").len("messages").sort("custodian", "message_type")
               .to_dicts())
    skipped = mf.filter(pl.col("status") == "SKIPPED")
    reasons = {str(k): int(v) for k, v in skipped.group_by("reason").len().iter_rows()}
    return InstructResult(as_of, fmt, out, tuple(files), written.height, skipped.height, tuple(by_cust),
                          reasons, mpath)


def instruct(
    as_of: Annotated[str, typer.Option("--as-of", help="business date YYYY-MM-DD: trades live on it and settling on or after it")],
    fmt: Annotated[str, typer.Option("--format", help="mt (MT540-543) | sese (sese.023)")] = "mt",
    out: Annotated[Path, typer.Option("--out", help="folder for the instruction files")] = Path("out/instructions"),
) -> None:
    """Write settlement instructions (MT540-543 or sese.023) for the trades due to settle."""
    from engine.cli import console, get_config, print_table

    try:
        day = dt.date.fromisoformat(as_of)
    except ValueError as exc:
        raise BadInputError(f"--as-of {as_of!r} is not a date", expected="YYYY-MM-DD", found=as_of) from exc
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise BadInputError(f"--format {fmt!r} is not supported", expected="mt or sese", found=fmt)
    cfg = get_config()
    frame = trades_due(cfg, day)
    result = write_instructions(cfg, frame, fmt, out, day)
    print_table(f"Settlement instructions {day} ({fmt})", list(result.by_custodian) or [{"custodian": "-", "messages": 0}])
    if result.skip_reasons:
        print_table("Trades not instructed", [{"reason": k, "trades": v} for k, v in result.skip_reasons.items()])
    console.print(f"{result.written:,} instructions in {len(result.files)} file(s) under {out}; "
                  f"{result.skipped:,} trades skipped; manifest {result.manifest}")

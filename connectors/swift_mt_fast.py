"""Vectorised (Polars) mapping of well-formed MT540-MT548 messages to bo_settlements rows.

The same rules as the per-message path of :mod:`connectors.swift_mt` (:data:`FIELD_MAP`,
:data:`STATUS_MAP`, the conventions in its docstring), as column expressions over all messages of
a file at once: block 4 is split into lines, fields and their 16R/16S sequences are computed with
window functions, the columns are picked by joining the fields to :data:`FIELD_MAP` as a table,
and values are converted and checked column-wise.

This path does not explain faults: a message with anything unusual (text that is not a field, an
unbalanced sequence, a date or decimal that does not convert, a missing reference, an unknown
status ...) is *flagged* and handed back; the caller parses it with the per-message path, which
either maps it after all or quarantines it with the precise reason. MT537 statements always take
the per-message path. Tests check both paths give the same rows.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence

import polars as pl

from connectors.swift_mt import (
    COLUMNS,
    FIELD_MAP,
    STATUS_MAP,
    STATUS_RANK,
    TYPE_DIRECTION,
    MtContext,
    MtHeader,
)

log = logging.getLogger(__name__)

VECTOR_TYPES = frozenset({"540", "541", "542", "543", "544", "545", "546", "547", "548"})
_EPOCH = dt.datetime(2000, 1, 1)
_FIELD_START = r"^:\d{2}[A-Z]?:"
_DEC = r"^\d+,\d*$"


def _spec_frame() -> pl.DataFrame:
    """FIELD_MAP as a table: column, priority, tag, qualifier ('' = none), sequence ('*' = any)."""
    rows = []
    for col, specs in FIELD_MAP.items():
        for prio, (tag, qual, seqs) in enumerate(specs):
            for seq in (seqs or ("*",)):
                rows.append((col, prio, tag, qual or "", seq))
    return pl.DataFrame(rows, schema=["column", "prio", "tag", "qual", "spec_seq"], orient="row")


_SPEC = _spec_frame()
_TAGS = sorted({tag for specs in FIELD_MAP.values() for tag, _, _ in specs})
_DATED = frozenset({"prep", "stat_date", "trade_date", "intended_settle_date", "actual_settle_date"})
_STATUS = pl.DataFrame(
    [(q, c, s, STATUS_RANK[s]) for (q, c), s in STATUS_MAP.items()],
    schema=["qual", "code", "status", "rank"], orient="row",
)


def _dec(e: pl.Expr) -> pl.Expr:
    """SWIFT decimal text -> decimal text ('1000,' -> '1000', '1,5' -> '1.5'); null when malformed."""
    return pl.when(e.str.contains(_DEC)).then(e.str.replace(",", ".", literal=True).str.strip_suffix("."))


def vector_rows(headers: Sequence[MtHeader], ctx: MtContext,
                file_dts: Sequence[dt.datetime] | None = None) -> tuple[pl.DataFrame, set[int]]:
    """Rows (COLUMNS plus ``_when``) of the messages it can map, and the numbers of those it flags.
    ``file_dts``: per message, its file's date (the last fallback of ``known_date``); default
    ``ctx.file_datetime``. Message numbers must be unique across ``headers``."""
    if not headers:
        return pl.DataFrame(), set()
    t0 = [time.process_time()]

    def lap(label: str) -> None:
        now = time.process_time()
        log.debug("mt vector %s: %.3f s cpu", label, now - t0[0])
        t0[0] = now
    m = pl.DataFrame(
        {
            "msg": [h.number for h in headers],
            "mt": [h.mt for h in headers],
            "sender": [h.sender for h in headers],
            "receiver": [h.receiver for h in headers],
            "out_time": [h.output_time for h in headers],
            "b4_line": [h.block4_line for h in headers],
            "b4": [h.block4.replace("\r", "") for h in headers],
            "_raw": [h.raw for h in headers],
            "file_dt": list(file_dts) if file_dts is not None else [ctx.file_datetime] * len(headers),
        },
        schema_overrides={"out_time": pl.Datetime("us"), "msg": pl.Int64, "b4_line": pl.Int64,
                          "file_dt": pl.Datetime("us")},
    )
    lines = (
        m.select("msg", "b4_line", pl.col("b4").str.split("\n").alias("line"))
        .with_columns(idx=pl.int_ranges(0, pl.col("line").list.len()), n=pl.col("line").list.len())
        .explode(["line", "idx"], empty_as_null=True)
        .with_columns(is_field=pl.col("line").str.contains(_FIELD_START))
        .with_columns(fid=pl.col("is_field").cast(pl.Int64).cum_sum())
    )
    lap("lines")
    empty = pl.col("line") == ""
    first_field = lines.filter("is_field").group_by("msg").agg(pl.col("idx").min().alias("first_idx"))
    lines = lines.join(first_field, on="msg", how="left")
    bad_line = (
        (~pl.col("is_field") & ~empty & (pl.col("first_idx").is_null() | (pl.col("idx") < pl.col("first_idx"))))
        | (~pl.col("is_field") & pl.col("line").str.starts_with(":"))
        | (empty & (pl.col("idx") > 0) & (pl.col("idx") < pl.col("n") - 1))
        | pl.col("first_idx").is_null()
    )
    flagged = set(lines.filter(bad_line)["msg"].unique().to_list())
    cont = (lines.filter(~pl.col("is_field") & ~empty)
            .group_by("fid", maintain_order=True).agg(pl.col("line").str.join("\n").alias("cont")))
    f = (
        lines.filter("is_field")
        .join(cont, on="fid", how="left")
        .with_columns(short=pl.col("line").str.slice(3, 1) == ":")   # ':20C:' or ':20:'
        .with_columns(
            line_no=pl.col("b4_line") + pl.col("idx"),
            tag=pl.when("short").then(pl.col("line").str.slice(1, 2)).otherwise(pl.col("line").str.slice(1, 3)),
            rest=pl.when("short").then(pl.col("line").str.slice(4)).otherwise(pl.col("line").str.slice(5)),
        )
        .with_columns(rest=pl.when(pl.col("cont").is_null()).then(pl.col("rest"))
                      .otherwise(pl.col("rest") + "\n" + pl.col("cont")))
        .select("msg", "fid", "line_no", "tag", "rest")
    )
    del lines, cont
    lap("fields")
    generic = (pl.col("rest").str.slice(0, 1) == ":") & (pl.col("rest").str.len_chars() > 5) & (
        pl.col("rest").str.slice(5, 1) == "/")
    parts = pl.col("rest").str.extract_groups(r"(?s)^:(.{4})/([^/]*)/(.*)$")
    f = f.with_columns(generic=generic, parts=parts).with_columns(
        qual=pl.when("generic").then(pl.col("parts").struct.field("1")).otherwise(pl.lit("")),
        data=pl.when("generic").then(pl.col("parts").struct.field("3")).otherwise(pl.col("rest")),
    )
    flagged |= set(f.filter(pl.col("generic") & pl.col("parts").struct.field("1").is_null())["msg"].to_list())
    f = f.select("msg", "fid", "line_no", "tag", "qual", "data")
    lap("generic")
    # sequences: depth after each field; a 16S closes the level above it; names forward-filled per level
    is_r, is_s = pl.col("tag") == "16R", pl.col("tag") == "16S"
    f = f.with_columns(name=pl.when(is_r | is_s).then(pl.col("data").str.strip_chars()))
    f = f.with_columns(depth=(is_r.cast(pl.Int64) - is_s.cast(pl.Int64)).cum_sum().over("msg"))
    f = f.with_columns(level=pl.when(is_s).then(pl.col("depth") + 1).otherwise(pl.col("depth")))
    f = f.with_columns(
        seq=pl.when(is_r).then(pl.col("name")).forward_fill().over(["msg", "level"]),
        stat_no=(is_r & (pl.col("name") == "STAT")).cast(pl.Int64).cum_sum().over("msg"),
    )
    seq_fault = (pl.col("depth") < 0) | (is_s & (pl.col("seq").is_null() | (pl.col("seq") != pl.col("name"))))
    flagged |= set(f.filter(seq_fault)["msg"].unique().to_list())
    flagged |= set(f.group_by("msg").agg(pl.col("depth").last()).filter(pl.col("depth") != 0)["msg"].to_list())
    f = f.filter(~is_r & ~is_s).with_columns(seq=pl.when(pl.col("depth") == 0).then(pl.lit("")).otherwise(pl.col("seq")))
    lap("sequences")
    # every date field must be a real date in 1900-2099
    long = pl.col("tag") != "98A"
    digits = pl.when(long).then(pl.col("data").str.slice(0, 14)).otherwise(pl.col("data").str.slice(0, 8))
    stamp = pl.when(long).then(digits.str.strptime(pl.Datetime("us"), "%Y%m%d%H%M%S", strict=False))\
        .otherwise(digits.str.strptime(pl.Date, "%Y%m%d", strict=False).cast(pl.Datetime("us")))
    f = f.with_columns(stamp=pl.when(pl.col("tag").is_in(["98A", "98C", "98E"])).then(stamp))
    bad_date = pl.col("tag").is_in(["98A", "98C", "98E"]) & (
        pl.col("stamp").is_null() | ~pl.col("stamp").dt.year().is_between(1900, 2099)
        | ~digits.str.contains(r"^\d+$") | (digits.str.len_chars() != pl.when(long).then(14).otherwise(8)))
    flagged |= set(f.filter(bad_date)["msg"].unique().to_list())

    lap("dates")
    # pick each column's field: per message, the first field of the first FIELD_MAP candidate present
    aggs = []
    for col, specs in FIELD_MAP.items():
        conds = []
        for tag, qual, seqs in specs:
            cond = (pl.col("tag") == tag) & (pl.col("qual") == (qual or ""))
            conds.append(cond & pl.col("seq").is_in(list(seqs)) if seqs else cond)
        aggs.append(pl.coalesce([pl.col("data").filter(c).first() for c in conds]).alias(f"data_{col}"))
        if col in _DATED:
            aggs.append(pl.coalesce([pl.col("stamp").filter(c).first() for c in conds]).alias(f"stamp_{col}"))
        if col in ("prep", "deal_price"):
            aggs.append(pl.coalesce([pl.col("tag").filter(c).first() for c in conds]).alias(f"tag_{col}"))
    wide = f.filter(pl.col("tag").is_in(_TAGS)).group_by("msg").agg(aggs)
    w = m.drop("b4").join(wide, on="msg", how="left")

    d = lambda c: pl.col(f"data_{c}")  # noqa: E731
    strip = lambda c: d(c).str.strip_chars()  # noqa: E731
    ref = lambda c: pl.when(~strip(c).is_in(["", "NONREF"])).then(strip(c))  # noqa: E731
    iso = lambda c: pl.col(f"stamp_{c}").dt.date().cast(pl.String)  # noqa: E731

    # values
    qty_parts = {c: d(c).str.split_exact("/", 1) for c in ("quantity", "settled_quantity", "prev_settled_quantity",
                                                            "remaining_quantity")}
    amt_body = {c: d(c).str.strip_prefix("N") for c in ("amount", "settled_amount", "prev_settled_amount",
                                                        "remaining_amount")}
    price_rest = d("deal_price").str.split_exact("/", 1).struct.field("field_1")
    price_ccy = pl.when(pl.col("tag_deal_price") == "90B").then(price_rest.str.slice(0, 3))
    price_num = pl.when(pl.col("tag_deal_price") == "90B").then(price_rest.str.slice(3)).otherwise(price_rest)
    exprs: dict[str, pl.Expr] = {
        "seme": strip("seme"),
        "function": pl.coalesce(d("function").str.split("/").list.first().str.strip_chars(), pl.lit("NEWM")),
        "rela": ref("rela"), "asrf": ref("asrf"), "trrf": ref("trrf"), "prev": ref("prev"),
        "isin": pl.when(d("isin").str.starts_with("ISIN ")).then(
            d("isin").str.split("\n").list.first().str.slice(5).str.strip_chars()),
        "trade_date": iso("trade_date"), "intended_settle_date": iso("intended_settle_date"),
        "actual_settle_date": iso("actual_settle_date"),
        "deal_price": _dec(price_num), "price_ccy": price_ccy,
        "account_id": strip("account_id"), "place_of_settlement": strip("pset"),
        "sell": strip("sell"), "buyr": strip("buyr"), "reag": strip("reag"), "deag": strip("deag"),
        "partial": strip("pars") == "PAIN",
        "rede": strip("rede"), "paym": strip("paym"), "link_type": strip("link_type").str.slice(-3),
    }
    bad = []
    for c, sp in qty_parts.items():
        kind, num = sp.struct.field("field_0"), sp.struct.field("field_1")
        ok = kind.is_in(["UNIT", "FAMT", "AMOR", "DIGI"]) & num.is_not_null() & (num != "")
        exprs[c] = pl.when(ok).then(_dec(num))
        bad.append(d(c).is_not_null() & exprs[c].is_null())
    for c, body in amt_body.items():
        ccy, num = body.str.slice(0, 3), body.str.slice(3)
        exprs[c] = pl.when(ccy.str.contains(r"^[A-Z]{3}$")).then(_dec(num))
        exprs[f"{c}_ccy"] = pl.when(exprs[c].is_not_null()).then(ccy)
        bad.append(d(c).is_not_null() & exprs[c].is_null())
    bad.append(d("deal_price").is_not_null() & exprs["deal_price"].is_null())
    w = w.with_columns(**exprs).with_columns(_bad=pl.any_horizontal(bad))
    flagged |= set(w.filter("_bad")["msg"].to_list())

    lap("values")
    # statuses of MT548: the highest rank; its first reason code and narrative
    st = (f.filter((pl.col("tag") == "25D") & (pl.col("seq") == "STAT") & (pl.col("qual") != ""))
          .with_columns(code=pl.col("data").str.strip_chars())
          .join(_STATUS, on=["qual", "code"], how="inner"))
    reas = (f.filter(pl.col("seq") == "REAS")
            .group_by(["msg", "stat_no"], maintain_order=True)
            .agg(pl.col("data").filter(pl.col("tag") == "24B").first().str.strip_chars().alias("reason_code"),
                 pl.col("data").filter(pl.col("tag") == "70D").first().alias("reason_raw")))
    st = (st.join(reas, on=["msg", "stat_no"], how="left")
          .with_columns(has_reason=pl.col("reason_code").is_not_null().cast(pl.Int64))
          .sort(["msg", "rank", "has_reason", "stat_no"])
          .group_by("msg", maintain_order=True).last()
          .select("msg", pl.col("status").alias("st548"), pl.col("reason_code").alias("rc548"),
                  pl.col("reason_raw").str.split("\n").list.eval(pl.element().str.strip_chars())
                  .list.eval(pl.element().filter(pl.element() != "")).list.join(" ").alias("rt548")))
    w = w.join(st, on="msg", how="left")

    lap("statuses")
    mt = pl.col("mt")
    instruction = mt.is_in(["540", "541", "542", "543"])
    confirmation = mt.is_in(["544", "545", "546", "547"])
    canc = pl.col("function") == "CANC"
    reversed_ = pl.col("function").is_in(["CANC", "RVSL"])
    own = pl.when(canc).then(pl.col("prev")).otherwise(pl.col("seme"))
    dir_of = {k: v[0] for k, v in TYPE_DIRECTION.items()}
    pay_of = {k: v[1] for k, v in TYPE_DIRECTION.items()}
    type_dir = mt.replace_strict(dir_of, default=None)
    type_pay = mt.replace_strict(pay_of, default=None)
    linked_dir = pl.col("link_type").replace_strict(dir_of, default=None)
    linked_pay = pl.col("link_type").replace_strict(pay_of, default=None)
    direction = (pl.when(mt != "548").then(type_dir)
                 .when(pl.col("rede").is_not_null()).then(pl.col("rede").replace_strict({"RECE": "RECEIVE", "DELI": "DELIVER"}, default=None))
                 .otherwise(linked_dir))
    payment = (pl.when(mt != "548").then(type_pay)
               .otherwise(pl.coalesce(pl.col("paym"), linked_pay, pl.lit("APMT"))))
    settled_q = pl.when(pl.col("prev_settled_quantity").is_not_null()).then(
        _add(pl.col("settled_quantity"), pl.col("prev_settled_quantity"))).otherwise(pl.col("settled_quantity"))
    settled_a = pl.when(pl.col("settled_amount").is_not_null() & pl.col("prev_settled_amount").is_not_null()).then(
        _add(pl.col("settled_amount"), pl.col("prev_settled_amount"))).otherwise(pl.col("settled_amount"))
    w = w.with_columns(
        settled_q=pl.when(confirmation).then(settled_q).otherwise(pl.col("settled_quantity")),
        settled_a=pl.when(confirmation).then(settled_a).otherwise(pl.col("settled_amount")),
    )
    quantity = (pl.when(confirmation & pl.col("quantity").is_null()).then(
        pl.when(pl.col("remaining_quantity").is_not_null()).then(_add(pl.col("settled_q"), pl.col("remaining_quantity")))
        .when(pl.col("partial")).then(None).otherwise(pl.col("settled_q")))
        .otherwise(pl.col("quantity")))
    amount = (pl.when(confirmation & pl.col("amount").is_null() & pl.col("settled_a").is_not_null()).then(
        pl.when(pl.col("remaining_amount").is_not_null()).then(_add(pl.col("settled_a"), pl.col("remaining_amount")))
        .when(pl.col("partial")).then(None).otherwise(pl.col("settled_a")))
        .otherwise(pl.col("amount")))
    status = (pl.when(instruction).then(pl.when(canc).then(pl.lit("CANCELLED")).otherwise(pl.lit("PENDING")))
              .when(confirmation).then(pl.when(reversed_).then(pl.lit("PENDING"))
                                       .when(pl.col("partial")).then(pl.lit("PARTIAL")).otherwise(pl.lit("SETTLED")))
              .otherwise(pl.col("st548")))
    reason_text = (pl.when(instruction & canc).then(pl.format("instruction {} cancelled by {}", own, pl.col("seme")))
                   .when(confirmation & reversed_).then(pl.format("settlement confirmation reversed (23G:{})", pl.col("function")))
                   .when(mt == "548").then(pl.col("rt548")))
    receive = direction == "RECEIVE"
    cp = pl.when(receive).then(pl.coalesce("sell", "deag")).otherwise(pl.coalesce("buyr", "reag"))
    acct_bic = pl.when(instruction).then(pl.col("receiver")).otherwise(pl.col("sender"))
    if ctx.our_bics:
        acct_bic = pl.when(acct_bic.is_in(list(ctx.our_bics))).then(
            pl.when(acct_bic == pl.col("receiver")).then(pl.col("sender")).otherwise(pl.col("receiver"))).otherwise(acct_bic)
    w = w.with_columns(_custodian_bic=acct_bic)
    names = ctx.custodians
    custodian = pl.coalesce(
        pl.col("_custodian_bic").replace_strict(dict(names), default=None),
        pl.col("_custodian_bic").str.slice(0, 8).replace_strict(dict(names), default=None),
        pl.col("_custodian_bic"),
    )
    prep_when = pl.when((pl.col("tag_prep") == "98A") & pl.col("out_time").is_not_null()
                        & (pl.col("out_time").dt.date() == pl.col("stamp_prep").dt.date())).then(pl.col("out_time")) \
        .otherwise(pl.col("stamp_prep"))
    when = pl.coalesce(prep_when, pl.col("stamp_stat_date"), pl.col("out_time"), pl.col("file_dt"))
    currency = pl.coalesce("amount_ccy", "settled_amount_ccy", "prev_settled_amount_ccy", "remaining_amount_ccy",
                           "price_ccy")
    out = w.with_columns(
        settlement_id=pl.when(instruction).then(own).otherwise(pl.coalesce("asrf", "rela", "seme")),
        trade_ref=pl.when(instruction).then(pl.coalesce("rela", "trrf", own)).otherwise(pl.coalesce("rela", "trrf")),
        status=status, direction=direction, payment=payment,
        quantity_out=quantity, amount_out=amount, reason_code=pl.when(mt == "548").then(pl.col("rc548")),
        reason_text=reason_text, counterparty_bic=cp, custodian=custodian, currency=currency,
        _when=when, known_date=when.dt.date().cast(pl.String),
        message_type=pl.lit("MT") + mt, src_line=pl.col("msg"), src_ref=pl.col("seme"),
    )
    lap("logic")
    missing = (
        pl.col("seme").is_null()
        | (instruction & canc & pl.col("prev").is_null())
        | (confirmation & pl.col("settled_quantity").is_null())
        | ((mt == "548") & pl.col("status").is_null())
        | pl.col("direction").is_null()
    )
    flagged |= set(out.filter(missing)["msg"].to_list())
    out = out.filter(~pl.col("msg").is_in(list(flagged)))
    advice = mt == "548"    # a status advice: nothing settled unless it says so
    out = out.with_columns(quantity=pl.col("quantity_out"), amount=pl.col("amount_out"),
                           settled_quantity=pl.when(advice).then(pl.coalesce("settled_q", pl.lit("0")))
                           .otherwise(pl.col("settled_q")),
                           settled_amount=pl.when(advice & pl.col("settled_a").is_null() & pl.col("amount_out").is_not_null())
                           .then(pl.lit("0")).otherwise(pl.col("settled_a")),
                           seq=pl.lit(None, dtype=pl.Int64), counterparty_id=pl.lit(None, dtype=pl.String))
    return out.select([pl.col(c).cast(pl.Int64 if c in ("seq", "src_line") else pl.String) for c in COLUMNS] + ["_when"]), flagged


def _add(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """Exact sum of two decimal texts (null if either is null), trailing zeros dropped."""
    total = (a.cast(pl.Decimal(38, 10)) + b.cast(pl.Decimal(38, 10))).cast(pl.String)
    return pl.when(a.is_not_null() & b.is_not_null()).then(
        pl.when(total.str.contains(r"\.")).then(total.str.replace(r"0+$", "").str.strip_suffix(".")).otherwise(total))

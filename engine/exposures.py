"""Exposures: gross, net, long and short by any combination of dimensions, concentration, net
open FX position, and counterparty exposure from unsettled trades and settlement risk.

Exposures are sums of the trade-date positions' base-currency market values (futures and
forwards at notional): ``gross = sum |MV|``, ``net = sum MV``, ``long = sum of MV > 0``,
``short = sum of MV < 0``. The run stores the groupings of ``[positions] exposure_groupings``;
:func:`compute_exposures` computes any other combination on the fly from the stored positions.
Lineage: an exposure row's non-NULL key columns select its positions in ``out_positions``
(:func:`exposure_positions`).

Concentration per grouping: each member's share of the grouping's gross, the Herfindahl-
Hirschman index (sum of squared percentage shares, 0..10,000) and the share of the top N.

Counterparty exposure (``out_counterparty_exposures`` with trade-level lineage in
``out_counterparty_exposure_trades``): replacement cost of unsettled trades (max(0, mark to
market against the trade price)), settlement risk of the trades settling on the date (what we
deliver), OTC derivatives' marks netted per netting set.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

import duckdb
import polars as pl

from engine import store
from engine.config import Config
from engine.errors import BadInputError
from engine.positions import ensure_prepared, latest_as_of
from engine.run import RunContext, StepResult, parse_date

log = logging.getLogger(__name__)

#: The dimensions exposures can be grouped by (columns of out_positions and out_exposures).
DIMENSIONS: tuple[str, ...] = (
    "legal_entity_id",
    "desk",
    "book_id",
    "trader",
    "issuer",
    "sector",
    "country",
    "currency",
    "asset_class",
)
ALIASES = {"legal_entity": "legal_entity_id", "book": "book_id", "entity": "legal_entity_id"}

DEFAULT_GROUPINGS: list[list[str]] = [
    [],
    ["legal_entity_id"],
    ["desk"],
    ["book_id"],
    ["trader"],
    ["issuer"],
    ["sector"],
    ["country"],
    ["currency"],
    ["asset_class"],
    ["desk", "asset_class"],
    ["desk", "currency"],
    ["book_id", "asset_class"],
    ["country", "sector"],
]


def normalise_dims(dims: Sequence[str]) -> list[str]:
    """Dimension names in the canonical order, aliases resolved; unknown names refused."""
    out = []
    for d in dims:
        name = ALIASES.get(d.strip().lower(), d.strip().lower())
        if name not in DIMENSIONS:
            raise BadInputError(f"unknown exposure dimension {d!r}", expected=f"one of {', '.join(DIMENSIONS)}")
        if name not in out:
            out.append(name)
    return [d for d in DIMENSIONS if d in out]


def grouping_name(dims: Sequence[str]) -> str:
    return "+".join(dims) if dims else "firm"


def groupings(cfg: Config) -> list[list[str]]:
    raw = cfg.get("positions.exposure_groupings", DEFAULT_GROUPINGS)
    seen: dict[str, list[str]] = {}
    for g in raw:
        dims = normalise_dims(list(g))
        seen.setdefault(grouping_name(dims), dims)
    return list(seen.values())


def _measures(positions: pl.DataFrame) -> pl.DataFrame:
    mv = pl.col("market_value_base").cast(pl.Float64)
    return positions.with_columns(
        mv.abs().alias("_gross"),
        mv.alias("_net"),
        pl.when(mv > 0).then(mv).otherwise(0.0).alias("_long"),
        pl.when(mv < 0).then(mv).otherwise(0.0).alias("_short"),
    )


def compute_exposures(positions: pl.DataFrame, by: Sequence[Sequence[str]] | Sequence[str]) -> pl.DataFrame:
    """Exposures of ``positions`` (rows of out_positions) for one grouping (a list of
    dimension names) or several (a list of lists). Columns: grouping, the dimension columns
    (NULL where not grouped), positions, gross_base, net_base, long_base, short_base, share_pct
    (gross as % of the grouping's total gross) and rank (1 = largest gross)."""
    many: list[list[str]]
    if not by:
        many = [[]]  # no dimension: the firm total
    elif isinstance(by[0], str):
        many = [list(by)]  # type: ignore[arg-type]
    else:
        many = [list(g) for g in by]  # type: ignore[arg-type]
    df = _measures(positions)
    frames = []
    for dims_raw in many:  # a handful of configured groupings, not rows
        dims = normalise_dims(dims_raw)
        aggs = [
            pl.len().cast(pl.Int64).alias("positions"),
            pl.col("_gross").sum().alias("gross_base"),
            pl.col("_net").sum().alias("net_base"),
            pl.col("_long").sum().alias("long_base"),
            pl.col("_short").sum().alias("short_base"),
        ]
        g = df.group_by(dims).agg(aggs) if dims else df.select(aggs)
        total = g["gross_base"].sum()
        g = g.with_columns(
            pl.lit(grouping_name(dims)).alias("grouping"),
            (pl.col("gross_base") / total * 100 if total else pl.lit(None, dtype=pl.Float64)).alias("share_pct"),
        )
        g = g.sort(["gross_base", *dims], descending=[True] + [False] * len(dims), nulls_last=True).with_columns(
            pl.int_range(1, pl.len() + 1).cast(pl.Int64).alias("rank")
        )
        g = g.with_columns([pl.lit(None, dtype=pl.String).alias(d) for d in DIMENSIONS if d not in dims])
        frames.append(
            g.select(
                "grouping",
                *[pl.col(d).cast(pl.String) for d in DIMENSIONS],
                "positions",
                "gross_base",
                "net_base",
                "long_base",
                "short_base",
                "share_pct",
                "rank",
            )
        )
    if not frames:
        return pl.DataFrame()
    return pl.concat(frames, how="vertical")


def concentration(exposures: pl.DataFrame, top_n: int = 10) -> pl.DataFrame:
    """Per grouping of ``exposures``: members, total gross, Herfindahl index (sum of squared
    percentage shares, 0..10,000), share of the top ``top_n`` and the largest member."""
    if exposures.is_empty():
        return pl.DataFrame()
    key = pl.concat_str([pl.col(d) for d in DIMENSIONS], separator="|", ignore_nulls=True)
    return (
        exposures.filter(pl.col("grouping") != "firm")
        .with_columns(key.alias("_key"))
        .sort(["grouping", "rank"])
        .group_by("grouping", maintain_order=True)
        .agg(
            pl.len().cast(pl.Int64).alias("members"),
            pl.col("gross_base").sum().alias("total_gross_base"),
            (pl.col("share_pct") ** 2).sum().alias("hhi"),
            pl.lit(top_n).cast(pl.Int32).alias("top_n"),
            pl.col("share_pct").head(top_n).sum().alias("top_n_share_pct"),
            pl.col("_key").first().alias("largest_key"),
            pl.col("share_pct").first().alias("largest_share_pct"),
        )
    )


def step_exposures(ctx: RunContext) -> StepResult:
    """End-of-day step: exposures, concentration, net open FX and counterparty exposure."""
    ensure_prepared(ctx)
    con, cfg = ctx.con, ctx.cfg
    for table in (
        "out_exposures",
        "out_concentration",
        "out_net_fx",
        "out_counterparty_exposure_trades",
        "out_counterparty_exposures",
    ):
        ctx.replace_date(table)
    positions = store.query(
        con,
        "SELECT * FROM out_positions WHERE as_of = $d AND basis = 'TRADE'",
        {"d": ctx.as_of},
    )
    exp = compute_exposures(positions, groupings(cfg))
    top_n = int(cfg.get("positions.concentration_top_n", 10))
    conc = concentration(exp, top_n)
    _insert_frame(con, "out_exposures", exp, ctx)
    _insert_frame(con, "out_concentration", conc, ctx)
    params = {"as_of": ctx.as_of, "run_id": ctx.run_id}
    store.run_named(con, "limits/src_positions", {"as_of": ctx.as_of})
    store.run_named(con, "exposures/fx_legs")
    store.run_named(con, "exposures/net_fx", {**params, "base": cfg.base_currency})
    store.run_named(
        con,
        "exposures/counterparty_trades",
        {**params, "use_back_office": bool(cfg.get("positions.failing_from_back_office", True))},
    )
    store.run_named(con, "exposures/counterparty_exposures", params)
    s = store.query(
        con,
        "SELECT count(*) AS n, coalesce(sum(current_exposure_base), 0) AS ce, "
        "coalesce(sum(settlement_risk_base), 0) AS sr FROM out_counterparty_exposures WHERE as_of = $d",
        {"d": ctx.as_of},
    ).row(0, named=True)
    firm = exp.filter(pl.col("grouping") == "firm")
    summary = {
        "exposure_rows": exp.height,
        "gross_base": float(firm["gross_base"][0]) if firm.height else 0.0,
        "net_base": float(firm["net_base"][0]) if firm.height else 0.0,
        "counterparties": int(s["n"]),
        "current_exposure_base": float(s["ce"]),
        "settlement_risk_base": float(s["sr"]),
    }
    return StepResult(rows_out=exp.height, summary=summary)


def _insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, ctx: RunContext) -> None:
    """Insert a frame into ``table`` by column name, with as_of and run_id (table is a code constant)."""
    if frame.is_empty():
        return
    full = frame.with_columns(pl.lit(ctx.as_of).alias("as_of"), pl.lit(ctx.run_id).cast(pl.Int64).alias("run_id"))
    cols = ", ".join(f'"{c}"' for c in full.columns)
    name = f"_ins_{table}"
    con.register(name, full)
    try:
        con.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM "{name}"')  # noqa: S608
    finally:
        con.unregister(name)


# ---------------------------------------------------------------------------------------------
# Read API (published snapshot)
# ---------------------------------------------------------------------------------------------


def exposures(cfg: Config, by: Sequence[str] = (), as_of: date | str | None = None) -> pl.DataFrame:
    """Exposures by any combination of dimensions (``by``; empty = firm), computed from the
    published positions of ``as_of`` (default: the latest)."""
    with store.connect_reader(cfg) as con:
        d = parse_date(as_of) if as_of else latest_as_of(con)
        pos = store.query(con, "SELECT * FROM out_positions WHERE as_of = $d AND basis = 'TRADE'", {"d": d})
    return compute_exposures(pos, [list(by)]).with_columns(pl.lit(d).alias("as_of"))


def exposure_positions(cfg: Config, as_of: date | str, **keys: str | None) -> pl.DataFrame:
    """Lineage: the positions behind an exposure row, given its key columns
    (e.g. ``desk='EQ', currency='EUR'``); NULL/None keys mean "all"."""
    dims = {ALIASES.get(k, k): v for k, v in keys.items() if v is not None}
    normalise_dims(list(dims))
    with store.connect_reader(cfg) as con:
        pos = store.query(
            con,
            "SELECT * FROM out_positions WHERE as_of = $d AND basis = 'TRADE' ORDER BY book_id, instrument_id",
            {"d": parse_date(as_of)},
        )
    for k, v in dims.items():
        pos = pos.filter(pl.col(k) == v)
    return pos


def net_fx(cfg: Config, as_of: date | str | None = None) -> pl.DataFrame:
    """Net open FX position per currency (and legal entity) from the published snapshot."""
    with store.connect_reader(cfg) as con:
        d = parse_date(as_of) if as_of else latest_as_of(con, "out_net_fx")
        return store.query(con, "SELECT * FROM out_net_fx WHERE as_of = $d ORDER BY legal_entity_id, currency", {"d": d})


def counterparty_exposures(cfg: Config, as_of: date | str | None = None) -> pl.DataFrame:
    """Counterparty exposure from the published snapshot (latest date by default)."""
    with store.connect_reader(cfg) as con:
        d = parse_date(as_of) if as_of else latest_as_of(con, "out_counterparty_exposures")
        return store.query(
            con,
            "SELECT * FROM out_counterparty_exposures WHERE as_of = $d ORDER BY current_exposure_base DESC",
            {"d": d},
        )


__all__ = [
    "DIMENSIONS",
    "compute_exposures",
    "concentration",
    "counterparty_exposures",
    "exposure_positions",
    "exposures",
    "net_fx",
    "step_exposures",
]

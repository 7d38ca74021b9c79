"""Connector throughput: a CSV trade blotter, an Excel blotter and a FIX 4.4 drop copy, parsed
alone and loaded end to end (parse, validate against the canonical schema, write one batch).

    .venv/bin/python benchmarks/bench_connectors.py                      # 1M blotter rows, 1M FIX messages
    .venv/bin/python benchmarks/bench_connectors.py --rows 100000 --fix 100000 --xlsx 20000

Targets (issue 3): 1M blotter rows in under 10 s, 1M FIX messages in under 60 s, on 2 cores.
Each step runs in a fresh child process; ``peak MiB`` is that child's own peak RSS. Inputs are
written under data/bench_connectors/ (git-ignored) and removed unless --keep. Other back-office
formats (MT54x...) have their own rows in the same table when their benchmark adds them.
"""

from __future__ import annotations

import argparse
import os
import shutil

from _harness import ROOT, Measure, print_table, run_child

MAKE = """
import json, time
import polars as pl
from pathlib import Path
from connectors.fix import encode_messages
from engine.identifiers import isin_check_digit
out = Path({out!r}); out.mkdir(parents=True, exist_ok=True)
bodies = [f"US{{i:09d}}" for i in range(1, 201)]
isins = [b + str(isin_check_digit(b)) for b in bodies]
(out / "instruments.csv").write_text("instrument_id,isin,name,asset_class,currency\\n"
    + "".join(f"{{x}},{{x}},Instrument {{x}},EQUITY,USD\\n" for x in isins))
def frame(n):
    i = pl.col("i")
    return pl.DataFrame({{"i": pl.int_range(0, n, eager=True)}}).select(
        trade_id="T" + i.cast(pl.String).str.zfill(9),
        isin=pl.lit(pl.Series(isins)).gather((i * 7919) % len(isins)),
        side=pl.when(i % 3 == 0).then(pl.lit("SELL")).otherwise(pl.lit("BUY")),
        qty=((i % 997) + 1).cast(pl.String),
        px=((i % 5000) + 100).cast(pl.String) + "." + (i % 100).cast(pl.String).str.zfill(2),
        day=pl.lit("2026-01-05"),
    )
t = time.perf_counter()
n = {rows}
if n:
    f = frame(n)
    f.select(
        "trade_id", pl.lit("1").alias("version"), pl.lit("NEW").alias("status"), pl.col("day").alias("known_date"),
        pl.lit("EQ1").alias("book_id"), pl.col("isin").alias("instrument_id"), "side",
        pl.col("qty").alias("quantity"), pl.col("px").alias("price"), pl.lit("USD").alias("currency"),
        pl.col("day").alias("trade_date"), pl.lit("2026-01-07").alias("settle_date"),
    ).write_csv(out / "blotter.csv")
x = {xlsx}
if x:
    from connectors.xlsx_blotter import write_sample_trades_xlsx
    f = frame(x).select(
        "trade_id", pl.lit(1, pl.Int64).alias("version"), pl.lit("NEW").alias("status"),
        pl.lit("2026-01-05").str.to_date().alias("known_date"), pl.lit("EQ1").alias("book_id"),
        pl.col("isin").alias("instrument_id"), "isin", "side", pl.col("qty").alias("quantity"),
        pl.col("px").alias("price"), pl.lit("USD").alias("currency"),
        pl.lit("2026-01-05").str.to_date().alias("trade_date"), pl.lit("0").alias("fees"))
    write_sample_trades_xlsx(f, out / "blotter.xlsx", "fo_trades")
m = {fix}
if m:
    f = frame(m).with_columns(
        pl.when(pl.col("side") == "BUY").then(pl.lit("1")).otherwise(pl.lit("2")).alias("side54"),
        pl.col("day").str.replace_all("-", "").alias("ymd"),
        ("O" + (pl.int_range(0, m, eager=True) // 4).cast(pl.String)).alias("order"),
        (pl.int_range(1, m + 1, eager=True)).cast(pl.String).alias("seq"),
    ).with_columns((pl.col("ymd") + "-10:00:00.000").alias("ts"))
    tags = [(35, "mt"), (49, "snd"), (56, "tgt"), (34, "seq"), (52, "ts"), (1, "acct"), (11, "order"),
            (17, "trade_id"), (37, "order"), (150, "et"), (39, "os"), (54, "side54"), (55, "isin"), (48, "isin"),
            (22, "ids"), (15, "ccy"), (32, "qty"), (31, "px"), (75, "ymd"), (60, "ts")]
    f = f.with_columns(mt=pl.lit("8"), snd=pl.lit("BRKA"), tgt=pl.lit("MIDO"), acct=pl.lit("ACC1"),
                       et=pl.lit("F"), os=pl.lit("2"), ids=pl.lit("4"), ccy=pl.lit("USD"))
    msgs = encode_messages(f, tags)
    (out / "drop.log").write_text("\\n".join(msgs.to_list()) + "\\n")
print(json.dumps({{"seconds": time.perf_counter() - t}}))
"""

PARSE = """
import json, resource, time
from pathlib import Path
from engine.config import load_config
from connectors.loader import identify
cfg = load_config()
p = Path({path!r})
conn, feed = identify(cfg, p)
def _cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
c0 = _cpu()
t = time.perf_counter()
parsed = conn.parse(p, feed, cfg)
s = time.perf_counter() - t
print(json.dumps({{"seconds": s, "connector": conn.name, "rows": parsed.candidate_rows(),
                  "quarantined": parsed.quarantine.height, "cpu_s": round(_cpu() - c0, 1),
                  "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}}))
"""

LOAD = """
import json, resource, time
from pathlib import Path
from engine.config import load_config
from connectors.loader import load_file
cfg = load_config()
load_file(cfg, Path({ref!r}), publish=False)
def _cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
c0 = _cpu()
t = time.perf_counter()
b = load_file(cfg, Path({path!r}), publish=False)
s = time.perf_counter() - t
print(json.dumps({{"seconds": s, "connector": b.connector, "loaded": b.rows_loaded, "quarantined": b.rows_quarantined,
                  "cpu_s": round(_cpu() - c0, 1), "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}}))
"""

# The peers, on the same file in the same run: what the bare libraries take to read it, without
# mapping, validation, quarantine or the store (a floor, not a competitor doing the same job).
PEER = """
import json, resource, time
from pathlib import Path
p = Path({path!r})
kind = {kind!r}
t = time.perf_counter()
if kind == "polars":
    import polars as pl
    n = pl.read_csv(p, infer_schema=False).height
elif kind == "duckdb":
    import duckdb
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, all_varchar = true)", [str(p)])
    n = con.sql("SELECT count(*) FROM t").fetchall()[0][0]
elif kind == "openpyxl":
    import openpyxl
    wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    n = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))  # every sheet row, header included
elif kind == "simplefix":
    import simplefix
    n = 0
    with p.open("rb") as fh:
        for line in fh:
            parser = simplefix.FixParser()
            parser.append_buffer(line.rstrip(b"\\n").replace(b"|", b"\\x01"))
            msg = parser.get_message()
            n += msg is not None and msg.get(17) is not None
s = time.perf_counter() - t
print(json.dumps({{"seconds": s, "peer": kind, "rows": n,
                  "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}}))
"""
PEERS = {"blotter.csv": ("polars", "duckdb"), "blotter.xlsx": ("openpyxl",), "drop.log": ("simplefix",)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000, help="CSV blotter rows")
    ap.add_argument("--fix", type=int, default=1_000_000, help="FIX messages")
    ap.add_argument("--xlsx", type=int, default=100_000, help="Excel blotter rows (0 to skip)")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--no-peers", dest="peers", action="store_false", help="skip the bare-library rows")
    args = ap.parse_args()
    base = ROOT / "data" / "bench_connectors"
    shutil.rmtree(base, ignore_errors=True)
    rows: list[Measure] = [run_child("write inputs", args.rows + args.fix + args.xlsx,
                                     MAKE.format(out=str(base), rows=args.rows, fix=args.fix, xlsx=args.xlsx))]
    inputs = [("CSV blotter", "blotter.csv", args.rows), ("XLSX blotter", "blotter.xlsx", args.xlsx),
              ("FIX 4.4 drop copy", "drop.log", args.fix)]
    for label, name, n in inputs:
        if not n:
            continue
        path = base / name
        env = {
            "MIDOFFICE_STORE__PATH": str(base / f"{name}.duckdb"),
            "MIDOFFICE_STORE__PUBLISHED_PATH": str(base / f"{name}.published.duckdb"),
            "MIDOFFICE_STORE__WORKFLOW_PATH": str(base / f"{name}.workflow.duckdb"),
        }
        rows.append(run_child(f"{label}: parse", n, PARSE.format(path=str(path)), env))
        rows.append(run_child(f"{label}: load", n, LOAD.format(path=str(path), ref=str(base / "instruments.csv")), env))
        for kind in PEERS[name] if args.peers else ():
            rows.append(run_child(f"{label}: peer {kind}", n, PEER.format(path=str(path), kind=kind)))
    load = os.getloadavg()[0]
    print_table(f"midoffice connectors benchmark (2 cores; load average {load:.1f} at the end; "
                "peak_mib = the step's own peak RSS, cpu_s = its CPU seconds)", rows)
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

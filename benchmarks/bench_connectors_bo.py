"""Benchmark: back-office connectors (SWIFT MT54x, ISO 20022 sese, camt).

    .venv/bin/python benchmarks/bench_connectors_bo.py              # 100k MT54x messages (+ sese, camt)
    .venv/bin/python benchmarks/bench_connectors_bo.py --mt 20000 --sese 5000 --camt 5000

Writes the input files with the project's own writers (MT544-548 for a mix of statuses, partial
settlements and free-of-payment; sese.024/025 with AppHdrs; camt.053 statements with batch
entries), then measures each step in a fresh child process so that peak memory is that step's:

- ``parse``: the connector only (file -> candidate rows + parse quarantine);
- ``load``: ``connectors.loader.load_file`` into a new DuckDB store (parse, validation against the
  canonical schema, quarantine, atomic write).

For MT54x both parsers are timed: ``auto`` (vectorised Polars path for MT540-548) and ``python``
(message by message). Prints rows, wall and CPU seconds, rows per second and peak RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # benchmarks run from a checkout; the package is importable too

STATUSES = ["MATCHED", "FAILING", "SETTLED", "PARTIAL", "PENDING", "UNMATCHED", "CANCELLED", "SETTLED"]
REASONS = {"FAILING": "LACK", "UNMATCHED": "CMIS", "CANCELLED": "CANI", "PENDING": "MONY"}


def settlements(n: int) -> pl.DataFrame:
    """n bo_settlements-shaped rows: mixed statuses and directions, valid ISINs, 1/20 free of payment."""
    isins = ["US0378331005", "DE0001102580", "GB0002634946", "FR0000120271"]
    rows = []
    for k in range(n):
        status = STATUSES[k % len(STATUSES)]
        day = dt.date(2026, 10, 1) + dt.timedelta(days=k % 20)
        qty = (k % 997 + 1) * 100
        amount = f"{qty * 1234 // 100}.{qty * 1234 % 100:02d}"
        settled = status == "SETTLED"
        rows.append({
            "settlement_id": f"ASR{k:010d}", "trade_ref": f"T{k:09d}", "seq": 1, "known_date": day,
            "custodian": "CUST_A", "isin": isins[k % 4], "direction": ("RECEIVE", "DELIVER")[k % 2],
            "payment": "FREE" if k % 20 == 0 else "APMT", "quantity": str(qty),
            "settled_quantity": str(qty if settled else qty // 2), "amount": amount,
            "settled_amount": amount if settled else f"{qty * 617 // 100}.00", "currency": "USD",
            "trade_date": day - dt.timedelta(days=2), "deal_price": "12.34", "intended_settle_date": day,
            "actual_settle_date": day, "account_id": "CUSTA-LE1-SK101", "counterparty_bic": "BROKGB2LXXX",
            "place_of_settlement": "DTCYUS33", "status": status, "reason_code": REASONS.get(status),
            "reason_text": "Lack of securities" if status == "FAILING" else None,
        })
    return pl.DataFrame(rows)


def cash(n: int) -> pl.DataFrame:
    """n bo_cash_movements-shaped rows over 4 accounts and 10 days; pairs share an entry (batches)."""
    k = range(n)
    return pl.DataFrame({
        "movement_id": [f"M{j:010d}" for j in k], "statement_id": [None] * n,
        "account": [f"GB33BUKB2020155555555{j % 4}" for j in k],
        "known_date": [dt.date(2026, 10, 1) + dt.timedelta(days=(j // 4) % 10) for j in k],
        "booking_date": [dt.date(2026, 10, 1) + dt.timedelta(days=(j // 4) % 10) for j in k],
        "value_date": [dt.date(2026, 10, 1) + dt.timedelta(days=(j // 4) % 10) for j in k],
        "amount": [f"{'-' if j % 3 else ''}{(j % 5000) + 1}.{j % 100:02d}" for j in k],
        "currency": ["GBP"] * n, "is_reversal": [j % 97 == 0 for j in k],
        "bank_tx_code": ["SECU/SETT/TRAD"] * n, "end_to_end_id": [f"T{j:09d}" for j in k],
        "entry_ref": [f"ASR{j // 2:010d}" for j in k], "counterparty_name": ["BROKER LTD"] * n,
        "description": [f"DVP T{j:09d}" for j in k],
    })


def write_inputs(folder: Path, n_mt: int, n_sese: int, n_camt: int) -> dict[str, Path]:
    from connectors.camt import write_cash_camt053
    from connectors.iso20022 import write_settlements_sese
    from connectors.swift_mt import write_settlements_mt
    from engine.config import load_config

    cfg = load_config()
    out = {}
    t = time.perf_counter()
    out["mt"] = folder / "mt54x_2026-10-30.fin"
    write_settlements_mt(settlements(n_mt), out["mt"], custodian_bic="CUSAUS33XXX", our_bic="MIDOUS33XXX")
    print(f"wrote {n_mt:,} MT messages ({out['mt'].stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s",
          file=sys.stderr)
    if n_sese:
        out["sese"] = folder / "sese_2026-10-30.xml"
        write_settlements_sese(settlements(n_sese), out["sese"], custodian_bic="CUSBBEBBXXX", our_bic="MIDOUS33XXX",
                               cfg=cfg, validate_docs=False)
    if n_camt:
        out["camt"] = folder / "camt_2026-10-30.xml"
        write_cash_camt053(cash(n_camt), out["camt"], bank_bic="CASHGB2LXXX", our_bic="MIDOUS33XXX", cfg=cfg,
                           validate_docs=False)
    return out


def child(step: str, fmt: str, path: str, parser: str, store_dir: str) -> None:
    """Run one measured step; print a JSON line."""
    from engine.config import load_config

    tmp = Path(store_dir)
    cfg = load_config(overrides={"swift": {"parser": parser},
                                 "store": {"path": str(tmp / "s.duckdb"), "published_path": str(tmp / "p.duckdb"),
                                           "workflow_path": str(tmp / "w.duckdb")}})
    p = Path(path)
    w0, c0 = time.perf_counter(), time.process_time()
    if step == "parse":
        from connectors.camt import CamtConnector
        from connectors.iso20022 import SeseConnector
        from connectors.swift_mt import MtConnector

        conn = {"mt": MtConnector(), "sese": SeseConnector(), "camt": CamtConnector()}[fmt]
        parsed = conn.parse(p, fmt, cfg)
        rows, quarantined = parsed.candidate_rows(), parsed.quarantine.height
    else:
        from connectors.loader import load_file

        r = load_file(cfg, p, publish=False)
        rows, quarantined = r.rows_loaded, r.rows_quarantined
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "quarantined": quarantined, "wall": wall, "cpu": cpu, "peak_mb": peak_mb}))


def measure(step: str, fmt: str, path: Path, parser: str = "auto") -> dict[str, float]:
    with tempfile.TemporaryDirectory() as store_dir:
        env = dict(os.environ, POLARS_MAX_THREADS=os.environ.get("POLARS_MAX_THREADS", "2"))
        out = subprocess.run([sys.executable, __file__, "--child", step, fmt, str(path), parser, store_dir],
                             check=True, capture_output=True, text=True, env=env)
        return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mt", type=int, default=100_000, help="MT54x messages")
    ap.add_argument("--sese", type=int, default=20_000, help="sese documents (0: skip)")
    ap.add_argument("--camt", type=int, default=20_000, help="camt.053 entries (0: skip)")
    ap.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as folder:
        inputs = write_inputs(Path(folder), args.mt, args.sese, args.camt)
        plan = [("mt", "parse", "auto"), ("mt", "parse", "python"), ("mt", "load", "auto")]
        plan += [(f, s, "auto") for f in ("sese", "camt") if f in inputs for s in ("parse", "load")]
        rows = []
        for fmt, step, parser in plan:
            m = measure(step, fmt, inputs[fmt], parser)
            rows.append({"format": fmt, "step": step, "parser": parser if fmt == "mt" else "-", **m,
                         "size_mb": inputs[fmt].stat().st_size / 1e6})
    print(f"{'format':6} {'step':5} {'parser':6} {'rows':>9} {'quar.':>5} {'wall s':>7} {'cpu s':>7} "
          f"{'rows/s':>9} {'rows/cpu-s':>10} {'peak MB':>8} {'file MB':>8}")
    for r in rows:
        print(f"{r['format']:6} {r['step']:5} {r['parser']:6} {r['rows']:>9,} {r['quarantined']:>5} {r['wall']:>7.1f} "
              f"{r['cpu']:>7.1f} {r['rows'] / r['wall']:>9,.0f} {r['rows'] / max(r['cpu'], 1e-9):>10,.0f} "
              f"{r['peak_mb']:>8.0f} {r['size_mb']:>8.0f}")
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; rows/s = rows / wall seconds, "
          "rows/cpu-s = rows / CPU seconds of the process, all threads)")


if __name__ == "__main__":
    main()

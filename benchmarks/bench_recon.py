"""Reconciliation benchmark: midoffice's matching passes and classification against a bare
DuckDB full outer join on the key (the floor) and datacompy (Polars and pandas backends), side
by side on the same data in the same run; plus suggestions, penalties, persistence, lifecycle
and cash reconciliation timed separately.

    .venv/bin/python benchmarks/bench_recon.py                          # 1M vs 1M, every peer
    .venv/bin/python benchmarks/bench_recon.py --sizes 10000000 --no-pandas   # 10M (pandas ~2 min)
    .venv/bin/python benchmarks/bench_recon.py --sizes 100000,1000000 --repeat 3

Data: SQL-generated in DuckDB with the generator's kinds of breaks (about 2% settlements
without our reference, 0.3% front-office only, 0.2% back-office only, 1% field breaks,
2% settlement states, 0.3% partial settlements in two parts, 0.4% block allocations, rounding
noise), settlements shuffled; one cash entry per settled settlement. Each measured tool runs in
its own child process on the same DuckDB file, so each peak RSS is its own. Inputs are the two staged
sides (live in-scope trades, and each settlement's latest seq as of the date: tmp_rc_fo and
tmp_rc_bo, staged once); the floor and the peers compare those same two tables; turning them into Polars/pandas frames for datacompy is reported apart, as is staging.
Timings are the best of ``--repeat`` runs (the median is printed too). The floor and midoffice run
in ``--rounds`` alternating pairs of children (suggestions, persistence, lifecycle and cash in the
first round only), and each reports its best over all rounds: the machine drifts over minutes, and
a single floor child and a single midoffice child a minute apart can land on different ends of it.
``x_floor_rounds`` gives each round's own ratio.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from pathlib import Path

from _harness import ROOT, Measure, run_child

AS_OF = "2024-03-15"

GEN = r"""
import json, time, duckdb
from engine import store
t0 = time.perf_counter()
con = duckdb.connect({path!r})
con.execute("SET threads = 2")
store.apply_schema(con)
n = {n}
con.execute('''INSERT INTO ref_instruments (instrument_id, isin, name, asset_class, currency, liquidity, price_multiplier)
SELECT 'XS' || lpad(CAST(i AS VARCHAR), 9, '0') || '0', 'XS' || lpad(CAST(i AS VARCHAR), 9, '0') || '0', 'instrument ' || i,
       CASE i % 3 WHEN 0 THEN 'EQUITY' WHEN 1 THEN 'GOVT_BOND' ELSE 'CORP_BOND' END, 'USD',
       CASE WHEN i % 7 = 0 THEN 'ILLIQUID' ELSE 'LIQUID' END, CASE i % 3 WHEN 0 THEN 1 ELSE 0.01 END
FROM range(5000) t(i)''')
con.execute('''INSERT INTO ref_accounts (account_id, custodian, cash_account, currency)
SELECT 'ACC' || i, 'CUST_' || (i % 3), 'CASH' || i, 'USD' FROM range(20) t(i)''')
con.execute('''INSERT INTO ref_counterparties (counterparty_id, name, bic) SELECT 'CP' || i, 'cp ' || i, NULL FROM range(300) t(i)''')
# scenario per trade from a hash: u in [0, 1)
con.execute('''CREATE TEMP TABLE g AS
SELECT i, 'T' || lpad(CAST(i AS VARCHAR), 10, '0') AS trade_id,
       CAST(hash(i, 'u') % 1000000 AS DOUBLE) / 1000000 AS u,
       'XS' || lpad(CAST(hash(i, 'isin') % 5000 AS VARCHAR), 9, '0') || '0' AS isin,
       CASE WHEN hash(i, 'side') % 2 = 0 THEN 'BUY' ELSE 'SELL' END AS side,
       CAST((hash(i, 'q') % 500 + 1) * 10 AS DECIMAL(24,6)) AS quantity,
       CAST(10 + (hash(i, 'p') % 99000) / 100.0 AS DECIMAL(24,10)) AS price,
       DATE '2024-02-01' + CAST(hash(i, 'd') % 40 AS INTEGER) AS trade_date,
       'ACC' || (hash(i, 'a') % 20) AS account_id, 'CP' || (hash(i, 'c') % 300) AS counterparty_id,
       CASE WHEN i % 500 IN (0, 1) THEN 'BLK' || (i // 500) END AS block_id
FROM range({n}) t(i)''')
con.execute('''INSERT INTO fo_trades BY NAME
SELECT trade_id, 1 AS version, 'NEW' AS status, trade_date AS known_date, 'B' || (i % 30) AS book_id, counterparty_id,
       isin AS instrument_id, isin, side, quantity, price, 'USD' AS currency, trade_date, trade_date + 2 AS settle_date,
       CAST(quantity * price AS DECIMAL(24,4)) AS gross_amount, CAST(quantity * price AS DECIMAL(24,4)) AS net_amount,
       account_id, 'DTCYUS33' AS place_of_settlement, block_id
FROM g''')
con.execute('''CREATE TEMP TABLE s AS
SELECT g.*, CASE WHEN side = 'BUY' THEN 'RECEIVE' ELSE 'DELIVER' END AS direction,
       trade_date + 2 AS isd, CAST(quantity * price AS DECIMAL(24,4)) AS amount,
       CASE WHEN u < 0.003 THEN 'FO_ONLY' WHEN u < 0.023 THEN 'REFLESS' WHEN u < 0.025 THEN 'DQUA'
            WHEN u < 0.027 THEN 'DDEA' WHEN u < 0.029 THEN 'DMON' WHEN u < 0.030 THEN 'DDAT'
            WHEN u < 0.031 THEN 'DSEC' WHEN u < 0.032 THEN 'ICAG' WHEN u < 0.033 THEN 'DEPT'
            WHEN u < 0.043 THEN 'FAILING' WHEN u < 0.048 THEN 'PARTIAL' WHEN u < 0.053 THEN 'PENDING'
            WHEN u < 0.056 THEN 'SPLIT' WHEN u < 0.060 THEN 'ROUNDING' ELSE 'CLEAN' END AS scn
FROM g''')
common = '''custodian, message_type, trade_ref, account_id, counterparty_id, place_of_settlement, isin, direction, payment,
            quantity, settled_quantity, amount, settled_amount, currency, trade_date, deal_price, intended_settle_date,
            actual_settle_date, status, reason_code'''
con.execute(f'''CREATE TEMP TABLE bo AS
SELECT 'S' || substr(trade_id, 2) AS settlement_id, 1 AS seq, trade_date AS known_date, 'CUST_' || (i % 3) AS custodian,
       'CSV' AS message_type,
       CASE WHEN scn = 'REFLESS' THEN NULL WHEN block_id IS NOT NULL THEN block_id ELSE trade_id END AS trade_ref,
       account_id, CASE WHEN scn = 'ICAG' THEN 'CP999' ELSE counterparty_id END AS counterparty_id,
       CASE WHEN scn = 'DEPT' THEN 'CEDELULL' ELSE 'DTCYUS33' END AS place_of_settlement,
       CASE WHEN scn = 'DSEC' THEN 'XS0000000000' ELSE isin END AS isin, direction, 'APMT' AS payment,
       CASE WHEN scn = 'DQUA' THEN quantity + 10 WHEN scn = 'SPLIT' THEN quantity * 0.6
            WHEN block_id IS NOT NULL THEN quantity * 2 ELSE quantity END AS quantity,
       CAST(NULL AS DECIMAL(24,6)) AS settled_quantity,
       CASE WHEN scn = 'DMON' THEN amount + 0.05 WHEN scn = 'ROUNDING' THEN amount + 0.003 WHEN scn = 'DQUA'
            THEN amount + price * 10 WHEN scn = 'SPLIT' THEN amount * 0.6 WHEN block_id IS NOT NULL THEN amount * 2
            ELSE amount END AS amount,
       CAST(NULL AS DECIMAL(24,4)) AS settled_amount, 'USD' AS currency, trade_date,
       CASE WHEN scn = 'DDEA' THEN price + 0.01 ELSE price END AS deal_price,
       CASE WHEN scn = 'DDAT' THEN isd + 1 ELSE isd END AS intended_settle_date,
       CASE WHEN scn IN ('FAILING', 'PENDING') OR isd > DATE '{AS_OF}' THEN NULL ELSE isd END AS actual_settle_date,
       CASE WHEN isd > DATE '{AS_OF}' THEN 'MATCHED' WHEN scn = 'FAILING' THEN 'FAILING' WHEN scn = 'PARTIAL' THEN 'PARTIAL'
            WHEN scn = 'PENDING' THEN 'MATCHED' ELSE 'SETTLED' END AS status,
       CASE WHEN scn = 'FAILING' THEN ['LACK', 'MONY', 'CLAC', 'CMON'][CAST(1 + hash(i, 'r') % 4 AS BIGINT)] END AS reason_code
FROM s WHERE scn <> 'FO_ONLY' AND (block_id IS NULL OR i % 500 = 0)
UNION ALL
SELECT 'S' || substr(trade_id, 2) || 'B', 1, trade_date, 'CUST_' || (i % 3), 'CSV', trade_id, account_id, counterparty_id,
       'DTCYUS33', isin, direction, 'APMT', quantity - quantity * 0.6, NULL, amount - amount * 0.6, NULL, 'USD', trade_date,
       price, isd, CASE WHEN isd > DATE '{AS_OF}' THEN NULL ELSE isd END,
       CASE WHEN isd > DATE '{AS_OF}' THEN 'MATCHED' ELSE 'SETTLED' END, NULL
FROM s WHERE scn = 'SPLIT' AND block_id IS NULL
UNION ALL
SELECT 'X' || lpad(CAST(i AS VARCHAR), 10, '0'), 1, DATE '2024-03-01', 'CUST_1', 'CSV', 'CPREF' || i, 'ACC' || (i % 20), 'CP1',
       'DTCYUS33', 'XS' || lpad(CAST(i % 5000 AS VARCHAR), 9, '0') || '0', 'RECEIVE', 'APMT', 15, NULL, 1500, NULL, 'USD',
       DATE '2024-03-01', 100, DATE '2024-03-05', DATE '2024-03-05', 'SETTLED', NULL
FROM range(CAST({n} * 0.002 AS BIGINT)) t(i)''')
con.execute('''UPDATE bo SET settled_quantity = CASE status WHEN 'SETTLED' THEN quantity WHEN 'PARTIAL' THEN quantity * 0.5 ELSE 0 END,
                              settled_amount = CASE status WHEN 'SETTLED' THEN amount WHEN 'PARTIAL' THEN amount * 0.5 ELSE 0 END''')
con.execute(f'INSERT INTO bo_settlements BY NAME SELECT settlement_id, seq, known_date, {{common}} FROM bo ORDER BY hash(settlement_id)')
# a later status for 1% of them (seq 2): the current state must be the latest seq
con.execute(f'''INSERT INTO bo_settlements BY NAME SELECT settlement_id, 2 AS seq, known_date + 1 AS known_date, {{common}}
              FROM bo WHERE hash(settlement_id, 'v') % 100 = 0''')
con.execute('''INSERT INTO bo_cash_movements BY NAME
SELECT 'M' || settlement_id AS movement_id, 'ST' AS statement_id, 'CASH' || substr(account_id, 4) AS account,
       actual_settle_date AS booking_date, actual_settle_date AS value_date,
       CAST(CASE WHEN direction = 'DELIVER' THEN 1 ELSE -1 END * round(settled_amount, 2)
            + CASE WHEN hash(settlement_id, 'cd') % 500 = 0 THEN 0.05 ELSE 0 END AS DECIMAL(24,4)) AS amount,
       currency, FALSE AS is_reversal, 'SECU/SETT/TRAD' AS bank_tx_code, trade_ref AS end_to_end_id,
       settlement_id AS entry_ref, actual_settle_date AS known_date
FROM bo WHERE status = 'SETTLED' AND hash(settlement_id, 'cm') % 500 <> 0''')
con.execute("CHECKPOINT")
fo_n = con.sql("SELECT count(*) FROM fo_trades").fetchall()[0][0]
bo_n = con.sql("SELECT count(*) FROM bo_settlements").fetchall()[0][0]
con.close()
print(json.dumps({{"seconds": time.perf_counter() - t0, "fo_trades": fo_n, "bo_records": bo_n}}))
"""

PREP = r"""
import json, resource, time, duckdb, datetime
from engine import store
from engine.trades import create_trades_asof
from engine.recon import stage
from engine.recon.settings import load_settings
from engine.config import load_config
con = duckdb.connect({path!r})
con.execute("SET threads = 2")
cfg = load_config(environ={{}})
settings = load_settings(cfg)
as_of = datetime.date.fromisoformat({as_of!r})
t0 = time.perf_counter()
create_trades_asof(con, as_of)
t1 = time.perf_counter()
stage.stage(con, settings, as_of)
t2 = time.perf_counter()
# persist both staged inputs so that every tool reads the same two tables
# under the names the reconciliation reads (tmp_rc_fo, tmp_rc_bo), as tables of the file: the
# engine reads them in place (buffer-managed, with their row ids) without a copy
for side in ("fo", "bo"):
    con.execute(f"CREATE OR REPLACE TABLE bench_{{side}} AS SELECT * FROM tmp_rc_{{side}}")
    con.execute(f"DROP TABLE temp.main.tmp_rc_{{side}}")
    con.execute(f"DROP TABLE IF EXISTS tmp_rc_{{side}}")
    con.execute(f"ALTER TABLE bench_{{side}} RENAME TO tmp_rc_{{side}}")
con.execute("CHECKPOINT")
n_fo = con.sql("SELECT count(*) FROM tmp_rc_fo").fetchall()[0][0]
n_bo = con.sql("SELECT count(*) FROM tmp_rc_bo").fetchall()[0][0]
con.close()
print(json.dumps({{"seconds": t2 - t1, "trades_asof_s": round(t1 - t0, 3), "fo": n_fo, "bo": n_bo,
                   "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

FLOOR = r"""
import json, resource, time, statistics, duckdb
con = duckdb.connect({path!r}, read_only=True)
con.execute("SET threads = 2")
con.execute("SET memory_limit = '{mem}'")
ts, tc = [], []
for _ in range({repeat}):
    t = time.perf_counter()
    con.execute("CREATE OR REPLACE TEMP TABLE floor AS SELECT f.trade_id, b.settlement_id "
                "FROM tmp_rc_fo AS f FULL OUTER JOIN tmp_rc_bo AS b ON f.trade_id = b.trade_ref")
    ts.append(time.perf_counter() - t)
    t = time.perf_counter()
    con.sql("SELECT count(*) FROM tmp_rc_fo AS f FULL OUTER JOIN tmp_rc_bo AS b ON f.trade_id = b.trade_ref").fetchall()
    tc.append(time.perf_counter() - t)
rows = con.sql("SELECT count(*) FROM floor").fetchall()[0][0]
print(json.dumps({{"seconds": min(ts), "median_s": round(statistics.median(ts), 3), "count_only_s": round(min(tc), 3),
                   "pairs": rows, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

MID_HEAD = r"""
import json, resource, time, statistics, datetime, tempfile, duckdb
from pathlib import Path
from engine import store
from engine.config import load_config
from engine.recon import core, stage, penalties, suggest, lifecycle, cash
from engine.recon.settings import load_settings
tmp = Path(tempfile.mkdtemp())
cfg = load_config(environ={{}}, overrides={{"store": {{"path": str(tmp / "s.duckdb"), "published_path": str(tmp / "p.duckdb"),
                                                 "workflow_path": str(tmp / "w.duckdb")}}}})
settings = load_settings(cfg)
as_of = datetime.date.fromisoformat({as_of!r})
con = duckdb.connect({path!r})
con.execute("SET threads = 2")
# the run's inputs: live trades and the settlements' current state (as staged by PREP)
from engine.recon.sqlrun import run_script
con.execute("SET memory_limit = '{mem}'")
# the two staged sides are the tables tmp_rc_fo / tmp_rc_bo of the file, read in place (no copy)
stage.create_calendar(con, settings, as_of)
run_script(con, "recon/fx", {{"as_of": as_of}})
times, last = [], None
for _ in range({repeat}):
    t = time.perf_counter()
    last = core.reconcile(con, settings, as_of, "USD", staged=True, with_penalties=False)
    times.append(time.perf_counter() - t)
peak_match = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

MID_EXTRAS = r"""
extra = {{}}
t = time.perf_counter(); penalties.compute_penalties(con, settings.penalties, as_of, "USD"); extra["penalties_s"] = time.perf_counter() - t
t = time.perf_counter(); suggest.suggest(con, settings); extra["suggestions_s"] = time.perf_counter() - t
con.execute("BEGIN TRANSACTION")
t = time.perf_counter()
run_script(con, "recon/persist", {{"as_of": as_of, "run_id": 1, "ref_pass": "reference"}})
extra["persist_matches_s"] = time.perf_counter() - t
t = time.perf_counter()
con.execute(store.sql_text("recon/life_cur"))
lifecycle.publish(con, settings, as_of, 1, ["MATCHING", "SETTLEMENT"], "RECON")
con.execute("INSERT INTO out_recon_stats VALUES ($d, 1, 'RECON', 'trades', 'all', 'all', 0)", {{"d": as_of}})
lifecycle.sync_system_events(cfg, con, as_of, 1, ["MATCHING", "SETTLEMENT"], "RECON")
extra["lifecycle_s"] = time.perf_counter() - t
t = time.perf_counter(); c = cash.reconcile_cash(con, settings, as_of, "USD"); extra["cash_s"] = time.perf_counter() - t
con.execute("ROLLBACK")
extra = {{k: round(v, 3) for k, v in extra.items()}}
print(json.dumps({{"seconds": min(times), "median_s": round(statistics.median(times), 3),
                   "phases": {{k: round(v, 3) for k, v in last.seconds.items() if k.startswith("pass") or k in ("classify", "counts")}},
                   "breaks": sum(last.breaks_by_type.values()), "breaks_by_type": last.breaks_by_type,
                   "matches_by_pass": last.matches_by_pass, "cash_expected": c["expected"], "cash_breaks": c["breaks_by_type"],
                   "peak_mib_matching": round(peak_match), **extra,
                   "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

MID_ONLY = r"""
print(json.dumps({{"seconds": min(times), "median_s": round(statistics.median(times), 3),
                   "peak_mib_matching": round(peak_match), "peak_mib": peak_match}}))
"""

DATACOMPY = r"""
import json, resource, time, warnings, statistics, duckdb
warnings.simplefilter("ignore")
import datacompy
con = duckdb.connect({path!r}, read_only=True)
con.execute("SET threads = 2")
cols = '''isin, direction, currency, CAST(quantity AS DOUBLE) AS quantity, CAST(price AS DOUBLE) AS price,
          CAST(amount AS DOUBLE) AS amount, settle_date, trade_date, place_of_settlement, counterparty_id, account_id'''
t = time.perf_counter()
fo = con.sql(f"SELECT trade_id AS k, {{cols}} FROM tmp_rc_fo").pl()
bo = con.sql(f"SELECT coalesce(trade_ref, settlement_id) AS k, {{cols}} FROM tmp_rc_bo").pl()
if {backend!r} == "pandas":
    fo, bo = fo.to_pandas(), bo.to_pandas()
prep = time.perf_counter() - t
con.close()
ts = []
for _ in range({repeat}):
    t = time.perf_counter()
    if {backend!r} == "pandas":
        cmp = datacompy.PandasCompare(fo, bo, join_columns="k", abs_tol={{"amount": 0.01}})
    else:
        cmp = datacompy.PolarsCompare(fo, bo, join_columns="k", abs_tol={{"amount": 0.01}})
    mism = cmp.all_mismatch().shape[0]
    ts.append(time.perf_counter() - t)
print(json.dumps({{"seconds": min(ts), "median_s": round(statistics.median(ts), 3), "frames_s": round(prep, 3),
                   "mismatched_rows": mism, "only_fo": cmp.df1_unq_rows.shape[0], "only_bo": cmp.df2_unq_rows.shape[0],
                   "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def _child(name: str, size: int, code: str) -> Measure:
    m = run_child(name, size, code)
    peak = m.extra.pop("peak_mib", None)
    if peak is not None:  # the child's own peak, not the harness's cumulative one
        m = Measure(m.name, m.size, m.seconds, float(peak), m.extra)
    return m


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000000", help="trades per size, comma-separated (e.g. 1000000,10000000)")
    ap.add_argument("--repeat", type=int, default=3, help="timed repetitions per child (best is reported)")
    ap.add_argument("--rounds", type=int, default=2,
                    help="rounds of (floor, midoffice) children; each reports its best over all rounds")
    ap.add_argument("--no-pandas", action="store_true", help="skip datacompy's pandas backend (~100 s at 10M)")
    ap.add_argument("--no-datacompy", action="store_true", help="skip datacompy entirely")
    ap.add_argument("--keep", action="store_true", help="keep the generated DuckDB file")
    ap.add_argument("--reuse", action="store_true", help="reuse a kept DuckDB file of the same size (implies --keep)")
    ap.add_argument("--generate-only", action="store_true", help="only generate and stage the data (implies --keep)")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    ap.add_argument("--memory-limit", default="3GB", help="DuckDB memory_limit of the floor and midoffice children")
    args = ap.parse_args()
    report = []
    for n in [int(x) for x in args.sizes.split(",")]:
        folder = ROOT / "data" / "worlds" / f"bench_recon_{n}"
        path = str(folder / "bench.duckdb")
        reuse = args.reuse and Path(path).exists()
        if not reuse:
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
        rows: list[Measure] = []
        t0 = time.perf_counter()
        gen = None if reuse else _child("generate data (SQL)", n, GEN.format(path=path, n=n, AS_OF=AS_OF))
        prep = _child("stage both sides as of", n, PREP.format(path=path, as_of=AS_OF))
        if args.generate_only:
            print(f"generated {path}: {gen.extra if gen else ''} staged: {prep.extra}")
            continue
        # rounds of (floor, midoffice), each in its own child: the machine drifts over minutes, so
        # both get the same chances at a quiet moment; each reports its best over the rounds
        floors, mids = [], []
        for r in range(args.rounds):
            floors.append(_child("floor: DuckDB full outer join", n,
                                 FLOOR.format(path=path, repeat=args.repeat, mem=args.memory_limit)))
            tail = MID_EXTRAS if r == 0 else MID_ONLY  # suggestions, persistence, cash: first round only
            mids.append(_child("midoffice passes+classify", n,
                               (MID_HEAD + tail).format(path=path, as_of=AS_OF, repeat=args.repeat, mem=args.memory_limit)))
        floor = min(floors, key=lambda m: m.seconds)
        floor.extra["rounds_s"] = [round(m.seconds, 3) for m in floors]
        mid = Measure(mids[0].name, n, min(m.seconds for m in mids), max(m.peak_mib for m in mids),
                      {**mids[0].extra, "rounds_s": [round(m.seconds, 3) for m in mids],
                       "peak_mib_matching": max(m.extra["peak_mib_matching"] for m in mids)})
        rows += [m for m in (gen, prep) if m is not None] + [floor, mid]
        peers: list[Measure] = []
        if not args.no_datacompy:
            peers.append(_child("datacompy polars", n, DATACOMPY.format(path=path, backend="polars", repeat=1)))
            if not args.no_pandas:
                peers.append(_child("datacompy pandas", n, DATACOMPY.format(path=path, backend="pandas", repeat=1)))
        rows += peers
        print(f"\nsize {n:,}: total bench time {time.perf_counter() - t0:.0f} s")
        print(f"{'step':<32}{'size':>12}{'seconds':>9}{'median':>9}{'rows/s':>13}{'peak MiB':>10}  notes")
        for m in rows:
            med = m.extra.get("median_s", "")
            notes = {k: v for k, v in m.extra.items() if k not in ("median_s", "breaks_by_type")}
            print(f"{m.name:<32}{m.size:>12,}{m.seconds:>9.2f}{med!s:>9}{m.rows_per_s:>13,.0f}{m.peak_mib:>10,.0f}  "
                  + json.dumps(notes, default=str))
        ratio_floor = mid.seconds / floor.seconds if floor.seconds else float("nan")
        summary = {"size": n, "midoffice_s": round(mid.seconds, 3), "floor_s": round(floor.seconds, 3),
                   "x_floor": round(ratio_floor, 2),
                   "x_floor_rounds": [round(m.seconds / f.seconds, 2) for m, f in zip(mids, floors, strict=True)],
                   "peak_mib_matching": mid.extra.get("peak_mib_matching")}
        for p in peers:
            summary[f"{p.name.replace(' ', '_')}_s"] = round(p.seconds, 3)
            summary[f"speedup_vs_{p.name.replace(' ', '_')}"] = round(p.seconds / mid.seconds, 2)
        print("summary " + json.dumps(summary))
        report.append({"summary": summary, "rows": [{"name": m.name, "seconds": m.seconds, "peak_mib": m.peak_mib,
                                                     **m.extra} for m in rows]})
        if not (args.keep or args.reuse or args.generate_only):
            shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    if len(report) > 1:
        print("\n" + "\n".join(json.dumps(r["summary"]) for r in report))
    _ = statistics  # (kept for readers extending the report)


if __name__ == "__main__":
    main()

"""Dashboard page render times on a large store (default: 1,000,000 trades).

Builds (once, then reuses) a store under benchmarks/results/dash_<trades>/ whose tables have
the sizes a 1M-trade book produces after a month of daily runs: 1M trades and settlements,
~120k positions per date and basis, the P&L and attribution at the same grain, 2,000 limit
points, VaR/ES at firm/desk/book level, SA-CCR per netting set, ~30k breaks per date with their
workflow, 20k quarantined records. The rows are synthetic (set-based SQL over range()) with
the engine's own schema; the generator would take far longer to make the same volume.

Then renders every page with Streamlit's AppTest (the real app script, on the server side, no
browser) and prints, per page, the first render after the caches are cleared ("cold") and the
median of the next renders ("warm").

    .venv/bin/python benchmarks/bench_dashboards.py [--trades 1000000] [--dates 20] [--rebuild]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = ["overview", "exposures", "limits", "pnl", "market_risk", "counterparty", "workbench", "data_quality"]


def build(folder: Path, trades: int, dates: int) -> None:  # noqa: PLR0915 - one linear script
    from engine import store
    from engine.config import load_config

    folder.mkdir(parents=True, exist_ok=True)
    for f in folder.glob("*.duckdb*"):
        f.unlink()
    cfg = load_config(environ={}, overrides={"store": {
        "path": str(folder / "store.duckdb"), "published_path": str(folder / "published.duckdb"),
        "workflow_path": str(folder / "workflow.duckdb"), "threads": 2, "memory_limit": "12GB"}})
    n_books, n_inst, n_cp = 60, 2000, 300
    t0 = time.perf_counter()
    with store.connect(cfg) as con:
        p = {"trades": trades, "dates": dates, "books": n_books, "inst": n_inst, "cps": n_cp}

        def x(sql: str, params: dict | None = None) -> None:
            used = {k: v for k, v in (params or {}).items() if f"${k}" in sql}
            con.execute(sql, used) if used else con.execute(sql)

        x("CREATE TEMP TABLE days AS SELECT row_number() OVER (ORDER BY d) - 1 AS di, d::DATE AS d FROM "
          "(SELECT unnest(generate_series(DATE '2024-01-01', DATE '2024-12-31', INTERVAL 1 DAY)) AS d) "
          "WHERE dayofweek(d) BETWEEN 1 AND 5 QUALIFY di < 60")
        x("INSERT INTO ref_legal_entities SELECT 'LE' || i, 'Entity ' || i, 'LEI' || i, 'USD', 'US', 1, i FROM range(3) t(i)")
        x("INSERT INTO ref_books (book_id, book_name, desk, legal_entity_id, trader, lot_method, batch_id, src_line) "
          "SELECT 'BK' || lpad(i::VARCHAR, 3, '0'), 'Book ' || i, 'DESK' || (i % 6), 'LE' || (i % 3), 'TR' || (i % 20), 'FIFO', 1, i "
          "FROM range($books) t(i)", p)
        x("INSERT INTO ref_instruments (instrument_id, isin, name, asset_class, currency, issuer, sector, country) "
          "SELECT 'XS' || lpad(i::VARCHAR, 10, '0'), 'XS' || lpad(i::VARCHAR, 10, '0'), 'Inst ' || i, "
          "['EQUITY','GOVT_BOND','CORP_BOND','FUTURE'][1 + i % 4], ['USD','EUR','GBP','JPY'][1 + i % 4], "
          "'ISS' || (i % 400), 'SEC' || (i % 11), ['US','DE','GB','JP','FR'][1 + i % 5] FROM range($inst) t(i)", p)
        x("INSERT INTO ref_counterparties (counterparty_id, name, rating, country) "
          "SELECT 'CP' || lpad(i::VARCHAR, 4, '0'), 'Counterparty ' || i, ['AA','A','BBB','BB'][1 + i % 4], 'US' FROM range($cps) t(i)", p)
        x("INSERT INTO ref_limits (limit_id, measure, scope_counterparty, limit_value, currency, valid_from) "
          "SELECT 'L_EAD_' || i, 'EAD', 'CP' || lpad(i::VARCHAR, 4, '0'), 5e6, 'USD', DATE '2024-01-01' FROM range($cps) t(i)", p)
        x("INSERT INTO fo_trades (trade_id, version, status, known_date, book_id, trader, counterparty_id, instrument_id, isin, side, "
          "quantity, price, currency, trade_date, settle_date, gross_amount, net_amount, batch_id, src_line) "
          "SELECT 'T' || lpad(i::VARCHAR, 8, '0'), 1, 'NEW', d.d, 'BK' || lpad((i % $books)::VARCHAR, 3, '0'), 'TR' || (i % 20), "
          "'CP' || lpad((i % $cps)::VARCHAR, 4, '0'), 'XS' || lpad((hash(i) % $inst)::VARCHAR, 10, '0'), "
          "'XS' || lpad((hash(i) % $inst)::VARCHAR, 10, '0'), CASE WHEN i % 2 = 0 THEN 'BUY' ELSE 'SELL' END, "
          "100 + i % 900, 10 + (i % 97), 'USD', d.d, d.d + 2, (100 + i % 900) * (10 + (i % 97)), (100 + i % 900) * (10 + (i % 97)), "
          "1 + i // 10000, i % 10000 FROM range($trades) t(i) JOIN days d ON d.di = (i * 60) // $trades", p)
        x("INSERT INTO bo_settlements (settlement_id, seq, known_date, custodian, message_type, trade_ref, isin, direction, quantity, "
          "settled_quantity, amount, currency, trade_date, intended_settle_date, status, batch_id, src_line) "
          "SELECT 'S' || substr(trade_id, 2), 1, trade_date, 'CUST_' || (hash(trade_id) % 3)::BIGINT, 'CSV', trade_id, isin, "
          "CASE side WHEN 'BUY' THEN 'RECEIVE' ELSE 'DELIVER' END, quantity, quantity, net_amount, currency, trade_date, settle_date, "
          "'SETTLED', 200 + src_line // 10000, src_line FROM fo_trades")
        x("INSERT INTO ops_load_batches SELECT i, CASE WHEN i < 100 THEN 'sample_trades' ELSE 'sample_settlements' END, 'csv', "
          "'/data/f' || i || '.csv', 'f' || i || '.csv', md5(i::VARCHAR) || md5(i::VARCHAR), 1000000, 10100, 10000, 100, "
          "'fo_trades', TIMESTAMP '2024-03-01 10:00:00', TIMESTAMP '2024-03-01 10:00:05' FROM range(1, 201) t(i)")
        x("INSERT INTO ops_quarantine (batch_id, feed, file_path, line_no, record_ref, target_table, rule, reason, raw_text) "
          "SELECT 1 + i // 100, CASE WHEN i < 10000 THEN 'sample_trades' ELSE 'sample_settlements' END, '/data/f' || (1 + i // 100) || '.csv', "
          "i % 10000, 'R' || i, 'fo_trades', ['bad_decimal','unknown_isin','bad_date','missing_value'][1 + i % 4], "
          "'expected a value, found ' || i, 'raw,record,' || i FROM range(20000) t(i)")
        x("INSERT INTO ops_runs SELECT nextval('seq_run_id'), d, d + INTERVAL 18 HOUR, d + INTERVAL 18 HOUR + INTERVAL 90 SECOND, 'OK', NULL, NULL "
          "FROM days WHERE di >= 60 - $dates ORDER BY d", p)
        x("CREATE TEMP TABLE run_days AS SELECT r.as_of, r.run_id, d.di FROM ops_runs r JOIN days d ON d.d = r.as_of")
        x("CREATE TEMP TABLE pos_keys AS SELECT book_id, instrument_id, min(trade_date) AS first_date, "
          "sum(CASE side WHEN 'BUY' THEN quantity ELSE -quantity END) AS qty, count(*) AS n FROM fo_trades GROUP BY ALL")
        n_pos = store.scalar(con, "SELECT count(*) FROM pos_keys")
        print(f"  reference, trades, settlements, quarantine: {time.perf_counter() - t0:.0f}s  positions per date ~{n_pos:,}", flush=True)
        for basis in ("TRADE", "SETTLE"):
            x("INSERT INTO out_positions (as_of, run_id, basis, position_id, legal_entity_id, desk, book_id, trader, instrument_id, isin, "
              "asset_class, currency, issuer, sector, country, valuation, quantity, price, price_source, price_multiplier, accrued_local, "
              "market_value_local, fx_rate_to_base, market_value_base, trades) "
              "SELECT r.as_of, r.run_id, $basis, k.book_id || '|' || k.instrument_id, b.legal_entity_id, b.desk, k.book_id, b.trader, "
              "k.instrument_id, i.isin, i.asset_class, i.currency, i.issuer, i.sector, i.country, 'PRICE', k.qty, 50, 'CLOSE', 1, 0, "
              "k.qty * (50 + r.di % 7), 1, k.qty * (50 + r.di % 7), k.n "
              "FROM run_days r JOIN pos_keys k ON k.first_date <= r.as_of JOIN ref_books b USING (book_id) "
              "JOIN ref_instruments i USING (instrument_id) ORDER BY r.as_of", {"basis": basis})
        x("INSERT INTO out_pnl (as_of, run_id, prev_date, legal_entity_id, desk, book_id, trader, instrument_id, asset_class, currency, "
          "lot_method, quantity_prev, quantity, fx_rate_prev, fx_rate, market_value_prev_local, market_value_local, cash_flow_local, "
          "realised_local, unrealised_local, fees_local, carry_local, total_local, fx_translation_base, total_base, realised_itd_local, "
          "unrealised_itd_local, fees_itd_local, trades_today) "
          "SELECT as_of, run_id, as_of - 1, legal_entity_id, desk, book_id, trader, instrument_id, asset_class, currency, 'FIFO', "
          "quantity, quantity, 1, 1, market_value_local, market_value_local, 0, quantity % 13, (hash(position_id) % 200)::BIGINT - 100, -1, 0, "
          "quantity % 13 + (hash(position_id) % 200)::BIGINT - 101, 0, quantity % 13 + (hash(position_id) % 200)::BIGINT - 101, quantity % 130, "
          "(hash(position_id) % 2000)::BIGINT - 1000, -10, 0 FROM out_positions WHERE basis = 'TRADE' ORDER BY as_of")
        x("INSERT INTO out_pnl_attribution SELECT as_of, run_id, book_id, instrument_id, currency, realised_local, unrealised_local, 0, "
          "fees_local, total_local, realised_local, unrealised_local, 0, 0, fees_local, total_base FROM out_pnl ORDER BY as_of")
        print(f"  positions and P&L: {time.perf_counter() - t0:.0f}s", flush=True)
        x("INSERT INTO out_limit_utilisation (as_of, run_id, limit_id, version, source, measure, point_key, desk, book_id, comparison, "
          "use_abs, measure_value, limit_value, limit_currency, limit_value_base, utilisation_pct, warning_pct, excess_base, status, "
          "severity, is_temporary, specificity, priority) "
          "SELECT r.as_of, r.run_id, 'LIM' || (i % 500), 1, 'REF', ['GROSS_EXPOSURE','NET_EXPOSURE','VAR_99_1D','NOTIONAL'][1 + i % 4], "
          "'book_id=BK' || lpad((i % 60)::VARCHAR, 3, '0') || ';n=' || i, 'DESK' || (i % 6), 'BK' || lpad((i % 60)::VARCHAR, 3, '0'), "
          "'<=', TRUE, 1000 * ((hash(i + r.di) % 120)::BIGINT + 1), 100000, 'USD', 100000, (hash(i + r.di) % 120)::BIGINT + 1, 80, 0, "
          "CASE WHEN (hash(i + r.di) % 120)::BIGINT + 1 > 100 THEN 'BREACH' WHEN (hash(i + r.di) % 120)::BIGINT + 1 >= 80 THEN 'WARNING' ELSE 'OK' END, "
          "'HARD', FALSE, 1, 0 FROM run_days r, range(2000) t(i)")
        x("INSERT INTO out_var SELECT r.as_of, r.run_id, lv.level, lv.key, m.method, m.model, 0.99, 1, NULL, 1e6 + hash(lv.key || r.di) % 100000, "
          "1.2e6 + hash(lv.key || r.di) % 100000, 500, 1000, 'USD' FROM run_days r, "
          "(SELECT 'FIRM' AS level, 'FIRM' AS key UNION ALL SELECT DISTINCT 'DESK', desk FROM ref_books UNION ALL SELECT 'BOOK', book_id FROM ref_books) lv, "
          "(VALUES ('HISTORICAL', 'FULL_REVAL'), ('PARAMETRIC', 'EWMA'), ('MONTE_CARLO', 'NORMAL')) m(method, model)")
        x("INSERT INTO out_var_components SELECT as_of, run_id, level, key, key, method, model, confidence, horizon_days, scaling, var / 10, es / 10, "
          "0.1, var FROM out_var WHERE level <> 'FIRM'")
        x("INSERT INTO out_stress SELECT r.as_of, r.run_id, 'SCN' || s, 'WINDOW', NULL, NULL, lv.level, lv.key, -1e5 * s, NULL FROM run_days r, range(10) t(s), "
          "(SELECT 'FIRM' AS level, 'FIRM' AS key UNION ALL SELECT DISTINCT 'DESK', desk FROM ref_books) lv")
        x("INSERT INTO out_backtest SELECT (SELECT max(as_of) FROM run_days), 1, 'CURRENT_PORTFOLIO', DATE '2023-01-01' + i::INTEGER, DATE '2023-01-01' + i::INTEGER - 1, "
          "'HISTORICAL', 0.99, 1e6, (hash(i) % 2000000)::BIGINT - 1000000.0, NULL, (hash(i) % 2000000)::BIGINT - 1000000.0 < -1e6, NULL FROM range(250) t(i)")
        x("INSERT INTO out_backtest_summary (as_of, run_id, basis, pnl_type, method, confidence, n_obs, exceptions, expected_exceptions, zone) "
          "SELECT max(as_of), 1, 'CURRENT_PORTFOLIO', 'HYPOTHETICAL', 'HISTORICAL', 0.99, 250, 3, 2.5, 'GREEN' FROM run_days")
        x("INSERT INTO out_saccr SELECT r.as_of, r.run_id, 'NS' || i, 'CP' || lpad((i % $cps)::VARCHAR, 4, '0'), 'LE' || (i % 3), i % 2 = 0, 10, "
          "1e5, 0, 1e5, 1e4, 1e4, 0, 0, 0, 2e4, 1, 2e4, 1.68e5 + i, 1.68e5 + i, 1e5, 'USD' FROM run_days r, range(600) t(i)", p)
        x("INSERT INTO out_breaks (as_of, run_id, break_id, category, kind, break_type, side, lifecycle, anchor, trade_id, settlement_id, "
          "isin, book_id, counterparty_id, custodian, currency, amount_fo, amount_bo, amount_diff, amount_base, first_seen, age_days, age_bucket) "
          "SELECT r.as_of, r.run_id, 'BRK-' || lpad(j::VARCHAR, 8, '0'), 'MATCHING', 'MISMATCH', "
          "['DQUA','DMON','DDAT','CMIS_FO_ONLY','CMIS_BO_ONLY','NCRR'][1 + j % 6], 'BOTH', "
          "CASE WHEN j % 7 = 0 THEN 'NEW' ELSE 'PERSISTING' END, 'T:T' || lpad(j::VARCHAR, 8, '0'), 'T' || lpad(j::VARCHAR, 8, '0'), "
          "'S' || lpad(j::VARCHAR, 8, '0'), 'XS' || lpad((j % 2000)::VARCHAR, 10, '0'), 'BK' || lpad((j % 60)::VARCHAR, 3, '0'), "
          "'CP' || lpad((j % 300)::VARCHAR, 4, '0'), 'CUST_' || (j % 3), 'USD', 1000, 1001, 1, 1000, r.as_of - (j % 20)::INTEGER, (j % 20)::INTEGER, '>10' "
          "FROM run_days r, range(($trades * 3) // 100) t(i), LATERAL (SELECT (i + r.di * 997) % ($trades // 20) AS j) ORDER BY r.as_of", p)
        print(f"  limits, risk, breaks: {time.perf_counter() - t0:.0f}s", flush=True)
    add_break_life(cfg)
    store.publish(cfg)
    print(f"built in {time.perf_counter() - t0:.0f}s: {folder}", flush=True)


def add_break_life(cfg) -> None:  # type: ignore[no-untyped-def]
    """life_breaks (each break's life across runs) from out_breaks, as the reconciliation keeps it."""
    from engine import store

    with store.connect(cfg) as con:
        if store.scalar(con, "SELECT count(*) FROM life_breaks"):
            return
        con.execute(
            "INSERT INTO life_breaks SELECT break_id, any_value(category), any_value(kind), arg_max(break_type, as_of), "
            "any_value(anchor), any_value(trade_id), any_value(settlement_id), NULL, any_value(isin), any_value(counterparty_id), "
            "any_value(custodian), NULL, min(first_seen), max(as_of), count(*), 'OPEN', NULL, max(run_id) "
            "FROM out_breaks GROUP BY break_id")


def render_times(folder: Path, repeats: int) -> list[tuple[str, float, float]]:
    from streamlit.testing.v1 import AppTest

    from dashboards import data
    from engine import readers

    cfg_file = folder / "midoffice.toml"
    cfg_file.write_text(
        f"[store]\npath = '{folder / 'store.duckdb'}'\npublished_path = '{folder / 'published.duckdb'}'\n"
        f"workflow_path = '{folder / 'workflow.duckdb'}'\n", encoding="utf-8")
    os.environ["MIDOFFICE_CONFIG"] = str(cfg_file)
    app = ROOT / "dashboards" / "app.py"

    def open_page(page: str, at: AppTest | None = None) -> tuple[AppTest, float]:
        t = time.perf_counter()
        if at is None:
            at = AppTest.from_file(app, default_timeout=120)
        if page == "overview":
            at.run()
        else:
            at.switch_page(f"views/{page}.py").run()
        seconds = time.perf_counter() - t
        if at.exception:
            raise RuntimeError(f"{page}: {at.exception[0].value}")
        return at, seconds

    # import everything once (Python modules, Altair...) so that "cold" means cold caches only
    warm_at, _ = open_page("overview")
    for page in PAGES[1:]:
        open_page(page, warm_at)
    out = []
    for page in PAGES:
        at = AppTest.from_file(app, default_timeout=120)
        if page != "overview":
            at.run()  # the app's first run shows the default page; then navigate
        data.clear_caches()  # Streamlit's caches ...
        readers.release_readers()  # ... and the snapshot attachment (DuckDB's own cache)
        _, cold = open_page(page, at)
        warm = statistics.median(open_page(page, at)[1] for _ in range(repeats))
        out.append((page, cold, warm))
        print(f"  {page:<16} cold {cold:6.2f}s   warm {warm:6.2f}s", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trades", type=int, default=1_000_000)
    ap.add_argument("--dates", type=int, default=20, help="run dates with results")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()
    folder = ROOT / "benchmarks" / "results" / f"dash_{args.trades}"
    if args.rebuild or not (folder / "published.duckdb").exists():
        build(folder, args.trades, args.dates)
    else:  # stores built before life_breaks was added
        from engine import store
        from engine.config import load_config

        cfg = load_config(environ={}, overrides={"store": {
            "path": str(folder / "store.duckdb"), "published_path": str(folder / "published.duckdb"),
            "workflow_path": str(folder / "workflow.duckdb")}})
        with store.connect(cfg, read_only=True) as con:
            missing = not store.scalar(con, "SELECT count(*) FROM life_breaks")
        if missing:
            add_break_life(cfg)
            store.publish(cfg)
    size = (folder / "published.duckdb").stat().st_size / 2**20
    print(f"\nDashboard pages on a {args.trades:,}-trade store ({size:,.0f} MiB), server-side render (AppTest):")
    rows = render_times(folder, args.repeats)
    print(f"\n{'page':<16}{'cold s':>8}{'warm s':>8}")
    for page, cold, warm in rows:
        print(f"{page:<16}{cold:>8.2f}{warm:>8.2f}")
    print(f"slowest cold render: {max(r[1] for r in rows):.2f}s; slowest warm: {max(r[2] for r in rows):.2f}s")


if __name__ == "__main__":
    main()

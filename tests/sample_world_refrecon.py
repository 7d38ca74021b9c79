"""An independent reference reconciliation of a generated sample world, written from the rules in
the ``connectors.sample_world`` docstring only (not from the generator's code), in plain DuckDB
SQL over the files. If it reproduces ``truth/breaks.csv`` exactly, the documented semantics and
the truth agree, so a reconciliation engine that follows them can reach full accuracy.

Deliberately simple: one pass by reference (trade id, block id), one pass by economic key
(ISIN, account, direction, settlement date, quantity), then field and state checks on the 1:1
pairs, then cash per settlement event.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

# DuckDB's round() needs a constant precision; the world's currencies have 0 or 2 decimals.


def reference_recon(world: Path) -> pl.DataFrame:
    """Breaks as of the world's end date: columns recon, cls, trade_id, settlement_id."""
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        for table, pattern in (("t", "fo/*.csv"), ("s", "bo/*/*.csv"), ("c", "cash/*.csv"),
                               ("acc", "reference/accounts.csv"), ("fx", "market/fx_rates.csv")):
            con.register(table, pl.scan_csv(str(world / pattern), infer_schema=False).collect())  # all text
        con.execute("CREATE TABLE mu AS SELECT * FROM (VALUES ('USD', 2), ('EUR', 2), ('GBP', 2), ('JPY', 0), "
                    "('CHF', 2), ('CAD', 2), ('AUD', 2), ('SEK', 2), ('NOK', 2), ('HKD', 2)) v(currency, minor)")
        as_of = con.sql("SELECT max(rate_date::DATE) FROM fx").fetchall()[0][0]
        p = {"d": as_of}
        con.execute(
            "CREATE TABLE lt AS SELECT trade_id, quantity::DECIMAL(24,6) q, price::DECIMAL(24,10) px, "
            "net_amount::DECIMAL(24,4) net, currency, isin, side, trade_date::DATE td, settle_date::DATE sd, "
            "counterparty_id cp, place_of_settlement pset, account_id, block_id FROM (SELECT * FROM t "
            "WHERE known_date::DATE <= $d QUALIFY row_number() OVER (PARTITION BY trade_id ORDER BY version::INT DESC) = 1) "
            "WHERE status <> 'CANCEL' AND account_id IS NOT NULL", p)
        con.execute(
            "CREATE TABLE cs AS SELECT settlement_id, trade_ref, account_id, isin, direction, quantity::DECIMAL(24,6) q, "
            "amount::DECIMAL(24,4) amt, currency, trade_date::DATE td, deal_price::DECIMAL(24,10) px, "
            "intended_settle_date::DATE isd, status, counterparty_id cp, place_of_settlement pset FROM (SELECT * FROM s "
            "WHERE known_date::DATE <= $d QUALIFY row_number() OVER (PARTITION BY settlement_id ORDER BY seq::INT DESC) = 1) "
            "WHERE status <> 'CANCELLED'", p)
        con.execute(
            "CREATE TABLE m AS SELECT t.trade_id, s.settlement_id, 'REF' AS pass FROM lt t JOIN cs s ON s.trade_ref = t.trade_id "
            "UNION ALL SELECT t.trade_id, s.settlement_id, 'BLOCK' FROM lt t JOIN cs s ON s.trade_ref = t.block_id")
        con.execute(
            "INSERT INTO m SELECT t.trade_id, s.settlement_id, 'ECON' FROM "
            "(SELECT * FROM lt WHERE trade_id NOT IN (SELECT trade_id FROM m)) t JOIN "
            "(SELECT * FROM cs WHERE settlement_id NOT IN (SELECT settlement_id FROM m)) s "
            "ON t.isin = s.isin AND t.account_id = s.account_id AND t.sd = s.isd AND t.q = s.q "
            "AND (CASE WHEN t.side = 'BUY' THEN 'RECEIVE' ELSE 'DELIVER' END) = s.direction")
        ambiguous = con.sql("SELECT count(*) FROM (SELECT trade_id FROM m WHERE pass = 'ECON' GROUP BY 1 HAVING count(*) > 1)")
        assert ambiguous.fetchall()[0][0] == 0, "economic matching is ambiguous"
        # groups (1:n, n:1) must add up; 1:1 pairs get the field and state checks
        bad_groups = con.sql(
            "SELECT count(*) FROM (SELECT m.trade_id, sum(s.q) sq, any_value(t.q) tq, sum(s.amt) sa, any_value(t.net) tn "
            "FROM m JOIN cs s USING (settlement_id) JOIN lt t USING (trade_id) WHERE m.trade_id IN "
            "(SELECT trade_id FROM m GROUP BY 1 HAVING count(*) > 1) GROUP BY m.trade_id) WHERE sq <> tq OR sa <> tn")
        assert bad_groups.fetchall()[0][0] == 0, "one-to-many settlements do not add up"
        bad_blocks = con.sql(
            "SELECT count(*) FROM (SELECT m.settlement_id, sum(t.q) tq, any_value(s.q) sq, sum(t.net) tn, any_value(s.amt) sa "
            "FROM m JOIN cs s USING (settlement_id) JOIN lt t USING (trade_id) WHERE m.pass = 'BLOCK' "
            "GROUP BY m.settlement_id) WHERE sq <> tq OR sa <> tn")
        assert bad_blocks.fetchall()[0][0] == 0, "block settlements do not add up"
        con.execute(
            "CREATE TABLE pairs AS SELECT trade_id, settlement_id FROM m "
            "WHERE trade_id IN (SELECT trade_id FROM m GROUP BY 1 HAVING count(*) = 1) "
            "AND settlement_id IN (SELECT settlement_id FROM m GROUP BY 1 HAVING count(*) = 1)")
        sec = con.sql(
            "SELECT 'CMIS_FO_ONLY' AS cls, trade_id, NULL::VARCHAR AS settlement_id FROM lt "
            "WHERE trade_id NOT IN (SELECT trade_id FROM m) "
            "UNION ALL SELECT 'CMIS_BO_ONLY', NULL, settlement_id FROM cs WHERE settlement_id NOT IN (SELECT settlement_id FROM m) "
            "UNION ALL SELECT CASE "
            " WHEN s.isin <> t.isin THEN 'DSEC' "
            " WHEN s.direction <> (CASE WHEN t.side = 'BUY' THEN 'RECEIVE' ELSE 'DELIVER' END) THEN 'DELN' "
            " WHEN s.currency <> t.currency THEN 'NCRR' WHEN s.q <> t.q THEN 'DQUA' WHEN s.px <> t.px THEN 'DDEA' "
            " WHEN abs((CASE mu.minor WHEN 0 THEN round(s.amt, 0) ELSE round(s.amt, 2) END) - t.net) "
            " > (CASE mu.minor WHEN 0 THEN 1 ELSE 0.01 END) THEN 'DMON' "
            " WHEN s.td <> t.td THEN 'DTRD' WHEN s.isd <> t.sd THEN 'DDAT' WHEN s.cp <> t.cp THEN 'ICAG' "
            " WHEN s.pset <> t.pset THEN 'DEPT' END, t.trade_id, s.settlement_id "
            "FROM pairs JOIN lt t USING (trade_id) JOIN cs s USING (settlement_id) JOIN mu ON mu.currency = t.currency "
            "UNION ALL SELECT CASE WHEN s.status = 'FAILING' THEN 'FAILING' WHEN s.status = 'PARTIAL' THEN 'PARTIAL' "
            " WHEN s.status IN ('PENDING', 'MATCHED', 'UNMATCHED') AND s.isd < $d THEN 'PENDING_PAST_ISD' END, "
            " t.trade_id, s.settlement_id FROM pairs JOIN lt t USING (trade_id) JOIN cs s USING (settlement_id)",
            params=p,
        ).pl().filter(pl.col("cls").is_not_null()).with_columns(recon=pl.lit("SECURITIES"))
        # cash: one expected entry per settlement event (settled quantity grew)
        con.execute(
            "CREATE TABLE ev AS SELECT settlement_id, account_id, currency, direction, actual_settle_date::DATE vd, "
            "settled_amount::DECIMAL(24,4) - coalesce(lag(settled_amount::DECIMAL(24,4)) OVER w, 0) inc_a, "
            "settled_quantity::DECIMAL(24,6) - coalesce(lag(settled_quantity::DECIMAL(24,6)) OVER w, 0) inc_q "
            "FROM s WHERE known_date::DATE <= $d WINDOW w AS (PARTITION BY settlement_id ORDER BY seq::INT)", p)
        con.execute(
            "CREATE TABLE ex AS SELECT ev.*, a.cash_account, (CASE WHEN direction = 'DELIVER' THEN 1 ELSE -1 END) * "
            "(CASE mu.minor WHEN 0 THEN round(inc_a, 0) ELSE round(inc_a, 2) END) AS expected "
            "FROM ev JOIN acc a ON a.account_id = ev.account_id "
            "JOIN mu ON mu.currency = ev.currency WHERE inc_q > 0")
        con.execute(
            "CREATE TABLE ce AS SELECT movement_id, account, value_date::DATE vd, amount::DECIMAL(24,4) amount, currency, "
            "is_reversal::BOOLEAN rev, entry_ref FROM c WHERE known_date::DATE <= $d AND bank_tx_code <> 'ACMT/MDOP/CHRG'", p)
        con.execute(  # a reversal cancels one earlier entry with the same reference and the opposite amount
            "CREATE TABLE ce2 AS SELECT * FROM ce WHERE NOT rev AND movement_id NOT IN ("
            "SELECT min(x.movement_id) FROM ce r JOIN ce x ON NOT x.rev AND x.entry_ref = r.entry_ref "
            "AND x.amount = -r.amount AND x.vd = r.vd WHERE r.rev GROUP BY r.movement_id)")
        con.execute(
            "CREATE TABLE cm AS SELECT ex.settlement_id, ex.vd, ex.expected, e.movement_id, e.amount FROM ex JOIN ce2 e "
            "ON e.entry_ref = ex.settlement_id AND e.vd = ex.vd")
        con.execute(
            "INSERT INTO cm SELECT ex.settlement_id, ex.vd, ex.expected, e.movement_id, e.amount FROM "
            "(SELECT * FROM ex WHERE (settlement_id, vd) NOT IN (SELECT (settlement_id, vd) FROM cm)) ex JOIN "
            "(SELECT * FROM ce2 WHERE entry_ref IS NULL) e ON e.account = ex.cash_account AND e.vd = ex.vd "
            "AND e.amount = ex.expected AND e.currency = ex.currency")
        cash = con.sql(
            "SELECT 'CASH_MISSING' AS cls, NULL::VARCHAR AS trade_id, settlement_id FROM ex "
            "WHERE (settlement_id, vd) NOT IN (SELECT (settlement_id, vd) FROM cm) "
            "UNION ALL SELECT 'CASH_DMON', NULL, ex.settlement_id FROM cm JOIN ex USING (settlement_id, vd) "
            "JOIN mu ON mu.currency = ex.currency WHERE abs(cm.amount - cm.expected) > (CASE mu.minor WHEN 0 THEN 1 ELSE 0.01 END) "
            "UNION ALL SELECT 'CASH_UNEXPECTED', NULL, entry_ref FROM ce2 WHERE movement_id NOT IN (SELECT movement_id FROM cm)"
        ).pl().with_columns(recon=pl.lit("CASH"))
        return pl.concat([sec, cash], how="vertical_relaxed").select("recon", "cls", "trade_id", "settlement_id")
    finally:
        con.close()


def compare_with_truth(world: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(reference breaks, missed truth rows, extra reference rows). Cash rows compare on settlement."""
    mine = reference_recon(world)
    truth = pl.read_csv(world / "truth" / "breaks.csv", infer_schema_length=0).select(
        "recon", pl.col("break_class").alias("cls"), "trade_id", "settlement_id")
    truth = truth.with_columns(trade_id=pl.when(pl.col("recon") == "CASH").then(None).otherwise(pl.col("trade_id")))
    key = ["recon", "cls", "trade_id", "settlement_id"]
    missed = truth.join(mine, on=key, how="anti", nulls_equal=True)
    extra = mine.join(truth, on=key, how="anti", nulls_equal=True)
    return mine, missed, extra

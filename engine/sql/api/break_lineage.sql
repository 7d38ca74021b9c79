-- Purpose: lineage of a reconciliation break: every source record behind it (front-office trade
--   versions, back-office settlement records, cash statement entries) known on the break's date,
--   each with the feed, file and line it was loaded from. is_current marks the version/record
--   state the run used (the newest known on that date).
--   Cash breaks of a cash match take the match's statement entries (as break_detail does).
-- Grain: one row per (source table, record id, version or seq).
-- Inputs: out_breaks, out_cash_matches, fo_trades, bo_settlements, bo_cash_movements,
--   ops_load_batches.
-- Parameters: $break_id VARCHAR, $as_of DATE (NULL = the latest date the break was written).
WITH b AS (
    SELECT *
    FROM out_breaks
    WHERE break_id = $break_id
      AND as_of = coalesce($as_of::DATE, (SELECT max(as_of) FROM out_breaks WHERE break_id = $break_id))
    LIMIT 1
),
tids AS (
    SELECT DISTINCT b.as_of, unnest(CASE WHEN len(coalesce(b.trade_ids, [])) > 0 THEN b.trade_ids
                                         WHEN b.trade_id IS NOT NULL THEN [b.trade_id]
                                         ELSE []::VARCHAR[] END) AS trade_id
    FROM b
),
sids AS (
    SELECT DISTINCT b.as_of, unnest(CASE WHEN len(coalesce(b.settlement_ids, [])) > 0 THEN b.settlement_ids
                                         WHEN b.settlement_id IS NOT NULL THEN [b.settlement_id]
                                         ELSE []::VARCHAR[] END) AS settlement_id
    FROM b
),
fo AS (
    SELECT 'FO' AS side, 'fo_trades' AS source_table, t.trade_id AS record_id, t.version,
           t.version = max(t.version) OVER (PARTITION BY t.trade_id) AS is_current,
           t.known_date, t.status, t.isin, t.instrument_id, t.side AS direction,
           t.quantity, t.price, t.net_amount AS amount, t.currency, t.trade_date,
           t.settle_date, t.counterparty_id, t.account_id, t.book_id, t.batch_id, t.src_line, t.src_ref
    FROM fo_trades AS t
    JOIN tids ON tids.trade_id = t.trade_id AND t.known_date <= tids.as_of
),
bo AS (
    SELECT 'BO' AS side, 'bo_settlements' AS source_table, s.settlement_id AS record_id, s.seq AS version,
           s.seq = max(s.seq) OVER (PARTITION BY s.settlement_id) AS is_current,
           s.known_date, s.status, s.isin, NULL::VARCHAR AS instrument_id, s.direction,
           s.quantity, s.deal_price AS price, s.amount, s.currency, s.trade_date,
           s.intended_settle_date AS settle_date, s.counterparty_id, s.account_id,
           NULL::VARCHAR AS book_id, s.batch_id, s.src_line, s.src_ref
    FROM bo_settlements AS s
    JOIN sids ON sids.settlement_id = s.settlement_id AND s.known_date <= sids.as_of
),
mids AS (
    SELECT b.movement_id FROM b WHERE b.movement_id IS NOT NULL
    UNION
    SELECT m.movement_id
    FROM out_cash_matches AS m JOIN b ON m.as_of = b.as_of AND m.match_id = b.match_id
    WHERE b.category = 'CASH' AND m.movement_id IS NOT NULL
),
cash AS (
    SELECT 'CASH' AS side, 'bo_cash_movements' AS source_table, m.movement_id AS record_id,
           1 AS version, TRUE AS is_current, m.known_date,
           CASE WHEN m.is_reversal THEN 'REVERSAL' ELSE 'BOOKED' END AS status,
           NULL::VARCHAR AS isin, NULL::VARCHAR AS instrument_id,
           CASE WHEN m.amount >= 0 THEN 'CREDIT' ELSE 'DEBIT' END AS direction,
           NULL::DECIMAL(24,6) AS quantity, NULL::DECIMAL(24,10) AS price, m.amount, m.currency,
           m.booking_date AS trade_date, m.value_date AS settle_date, NULL::VARCHAR AS counterparty_id,
           m.account AS account_id, NULL::VARCHAR AS book_id, m.batch_id, m.src_line, m.src_ref
    FROM bo_cash_movements AS m
    JOIN mids ON m.movement_id = mids.movement_id
),
rows AS (
    SELECT * FROM fo UNION ALL BY NAME SELECT * FROM bo UNION ALL BY NAME SELECT * FROM cash
)
SELECT (SELECT break_id FROM b) AS break_id, (SELECT as_of FROM b) AS as_of,
       r.side, r.source_table, r.record_id, r.version, r.is_current, r.known_date, r.status,
       r.isin, r.instrument_id, r.direction, r.quantity, r.price, r.amount, r.currency,
       r.trade_date, r.settle_date, r.counterparty_id, r.account_id, r.book_id,
       lb.feed, lb.file_name, lb.file_path, r.src_line, r.src_ref, r.batch_id
FROM rows AS r
LEFT JOIN ops_load_batches AS lb USING (batch_id)
ORDER BY CASE r.side WHEN 'FO' THEN 1 WHEN 'BO' THEN 2 ELSE 3 END, r.record_id, r.version

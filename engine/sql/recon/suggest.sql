-- Purpose: suggested matches (scratch table tmp_rc_sugg): for every unmatched record that is a
-- break, the best $k candidates among the unmatched records of the other side, with a score in
-- [0, 1] (weighted agreement of ISIN, direction, quantity, amount, dates, account, counterparty,
-- currency and reference similarity) and the fields that differ, so that a person confirms a
-- match in one step. Candidates share the ISIN, or the account, direction and settlement date.
-- Grain: one row per (unmatched record, candidate), rank 1..$k.
-- Inputs: tmp_rc_lfo, tmp_rc_lbo, tmp_rc_breaks. Parameters: $k (INTEGER).
CREATE OR REPLACE TEMP TABLE tmp_rc_sugg AS
WITH fo AS (
    SELECT l.*, b.break_id
    FROM tmp_rc_lfo AS l
    LEFT JOIN tmp_rc_breaks AS b ON b.kind = 'UNMATCHED_FO' AND b.trade_id = l.trade_id
),
bo AS (
    SELECT l.*, b.break_id
    FROM tmp_rc_lbo AS l
    LEFT JOIN tmp_rc_breaks AS b ON b.kind = 'UNMATCHED_BO' AND b.settlement_id = l.settlement_id
),
pairs AS (
    SELECT f.trade_id, b.settlement_id FROM fo AS f JOIN bo AS b ON f.isin = b.isin
    UNION
    SELECT f.trade_id, b.settlement_id FROM fo AS f JOIN bo AS b
      ON f.account_id = b.account_id AND f.direction = b.direction AND f.settle_date = b.settle_date
),
scored AS (
    SELECT f.trade_id, b.settlement_id, f.break_id AS fo_break_id, b.break_id AS bo_break_id,
           (3 * CAST(f.isin IS NOT DISTINCT FROM b.isin AS DOUBLE)
            + 2 * CAST(f.direction IS NOT DISTINCT FROM b.direction AS DOUBLE)
            + 3 * coalesce(1 - least(1, CAST(abs(b.quantity - f.quantity) AS DOUBLE)
                                         / nullif(CAST(greatest(abs(f.quantity), abs(b.quantity)) AS DOUBLE), 0)), 0)
            + 2 * coalesce(1 - least(1, CAST(abs(b.amount_r - f.amount_r) AS DOUBLE)
                                         / nullif(CAST(greatest(abs(f.amount_r), abs(b.amount_r)) AS DOUBLE), 0)), 0)
            + 2 * coalesce(1 - least(1, abs(b.settle_bd - f.settle_bd) / 5.0), 0)
            + 1 * coalesce(1 - least(1, abs(b.trade_bd - f.trade_bd) / 5.0), 0)
            + 1 * CAST(f.account_id IS NOT DISTINCT FROM b.account_id AS DOUBLE)
            + 1 * CAST(f.counterparty_id IS NOT DISTINCT FROM b.counterparty_id AS DOUBLE)
            + 1 * CAST(f.currency IS NOT DISTINCT FROM b.currency AS DOUBLE)
            + 2 * coalesce(jaro_winkler_similarity(f.trade_id, b.trade_ref), 0)
           ) / 18.0 AS score,
           concat_ws(',',
               CASE WHEN f.isin IS DISTINCT FROM b.isin THEN 'isin' END,
               CASE WHEN f.direction IS DISTINCT FROM b.direction THEN 'direction' END,
               CASE WHEN f.currency IS DISTINCT FROM b.currency THEN 'currency' END,
               CASE WHEN f.quantity IS DISTINCT FROM b.quantity THEN 'quantity' END,
               CASE WHEN f.price <> b.price THEN 'price' END,
               CASE WHEN f.amount_r <> b.amount_r THEN 'amount' END,
               CASE WHEN f.settle_date <> b.settle_date THEN 'settle_date' END,
               CASE WHEN f.trade_date <> b.trade_date THEN 'trade_date' END,
               CASE WHEN f.place_of_settlement <> b.place_of_settlement THEN 'place_of_settlement' END,
               CASE WHEN f.counterparty_id <> b.counterparty_id THEN 'counterparty_id' END,
               CASE WHEN f.account_id <> b.account_id THEN 'account_id' END,
               CASE WHEN b.trade_ref IS DISTINCT FROM f.trade_id THEN 'reference' END
           ) AS differing_fields
    FROM pairs AS p
    JOIN fo AS f ON f.trade_id = p.trade_id
    JOIN bo AS b ON b.settlement_id = p.settlement_id
),
fo_side AS (
    SELECT fo_break_id AS break_id, 'FO' AS side, trade_id AS record_id, settlement_id AS candidate_id,
           bo_break_id AS candidate_break_id, score, differing_fields,
           CAST(row_number() OVER (PARTITION BY trade_id ORDER BY score DESC, settlement_id) AS INTEGER) AS rank
    FROM scored WHERE fo_break_id IS NOT NULL
),
bo_side AS (
    SELECT bo_break_id AS break_id, 'BO' AS side, settlement_id AS record_id, trade_id AS candidate_id,
           fo_break_id AS candidate_break_id, score, differing_fields,
           CAST(row_number() OVER (PARTITION BY settlement_id ORDER BY score DESC, trade_id) AS INTEGER) AS rank
    FROM scored WHERE bo_break_id IS NOT NULL
)
SELECT break_id, side, record_id, candidate_id, candidate_break_id, rank, round(score, 4) AS score, differing_fields
FROM fo_side WHERE rank <= $k
UNION ALL
SELECT break_id, side, record_id, candidate_id, candidate_break_id, rank, round(score, 4), differing_fields
FROM bo_side WHERE rank <= $k;

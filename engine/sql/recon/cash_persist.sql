-- Purpose: persist the date's cash reconciliation: expected flows (with their match), cash
-- matches (one row if 1:1, else one per member) and the differing fields of cash breaks.
-- The clean 1:1 reference pairs are read from tmp_cash_ref, every other match from tmp_cash_gmx
-- (together they are tmp_cash_gm).
-- Grain: see each table. Inputs: tmp_cash_ref, tmp_cash_refpass, tmp_cash_gmx, tmp_cash_fd,
--   tmp_cash_breaks. Parameters: $as_of (DATE), $run_id (BIGINT).
DELETE FROM out_cash_expected WHERE as_of = $as_of;
DELETE FROM out_cash_matches WHERE as_of = $as_of;
DELETE FROM out_break_fields WHERE as_of = $as_of AND category = 'CASH';

INSERT INTO out_cash_expected
WITH e AS (
    SELECT r.ref || '#' || CAST(r.seq AS VARCHAR) AS expected_id, r.ref AS settlement_id, r.cash_account, r.currency,
           r.amount, r.value_date, r.pair
    FROM tmp_cash_ref AS r
    WHERE r.seq IS NOT NULL
)
SELECT $as_of, $run_id, e.expected_id, [e.settlement_id], e.cash_account, e.currency, e.amount, e.value_date,
       CASE WHEN e.pair THEN 'E:' || e.settlement_id || '@' || CAST(e.value_date AS VARCHAR) ELSE g.match_id END,
       CASE WHEN e.pair THEN p.pass_name ELSE g.pass_name END
FROM e
CROSS JOIN tmp_cash_refpass AS p
LEFT JOIN tmp_cash_gmx AS g ON g.expected_id = e.expected_id;

INSERT INTO out_cash_matches
WITH g AS (
    SELECT match_id, any_value(pass_name) AS pass_name, any_value(method) AS method,
           count(expected_id) AS ne, count(movement_id) AS nm, min(expected_id) AS e, min(movement_id) AS m
    FROM tmp_cash_gmx GROUP BY match_id
),
c AS (
    SELECT g.*, g.match_id NOT IN (SELECT match_id FROM tmp_cash_fd) AS is_clean FROM g
),
pairs AS (
    SELECT 'E:' || r.ref || '@' || CAST(r.value_date AS VARCHAR) AS match_id, p.pass_name,
           r.ref || '#' || CAST(r.seq AS VARCHAR) AS e, r.movement_id AS m
    FROM tmp_cash_ref AS r CROSS JOIN tmp_cash_refpass AS p
    WHERE r.pair
)
SELECT $as_of, $run_id, c.match_id, c.pass_name, c.method, c.e, c.m, c.is_clean
FROM c WHERE c.ne = 1 AND c.nm = 1
UNION ALL
SELECT $as_of, $run_id, c.match_id, c.pass_name, c.method, gm.expected_id, gm.movement_id, c.is_clean
FROM c JOIN tmp_cash_gmx AS gm USING (match_id)
WHERE NOT (c.ne = 1 AND c.nm = 1)
UNION ALL
SELECT $as_of, $run_id, pairs.match_id, pairs.pass_name, 'REFERENCE', pairs.e, pairs.m,
       pairs.match_id NOT IN (SELECT match_id FROM tmp_cash_fd)
FROM pairs;

INSERT INTO out_break_fields
SELECT $as_of, $run_id, b.break_id, 'CASH', f.field, f.iso_code, f.precedence, f.fo_value, f.bo_value,
       f.difference, f.diff_num, f.tolerance
FROM tmp_cash_fd AS f
JOIN tmp_cash_breaks AS b ON b.match_id = f.match_id AND b.kind = 'CASH_MISMATCH';

-- Purpose: persist the date's cash reconciliation: expected flows (with their match), cash
-- matches (one row if 1:1, else one per member) and the differing fields of cash breaks.
-- Grain: see each table. Inputs: tmp_cash_exp, tmp_cash_gm, tmp_cash_fd, tmp_cash_breaks.
-- Parameters: $as_of (DATE), $run_id (BIGINT).
DELETE FROM out_cash_expected WHERE as_of = $as_of;
DELETE FROM out_cash_matches WHERE as_of = $as_of;
DELETE FROM out_break_fields WHERE as_of = $as_of AND category = 'CASH';

INSERT INTO out_cash_expected
SELECT $as_of, $run_id, e.expected_id, e.settlement_ids, e.cash_account, e.currency, e.amount, e.value_date,
       g.match_id, g.pass_name
FROM tmp_cash_exp AS e
LEFT JOIN tmp_cash_gm AS g ON g.expected_id = e.expected_id;

INSERT INTO out_cash_matches
WITH g AS (
    SELECT match_id, any_value(pass_name) AS pass_name, any_value(method) AS method,
           count(expected_id) AS ne, count(movement_id) AS nm, min(expected_id) AS e, min(movement_id) AS m
    FROM tmp_cash_gm GROUP BY match_id
),
c AS (
    SELECT g.*, g.match_id NOT IN (SELECT match_id FROM tmp_cash_fd) AS is_clean FROM g
)
SELECT $as_of, $run_id, c.match_id, c.pass_name, c.method, c.e, c.m, c.is_clean
FROM c WHERE c.ne = 1 AND c.nm = 1
UNION ALL
SELECT $as_of, $run_id, c.match_id, c.pass_name, c.method, gm.expected_id, gm.movement_id, c.is_clean
FROM c JOIN tmp_cash_gm AS gm USING (match_id)
WHERE NOT (c.ne = 1 AND c.nm = 1);

INSERT INTO out_break_fields
SELECT $as_of, $run_id, b.break_id, 'CASH', f.field, f.iso_code, f.precedence, f.fo_value, f.bo_value,
       f.difference, f.diff_num, f.tolerance
FROM tmp_cash_fd AS f
JOIN tmp_cash_breaks AS b ON b.match_id = f.match_id AND b.kind = 'CASH_MISMATCH';

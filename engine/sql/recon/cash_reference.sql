-- Purpose: the cash reference pass: statement entries whose entry reference is the settlement id
-- of expected flows (the custodian's SEME, echoed on the statement), first with the same value
-- date (1:1; 1:N for a duplicate entry and its reversal), then with any value date.
-- Creates tmp_cash_gm (members of every cash match; one id per row).
-- Grain: one row per member. match_id 'E:<settlement_id>@<value date>' or 'E:<settlement_id>'.
-- Inputs: tmp_cash_exp, tmp_cash_mov. Parameters: $pass_name.
CREATE OR REPLACE TEMP TABLE tmp_cash_gm AS
WITH k AS (
    SELECT DISTINCT e.settlement_id, e.value_date
    FROM tmp_cash_exp AS e
    JOIN tmp_cash_mov AS m ON m.entry_ref = e.settlement_id AND m.value_date = e.value_date
)
SELECT 'E:' || e.settlement_id || '@' || CAST(e.value_date AS VARCHAR) AS match_id, $pass_name AS pass_name,
       'REFERENCE' AS method, e.expected_id, CAST(NULL AS VARCHAR) AS movement_id
FROM tmp_cash_exp AS e JOIN k USING (settlement_id, value_date)
UNION ALL
SELECT 'E:' || k.settlement_id || '@' || CAST(k.value_date AS VARCHAR), $pass_name, 'REFERENCE', NULL, m.movement_id
FROM tmp_cash_mov AS m JOIN k ON m.entry_ref = k.settlement_id AND m.value_date = k.value_date;

INSERT INTO tmp_cash_gm
WITH le AS (
    SELECT expected_id, settlement_id FROM tmp_cash_exp
    WHERE expected_id NOT IN (SELECT expected_id FROM tmp_cash_gm WHERE expected_id IS NOT NULL)
),
lm AS (
    SELECT movement_id, entry_ref FROM tmp_cash_mov
    WHERE entry_ref IN (SELECT settlement_id FROM le)
      AND movement_id NOT IN (SELECT movement_id FROM tmp_cash_gm WHERE movement_id IS NOT NULL)
)
SELECT 'E:' || le.settlement_id, $pass_name, 'REFERENCE', le.expected_id, NULL
FROM le WHERE le.settlement_id IN (SELECT entry_ref FROM lm)
UNION ALL
SELECT 'E:' || lm.entry_ref, $pass_name, 'REFERENCE', NULL, lm.movement_id
FROM lm;

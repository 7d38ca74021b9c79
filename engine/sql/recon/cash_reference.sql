-- Purpose: the cash reference pass beyond the clean 1:1 pairs of cash_stage: statement entries whose
-- entry reference is the settlement id of expected flows (the custodian's SEME, echoed on the
-- statement), first with the same value date (all flows and entries of a settlement id and value
-- date: 1:1, and 1:N for a duplicate entry and its reversal), then with any value date.
--   1. same value date, already paired by cash_stage: the flows of a settlement that share a value
--      date, with their one entry;
--   2. same value date, among the flows and entries cash_stage left unpaired (the entries whose
--      reference and value date repeat);
--   3. any value date, among what is still unmatched.
-- Together with the 1:1 pairs this is the reference pass over all flows and entries.
-- Inserts into tmp_cash_gmx (one id per row): match_id 'E:<settlement_id>@<value date>' (1, 2) or
-- 'E:<settlement_id>' (3).
-- Grain: one row per member. Inputs: tmp_cash_ref, tmp_cash_ed, tmp_cash_md. Parameters: $pass_name.
INSERT INTO tmp_cash_gmx
WITH p AS MATERIALIZED (
    SELECT 'E:' || ref || '@' || CAST(value_date AS VARCHAR) AS match_id, ref || '#' || CAST(seq AS VARCHAR) AS expected_id,
           movement_id
    FROM tmp_cash_ref
    WHERE shared AND movement_id IS NOT NULL
)
SELECT DISTINCT match_id, $pass_name, 'REFERENCE', expected_id, CAST(NULL AS VARCHAR) FROM p
UNION ALL
SELECT DISTINCT match_id, $pass_name, 'REFERENCE', NULL, movement_id FROM p;

INSERT INTO tmp_cash_gmx
WITH le AS (
    SELECT expected_id, settlement_id, value_date FROM tmp_cash_ed WHERE NOT paired
),
lm AS (
    SELECT movement_id, entry_ref, value_date FROM tmp_cash_md WHERE NOT paired
),
k AS (
    SELECT DISTINCT le.settlement_id, le.value_date
    FROM le JOIN lm ON lm.entry_ref = le.settlement_id AND lm.value_date = le.value_date
)
SELECT 'E:' || le.settlement_id || '@' || CAST(le.value_date AS VARCHAR) AS match_id, $pass_name AS pass_name,
       'REFERENCE' AS method, le.expected_id, CAST(NULL AS VARCHAR) AS movement_id
FROM le JOIN k USING (settlement_id, value_date)
UNION ALL
SELECT 'E:' || k.settlement_id || '@' || CAST(k.value_date AS VARCHAR), $pass_name, 'REFERENCE', NULL, lm.movement_id
FROM lm JOIN k ON lm.entry_ref = k.settlement_id AND lm.value_date = k.value_date;

INSERT INTO tmp_cash_gmx
WITH le AS (
    SELECT e.expected_id, e.settlement_id FROM tmp_cash_ed AS e
    ANTI JOIN tmp_cash_gmx AS g ON g.expected_id = e.expected_id
    WHERE NOT e.paired
),
lm AS (
    SELECT m.movement_id, m.entry_ref FROM tmp_cash_md AS m
    ANTI JOIN tmp_cash_gmx AS g ON g.movement_id = m.movement_id
    WHERE NOT m.paired AND m.entry_ref IN (SELECT settlement_id FROM le)
)
SELECT 'E:' || le.settlement_id, $pass_name, 'REFERENCE', le.expected_id, NULL
FROM le WHERE le.settlement_id IN (SELECT entry_ref FROM lm)
UNION ALL
SELECT 'E:' || lm.entry_ref, $pass_name, 'REFERENCE', NULL, lm.movement_id
FROM lm;

-- Purpose: references that the reference join paired with several settlements (partial
-- settlements of one trade: 1:N), found cheaply among the trades whose pairs need a look
-- (a split settlement never equals the whole trade, so each of its pairs has a non-zero mask and
-- is in tmp_rc_pi, the rows of the reference join that are not a clean 1:1 pair).
-- The caller checks that these account for every extra pair of the join; if not (an exact
-- duplicate settlement), it falls back to recon/dupref.sql over every settlement.
-- Grain: one row per duplicated reference (= trade_id), with the number of settlements.
-- Inputs: tmp_rc_pi. Parameters: none.
CREATE OR REPLACE TEMP TABLE tmp_rc_dupref AS
WITH cand AS (
    SELECT DISTINCT trade_id
    FROM tmp_rc_pi
    WHERE mask <> 0 AND trade_id IS NOT NULL AND settlement_id IS NOT NULL
)
SELECT p.trade_id AS trade_ref, count(*) AS n
FROM tmp_rc_pi AS p
WHERE p.settlement_id IS NOT NULL AND p.trade_id IN (SELECT trade_id FROM cand)
GROUP BY p.trade_id
HAVING count(*) > 1;

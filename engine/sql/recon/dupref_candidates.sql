-- Purpose: references that the reference join paired with several settlements (partial
-- settlements of one trade: 1:N), found cheaply among the trades whose pairs need a look
-- (a split settlement never equals the whole trade, so each of its pairs has a non-zero mask and
-- is in tmp_rc_pi, the rows of the reference join that are not a clean 1:1 pair: there, a row
-- with both ids is a pair with a non-zero mask).
-- The caller checks that these account for every extra pair of the join; if not (an exact
-- duplicate settlement), it falls back to recon/dupref.sql over every settlement.
-- Grain: one row per duplicated reference (= trade_id), with the number of settlements.
-- Inputs: tmp_rc_pi. Parameters: none.
CREATE OR REPLACE TEMP TABLE tmp_rc_dupref AS
SELECT trade_id AS trade_ref, count(*) AS n
FROM tmp_rc_pi
WHERE trade_id IS NOT NULL AND settlement_id IS NOT NULL
GROUP BY trade_id
HAVING count(*) > 1;

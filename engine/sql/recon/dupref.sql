-- Purpose: back-office references (trade_ref) carried by more than one settlement: partial
-- settlements of one trade (1:N) or a block reference (scratch table tmp_rc_dupref).
-- Grain: one row per duplicated trade_ref, with the number of settlements carrying it.
-- Inputs: tmp_rc_bo. Parameters: none.
-- The 64-bit hash pre-filter keeps the full grouping on a few rows; a hash collision only adds
-- a candidate that the exact grouping then drops.
CREATE OR REPLACE TEMP TABLE tmp_rc_dupref AS
WITH h AS (
    SELECT hash(trade_ref) AS h
    FROM tmp_rc_bo
    WHERE trade_ref IS NOT NULL
    GROUP BY 1
    HAVING count(*) > 1
)
SELECT trade_ref, count(*) AS n
FROM tmp_rc_bo
WHERE trade_ref IS NOT NULL AND hash(trade_ref) IN (SELECT h FROM h)
GROUP BY trade_ref
HAVING count(*) > 1;

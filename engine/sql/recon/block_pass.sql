-- Purpose: the block pass: leftover trades sharing a block_id against leftover settlements whose
-- reference is that block id (a block settled against its allocations). Appends to tmp_rc_gm.
-- Grain: one row per member record; match_id 'B:<block_id>'.
-- Inputs: tmp_rc_lfo, tmp_rc_lbo. Parameters: $pass_name.
INSERT INTO tmp_rc_gm
WITH m AS (
    SELECT DISTINCT f.block_id
    FROM tmp_rc_lfo AS f
    JOIN tmp_rc_lbo AS b ON b.trade_ref = f.block_id
    WHERE f.block_id IS NOT NULL
)
SELECT 'B:' || f.block_id AS match_id, $pass_name AS pass_name, 'BLOCK' AS method,
       f.trade_id, CAST(NULL AS VARCHAR) AS settlement_id
FROM tmp_rc_lfo AS f JOIN m ON f.block_id = m.block_id
UNION ALL
SELECT 'B:' || b.trade_ref, $pass_name, 'BLOCK', NULL, b.settlement_id
FROM tmp_rc_lbo AS b JOIN m ON b.trade_ref = m.block_id;

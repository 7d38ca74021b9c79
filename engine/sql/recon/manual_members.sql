-- Purpose: the manual matches that apply to this run (scratch table tmp_rc_manual): members of
-- active manual matches (from the workflow store, loaded into tmp_rc_manual_raw) whose records
-- still exist; a match missing all its trades or all its settlements is void.
-- Grain: one row per member record (trade_id or settlement_id set, the other NULL).
-- Inputs: tmp_rc_manual_raw, tmp_rc_fo, tmp_rc_bo. Parameters: none.
CREATE OR REPLACE TEMP TABLE tmp_rc_manual AS
WITH live AS (
    SELECT m.match_id, m.trade_id, m.settlement_id
    FROM tmp_rc_manual_raw AS m
    WHERE (m.trade_id IS NOT NULL AND m.trade_id IN (
               SELECT f.trade_id FROM tmp_rc_fo AS f
               WHERE f.trade_id IN (SELECT trade_id FROM tmp_rc_manual_raw)))
       OR (m.settlement_id IS NOT NULL AND m.settlement_id IN (
               SELECT b.settlement_id FROM tmp_rc_bo AS b
               WHERE b.settlement_id IN (SELECT settlement_id FROM tmp_rc_manual_raw)))
),
complete AS (
    SELECT match_id FROM live GROUP BY match_id
    HAVING count(trade_id) > 0 AND count(settlement_id) > 0
)
SELECT match_id, trade_id, settlement_id
FROM live
WHERE match_id IN (SELECT match_id FROM complete);

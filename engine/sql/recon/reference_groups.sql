-- Purpose: reference matches taken out of the 1:1 hot set (tmp_rc_x) that still stand: a trade
-- whose reference several settlements carry (partial settlements, 1:N), or a pair next to a
-- manual decision on another pair. Appends their members to tmp_rc_gm.
-- Grain: one row per member record; match_id 'T:<trade_id>'.
-- Inputs: tmp_rc_x, tmp_rc_manual, tmp_rc_forbid. Parameters: $pass_name.
INSERT INTO tmp_rc_gm
WITH g AS (
    SELECT x.trade_id, x.settlement_id
    FROM tmp_rc_x AS x
    WHERE x.trade_id NOT IN (SELECT trade_id FROM tmp_rc_manual WHERE trade_id IS NOT NULL)
      AND x.settlement_id NOT IN (SELECT settlement_id FROM tmp_rc_manual WHERE settlement_id IS NOT NULL)
      AND NOT EXISTS (
          SELECT 1 FROM tmp_rc_forbid AS f
          WHERE f.trade_id = x.trade_id AND f.settlement_id = x.settlement_id
      )
)
SELECT DISTINCT 'T:' || trade_id AS match_id, $pass_name AS pass_name, 'REFERENCE' AS method,
       trade_id, CAST(NULL AS VARCHAR) AS settlement_id
FROM g
UNION ALL
SELECT 'T:' || trade_id, $pass_name, 'REFERENCE', NULL, settlement_id
FROM g;

-- Purpose: the records no match holds after the reference pass (scratch tables tmp_rc_lfo and
-- tmp_rc_lbo), with what later passes compare (already derived in tmp_rc_nfo / tmp_rc_nbo:
-- amount_r, signed qty_s and amt_s, business-day ordinals settle_bd and trade_bd), and for a
-- settlement whether its reference names a trade we know (ref_known: a live trade it could not be
-- paired with, or a cancelled one), which keeps it out of the economic and aggregate passes.
-- Grain: one row per unmatched trade / settlement.
-- Inputs: tmp_rc_pi, tmp_rc_x, tmp_rc_gm, tmp_rc_nfo, tmp_rc_nbo, fo_trades.
-- Parameters: none.
CREATE OR REPLACE TEMP TABLE tmp_rc_lfo AS
WITH ids AS (
    SELECT trade_id FROM tmp_rc_pi WHERE settlement_id IS NULL AND trade_id IS NOT NULL
    UNION
    SELECT trade_id FROM tmp_rc_x
),
free AS (
    SELECT i.trade_id FROM ids AS i
    WHERE NOT EXISTS (SELECT 1 FROM tmp_rc_gm AS g WHERE g.trade_id = i.trade_id)
)
SELECT f.*
FROM tmp_rc_nfo AS f
WHERE f.trade_id IN (SELECT trade_id FROM free);

CREATE OR REPLACE TEMP TABLE tmp_rc_lbo AS
WITH ids AS (
    SELECT settlement_id FROM tmp_rc_pi WHERE trade_id IS NULL AND settlement_id IS NOT NULL
    UNION
    SELECT settlement_id FROM tmp_rc_x
),
free AS (
    SELECT i.settlement_id FROM ids AS i
    WHERE NOT EXISTS (SELECT 1 FROM tmp_rc_gm AS g WHERE g.settlement_id = i.settlement_id)
),
r AS MATERIALIZED (
    SELECT b.*
    FROM tmp_rc_nbo AS b
    WHERE b.settlement_id IN (SELECT settlement_id FROM free)
)
SELECT r.*,
       r.trade_ref IS NOT NULL AND r.trade_ref IN (
           SELECT t.trade_id FROM fo_trades AS t WHERE t.trade_id IN (SELECT trade_ref FROM r)
       ) AS ref_known
FROM r;

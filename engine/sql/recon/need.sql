-- Purpose: the few records that later passes and the classification read in full (scratch
-- tables tmp_rc_nfo, tmp_rc_nbo): records the reference pass left unmatched, pairs with a field
-- not exactly equal or a settlement-state issue, pairs taken out of the 1:1 set (duplicate
-- references, manual decisions). One scan of each side instead of one per later query.
-- Grain: one row per trade / settlement (the columns of tmp_rc_fo; those of tmp_rc_bo the
-- reconciliation reads).
-- Inputs: tmp_rc_pi, tmp_rc_x, tmp_rc_manual, tmp_rc_fo, tmp_rc_bo. Parameters: none.
CREATE OR REPLACE TEMP TABLE tmp_rc_nfo AS
SELECT f.*
FROM tmp_rc_fo AS f
WHERE f.trade_id IN (
    SELECT trade_id FROM tmp_rc_pi WHERE trade_id IS NOT NULL AND (settlement_id IS NULL OR mask <> 0)
    UNION ALL SELECT trade_id FROM tmp_rc_x
    UNION ALL SELECT trade_id FROM tmp_rc_manual WHERE trade_id IS NOT NULL
);

CREATE OR REPLACE TEMP TABLE tmp_rc_nbo AS
SELECT b.settlement_id, b.trade_ref, b.isin, b.direction, b.currency, b.quantity, b.price, b.amount,
       b.settle_date, b.trade_date, b.place_of_settlement, b.counterparty_id, b.account_id, b.custodian,
       b.payment, b.status, b.reason_code, b.reason_text, b.settled_quantity, b.settled_amount,
       b.actual_settle_date
FROM tmp_rc_bo AS b
WHERE b.settlement_id IN (
    SELECT settlement_id FROM tmp_rc_pi WHERE settlement_id IS NOT NULL AND (trade_id IS NULL OR mask <> 0)
    UNION ALL SELECT settlement_id FROM tmp_rc_x
    UNION ALL SELECT settlement_id FROM tmp_rc_manual WHERE settlement_id IS NOT NULL
);

-- Purpose: expected flows and statement entries in no cash match yet (tmp_cash_lexp, tmp_cash_lmov),
-- for the economic and aggregate passes (which delete what they match) and the one-sided breaks.
-- Paired flows and entries are all matched (1:1 pairs and tmp_cash_gmx), so only the unpaired
-- ones of tmp_cash_ed / tmp_cash_md can be left.
-- Grain: one row per record. Inputs: tmp_cash_ed, tmp_cash_md, tmp_cash_gmx. Parameters: none.
CREATE OR REPLACE TEMP TABLE tmp_cash_lexp AS
SELECT e.expected_id, e.settlement_id, e.settlement_ids, e.trade_id, e.cash_account, e.currency, e.value_date,
       e.value_bd, e.isin, e.custodian, e.intended_settle_date, e.amount, e.minor_unit
FROM tmp_cash_ed AS e
ANTI JOIN tmp_cash_gmx AS g ON g.expected_id = e.expected_id
WHERE NOT e.paired;

CREATE OR REPLACE TEMP TABLE tmp_cash_lmov AS
SELECT m.movement_id, m.cash_account, m.currency, m.amount, m.value_date, m.value_bd, m.end_to_end_id, m.entry_ref,
       m.minor_unit
FROM tmp_cash_md AS m
ANTI JOIN tmp_cash_gmx AS g ON g.movement_id = m.movement_id
WHERE NOT m.paired;

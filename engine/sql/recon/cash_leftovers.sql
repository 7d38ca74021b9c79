-- Purpose: expected flows and statement entries in no cash match yet (tmp_cash_lexp, tmp_cash_lmov).
-- Grain: one row per record. Inputs: tmp_cash_exp, tmp_cash_mov, tmp_cash_gm. Parameters: none.
CREATE OR REPLACE TEMP TABLE tmp_cash_lexp AS
SELECT * FROM tmp_cash_exp
WHERE expected_id NOT IN (SELECT expected_id FROM tmp_cash_gm WHERE expected_id IS NOT NULL);

CREATE OR REPLACE TEMP TABLE tmp_cash_lmov AS
SELECT * FROM tmp_cash_mov
WHERE movement_id NOT IN (SELECT movement_id FROM tmp_cash_gm WHERE movement_id IS NOT NULL);

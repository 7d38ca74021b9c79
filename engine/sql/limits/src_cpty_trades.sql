-- Purpose: the counterparty exposure trades limits are measured on (as_of).
-- Grain: one row per (trade, kind). Inputs: out_counterparty_exposure_trades. Parameters: $as_of (DATE).
CREATE OR REPLACE TEMP TABLE tmp_src_cpty_trades AS
SELECT * FROM out_counterparty_exposure_trades WHERE as_of = $as_of;

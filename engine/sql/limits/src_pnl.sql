-- Purpose: the day's P&L limits are measured on (PNL_DAILY).
-- Grain: one row per (book, instrument). Inputs: out_pnl. Parameters: $as_of (DATE).
CREATE OR REPLACE TEMP TABLE tmp_src_pnl AS
SELECT * FROM out_pnl WHERE as_of = $as_of;

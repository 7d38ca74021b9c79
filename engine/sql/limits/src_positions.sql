-- Purpose: the positions limits are measured on: trade-date positions of as_of.
-- Grain: one row per (book, instrument). Inputs: out_positions. Parameters: $as_of (DATE).
CREATE OR REPLACE TEMP TABLE tmp_src_positions AS
SELECT * FROM out_positions WHERE as_of = $as_of AND basis = 'TRADE';

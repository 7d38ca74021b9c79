-- Purpose: an empty VaR source when the market-risk results (out_var) do not exist.
-- Grain: none. Inputs: none. Parameters: none.
CREATE OR REPLACE TEMP TABLE tmp_src_var (level VARCHAR, key VARCHAR, var DOUBLE);

-- Purpose: the 1-day 99% historical VaR per level and key (VAR_99_1D limits), from the market
--   risk results (out_var, created by the market-risk step's DDL) when they exist.
-- Grain: one row per (level, key). Inputs: out_var. Parameters: $as_of (DATE).
CREATE OR REPLACE TEMP TABLE tmp_src_var AS
SELECT upper(level) AS level, CAST(key AS VARCHAR) AS key, max(CAST(var AS DOUBLE)) AS var
FROM out_var
WHERE as_of = $as_of
  AND upper(method) IN ('HISTORICAL', 'HS', 'HISTORICAL_SIMULATION')
  AND (abs(CAST(confidence AS DOUBLE) - 0.99) < 1e-9 OR abs(CAST(confidence AS DOUBLE) - 99) < 1e-9)
  AND horizon_days = 1
GROUP BY ALL;

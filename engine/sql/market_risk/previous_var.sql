-- Purpose: the 1-day firm VaR of the latest earlier run, for the DAILY backtest observation.
-- Grain: at most one row: the FIRM VaR of the latest as_of before $as_of.
-- Inputs: out_var.
-- Parameters: $as_of DATE, $method VARCHAR, $model VARCHAR, $confidence DOUBLE.
SELECT as_of AS var_date, var
FROM out_var
WHERE as_of < $as_of
  AND level = 'FIRM'
  AND method = $method
  AND model = $model
  AND horizon_days = 1
  AND abs(confidence - $confidence) < 1e-9
ORDER BY as_of DESC
LIMIT 1

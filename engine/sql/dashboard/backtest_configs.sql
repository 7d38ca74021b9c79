-- Purpose: the backtest series (basis, method, confidence) available for a run date.
-- Grain: one row per series. Inputs: out_backtest_summary. Parameters: $as_of DATE.
SELECT DISTINCT basis, method, confidence
FROM out_backtest_summary
WHERE as_of = $as_of
ORDER BY basis <> 'DAILY', method <> 'HISTORICAL', abs(confidence - 0.99), method, confidence

-- Purpose: the DAILY backtest observations the summary statistics run on.
-- Grain: one row per obs_date, the last $window observations up to $as_of, oldest first.
-- Inputs: out_backtest.
-- Parameters: $as_of DATE, $window INTEGER, $method VARCHAR, $confidence DOUBLE.
SELECT obs_date, var, hypothetical_pnl, actual_pnl, hyp_exception, actual_exception
FROM (
    SELECT *
    FROM out_backtest
    WHERE basis = 'DAILY'
      AND obs_date <= $as_of
      AND method = $method
      AND abs(confidence - $confidence) < 1e-9
    ORDER BY obs_date DESC
    LIMIT $window
)
ORDER BY obs_date

-- Purpose: the backtest chart: per P&L date the 1-day VaR, the hypothetical and actual P&L and
--   the exceptions. DAILY rows accumulate over runs (the newest row per P&L date up to $as_of);
--   CURRENT_PORTFOLIO rows belong to the run of $as_of only.
-- Grain: one row per obs_date (the last $limit). Inputs: out_backtest.
-- Parameters: $as_of DATE, $basis, $method VARCHAR, $confidence DOUBLE, $limit BIGINT.
SELECT obs_date, var_date, var, hypothetical_pnl, actual_pnl, hyp_exception, actual_exception
FROM (
    SELECT *
    FROM out_backtest
    WHERE basis = $basis AND method = $method AND confidence = $confidence
      AND ((basis = 'CURRENT_PORTFOLIO' AND as_of = $as_of) OR (basis <> 'CURRENT_PORTFOLIO' AND as_of <= $as_of))
    QUALIFY row_number() OVER (PARTITION BY obs_date ORDER BY as_of DESC, run_id DESC) = 1
)
ORDER BY obs_date DESC
LIMIT $limit

-- Purpose: the backtest statistics and the Basel traffic-light zone for one series.
-- Grain: one row per P&L type (HYPOTHETICAL, ACTUAL). Inputs: out_backtest_summary.
-- Parameters: $as_of DATE, $basis, $method VARCHAR, $confidence DOUBLE.
SELECT pnl_type, n_obs, exceptions, expected_exceptions, zone, plus_factor,
       cumulative_probability, kupiec_lr, kupiec_pvalue, christoffersen_ind_pvalue,
       christoffersen_cc_pvalue
FROM out_backtest_summary
WHERE as_of = $as_of AND basis = $basis AND method = $method AND confidence = $confidence
ORDER BY pnl_type DESC

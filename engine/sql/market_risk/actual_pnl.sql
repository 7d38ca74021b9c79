-- Purpose: the firm's actual P&L of one day from the P&L engine, for backtesting.
-- Grain: one row (NULL when the P&L engine wrote nothing for the day).
-- Inputs: out_pnl (written by the pnl step).
-- Parameters: $as_of DATE.
SELECT sum(CAST(total_base AS DOUBLE)) AS actual_pnl
FROM out_pnl
WHERE as_of = $as_of

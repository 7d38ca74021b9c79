-- Purpose: write the day's P&L attribution per (book, instrument): new-trade, price move,
--   carry, fees (local), and in base the same at the as-of rate plus the FX move; the
--   components add up to total_local and total_base exactly (price_move takes the rounding).
-- Grain: one row per row of tmp_pnl.
-- Inputs: tmp_pnl.
-- Parameters: $as_of (DATE), $run_id (BIGINT).
INSERT INTO out_pnl_attribution
SELECT
    CAST($as_of AS DATE), CAST($run_id AS BIGINT), book_id, instrument_id, currency,
    new_trade, price_move, carry, fees_pnl, total,
    new_trade_base,
    total_base - fx_move_base - new_trade_base - carry_base - fees_base AS price_move_base,
    fx_move_base, carry_base, fees_base, total_base
FROM tmp_pnl;

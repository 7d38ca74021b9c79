-- Purpose: write the day's P&L per (book, instrument) (see pnl/compute.sql for definitions).
-- Grain: one row per row of tmp_pnl.
-- Inputs: tmp_pnl.
-- Parameters: $as_of, $prev_date (DATE), $run_id (BIGINT).
INSERT INTO out_pnl
SELECT
    CAST($as_of AS DATE), CAST($run_id AS BIGINT), CAST($prev_date AS DATE),
    legal_entity_id, desk, book_id, trader, instrument_id, asset_class, currency, lot_method,
    qty_prev, qty, CAST(price_prev AS DECIMAL(24, 10)), CAST(price AS DECIMAL(24, 10)), fx_rate_prev, fx_rate,
    mv_clean_prev + accrued_prev, mv_clean + accrued, cash_flow,
    realised, unrealised, fees_pnl, carry, total, fx_move_base, total_base,
    realised_itd, unrealised_itd, -fees_itd, trades_today
FROM tmp_pnl;

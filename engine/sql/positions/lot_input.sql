-- Purpose: the numbers of every live trade that the vectorised aggregation and lot matching
--   read (engine.positions, engine.lots), by row id of tmp_trades_asof, unsorted.
-- Grain: one row per live trade.
-- Inputs: tmp_trades_asof. Parameters: none.
-- Dates are days since 1970-01-01; DECIMAL columns keep their exact type (read as scaled
-- integers); price is only the fallback mark (last trade price).
SELECT
    rowid AS rid,
    CAST(trade_date - DATE '1970-01-01' AS INTEGER) AS trade_day,
    CAST(coalesce(settle_date, trade_date) - DATE '1970-01-01' AS INTEGER) AS settle_day,
    CAST(CASE WHEN upper(side) IN ('BUY', 'B') THEN 1 ELSE -1 END AS TINYINT) AS sign,
    quantity,
    CAST(price AS DOUBLE) AS price,
    gross_amount,
    fees,
    accrued_interest,
    mtm
FROM tmp_trades_asof;

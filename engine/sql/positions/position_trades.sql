-- Purpose: lineage of a position: its trades (the live version of each, as known on as_of),
--   with the file and line each was loaded from.
-- Grain: one row per live trade of the position.
-- Inputs: fo_trades, ops_load_batches.
-- Parameters: $as_of (DATE), $book_id, $instrument_id (VARCHAR), $basis ('TRADE' | 'SETTLE').
WITH live AS (
    SELECT t.*
    FROM fo_trades AS t
    WHERE t.known_date <= $as_of
      AND t.trade_id IN (SELECT trade_id FROM fo_trades WHERE book_id = $book_id AND instrument_id = $instrument_id)
    QUALIFY row_number() OVER (PARTITION BY t.trade_id ORDER BY t.version DESC) = 1
)
SELECT
    l.trade_id, l.version, l.status, l.known_date, l.trade_date, l.settle_date, l.side, l.quantity,
    l.price, l.currency, l.gross_amount, l.fees, l.accrued_interest, l.net_amount, l.counterparty_id,
    l.trader, l.book_id, l.instrument_id, l.batch_id, l.src_line, l.src_ref, b.file_path
FROM live AS l
LEFT JOIN ops_load_batches AS b ON b.batch_id = l.batch_id
WHERE l.status <> 'CANCEL'
  AND l.book_id = $book_id
  AND l.instrument_id = $instrument_id
  AND l.trade_date <= $as_of
  AND ($basis = 'TRADE' OR coalesce(l.settle_date, l.trade_date) <= $as_of)
ORDER BY l.trade_date, l.trade_id;

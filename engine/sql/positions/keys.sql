-- Purpose: the position groups of the run, one per (book, instrument) traded on or before
--   as_of, with a dense integer id (gid, in book/instrument order), the group's trader when
--   all its trades have the same one, the trades' currency, and what the vectorised
--   aggregation needs per group: the price multiplier and whether the instrument is valued
--   from the front office's mark (no consideration, no lots).
-- Grain: one row per (book_id, instrument_id) in tmp_trades_asof.
-- Inputs: tmp_trades_asof, ref_instruments, tmp_pos_classes. Parameters: none.
CREATE OR REPLACE TEMP TABLE tmp_pos_keys AS
WITH g AS (
    SELECT
        book_id,
        instrument_id,
        CASE WHEN min(trader) = max(trader) THEN min(trader) END AS only_trader,
        min(currency) AS trade_currency
    FROM tmp_trades_asof
    GROUP BY book_id, instrument_id
)
SELECT
    CAST(row_number() OVER (ORDER BY g.book_id, g.instrument_id) AS INTEGER) AS gid,
    g.*,
    CAST(coalesce(i.price_multiplier, 1) AS DOUBLE) AS multiplier,
    coalesce(c.valuation, 'PRICE') = 'MTM' AS is_mtm
FROM g
LEFT JOIN ref_instruments AS i ON i.instrument_id = g.instrument_id
LEFT JOIN tmp_pos_classes AS c ON c.asset_class = i.asset_class;

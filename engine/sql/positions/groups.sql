-- Purpose: one row per position group (book, instrument) with its dimensions and the exact
--   aggregates of its trades at the cut-offs the run needs (computed from the sorted trades
--   by engine.positions and handed over as tmp_pos_agg): trade date <= prev_date, trade date
--   <= as_of, settlement date <= as_of, and the day's trades (prev_date < trade_date <= as_of:
--   the trades since the previous business date, weekend trades included).
-- Grain: one row per gid of tmp_pos_keys.
-- Inputs: tmp_pos_keys, tmp_pos_agg, ref_books, ref_instruments, tmp_pos_classes.
-- Parameters: $default_lot_method (VARCHAR).
-- Signs: quantity and consideration are signed (a buy is positive); accrued_today is the
--   accrued interest paid (+) or received (-) on the day's trades; fees are positive amounts.
CREATE OR REPLACE TEMP TABLE tmp_pos AS
SELECT
    k.gid,
    k.book_id,
    k.instrument_id,
    a.* EXCLUDE (gid, last_price, last_price_prev),
    CAST(a.last_price AS DECIMAL(24, 10)) AS last_price,
    CAST(a.last_price_prev AS DECIMAL(24, 10)) AS last_price_prev,
    k.only_trader,
    k.trade_currency,
    k.book_id || '|' || k.instrument_id AS position_id,
    b.legal_entity_id,
    b.desk,
    coalesce(b.trader, k.only_trader) AS trader,
    upper(coalesce(b.lot_method, $default_lot_method)) AS lot_method,
    i.isin,
    coalesce(i.asset_class, 'UNKNOWN') AS asset_class,
    coalesce(c.valuation, 'PRICE') AS valuation,
    coalesce(c.unfunded, FALSE) AS unfunded,
    CASE WHEN c.valuation = 'FX'
         THEN coalesce(i.quote_currency, substr(i.underlying, 4, 3), i.currency, k.trade_currency)
         ELSE coalesce(i.currency, k.trade_currency) END AS currency,
    CASE WHEN c.valuation = 'FX' THEN coalesce(substr(i.underlying, 1, 3), i.currency) END AS fx_bought_currency,
    i.issuer,
    i.sector,
    i.country,
    coalesce(i.price_multiplier, 1) AS price_multiplier,
    i.coupon_rate,
    i.coupon_freq,
    i.day_count,
    i.issue_date,
    i.maturity_date
FROM tmp_pos_keys AS k
JOIN tmp_pos_agg AS a ON a.gid = k.gid
LEFT JOIN ref_books AS b ON b.book_id = k.book_id
LEFT JOIN ref_instruments AS i ON i.instrument_id = k.instrument_id
LEFT JOIN tmp_pos_classes AS c ON c.asset_class = i.asset_class;

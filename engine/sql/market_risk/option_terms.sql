-- Purpose: the terms of the option instruments held, for delta-gamma revaluation.
-- Grain: one row per option instrument_id (terms of its most recent live trade as of $as_of).
-- Inputs: fo_trades (versions known on or before $as_of, cancels dropped), ref_instruments,
--         mkt_prices (the underlying's latest close on or before $as_of; else the trade's
--         underlying_price).
-- Parameters: $as_of DATE.
WITH live AS (
    SELECT t.*
    FROM fo_trades AS t
    WHERE t.known_date <= $as_of
    QUALIFY row_number() OVER (PARTITION BY t.trade_id ORDER BY t.version DESC) = 1
),
opt AS (
    SELECT instrument_id,
           arg_max(option_type, trade_date) AS option_type,
           arg_max(option_strike, trade_date) AS strike,
           arg_max(option_expiry, trade_date) AS option_expiry,
           arg_max(volatility, trade_date) AS volatility,
           arg_max(underlying_price, trade_date) AS trade_underlying_price
    FROM live
    WHERE status <> 'CANCEL' AND trade_date <= $as_of AND option_type IS NOT NULL
    GROUP BY instrument_id
),
spot AS (
    SELECT instrument_id, arg_max(close, price_date) AS close
    FROM mkt_prices
    WHERE price_date <= $as_of
      AND instrument_id IN (SELECT underlying FROM ref_instruments WHERE underlying IS NOT NULL)
    GROUP BY instrument_id
)
SELECT o.instrument_id,
       upper(o.option_type) AS option_type,
       CAST(o.strike AS DOUBLE) AS strike,
       date_diff('day', CAST($as_of AS DATE), o.option_expiry) / 365.25 AS expiry_years,
       CAST(o.volatility AS DOUBLE) AS volatility,
       i.underlying AS underlying_id,
       CAST(coalesce(s.close, o.trade_underlying_price) AS DOUBLE) AS underlying_price
FROM opt AS o
LEFT JOIN ref_instruments AS i ON i.instrument_id = o.instrument_id
LEFT JOIN spot AS s ON s.instrument_id = i.underlying

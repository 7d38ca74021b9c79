-- Purpose: what a proposed trade's revaluation needs about its instrument (incremental VaR).
-- Grain: one row for $instrument_id: reference data, its latest close and FX rate to base on
--        or before $as_of.
-- Inputs: ref_instruments, mkt_prices, mkt_fx_rates.
-- Parameters: $instrument_id VARCHAR, $as_of DATE.
SELECT i.instrument_id,
       i.asset_class,
       i.currency,
       i.sector,
       i.underlying AS underlying_id,
       CAST(i.price_multiplier AS DOUBLE) AS price_multiplier,
       (SELECT CAST(arg_max(p.close, p.price_date) AS DOUBLE) FROM mkt_prices AS p
         WHERE p.instrument_id = i.instrument_id AND p.price_date <= $as_of) AS price,
       (SELECT CAST(arg_max(r.rate_to_base, r.rate_date) AS DOUBLE) FROM mkt_fx_rates AS r
         WHERE r.currency = i.currency AND r.rate_date <= $as_of) AS fx_rate_to_base
FROM ref_instruments AS i
WHERE i.instrument_id = $instrument_id

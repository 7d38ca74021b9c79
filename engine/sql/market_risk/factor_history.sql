-- Purpose: levels of the market risk factors over the last $n_dates market dates up to $as_of.
-- Grain: one row per (factor_id, obs_date). factor_id is 'PX:<instrument_id>' (mkt_prices.close)
--        or 'FX:<currency>' (mkt_fx_rates.rate_to_base).
-- Inputs: mkt_prices, mkt_fx_rates.
-- Parameters: $as_of DATE, $n_dates INTEGER (market dates wanted), $instruments VARCHAR[],
--             $currencies VARCHAR[].
WITH market_dates AS (
    SELECT d FROM (
        SELECT DISTINCT price_date AS d FROM mkt_prices WHERE price_date <= $as_of
        UNION
        SELECT DISTINCT rate_date FROM mkt_fx_rates WHERE rate_date <= $as_of
    )
    ORDER BY d DESC
    LIMIT $n_dates
),
first_date AS (SELECT min(d) AS d0 FROM market_dates)
SELECT 'PX:' || p.instrument_id AS factor_id,
       p.price_date AS obs_date,
       CAST(p.close AS DOUBLE) AS level
FROM mkt_prices AS p, first_date
WHERE p.price_date BETWEEN first_date.d0 AND $as_of
  AND p.instrument_id IN (SELECT unnest($instruments))
UNION ALL
SELECT 'FX:' || r.currency AS factor_id,
       r.rate_date AS obs_date,
       CAST(r.rate_to_base AS DOUBLE) AS level
FROM mkt_fx_rates AS r, first_date
WHERE r.rate_date BETWEEN first_date.d0 AND $as_of
  AND r.currency IN (SELECT unnest($currencies))

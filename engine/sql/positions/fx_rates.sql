-- Purpose: the FX rate to the base currency of every currency, on as_of ('T') and on the
--   previous business date ('P'): the latest rate on or before the date. The base currency is
--   1 whether or not the feed carries it.
-- Grain: one row per (currency, which).
-- Inputs: mkt_fx_rates.
-- Parameters: $as_of, $prev_date (DATE), $base (VARCHAR).
CREATE OR REPLACE TEMP TABLE tmp_pos_fx AS
WITH dates AS (
    SELECT CAST($as_of AS DATE) AS d, 'T' AS which
    UNION ALL
    SELECT CAST($prev_date AS DATE), 'P'
),
rates AS (
    SELECT r.currency, dt.which, max_by(r.rate_to_base, r.rate_date) AS rate_to_base, max(r.rate_date) AS rate_date
    FROM mkt_fx_rates AS r
    JOIN dates AS dt ON r.rate_date <= dt.d
    WHERE r.currency <> $base
    GROUP BY r.currency, dt.which
)
SELECT currency, which, CAST(rate_to_base AS DECIMAL(24, 12)) AS rate_to_base, rate_date FROM rates
UNION ALL
SELECT $base, which, CAST(1 AS DECIMAL(24, 12)), d FROM dates;

-- Purpose: each currency's latest rate to the base currency known on the run date
-- (scratch table tmp_rc_fx), for base-currency amounts of breaks and penalties.
-- Grain: one row per currency with a rate on or before $as_of.
-- Inputs: mkt_fx_rates (rate_to_base: value in base currency of one unit of the currency).
-- Parameters: $as_of (DATE).
CREATE OR REPLACE TEMP TABLE tmp_rc_fx AS
SELECT currency, rate_to_base
FROM mkt_fx_rates
WHERE rate_date <= $as_of
QUALIFY row_number() OVER (PARTITION BY currency ORDER BY rate_date DESC) = 1;

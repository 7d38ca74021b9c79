-- Purpose: the VaR configurations (method, model, confidence, horizon, scaling) computed for a
--   date, the usual one (historical, 99%, 1 day) first.
-- Grain: one row per configuration. Inputs: out_var. Parameters: $as_of DATE.
SELECT method, model, confidence, horizon_days, scaling, count(*) AS rows
FROM (SELECT method, model, confidence, horizon_days, coalesce(scaling, '') AS scaling
      FROM out_var WHERE as_of = $as_of)
GROUP BY method, model, confidence, horizon_days, scaling
ORDER BY (method <> 'HISTORICAL'), abs(confidence - 0.99), horizon_days, method, model, scaling

-- Purpose: the firm VaR and ES of one configuration over the run dates up to $as_of (trend).
-- Grain: one row per as_of. Inputs: out_var.
-- Parameters: $as_of DATE, $method, $model VARCHAR, $confidence DOUBLE, $horizon_days INTEGER,
--   $scaling VARCHAR ('' = none), $limit BIGINT (dates).
SELECT as_of, var, es
FROM out_var
WHERE level = 'FIRM' AND as_of <= $as_of AND method = $method AND model = $model
  AND confidence = $confidence AND horizon_days = $horizon_days AND coalesce(scaling, '') = $scaling
ORDER BY as_of DESC
LIMIT $limit

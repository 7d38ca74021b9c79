-- Purpose: VaR and ES of one desk or book for one configuration over the run dates up to $as_of.
-- Grain: one row per as_of. Inputs: out_var.
-- Parameters: $as_of DATE, $level VARCHAR (DESK | BOOK), $key VARCHAR, $method, $model VARCHAR,
--   $confidence DOUBLE, $horizon_days INTEGER, $scaling VARCHAR ('' = none), $limit BIGINT.
SELECT as_of, var, es
FROM out_var
WHERE level = $level AND key = $key AND as_of <= $as_of AND method = $method AND model = $model
  AND confidence = $confidence AND horizon_days = $horizon_days AND coalesce(scaling, '') = $scaling
ORDER BY as_of DESC
LIMIT $limit

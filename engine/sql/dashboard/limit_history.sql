-- Purpose: one limit point's utilisation over the run dates up to the as-of date.
-- Grain: one row per as_of (the last $limit). Inputs: out_limit_utilisation.
-- Parameters: $as_of DATE, $limit_id VARCHAR, $point_key VARCHAR, $limit BIGINT.
SELECT as_of, status, utilisation_pct, measure_value, limit_value_base, warning_pct
FROM out_limit_utilisation
WHERE as_of <= $as_of AND limit_id = $limit_id AND point_key = $point_key
ORDER BY as_of DESC
LIMIT $limit

-- Purpose: business dates with a completed end-of-day run (the API's as_of_dates / latest).
-- Grain: one row per as_of. Inputs: ops_runs. Parameters: none.
SELECT DISTINCT as_of
FROM ops_runs
WHERE status = 'OK'
ORDER BY as_of

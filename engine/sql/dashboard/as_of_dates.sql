-- Purpose: the business dates that have a completed end-of-day run (the as-of choices).
-- Grain: one row per as_of, newest first, with that date's latest successful run.
-- Inputs: ops_runs. Parameters: none.
SELECT as_of, max(run_id) AS run_id, max(finished_at) AS finished_at
FROM ops_runs
WHERE status = 'OK'
GROUP BY as_of
ORDER BY as_of DESC

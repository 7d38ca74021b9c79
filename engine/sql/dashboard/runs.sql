-- Purpose: the latest end-of-day runs with their status and duration (Overview).
-- Grain: one row per run, newest first. Inputs: ops_runs. Parameters: $limit BIGINT.
SELECT run_id, as_of, status, started_at, finished_at,
       date_diff('millisecond', started_at, finished_at) / 1000.0 AS seconds,
       error
FROM ops_runs
ORDER BY run_id DESC
LIMIT $limit

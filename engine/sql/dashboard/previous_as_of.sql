-- Purpose: the latest business date before $as_of with a completed run (day-on-day change).
-- Grain: one value. Inputs: ops_runs. Parameters: $as_of DATE.
SELECT max(as_of) AS previous_as_of
FROM ops_runs
WHERE status = 'OK' AND as_of < $as_of

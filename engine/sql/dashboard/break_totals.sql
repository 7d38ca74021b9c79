-- Purpose: the number of breaks present (not resolved) on the as-of date and the previous run
--   date, as the runs left them (Overview).
-- Grain: one row per as_of. Inputs: out_breaks.
-- Parameters: $as_of DATE, $previous DATE (may be NULL).
SELECT as_of, count(*) AS open_breaks, count(*) FILTER (WHERE lifecycle = 'NEW') AS new_breaks
FROM out_breaks
WHERE as_of IN ($as_of::DATE, $previous::DATE) AND lifecycle <> 'RESOLVED'
GROUP BY as_of

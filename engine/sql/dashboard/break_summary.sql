-- Purpose: breaks present on a date by type, as the run left them (people's workflow actions
--   are overlaid by engine.recon.workflow): count, new today, value at stake, oldest age.
-- Grain: one row per (category, break_type). Inputs: out_breaks.
-- Parameters: $as_of DATE.
SELECT category, break_type,
       count(*) AS breaks,
       count(*) FILTER (WHERE lifecycle = 'NEW') AS new_today,
       sum(amount_base) AS amount_base,
       max(age_days) AS oldest_days
FROM out_breaks
WHERE as_of = $as_of AND lifecycle <> 'RESOLVED'
GROUP BY category, break_type
ORDER BY breaks DESC, category, break_type

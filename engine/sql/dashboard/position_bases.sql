-- Purpose: the position bases present for a date (e.g. trade-date and settlement-date positions).
-- Grain: one row per basis, the trade-date basis first. Inputs: out_positions.
-- Parameters: $as_of DATE.
SELECT DISTINCT basis
FROM out_positions
WHERE as_of = $as_of
ORDER BY basis NOT ILIKE 'TRADE%', basis

-- Purpose: the break types seen up to a date (the workbench's type filter).
-- Grain: one row per break_type. Inputs: out_breaks. Parameters: $as_of DATE.
SELECT DISTINCT break_type
FROM out_breaks
WHERE as_of <= $as_of
ORDER BY break_type

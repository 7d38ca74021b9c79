-- Purpose: the values the workbench's filters offer for a date: break types, counterparties,
--   custodians (each list is small: distinct values of the date's breaks).
-- Grain: one row per (filter, value). Inputs: out_breaks. Parameters: $as_of DATE.
SELECT DISTINCT 'break_type' AS filter, break_type AS value FROM out_breaks WHERE as_of = $as_of
UNION ALL
SELECT DISTINCT 'counterparty', counterparty_id FROM out_breaks WHERE as_of = $as_of AND counterparty_id IS NOT NULL
UNION ALL
SELECT DISTINCT 'custodian', custodian FROM out_breaks WHERE as_of = $as_of AND custodian IS NOT NULL
ORDER BY filter, value

-- Purpose: SA-CCR totals for the as-of date and the previous run date (Overview, Counterparty).
-- Grain: one row per as_of. Inputs: out_saccr.
-- Parameters: $as_of DATE, $previous DATE (may be NULL), $legal_entities VARCHAR[] (empty = all).
SELECT as_of, count(DISTINCT counterparty_id) AS counterparties, count(*) AS netting_sets,
       sum(ead) AS ead, sum(current_exposure) AS current_exposure, sum(replacement_cost) AS replacement_cost,
       sum(pfe) AS pfe
FROM out_saccr
WHERE as_of IN ($as_of::DATE, $previous::DATE)
  AND (len($legal_entities::VARCHAR[]) = 0 OR list_contains($legal_entities::VARCHAR[], legal_entity_id))
GROUP BY as_of

-- Purpose: limit points by status for the as-of date and the previous run date (Overview,
--   Limits), with the same filter rule as limit_utilisation.
-- Grain: one row per (as_of, status). Inputs: out_limit_utilisation.
-- Parameters: $as_of DATE, $previous DATE (may be NULL), $legal_entities/$desks/$books VARCHAR[].
SELECT as_of, status, count(*) AS points
FROM out_limit_utilisation AS u
WHERE as_of IN ($as_of::DATE, $previous::DATE) AND status <> 'SUPERSEDED'
  AND (len($legal_entities::VARCHAR[]) = 0 OR u.legal_entity_id IS NULL OR list_contains($legal_entities::VARCHAR[], u.legal_entity_id))
  AND (len($desks::VARCHAR[]) = 0 OR u.desk IS NULL OR list_contains($desks::VARCHAR[], u.desk))
  AND (len($books::VARCHAR[]) = 0 OR u.book_id IS NULL OR list_contains($books::VARCHAR[], u.book_id))
GROUP BY as_of, status

-- Purpose: limit utilisation on a date (the heat map and the table): every governing
--   evaluation point (SUPERSEDED rows left out), highest utilisation first. A point whose scope
--   does not name a legal entity / desk / book (e.g. a firm-wide limit) is kept under a filter
--   on that dimension, since it covers the filtered books too.
-- Grain: one row per (limit, point). Inputs: out_limit_utilisation.
-- Parameters: $as_of DATE, $statuses VARCHAR[] (empty = all but SUPERSEDED),
--   $legal_entities/$desks/$books VARCHAR[] (empty = all), $limit BIGINT.
SELECT limit_id, measure, point_key, status, severity, utilisation_pct, warning_pct,
       measure_value, limit_value_base, excess_base, limit_value, limit_currency, comparison,
       is_temporary, source, legal_entity_id, desk, book_id, counterparty_id, note
FROM out_limit_utilisation AS u
WHERE as_of = $as_of AND status <> 'SUPERSEDED'
  AND (len($statuses::VARCHAR[]) = 0 OR list_contains($statuses::VARCHAR[], u.status))
  AND (len($legal_entities::VARCHAR[]) = 0 OR u.legal_entity_id IS NULL OR list_contains($legal_entities::VARCHAR[], u.legal_entity_id))
  AND (len($desks::VARCHAR[]) = 0 OR u.desk IS NULL OR list_contains($desks::VARCHAR[], u.desk))
  AND (len($books::VARCHAR[]) = 0 OR u.book_id IS NULL OR list_contains($books::VARCHAR[], u.book_id))
ORDER BY CASE status WHEN 'BREACH' THEN 0 WHEN 'WARNING' THEN 1 WHEN 'OK' THEN 2 ELSE 3 END,
         utilisation_pct DESC NULLS LAST, limit_id, point_key
LIMIT $limit

-- Purpose: Euler component VaR/ES of one configuration at desk or book level (they add up to
--   the firm VaR), filtered through the book hierarchy like var_by_level.
-- Grain: one row per key of $level. Inputs: out_var_components, ref_books.
-- Parameters: $as_of DATE, $level VARCHAR (DESK | BOOK), $method, $model VARCHAR,
--   $confidence DOUBLE, $horizon_days INTEGER, $scaling VARCHAR ('' = none),
--   $legal_entities/$desks/$books VARCHAR[] (empty = all).
WITH books AS (
    SELECT book_id, desk, legal_entity_id
    FROM ref_books AS b
    WHERE (len($legal_entities::VARCHAR[]) = 0 OR list_contains($legal_entities::VARCHAR[], b.legal_entity_id))
      AND (len($desks::VARCHAR[]) = 0 OR list_contains($desks::VARCHAR[], b.desk))
      AND (len($books::VARCHAR[]) = 0 OR list_contains($books::VARCHAR[], b.book_id))
)
SELECT c.key, c.desk, c.component_var, c.component_es, c.pct_of_var, c.standalone_var,
       c.standalone_var - c.component_var AS diversification
FROM out_var_components AS c
WHERE c.as_of = $as_of AND c.level = $level AND c.method = $method AND c.model = $model
  AND c.confidence = $confidence AND c.horizon_days = $horizon_days
  AND coalesce(c.scaling, '') = $scaling
  AND ((c.level = 'DESK' AND c.key IN (SELECT desk FROM books))
       OR (c.level = 'BOOK' AND c.key IN (SELECT book_id FROM books)))
ORDER BY c.component_var DESC, c.key

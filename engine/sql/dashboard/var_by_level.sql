-- Purpose: VaR and ES of one configuration at firm, desk and book level, with the sidebar
--   filters applied through the book hierarchy (a desk is shown if one of its books matches).
-- Grain: one row per (level, key). Inputs: out_var, ref_books.
-- Parameters: $as_of DATE, $method, $model VARCHAR, $confidence DOUBLE, $horizon_days INTEGER,
--   $scaling VARCHAR ('' = none), $legal_entities/$desks/$books VARCHAR[] (empty = all).
WITH books AS (
    SELECT book_id, desk, legal_entity_id
    FROM ref_books AS b
    WHERE (len($legal_entities::VARCHAR[]) = 0 OR list_contains($legal_entities::VARCHAR[], b.legal_entity_id))
      AND (len($desks::VARCHAR[]) = 0 OR list_contains($desks::VARCHAR[], b.desk))
      AND (len($books::VARCHAR[]) = 0 OR list_contains($books::VARCHAR[], b.book_id))
)
SELECT v.level, v.key, b.desk AS book_desk, v.var, v.es, v.n_positions, v.n_scenarios, v.currency
FROM out_var AS v
LEFT JOIN ref_books AS b ON v.level = 'BOOK' AND b.book_id = v.key
WHERE v.as_of = $as_of AND v.method = $method AND v.model = $model
  AND v.confidence = $confidence AND v.horizon_days = $horizon_days
  AND coalesce(v.scaling, '') = $scaling
  AND (v.level = 'FIRM'
       OR (v.level = 'DESK' AND v.key IN (SELECT desk FROM books))
       OR (v.level = 'BOOK' AND v.key IN (SELECT book_id FROM books)))
ORDER BY CASE v.level WHEN 'FIRM' THEN 0 WHEN 'DESK' THEN 1 ELSE 2 END, v.var DESC, v.key

-- Purpose: stress-test P&L per scenario at firm, desk and book level, filtered through the book
--   hierarchy (firm rows always shown).
-- Grain: one row per (scenario, level, key). Inputs: out_stress, ref_books.
-- Parameters: $as_of DATE, $legal_entities/$desks/$books VARCHAR[] (empty = all).
WITH books AS (
    SELECT book_id, desk, legal_entity_id
    FROM ref_books AS b
    WHERE (len($legal_entities::VARCHAR[]) = 0 OR list_contains($legal_entities::VARCHAR[], b.legal_entity_id))
      AND (len($desks::VARCHAR[]) = 0 OR list_contains($desks::VARCHAR[], b.desk))
      AND (len($books::VARCHAR[]) = 0 OR list_contains($books::VARCHAR[], b.book_id))
)
SELECT s.scenario, s.scenario_type, s.window_start, s.window_end, s.level, s.key, s.pnl, s.description
FROM out_stress AS s
WHERE s.as_of = $as_of
  AND (s.level = 'FIRM'
       OR (s.level = 'DESK' AND s.key IN (SELECT desk FROM books))
       OR (s.level = 'BOOK' AND s.key IN (SELECT book_id FROM books)))
ORDER BY CASE s.level WHEN 'FIRM' THEN 0 WHEN 'DESK' THEN 1 ELSE 2 END, s.pnl, s.scenario, s.key

-- Purpose: the legal entity / desk / book hierarchy for the sidebar filters.
-- Grain: one row per book. Inputs: ref_books, ref_legal_entities. Parameters: none.
SELECT b.legal_entity_id, coalesce(le.name, b.legal_entity_id) AS legal_entity_name,
       b.desk, b.book_id, coalesce(b.book_name, b.book_id) AS book_name
FROM ref_books AS b
LEFT JOIN ref_legal_entities AS le USING (legal_entity_id)
ORDER BY b.legal_entity_id, b.desk, b.book_id

-- Purpose: headline position figures for the Overview, for the as-of date and the previous one.
-- Grain: one row per as_of in ($as_of, $previous). Inputs: out_positions.
-- Parameters: $as_of DATE, $previous DATE (may be NULL), $basis VARCHAR (NULL = any),
--   $legal_entities, $desks, $books VARCHAR[] (empty = all).
SELECT p.as_of,
       sum(abs(p.market_value_base)) AS gross_exposure,
       sum(p.market_value_base) AS net_market_value,
       sum(greatest(p.market_value_base, 0)) AS long_market_value,
       sum(least(p.market_value_base, 0)) AS short_market_value,
       count(*) AS positions
FROM out_positions AS p
WHERE p.as_of IN ($as_of::DATE, $previous::DATE)
  AND ($basis::VARCHAR IS NULL OR p.basis = $basis::VARCHAR)
  AND (len($legal_entities::VARCHAR[]) = 0 OR list_contains($legal_entities::VARCHAR[], p.legal_entity_id))
  AND (len($desks::VARCHAR[]) = 0 OR list_contains($desks::VARCHAR[], p.desk))
  AND (len($books::VARCHAR[]) = 0 OR list_contains($books::VARCHAR[], p.book_id))
GROUP BY p.as_of

-- Purpose: the daily P&L time series (base currency) up to the as-of date, realised and
--   unrealised, for the filters.
-- Grain: one row per as_of (the last $limit dates). Inputs: out_pnl.
-- Parameters: $as_of DATE, $legal_entities/$desks/$books VARCHAR[] (empty = all), $limit BIGINT.
SELECT as_of,
       sum(total_base) AS total_base,
       sum(realised_local * coalesce(fx_rate, 1)) AS realised_base,
       sum(unrealised_local * coalesce(fx_rate, 1)) AS unrealised_base
FROM out_pnl AS p
WHERE as_of <= $as_of
  AND (len($legal_entities::VARCHAR[]) = 0 OR list_contains($legal_entities::VARCHAR[], p.legal_entity_id))
  AND (len($desks::VARCHAR[]) = 0 OR list_contains($desks::VARCHAR[], p.desk))
  AND (len($books::VARCHAR[]) = 0 OR list_contains($books::VARCHAR[], p.book_id))
GROUP BY as_of
ORDER BY as_of DESC
LIMIT $limit

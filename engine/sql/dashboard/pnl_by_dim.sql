-- Purpose: the day's P&L by one dimension (bound parameter matched by CASE), split into
--   realised / unrealised / carry / fees (local at the as-of FX rate) and FX translation, with
--   inception-to-date realised and unrealised.
-- Grain: one row per value of $dim (top $limit by |total|). Inputs: out_pnl.
-- Parameters: $as_of DATE, $dim VARCHAR (legal_entity | desk | book | trader | asset_class |
--   currency | instrument), $legal_entities/$desks/$books VARCHAR[] (empty = all), $limit BIGINT.
WITH p AS (
    SELECT CASE $dim WHEN 'legal_entity' THEN legal_entity_id WHEN 'desk' THEN desk WHEN 'book' THEN book_id
               WHEN 'trader' THEN trader WHEN 'asset_class' THEN asset_class WHEN 'currency' THEN currency
               WHEN 'instrument' THEN instrument_id END AS key,
           coalesce(fx_rate, 1) AS fx, *
    FROM out_pnl AS p
    WHERE as_of = $as_of
      AND (len($legal_entities::VARCHAR[]) = 0 OR list_contains($legal_entities::VARCHAR[], p.legal_entity_id))
      AND (len($desks::VARCHAR[]) = 0 OR list_contains($desks::VARCHAR[], p.desk))
      AND (len($books::VARCHAR[]) = 0 OR list_contains($books::VARCHAR[], p.book_id))
)
SELECT coalesce(key, '(none)') AS key,
       sum(total_base) AS total_base,
       sum(realised_local * fx) AS realised_base,
       sum(unrealised_local * fx) AS unrealised_base,
       sum(carry_local * fx) AS carry_base,
       sum(fees_local * fx) AS fees_base,
       sum(fx_translation_base) AS fx_translation_base,
       sum(realised_itd_local * fx) AS realised_itd_base,
       sum(unrealised_itd_local * fx) AS unrealised_itd_base,
       sum(trades_today) AS trades_today,
       count(*) AS positions
FROM p
GROUP BY ALL
ORDER BY abs(sum(total_base)) DESC, key
LIMIT $limit

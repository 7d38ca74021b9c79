-- Purpose: the day's P&L in base currency for the as-of date and the previous run date, split
--   into realised, unrealised, carry, fees (local amounts at the as-of FX rate) and FX translation.
-- Grain: one row per as_of. Inputs: out_pnl.
-- Parameters: $as_of DATE, $previous DATE (may be NULL), $legal_entities/$desks/$books VARCHAR[]
--   (empty = all).
SELECT as_of,
       sum(total_base) AS total_base,
       sum(realised_local * coalesce(fx_rate, 1)) AS realised_base,
       sum(unrealised_local * coalesce(fx_rate, 1)) AS unrealised_base,
       sum(carry_local * coalesce(fx_rate, 1)) AS carry_base,
       sum(fees_local * coalesce(fx_rate, 1)) AS fees_base,
       sum(fx_translation_base) AS fx_translation_base,
       sum(realised_itd_local * coalesce(fx_rate, 1)) AS realised_itd_base,
       sum(unrealised_itd_local * coalesce(fx_rate, 1)) AS unrealised_itd_base,
       sum(trades_today) AS trades_today
FROM out_pnl AS p
WHERE as_of IN ($as_of::DATE, $previous::DATE)
  AND (len($legal_entities::VARCHAR[]) = 0 OR list_contains($legal_entities::VARCHAR[], p.legal_entity_id))
  AND (len($desks::VARCHAR[]) = 0 OR list_contains($desks::VARCHAR[], p.desk))
  AND (len($books::VARCHAR[]) = 0 OR list_contains($books::VARCHAR[], p.book_id))
GROUP BY as_of

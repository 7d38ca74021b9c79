-- Purpose: the positions the market risk runs on, with the reference data the risk model needs.
-- Grain: one row per (book_id, instrument_id) for $as_of and $basis (summed over legal entities
--        and traders); flat positions with zero value are left out.
-- Inputs: out_positions (written by the positions step), ref_instruments, ref_books.
-- Parameters: $as_of DATE, $basis VARCHAR ('TRADE' | 'SETTLE').
SELECT p.book_id,
       coalesce(any_value(p.desk), any_value(b.desk)) AS desk,
       p.instrument_id,
       coalesce(any_value(p.asset_class), any_value(i.asset_class)) AS asset_class,
       coalesce(any_value(p.currency), any_value(i.currency)) AS currency,
       any_value(i.sector) AS sector,
       any_value(i.underlying) AS underlying_id,
       CAST(coalesce(any_value(i.price_multiplier), 1) AS DOUBLE) AS price_multiplier,
       sum(CAST(p.quantity AS DOUBLE)) AS quantity,
       sum(CAST(p.market_value_base AS DOUBLE)) AS market_value_base,
       CAST(any_value(p.fx_rate_to_base) AS DOUBLE) AS fx_rate_to_base
FROM out_positions AS p
LEFT JOIN ref_instruments AS i ON i.instrument_id = p.instrument_id
LEFT JOIN ref_books AS b ON b.book_id = p.book_id
WHERE p.as_of = $as_of
  AND p.basis = $basis
GROUP BY p.book_id, p.instrument_id
HAVING sum(CAST(p.quantity AS DOUBLE)) <> 0 OR sum(CAST(p.market_value_base AS DOUBLE)) <> 0
ORDER BY p.book_id, p.instrument_id

-- Purpose: exposures grouped by one dimension, optionally inside a drill-down path of up to two
--   (dimension = value) steps. The dimension names are bound parameters matched by CASE, so no
--   user input ever becomes SQL text.
-- Grain: one row per value of $dim (top $limit by gross exposure; $limit NULL = every value: the
--   concentration figures of engine.readers.exposure_concentration are computed over those).
-- Inputs: out_positions (market_value_base: signed, base currency).
-- Parameters: $as_of DATE, $basis VARCHAR (NULL = any), $dim VARCHAR, $dim1/$val1 and
--   $dim2/$val2 VARCHAR (NULL = no drill step), $legal_entities/$desks/$books VARCHAR[]
--   (empty = all), $limit BIGINT.
WITH p AS (
    SELECT p.legal_entity_id AS legal_entity, p.desk, p.book_id AS book, p.trader,
           p.asset_class, p.currency, p.instrument_id AS instrument,
           p.issuer, p.sector, p.country,
           p.market_value_base AS mv
    FROM out_positions AS p
    WHERE p.as_of = $as_of
      AND ($basis::VARCHAR IS NULL OR p.basis = $basis::VARCHAR)
      AND (len($legal_entities::VARCHAR[]) = 0 OR list_contains($legal_entities::VARCHAR[], p.legal_entity_id))
      AND (len($desks::VARCHAR[]) = 0 OR list_contains($desks::VARCHAR[], p.desk))
      AND (len($books::VARCHAR[]) = 0 OR list_contains($books::VARCHAR[], p.book_id))
),
keyed AS (
    SELECT
        CASE $dim WHEN 'legal_entity' THEN legal_entity WHEN 'desk' THEN desk WHEN 'book' THEN book
            WHEN 'trader' THEN trader WHEN 'asset_class' THEN asset_class WHEN 'currency' THEN currency
            WHEN 'instrument' THEN instrument WHEN 'issuer' THEN issuer WHEN 'sector' THEN sector
            WHEN 'country' THEN country END AS key,
        CASE $dim1 WHEN 'legal_entity' THEN legal_entity WHEN 'desk' THEN desk WHEN 'book' THEN book
            WHEN 'trader' THEN trader WHEN 'asset_class' THEN asset_class WHEN 'currency' THEN currency
            WHEN 'instrument' THEN instrument WHEN 'issuer' THEN issuer WHEN 'sector' THEN sector
            WHEN 'country' THEN country END AS key1,
        CASE $dim2 WHEN 'legal_entity' THEN legal_entity WHEN 'desk' THEN desk WHEN 'book' THEN book
            WHEN 'trader' THEN trader WHEN 'asset_class' THEN asset_class WHEN 'currency' THEN currency
            WHEN 'instrument' THEN instrument WHEN 'issuer' THEN issuer WHEN 'sector' THEN sector
            WHEN 'country' THEN country END AS key2,
        mv
    FROM p
)
SELECT coalesce(key, '(none)') AS key,
       sum(greatest(mv, 0)) AS long_exposure,
       sum(least(mv, 0)) AS short_exposure,
       sum(mv) AS net_exposure,
       sum(abs(mv)) AS gross_exposure,
       count(*) AS positions
FROM keyed
WHERE ($dim1::VARCHAR IS NULL OR coalesce(key1, '(none)') = $val1::VARCHAR)
  AND ($dim2::VARCHAR IS NULL OR coalesce(key2, '(none)') = $val2::VARCHAR)
GROUP BY ALL
ORDER BY gross_exposure DESC, key
LIMIT $limit

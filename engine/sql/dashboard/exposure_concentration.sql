-- Purpose: concentration of gross exposure across the values of one dimension (inside the same
--   drill-down path as exposure_by_dim): number of groups, gross and net totals, top-1/5/10 shares and the
--   Herfindahl-Hirschman index (sum of squared shares, in points 0..10,000 as out_concentration).
-- Grain: one row. Inputs: out_positions.
-- Parameters: as exposure_by_dim, without $limit.
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
),
g AS (
    SELECT coalesce(key, '(none)') AS key, sum(abs(mv)) AS gross, sum(mv) AS net
    FROM keyed
    WHERE ($dim1::VARCHAR IS NULL OR coalesce(key1, '(none)') = $val1::VARCHAR)
      AND ($dim2::VARCHAR IS NULL OR coalesce(key2, '(none)') = $val2::VARCHAR)
    GROUP BY ALL
),
s AS (
    SELECT gross, net, gross / nullif(sum(gross) OVER (), 0) AS share,
           row_number() OVER (ORDER BY gross DESC, key) AS rnk
    FROM g
)
SELECT count(*) AS groups,
       sum(gross) AS total_gross,
       sum(net) AS total_net,
       sum(share) FILTER (WHERE rnk <= 1) AS top1_share,
       sum(share) FILTER (WHERE rnk <= 5) AS top5_share,
       sum(share) FILTER (WHERE rnk <= 10) AS top10_share,
       10000 * sum(share * share) AS hhi
FROM s

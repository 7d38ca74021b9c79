-- Purpose: SA-CCR exposure per counterparty (summed over its netting sets) against the
--   counterparty's EAD and current-exposure limits valid on $as_of (the most specific limit:
--   a temporary one first, then priority, then the newest version).
-- Grain: one row per counterparty (top $limit by EAD). Inputs: out_saccr, ref_counterparties,
--   ref_limits. Parameters: $as_of DATE, $legal_entities VARCHAR[] (empty = all), $limit BIGINT.
WITH s AS (
    SELECT counterparty_id, count(*) AS netting_sets, sum(n_trades) AS trades,
           sum(mtm) AS mtm, sum(collateral) AS collateral, sum(replacement_cost) AS replacement_cost,
           sum(pfe) AS pfe, sum(ead) AS ead, sum(current_exposure) AS current_exposure,
           any_value(currency) AS currency
    FROM out_saccr
    WHERE as_of = $as_of
      AND (len($legal_entities::VARCHAR[]) = 0 OR list_contains($legal_entities::VARCHAR[], legal_entity_id))
    GROUP BY counterparty_id
),
lim AS (
    SELECT scope_counterparty AS counterparty_id, measure, limit_value, warning_pct
    FROM ref_limits
    WHERE measure IN ('EAD', 'CURRENT_EXPOSURE') AND scope_counterparty IS NOT NULL
      AND valid_from <= $as_of AND (valid_to IS NULL OR valid_to >= $as_of)
    QUALIFY row_number() OVER (PARTITION BY scope_counterparty, measure
                               ORDER BY is_temporary DESC, priority DESC, version DESC) = 1
)
SELECT s.counterparty_id, c.name AS counterparty_name, c.rating, c.country,
       s.netting_sets, s.trades, s.mtm, s.collateral, s.replacement_cost, s.pfe,
       s.ead, le.limit_value AS ead_limit,
       100.0 * s.ead / nullif(le.limit_value, 0) AS ead_utilisation_pct,
       s.current_exposure, lc.limit_value AS ce_limit,
       100.0 * s.current_exposure / nullif(lc.limit_value, 0) AS ce_utilisation_pct,
       CASE WHEN s.ead > le.limit_value OR s.current_exposure > lc.limit_value THEN 'BREACH'
            WHEN 100.0 * s.ead / nullif(le.limit_value, 0) >= le.warning_pct
              OR 100.0 * s.current_exposure / nullif(lc.limit_value, 0) >= lc.warning_pct THEN 'WARNING'
            WHEN le.limit_value IS NULL AND lc.limit_value IS NULL THEN 'NO LIMIT'
            ELSE 'OK' END AS limit_status,
       s.currency
FROM s
LEFT JOIN ref_counterparties AS c USING (counterparty_id)
LEFT JOIN lim AS le ON le.counterparty_id = s.counterparty_id AND le.measure = 'EAD'
LEFT JOIN lim AS lc ON lc.counterparty_id = s.counterparty_id AND lc.measure = 'CURRENT_EXPOSURE'
ORDER BY s.ead DESC, s.counterparty_id
LIMIT $limit

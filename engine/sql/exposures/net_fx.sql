-- Purpose: net open FX position per (legal entity, currency), excluding the base currency,
--   from the positions' currency legs (exposures/fx_legs.sql).
-- Grain: one row per (legal_entity_id, currency) with a leg.
-- Inputs: tmp_fx_legs, tmp_pos_fx.
-- Parameters: $as_of (DATE), $run_id (BIGINT), $base (VARCHAR).
INSERT INTO out_net_fx
WITH agg AS (
    SELECT legal_entity_id, leg_currency AS currency,
           coalesce(sum(amount_local) FILTER (WHERE amount_local > 0), 0) AS long_local,
           coalesce(sum(amount_local) FILTER (WHERE amount_local < 0), 0) AS short_local,
           sum(amount_local) AS net_local
    FROM tmp_fx_legs
    WHERE leg_currency <> $base
    GROUP BY legal_entity_id, leg_currency
)
SELECT
    CAST($as_of AS DATE), CAST($run_id AS BIGINT), a.legal_entity_id, a.currency,
    a.long_local, a.short_local, a.net_local, fx.rate_to_base,
    CAST(round(CAST(a.net_local AS DOUBLE) * CAST(coalesce(fx.rate_to_base, 0) AS DOUBLE), 4) AS DECIMAL(24, 4)) AS net_base
FROM agg AS a
LEFT JOIN tmp_pos_fx AS fx ON fx.currency = a.currency AND fx.which = 'T';

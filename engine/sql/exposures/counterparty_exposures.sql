-- Purpose: counterparty exposure per (counterparty, legal entity) on as_of from its trades
--   (out_counterparty_exposure_trades): replacement cost of unsettled trades, settlement
--   risk of trades settling today, OTC marks netted per netting set (a trade without a netting
--   set is its own), current exposure = replacement cost + OTC positive exposure.
-- Grain: one row per (counterparty_id, legal_entity_id).
-- Inputs: out_counterparty_exposure_trades, ref_counterparties.
-- Parameters: $as_of (DATE), $run_id (BIGINT).
INSERT INTO out_counterparty_exposures
WITH tr AS (
    SELECT * FROM out_counterparty_exposure_trades WHERE as_of = $as_of
),
otc_sets AS (
    SELECT counterparty_id, legal_entity_id, coalesce(netting_set_id, 'trade:' || trade_id) AS netting_key,
           sum(mtm_base) AS net_mtm, count(*) AS n
    FROM tr WHERE kind = 'OTC'
    GROUP BY ALL
),
otc AS (
    SELECT counterparty_id, legal_entity_id, sum(n) AS otc_trades, sum(net_mtm) AS otc_mtm,
           sum(greatest(net_mtm, 0)) AS otc_exposure
    FROM otc_sets GROUP BY ALL
),
cash AS (
    SELECT counterparty_id, legal_entity_id,
           count(*) FILTER (WHERE kind = 'UNSETTLED') AS unsettled_trades,
           coalesce(sum(abs(value_base)) FILTER (WHERE kind = 'UNSETTLED'), 0) AS unsettled_value,
           coalesce(sum(replacement_cost_base) FILTER (WHERE kind = 'UNSETTLED'), 0) AS rc,
           count(*) FILTER (WHERE kind = 'SETTLING') AS settling_trades,
           coalesce(sum(settlement_amount_base) FILTER (WHERE kind = 'SETTLING'), 0) AS settlement_risk
    FROM tr WHERE kind <> 'OTC'
    GROUP BY ALL
),
keys AS (
    SELECT counterparty_id, legal_entity_id FROM cash
    UNION
    SELECT counterparty_id, legal_entity_id FROM otc
)
SELECT
    CAST($as_of AS DATE), CAST($run_id AS BIGINT),
    k.counterparty_id, c.parent_id, k.legal_entity_id, c.country, c.rating,
    coalesce(ca.unsettled_trades, 0), coalesce(ca.unsettled_value, 0), coalesce(ca.rc, 0),
    coalesce(ca.settling_trades, 0), coalesce(ca.settlement_risk, 0),
    coalesce(o.otc_trades, 0), coalesce(o.otc_mtm, 0), coalesce(o.otc_exposure, 0),
    coalesce(ca.rc, 0) + coalesce(o.otc_exposure, 0)
FROM keys AS k
LEFT JOIN cash AS ca ON ca.counterparty_id = k.counterparty_id AND ca.legal_entity_id IS NOT DISTINCT FROM k.legal_entity_id
LEFT JOIN otc AS o ON o.counterparty_id = k.counterparty_id AND o.legal_entity_id IS NOT DISTINCT FROM k.legal_entity_id
LEFT JOIN ref_counterparties AS c ON c.counterparty_id = k.counterparty_id;

-- Purpose: the netting sets of one counterparty with their SA-CCR breakdown and add-ons.
-- Grain: one row per netting set. Inputs: out_saccr.
-- Parameters: $as_of DATE, $counterparty_id VARCHAR, $legal_entities VARCHAR[] (empty = all).
SELECT netting_set_id, legal_entity_id, margined, n_trades, mtm, collateral, replacement_cost,
       addon_ir, addon_fx, addon_credit, addon_equity, addon_commodity, addon_aggregate,
       pfe_multiplier, pfe, ead, current_exposure, currency
FROM out_saccr
WHERE as_of = $as_of AND counterparty_id = $counterparty_id
  AND (len($legal_entities::VARCHAR[]) = 0 OR list_contains($legal_entities::VARCHAR[], legal_entity_id))
ORDER BY ead DESC, netting_set_id

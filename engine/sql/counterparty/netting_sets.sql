-- Purpose: netting set terms for SA-CCR (margining, threshold, MTA, NICA, collateral, MPOR).
-- Grain: one row per netting set in ref_netting_sets.
-- Inputs: ref_netting_sets.
-- Parameters: none.
SELECT netting_set_id,
       counterparty_id,
       legal_entity_id,
       margined,
       CAST(threshold AS DOUBLE) AS threshold,
       CAST(mta AS DOUBLE) AS mta,
       CAST(nica AS DOUBLE) AS nica,
       CAST(collateral_held AS DOUBLE) AS collateral_held,
       CAST(mpor_days AS DOUBLE) AS mpor_days
FROM ref_netting_sets
ORDER BY netting_set_id

-- Counterparties by BIC, for settlement messages that name the counterparty only by its BIC.
-- Purpose: the MT54x / sese connectors' load hook fills bo_settlements.counterparty_id from
--   counterparty_bic; a BIC held by several counterparties is ambiguous and left out.
-- Grain: one row per BIC held by exactly one counterparty.
-- Inputs: ref_counterparties. Parameters: none.
SELECT upper(bic) AS bic, min(counterparty_id) AS counterparty_id
FROM ref_counterparties
WHERE bic IS NOT NULL
GROUP BY upper(bic)
HAVING count(DISTINCT counterparty_id) = 1

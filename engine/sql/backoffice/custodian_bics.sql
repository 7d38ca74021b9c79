-- Custodian names by BIC, from our own safekeeping accounts (the SSIs without a counterparty).
-- Purpose: the MT54x / sese connectors name a custodian by the BIC of the message's account
--   servicer; this maps that BIC (BIC11, and its BIC8 for any branch) to ref_accounts.custodian.
-- Grain: one row per BIC (BIC11 or BIC8); when several custodians share one, the first by name.
-- Inputs: ref_accounts. Parameters: none.
SELECT bic, min(custodian) AS custodian
FROM (
    SELECT upper(custodian_bic) AS bic, custodian
    FROM ref_accounts
    WHERE counterparty_id IS NULL AND custodian_bic IS NOT NULL
    UNION ALL
    SELECT upper(substr(custodian_bic, 1, 8)) AS bic, custodian
    FROM ref_accounts
    WHERE counterparty_id IS NULL AND custodian_bic IS NOT NULL
)
GROUP BY bic

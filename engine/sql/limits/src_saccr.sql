-- Purpose: SA-CCR exposure at default per netting set (EAD limits), from the counterparty
--   risk results (out_saccr, created by the counterparty step's DDL) when they exist.
-- Grain: one row per netting set. Inputs: out_saccr. Parameters: $as_of (DATE).
CREATE OR REPLACE TEMP TABLE tmp_src_saccr AS
SELECT CAST(netting_set_id AS VARCHAR) AS netting_set_id, CAST(counterparty_id AS VARCHAR) AS counterparty_id,
       CAST(legal_entity_id AS VARCHAR) AS legal_entity_id, CAST(ead AS DOUBLE) AS ead
FROM out_saccr
WHERE as_of = $as_of;

-- Purpose: an empty SA-CCR source when the counterparty risk results (out_saccr) do not exist.
-- Grain: none. Inputs: none. Parameters: none.
CREATE OR REPLACE TEMP TABLE tmp_src_saccr (netting_set_id VARCHAR, counterparty_id VARCHAR, legal_entity_id VARCHAR, ead DOUBLE);

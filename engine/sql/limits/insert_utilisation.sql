-- Purpose: write the limit utilisation of as_of (every limit at every point, with status).
-- Grain: one row per (limit_id, point_key).
-- Inputs: tmp_lim_eval.
-- Parameters: $as_of (DATE), $run_id (BIGINT).
INSERT INTO out_limit_utilisation
SELECT
    CAST($as_of AS DATE), CAST($run_id AS BIGINT),
    limit_id, version, source, measure, point_key,
    legal_entity_id, desk, book_id, trader, counterparty_id, issuer, sector, country, currency, asset_class,
    comparison, use_abs, measure_value, limit_value, limit_currency, limit_value_base, utilisation_pct,
    warning_pct, excess_base, status, severity, is_temporary, specificity, priority, governed_by, facts, note
FROM tmp_lim_eval;

-- Purpose: the steps of one run with their time and output rows (Overview, run detail).
-- Grain: one row per step. Inputs: ops_run_steps. Parameters: $run_id BIGINT.
SELECT step, seconds, rows_out, summary_json
FROM ops_run_steps
WHERE run_id = $run_id
ORDER BY rowid

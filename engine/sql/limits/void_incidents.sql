-- Purpose: mark VOID the incidents that the utilisation history no longer supports (a re-run
--   removed or moved the breach); they are kept for their workflow history.
-- Grain: one row per voided incident.
-- Inputs: life_limit_incidents, tmp_lim_incidents.
-- Parameters: $run_id (BIGINT), $now (TIMESTAMP).
UPDATE life_limit_incidents
SET status = 'VOID', updated_run_id = CAST($run_id AS BIGINT), updated_at = CAST($now AS TIMESTAMP)
WHERE status <> 'VOID'
  AND incident_id NOT IN (SELECT incident_id FROM tmp_lim_incidents);

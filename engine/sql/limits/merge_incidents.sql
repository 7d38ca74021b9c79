-- Purpose: bring the lifecycle table life_limit_incidents up to date with the derived
--   incidents: update the ones it has, insert the new ones. (Incidents a re-run no longer
--   supports are marked VOID by limits/void_incidents.sql; rows are never deleted, so their
--   workflow history stays attached.)
-- Grain: one row per incident.
-- Inputs: tmp_lim_incidents.
-- Parameters: $run_id (BIGINT), $now (TIMESTAMP).
MERGE INTO life_limit_incidents AS t
USING tmp_lim_incidents AS s
ON t.incident_id = s.incident_id
WHEN MATCHED THEN UPDATE SET
    measure = s.measure, severity = s.severity, status = s.status, last_date = s.last_date,
    resolved_date = s.resolved_date, days_in_breach = s.days_in_breach,
    peak_utilisation_pct = s.peak_utilisation_pct, peak_date = s.peak_date, peak_excess_base = s.peak_excess_base,
    last_measure_value = s.last_measure_value, last_limit_value_base = s.last_limit_value_base,
    updated_run_id = CAST($run_id AS BIGINT), updated_at = CAST($now AS TIMESTAMP)
WHEN NOT MATCHED THEN INSERT (
    incident_id, limit_id, measure, point_key, severity, status, first_date, last_date, resolved_date,
    days_in_breach, peak_utilisation_pct, peak_date, peak_excess_base, last_measure_value,
    last_limit_value_base, updated_run_id, updated_at
) VALUES (
    s.incident_id, s.limit_id, s.measure, s.point_key, s.severity, s.status, s.first_date, s.last_date,
    s.resolved_date, s.days_in_breach, s.peak_utilisation_pct, s.peak_date, s.peak_excess_base,
    s.last_measure_value, s.last_limit_value_base, CAST($run_id AS BIGINT), CAST($now AS TIMESTAMP)
);

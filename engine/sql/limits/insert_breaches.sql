-- Purpose: the breaches of as_of with their incident: NEW (the incident starts today) or
--   CONTINUING, plus a RESOLVED row for each incident that ended on as_of (today's measure
--   when the point was still evaluated).
-- Grain: one row per (incident, as_of).
-- Inputs: out_limit_utilisation, tmp_lim_incidents.
-- Parameters: $as_of (DATE), $run_id (BIGINT).
INSERT INTO out_limit_breaches
WITH today AS (
    SELECT * FROM out_limit_utilisation WHERE as_of = $as_of
),
r_today AS (
    SELECT row_number() OVER (ORDER BY as_of) AS r, as_of
    FROM (SELECT DISTINCT as_of FROM out_limit_utilisation)
    QUALIFY as_of = $as_of
)
SELECT
    CAST($as_of AS DATE), CAST($run_id AS BIGINT), i.incident_id, u.limit_id, u.measure, u.point_key,
    CASE WHEN i.first_date = $as_of THEN 'NEW' ELSE 'CONTINUING' END,
    u.severity, u.measure_value, u.limit_value_base, u.utilisation_pct, u.excess_base, i.first_date,
    CAST((SELECT r FROM r_today) - i.first_r + 1 AS INTEGER)
FROM today AS u
JOIN tmp_lim_incidents AS i
  ON i.limit_id = u.limit_id AND i.point_key = u.point_key AND $as_of BETWEEN i.first_date AND i.last_date
WHERE u.status = 'BREACH'
UNION ALL
SELECT
    CAST($as_of AS DATE), CAST($run_id AS BIGINT), i.incident_id, i.limit_id, i.measure, i.point_key,
    'RESOLVED', i.severity, u.measure_value, u.limit_value_base, u.utilisation_pct, u.excess_base, i.first_date,
    i.days_in_breach
FROM tmp_lim_incidents AS i
LEFT JOIN today AS u ON u.limit_id = i.limit_id AND u.point_key = i.point_key
WHERE i.resolved_date = $as_of;

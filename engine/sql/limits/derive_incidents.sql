-- Purpose: breach incidents derived from the whole utilisation history: an incident is a run
--   of consecutive evaluated dates (dates with any row in out_limit_utilisation) on which the
--   same (limit_id, point_key) was in BREACH. OPEN when it runs to the latest evaluated date,
--   else RESOLVED on the next evaluated date. Deriving from history (rather than updating
--   yesterday's state) makes re-runs and out-of-order runs agree.
-- Grain: one row per incident.
-- Inputs: out_limit_utilisation.
-- Parameters: none. Output: tmp_lim_incidents; tmp_lim_eval_dates(as_of, r).
CREATE OR REPLACE TEMP TABLE tmp_lim_incidents AS
WITH ev AS (
    SELECT as_of, row_number() OVER (ORDER BY as_of) AS r
    FROM (SELECT DISTINCT as_of FROM out_limit_utilisation)
),
br AS (
    SELECT u.as_of, u.limit_id, u.point_key, u.measure, u.severity, u.utilisation_pct, u.excess_base,
           u.measure_value, u.limit_value_base, ev.r,
           ev.r - row_number() OVER (PARTITION BY u.limit_id, u.point_key ORDER BY u.as_of) AS island
    FROM out_limit_utilisation AS u
    JOIN ev ON ev.as_of = u.as_of
    WHERE u.status = 'BREACH'
),
inc AS (
    SELECT
        limit_id, point_key, island,
        min(as_of) AS first_date,
        max(as_of) AS last_date,
        min(r) AS first_r,
        max(r) AS last_r,
        CAST(count(*) AS INTEGER) AS days_in_breach,
        max(utilisation_pct) AS peak_utilisation_pct,
        arg_max(as_of, coalesce(utilisation_pct, 1e300)) AS peak_date,
        max(excess_base) AS peak_excess_base,
        arg_max(measure_value, as_of) AS last_measure_value,
        arg_max(limit_value_base, as_of) AS last_limit_value_base,
        arg_max(measure, as_of) AS measure,
        arg_max(severity, as_of) AS severity
    FROM br
    GROUP BY limit_id, point_key, island
)
SELECT
    'LB-' || substr(md5(i.limit_id || '|' || i.point_key || '|' || CAST(i.first_date AS VARCHAR)), 1, 12) AS incident_id,
    i.limit_id, i.measure, i.point_key, i.severity,
    CASE WHEN i.last_r = (SELECT max(r) FROM ev) THEN 'OPEN' ELSE 'RESOLVED' END AS status,
    i.first_date, i.last_date,
    nxt.as_of AS resolved_date,
    i.days_in_breach, i.peak_utilisation_pct, i.peak_date, i.peak_excess_base,
    i.last_measure_value, i.last_limit_value_base, i.first_r, i.last_r
FROM inc AS i
LEFT JOIN ev AS nxt ON nxt.r = i.last_r + 1;

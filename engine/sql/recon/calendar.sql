-- Purpose: business-day ordinals for date windows and ageing (scratch table tmp_rc_cal).
-- Grain: one row per calendar day from $start to $end.
-- Inputs: ref_holidays (the configured calendar; 'WEEKDAYS' = Monday to Friday only).
-- Parameters: $start, $end (DATE), $calendar (VARCHAR).
-- bd = number of business days on or before d, so bd(b) - bd(a) is the number of business days
-- from a to b (a weekend day counts as the business day before it).
CREATE OR REPLACE TEMP TABLE tmp_rc_cal AS
WITH days AS (
    SELECT CAST(unnest(generate_series(CAST($start AS DATE), CAST($end AS DATE), INTERVAL 1 DAY)) AS DATE) AS d
),
flags AS (
    SELECT d.d,
           isodow(d.d) <= 5 AND NOT EXISTS (
               SELECT 1 FROM ref_holidays h WHERE h.calendar = $calendar AND h.holiday_date = d.d
           ) AS is_bd
    FROM days d
)
SELECT d, is_bd, CAST(sum(CASE WHEN is_bd THEN 1 ELSE 0 END) OVER (ORDER BY d) AS INTEGER) AS bd
FROM flags;

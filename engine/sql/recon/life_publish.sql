-- Purpose: publish the date's breaks of some categories into out_breaks with their lifecycle:
-- NEW (not present at the previous run), PERSISTING (present at the previous run; first_seen
-- carried forward), and RESOLVED rows for breaks present at the previous run but not any more
-- (their last known details). Ageing in business days since first seen and since the intended
-- settlement date, in buckets.
-- Grain: out_breaks rows for ($as_of, categories in $cats).
-- Inputs: tmp_life_cur (the date's breaks: out_breaks columns without the lifecycle ones),
--   out_breaks (the previous run date $prev), tmp_rc_cal.
-- Parameters: $as_of, $run_id, $prev (DATE or NULL), $cats (VARCHAR[]), $b1, $b2, $b3 (bucket
--   upper bounds), $l1, $l2, $l3, $l4 (bucket labels).
DELETE FROM out_breaks WHERE as_of = $as_of AND list_contains($cats, category);

INSERT INTO out_breaks BY NAME
WITH run_day AS (
    SELECT bd FROM tmp_rc_cal WHERE d = $as_of
),
prev AS (
    SELECT break_id, first_seen
    FROM out_breaks
    WHERE as_of = $prev AND lifecycle <> 'RESOLVED' AND list_contains($cats, category)
),
cur AS (
    SELECT c.*, coalesce(p.first_seen, $as_of) AS first_seen,
           CASE WHEN p.break_id IS NULL THEN 'NEW' ELSE 'PERSISTING' END AS lifecycle
    FROM tmp_life_cur AS c
    LEFT JOIN prev AS p USING (break_id)
),
aged AS (
    SELECT cur.*, CAST(run_day.bd - fs.bd AS INTEGER) AS age_days
    FROM cur CROSS JOIN run_day
    LEFT JOIN tmp_rc_cal AS fs ON fs.d = cur.first_seen
)
SELECT CAST($as_of AS DATE) AS as_of, CAST($run_id AS BIGINT) AS run_id, aged.*,
       CASE WHEN age_days <= $b1 THEN $l1 WHEN age_days <= $b2 THEN $l2 WHEN age_days <= $b3 THEN $l3 ELSE $l4 END AS age_bucket,
       CASE WHEN days_past_isd IS NULL THEN NULL WHEN days_past_isd < 0 THEN 'not due'
            WHEN days_past_isd <= $b1 THEN $l1 WHEN days_past_isd <= $b2 THEN $l2
            WHEN days_past_isd <= $b3 THEN $l3 ELSE $l4 END AS isd_age_bucket
FROM aged;

INSERT INTO out_breaks BY NAME
SELECT * REPLACE (CAST($as_of AS DATE) AS as_of, CAST($run_id AS BIGINT) AS run_id, 'RESOLVED' AS lifecycle)
FROM out_breaks AS o
WHERE o.as_of = $prev AND o.lifecycle <> 'RESOLVED' AND list_contains($cats, o.category)
  AND o.break_id NOT IN (SELECT break_id FROM tmp_life_cur);

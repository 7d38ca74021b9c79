-- Purpose: run statistics of one scope from the date's published rows: breaks by type, age
-- bucket, lifecycle, counterparty and custodian, open breaks, total estimated penalties.
-- Grain: one row per (metric, dimension, value); appended to out_recon_stats by the caller.
-- Inputs: out_breaks. Parameters: $as_of (DATE), $cats (VARCHAR[]).
WITH b AS (
    SELECT * FROM out_breaks WHERE as_of = $as_of AND list_contains($cats, category)
),
open_b AS (
    SELECT * FROM b WHERE lifecycle <> 'RESOLVED'
)
SELECT 'breaks' AS metric, 'all' AS dimension, 'all' AS dim_value, CAST(count(*) AS DOUBLE) AS value FROM open_b
UNION ALL SELECT 'breaks', 'break_type', break_type, count(*) FROM open_b GROUP BY break_type
UNION ALL SELECT 'breaks', 'category', category, count(*) FROM open_b GROUP BY category
UNION ALL SELECT 'breaks', 'age_bucket', age_bucket, count(*) FROM open_b GROUP BY age_bucket
UNION ALL SELECT 'breaks', 'isd_age_bucket', coalesce(isd_age_bucket, 'n/a'), count(*) FROM open_b GROUP BY 3
UNION ALL SELECT 'breaks', 'counterparty', coalesce(counterparty_id, 'n/a'), count(*) FROM open_b GROUP BY 3
UNION ALL SELECT 'breaks', 'custodian', coalesce(custodian, 'n/a'), count(*) FROM open_b GROUP BY 3
UNION ALL SELECT 'breaks', 'lifecycle', lifecycle, count(*) FROM b GROUP BY lifecycle
UNION ALL SELECT 'penalty_base', 'all', 'all', CAST(coalesce(sum(penalty_base), 0) AS DOUBLE) FROM open_b
UNION ALL SELECT 'penalty_base', 'payer', penalty_payer, CAST(coalesce(sum(penalty_base), 0) AS DOUBLE)
          FROM open_b WHERE penalty_payer IS NOT NULL GROUP BY penalty_payer
UNION ALL SELECT 'amount_base', 'break_type', break_type, CAST(coalesce(sum(amount_base), 0) AS DOUBLE)
          FROM open_b GROUP BY break_type
ORDER BY 1, 2, 3;

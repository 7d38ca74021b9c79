-- Purpose: data quality per feed: files, rows read, loaded and quarantined, last load.
-- Grain: one row per feed. Inputs: ops_load_batches. Parameters: none.
SELECT feed,
       count(*) AS files,
       sum(rows_read) AS rows_read,
       sum(rows_loaded) AS rows_loaded,
       sum(rows_quarantined) AS rows_quarantined,
       round(100.0 * sum(rows_quarantined) / nullif(sum(rows_read), 0), 3) AS quarantined_pct,
       max(finished_at) AS last_loaded_at
FROM ops_load_batches
GROUP BY feed
ORDER BY feed

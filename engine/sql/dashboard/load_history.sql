-- Purpose: the load history (one page of it), newest first.
-- Grain: one row per load batch. Inputs: ops_load_batches.
-- Parameters: $feeds VARCHAR[] (empty = all), $limit BIGINT, $offset BIGINT.
SELECT batch_id, feed, connector, file_name, file_path, rows_read, rows_loaded,
       rows_quarantined, target_tables, started_at, finished_at,
       date_diff('millisecond', started_at, finished_at) / 1000.0 AS seconds,
       checksum_sha256
FROM ops_load_batches
WHERE (len($feeds::VARCHAR[]) = 0 OR list_contains($feeds::VARCHAR[], feed))
ORDER BY batch_id DESC
LIMIT $limit OFFSET $offset

-- Purpose: the number of load batches matching the filter (for paging the load history).
-- Grain: one value. Inputs: ops_load_batches. Parameters: $feeds VARCHAR[] (empty = all).
SELECT count(*) AS n
FROM ops_load_batches
WHERE (len($feeds::VARCHAR[]) = 0 OR list_contains($feeds::VARCHAR[], feed))

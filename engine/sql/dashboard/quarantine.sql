-- Purpose: one page of the quarantine: each rejected raw record with its reason and lineage.
-- Grain: one row per quarantined record. Inputs: ops_quarantine, ops_load_batches.
-- Parameters: $feeds VARCHAR[] and $rules VARCHAR[] (empty = all), $batch_id BIGINT (NULL = all),
--   $search VARCHAR (case-insensitive substring of reason/raw text/record ref; '' = all),
--   $limit BIGINT, $offset BIGINT.
SELECT q.batch_id, q.feed, b.file_name, q.file_path, q.line_no, q.record_ref, q.target_table,
       q.rule, q.reason, q.raw_text, q.quarantined_at
FROM ops_quarantine AS q
LEFT JOIN ops_load_batches AS b USING (batch_id)
WHERE (len($feeds::VARCHAR[]) = 0 OR list_contains($feeds::VARCHAR[], q.feed))
  AND (len($rules::VARCHAR[]) = 0 OR list_contains($rules::VARCHAR[], q.rule))
  AND ($batch_id::BIGINT IS NULL OR q.batch_id = $batch_id::BIGINT)
  AND ($search::VARCHAR = ''
       OR contains(lower(coalesce(q.reason, '') || ' ' || coalesce(q.raw_text, '') || ' ' || coalesce(q.record_ref, '')),
                   lower($search::VARCHAR)))
ORDER BY q.batch_id DESC, q.line_no
LIMIT $limit OFFSET $offset

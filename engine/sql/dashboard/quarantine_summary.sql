-- Purpose: quarantined records counted by feed and rule, with the filter of the quarantine page.
-- Grain: one row per (feed, rule). Inputs: ops_quarantine.
-- Parameters: $feeds VARCHAR[] and $rules VARCHAR[] (empty = all), $batch_id BIGINT (NULL = all),
--   $search VARCHAR ('' = all).
SELECT q.feed, q.rule, count(*) AS records
FROM ops_quarantine AS q
WHERE (len($feeds::VARCHAR[]) = 0 OR list_contains($feeds::VARCHAR[], q.feed))
  AND (len($rules::VARCHAR[]) = 0 OR list_contains($rules::VARCHAR[], q.rule))
  AND ($batch_id::BIGINT IS NULL OR q.batch_id = $batch_id::BIGINT)
  AND ($search::VARCHAR = ''
       OR contains(lower(coalesce(q.reason, '') || ' ' || coalesce(q.raw_text, '') || ' ' || coalesce(q.record_ref, '')),
                   lower($search::VARCHAR)))
GROUP BY q.feed, q.rule
ORDER BY records DESC, q.feed, q.rule

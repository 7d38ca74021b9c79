-- Purpose: the system events the run appends to the workflow store (state-based, so re-running
-- a date adds nothing): AUTO_RESOLVED for a break gone since the previous run (or gone again
-- after an AUTO_REOPENED) whose latest system event is not AUTO_RESOLVED; AUTO_REOPENED for a
-- break present whose latest system event is AUTO_RESOLVED. A one-sided break resolved because
-- its record is now matched names that match in the payload.
-- Grain: one row per event to append.
-- Inputs: out_breaks, life_breaks, out_recon_matches, tmp_wf_state (break_id, last_system_event:
--   a registered frame read from the workflow store).
-- Parameters: $as_of (DATE), $cats (VARCHAR[]).
WITH cur AS (
    SELECT break_id, lifecycle, kind, anchor
    FROM out_breaks
    WHERE as_of = $as_of AND list_contains($cats, category)
),
present AS (
    SELECT * FROM cur WHERE lifecycle <> 'RESOLVED'
),
gone AS (
    SELECT break_id, kind, anchor FROM cur WHERE lifecycle = 'RESOLVED'
    UNION
    SELECT l.break_id, l.kind, l.anchor
    FROM life_breaks AS l JOIN tmp_wf_state AS s USING (break_id)
    WHERE s.last_system_event = 'AUTO_REOPENED' AND l.status = 'RESOLVED' AND list_contains($cats, l.category)
),
matched AS (
    SELECT 'T:' || trade_id AS anchor, min(match_id) AS match_id, min(pass_name) AS pass_name
    FROM out_recon_matches
    WHERE as_of = $as_of
      AND trade_id IN (SELECT substr(anchor, 3) FROM gone WHERE kind = 'UNMATCHED_FO')
    GROUP BY 1
    UNION ALL
    SELECT 'S:' || settlement_id, min(match_id), min(pass_name)
    FROM out_recon_matches
    WHERE as_of = $as_of
      AND settlement_id IN (SELECT substr(anchor, 3) FROM gone WHERE kind = 'UNMATCHED_BO')
    GROUP BY 1
)
SELECT g.break_id, 'AUTO_RESOLVED' AS event_type,
       CAST(json_object('reason', CASE WHEN m.match_id IS NOT NULL THEN 'matched' ELSE 'no longer present' END,
                        'match_id', m.match_id, 'pass_name', m.pass_name,
                        'as_of', CAST($as_of AS VARCHAR)) AS VARCHAR) AS payload
FROM gone AS g
LEFT JOIN tmp_wf_state AS s USING (break_id)
LEFT JOIN matched AS m ON m.anchor = g.anchor AND g.kind IN ('UNMATCHED_FO', 'UNMATCHED_BO')
WHERE s.last_system_event IS DISTINCT FROM 'AUTO_RESOLVED'
UNION ALL
SELECT p.break_id, 'AUTO_REOPENED',
       CAST(json_object('reason', 'present again', 'as_of', CAST($as_of AS VARCHAR)) AS VARCHAR)
FROM present AS p JOIN tmp_wf_state AS s USING (break_id)
WHERE s.last_system_event = 'AUTO_RESOLVED'
ORDER BY 1, 2;

-- Purpose: the members of the manual matches in force (workflow store): MANUAL_MATCH events that
-- need no approval or were approved, and that no later effective UNMATCH of the same match_id
-- revoked.
-- Grain: one row per member record (trade_id or settlement_id set, the other NULL).
-- Inputs: wf_break_events, wf_approvals. Parameters: none.
WITH approved AS (
    SELECT event_id FROM wf_approvals WHERE decision = 'APPROVED'
),
effective AS (
    SELECT e.*
    FROM wf_break_events AS e
    WHERE e.event_type IN ('MANUAL_MATCH', 'UNMATCH')
      AND (NOT e.requires_approval OR e.event_id IN (SELECT event_id FROM approved))
),
mm AS (
    SELECT event_id, match_id, payload FROM effective WHERE event_type = 'MANUAL_MATCH'
),
unm AS (
    SELECT match_id, max(event_id) AS unmatch_id FROM effective WHERE event_type = 'UNMATCH' GROUP BY match_id
),
live AS (
    SELECT mm.* FROM mm LEFT JOIN unm USING (match_id)
    WHERE unm.unmatch_id IS NULL OR unm.unmatch_id < mm.event_id
)
SELECT match_id, unnest(from_json(json_extract(payload, '$.trade_ids'), '["VARCHAR"]')) AS trade_id,
       CAST(NULL AS VARCHAR) AS settlement_id
FROM live
UNION ALL
SELECT match_id, NULL, unnest(from_json(json_extract(payload, '$.settlement_ids'), '["VARCHAR"]'))
FROM live
ORDER BY 1, 2, 3;

-- Purpose: trade/settlement pairs a person separated (effective UNMATCH events on automatic
-- matches, i.e. match_id not 'M:...'): no pass pairs them again; a later manual match still can.
-- Grain: one row per forbidden (trade_id, settlement_id) pair.
-- Inputs: wf_break_events, wf_approvals. Parameters: none.
WITH approved AS (
    SELECT event_id FROM wf_approvals WHERE decision = 'APPROVED'
),
unm AS (
    SELECT payload
    FROM wf_break_events
    WHERE event_type = 'UNMATCH' AND NOT starts_with(match_id, 'M:')
      AND (NOT requires_approval OR event_id IN (SELECT event_id FROM approved))
),
sides AS (
    SELECT from_json(json_extract(payload, '$.trade_ids'), '["VARCHAR"]') AS t,
           from_json(json_extract(payload, '$.settlement_ids'), '["VARCHAR"]') AS s
    FROM unm
),
t AS (
    SELECT unnest(t) AS trade_id, s FROM sides
)
SELECT DISTINCT * FROM (SELECT trade_id, unnest(s) AS settlement_id FROM t)
ORDER BY 1, 2;

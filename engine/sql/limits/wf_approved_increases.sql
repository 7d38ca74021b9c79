-- Purpose: the approved temporary limit increases (workflow store): each REQUEST_INCREASE with
--   an APPROVE_INCREASE (and no REJECT_INCREASE) for its request_id.
-- Grain: one row per approved request. Inputs: wf_limit_events. Parameters: none.
SELECT r.request_id, r.limit_id, r.new_value, r.valid_from, r.valid_to,
       a.actor AS approved_by, a.event_at AS approved_at, r.actor AS requested_by, r.text AS reason
FROM wf_limit_events AS r
JOIN wf_limit_events AS a ON a.request_id = r.request_id AND a.action = 'APPROVE_INCREASE'
WHERE r.action = 'REQUEST_INCREASE'
  AND NOT EXISTS (SELECT 1 FROM wf_limit_events AS x WHERE x.request_id = r.request_id AND x.action = 'REJECT_INCREASE');

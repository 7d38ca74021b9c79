-- Purpose: temporary limit increase requests with their decision (PENDING | APPROVED | REJECTED).
-- Grain: one row per request. Inputs: wf_limit_events. Parameters: none.
SELECT
    r.request_id, r.limit_id, r.new_value, r.valid_from, r.valid_to, r.actor AS requested_by,
    r.event_at AS requested_at, r.text AS reason,
    CASE WHEN d.action = 'APPROVE_INCREASE' THEN 'APPROVED'
         WHEN d.action = 'REJECT_INCREASE' THEN 'REJECTED'
         ELSE 'PENDING' END AS status,
    d.actor AS decided_by, d.event_at AS decided_at
FROM wf_limit_events AS r
LEFT JOIN wf_limit_events AS d
       ON d.request_id = r.request_id AND d.action IN ('APPROVE_INCREASE', 'REJECT_INCREASE')
WHERE r.action = 'REQUEST_INCREASE'
ORDER BY r.event_at;

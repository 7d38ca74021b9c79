-- Purpose: the workflow state of breach incidents: who acknowledged and when, comment count
--   and the latest comment.
-- Grain: one row per incident with any event. Inputs: wf_limit_events. Parameters: none.
SELECT
    incident_id,
    arg_min(actor, event_at) FILTER (WHERE action = 'ACK') AS acknowledged_by,
    min(event_at) FILTER (WHERE action = 'ACK') AS acknowledged_at,
    count(*) FILTER (WHERE action = 'COMMENT') AS comments,
    arg_max(text, event_at) FILTER (WHERE action = 'COMMENT') AS last_comment,
    max(event_at) AS last_action_at
FROM wf_limit_events
WHERE incident_id IS NOT NULL
GROUP BY incident_id;

-- Purpose: the latest system (run) event of each candidate break in the workflow store, and
-- every break whose latest system event is AUTO_REOPENED (it may need resolving again).
-- Grain: one row per break_id.
-- Inputs: wf_break_events, tmp_wf_cand (break_id: the candidates, a registered frame).
-- Parameters: none.
WITH sys AS (
    SELECT break_id, arg_max(event_type, event_id) AS last_system_event
    FROM wf_break_events
    WHERE event_type IN ('AUTO_RESOLVED', 'AUTO_REOPENED')
    GROUP BY break_id
)
SELECT break_id, last_system_event
FROM sys
WHERE break_id IN (SELECT break_id FROM tmp_wf_cand) OR last_system_event = 'AUTO_REOPENED';

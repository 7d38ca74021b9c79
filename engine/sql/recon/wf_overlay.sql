-- Purpose: the workflow state of some breaks from their events (workflow store): the latest
-- effective status event (RESOLVE / REOPEN by people, AUTO_RESOLVED / AUTO_REOPENED by the run;
-- an event needing four-eyes counts once approved), a request waiting for approval, a manual
-- match in force not yet applied by a run, the assignee, the reason, the resolution code and
-- the last comment.
-- Grain: one row per break_id of tmp_wf_ids that has at least one event.
-- Inputs: wf_break_events, wf_approvals, tmp_wf_ids (break_id; a registered frame).
-- Parameters: none.
WITH ev AS (
    SELECT e.*, a.decision
    FROM wf_break_events AS e
    LEFT JOIN wf_approvals AS a USING (event_id)
    WHERE e.break_id IN (SELECT break_id FROM tmp_wf_ids)
       OR list_has_any(e.related_break_ids, (SELECT list(break_id) FROM tmp_wf_ids))
),
per_break AS (
    SELECT *, break_id AS bid FROM ev WHERE related_break_ids IS NULL AND break_id IS NOT NULL
    UNION ALL BY NAME
    SELECT *, unnest(related_break_ids) AS bid FROM ev WHERE related_break_ids IS NOT NULL
),
mine AS (
    SELECT * FROM per_break WHERE bid IN (SELECT break_id FROM tmp_wf_ids)
),
effective AS (
    SELECT * FROM mine WHERE NOT requires_approval OR decision = 'APPROVED'
),
status_ev AS (
    SELECT bid, arg_max(event_type, event_id) AS last_status_event, max(event_id) AS last_status_id,
           arg_max(CASE WHEN event_type = 'RESOLVE' THEN json_extract_string(payload, '$.resolution_code') END,
                   event_id) AS resolution_code
    FROM effective
    WHERE event_type IN ('RESOLVE', 'REOPEN', 'AUTO_RESOLVED', 'AUTO_REOPENED')
    GROUP BY bid
),
matched AS (
    SELECT bid, max(event_id) AS match_event_id, arg_max(match_id, event_id) AS manual_match_id
    FROM effective
    WHERE event_type = 'MANUAL_MATCH'
      AND match_id NOT IN (
          SELECT match_id FROM ev
          WHERE event_type = 'UNMATCH' AND (NOT requires_approval OR decision = 'APPROVED') AND match_id IS NOT NULL
      )
    GROUP BY bid
),
pending AS (
    SELECT bid, max(event_id) AS pending_event_id, arg_max(event_type, event_id) AS pending_action
    FROM mine
    WHERE requires_approval AND decision IS NULL AND event_type IN ('RESOLVE', 'MANUAL_MATCH', 'UNMATCH')
    GROUP BY bid
),
people AS (
    SELECT bid,
           arg_max(json_extract_string(payload, '$.assignee'), event_id) FILTER (WHERE event_type = 'ASSIGN') AS assignee,
           arg_max(json_extract_string(payload, '$.reason'), event_id) FILTER (WHERE event_type = 'SET_REASON') AS reason,
           arg_max(json_extract_string(payload, '$.text'), event_id) FILTER (WHERE event_type = 'COMMENT') AS last_comment,
           CAST(count(*) FILTER (WHERE event_type = 'COMMENT') AS INTEGER) AS n_comments,
           CAST(count(*) AS INTEGER) AS n_events,
           max("at") AS last_action_at
    FROM mine
    GROUP BY bid
)
SELECT p.bid AS break_id, s.last_status_event, s.last_status_id, s.resolution_code,
       m.manual_match_id, m.match_event_id, q.pending_event_id, q.pending_action,
       p.assignee, p.reason, p.last_comment, p.n_comments, p.n_events, p.last_action_at
FROM people AS p
LEFT JOIN status_ev AS s USING (bid)
LEFT JOIN matched AS m USING (bid)
LEFT JOIN pending AS q USING (bid);

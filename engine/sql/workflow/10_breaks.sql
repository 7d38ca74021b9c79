-- Break workflow (issue 4): the append-only audit trail of every action on a reconciliation
-- break, by people (assign, comment, set reason, resolve, reopen, manual match, unmatch,
-- approve) and by the end-of-day run (AUTO_RESOLVED / AUTO_REOPENED when the data changes).
-- Rows are only ever inserted. The state of a break (status, assignee, reason) is derived from
-- its latest events. Lives in the small workflow store (store.workflow_path).

CREATE SEQUENCE IF NOT EXISTS seq_wf_event_id START 1;

-- Grain: one row per action on one break (or per manual match / unmatch request).
CREATE TABLE IF NOT EXISTS wf_break_events (
    event_id           BIGINT PRIMARY KEY DEFAULT nextval('seq_wf_event_id'),
    break_id           VARCHAR,             -- NULL only for match-level events without a break
    event_type         VARCHAR NOT NULL,    -- ASSIGN | COMMENT | SET_REASON | RESOLVE | REOPEN |
                                            -- MANUAL_MATCH | UNMATCH | APPROVE | REJECT |
                                            -- AUTO_RESOLVED | AUTO_REOPENED
    actor              VARCHAR NOT NULL,    -- a person, or 'system' for the run
    "at"               TIMESTAMP NOT NULL DEFAULT current_timestamp,   -- when (quoted: AT is a keyword)
    payload            VARCHAR,             -- JSON: text, assignee, reason, resolution_code, ids
    match_id           VARCHAR,             -- MANUAL_MATCH / UNMATCH: the match concerned
    related_break_ids  VARCHAR[],           -- MANUAL_MATCH / UNMATCH: every break it touches
    requires_approval  BOOLEAN NOT NULL DEFAULT FALSE,   -- four-eyes: waits for APPROVE
    ref_event_id       BIGINT,              -- APPROVE / REJECT: the event approved
    as_of              DATE,                -- system events: the run's business date
    run_id             BIGINT               -- system events: the run
);

-- Grain: one row per approved (or rejected) four-eyes request. The primary key makes a second
-- decision on the same request impossible.
CREATE TABLE IF NOT EXISTS wf_approvals (
    event_id           BIGINT PRIMARY KEY,  -- the request (RESOLVE write-off, MANUAL_MATCH, ...)
    decision           VARCHAR NOT NULL,    -- APPROVED | REJECTED
    decided_by         VARCHAR NOT NULL,
    decided_at         TIMESTAMP NOT NULL DEFAULT current_timestamp,
    decision_event_id  BIGINT NOT NULL      -- the APPROVE / REJECT event
);

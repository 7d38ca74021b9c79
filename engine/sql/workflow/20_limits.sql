-- Limit breach workflow (workflow store): an append-only audit trail of actions on breach
-- incidents and limits. Never updated or deleted. Actions: ACK (acknowledge an incident),
-- COMMENT, REQUEST_INCREASE (a temporary limit increase: new_value for valid_from..valid_to,
-- with a reason in text), APPROVE_INCREASE / REJECT_INCREASE (by a person other than the
-- requester: four-eyes). The end-of-day run applies approved increases as temporary limits.
CREATE TABLE IF NOT EXISTS wf_limit_events (
    event_id     VARCHAR PRIMARY KEY,       -- uuid4
    event_at     TIMESTAMP NOT NULL,
    actor        VARCHAR NOT NULL,
    action       VARCHAR NOT NULL,          -- ACK | COMMENT | REQUEST_INCREASE | APPROVE_INCREASE | REJECT_INCREASE
    incident_id  VARCHAR,                   -- life_limit_incidents.incident_id (ACK, COMMENT)
    limit_id     VARCHAR,                   -- ref_limits.limit_id (increase requests and decisions)
    request_id   VARCHAR,                   -- the increase request an approval refers to
    new_value    DECIMAL(24,4),
    valid_from   DATE,
    valid_to     DATE,
    text         VARCHAR
);

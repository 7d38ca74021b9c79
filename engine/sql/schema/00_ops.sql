-- Operations: schema version, load batches, quarantine, runs.
-- Grain: ops_load_batches one row per file load attempt that committed; ops_quarantine one
-- row per rejected record; ops_runs one row per end-of-day run; ops_run_steps one per step.

CREATE TABLE IF NOT EXISTS ops_schema (
    version      INTEGER NOT NULL,
    applied_at   TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE SEQUENCE IF NOT EXISTS seq_batch_id START 1;
CREATE SEQUENCE IF NOT EXISTS seq_run_id START 1;

CREATE TABLE IF NOT EXISTS ops_load_batches (
    batch_id          BIGINT PRIMARY KEY,
    feed              VARCHAR NOT NULL,      -- feed name (config) or connector name
    connector         VARCHAR NOT NULL,      -- connector that parsed the file
    file_path         VARCHAR NOT NULL,
    file_name         VARCHAR NOT NULL,
    checksum_sha256   VARCHAR NOT NULL,
    file_bytes        BIGINT NOT NULL,
    rows_read         BIGINT NOT NULL,
    rows_loaded       BIGINT NOT NULL,
    rows_quarantined  BIGINT NOT NULL,
    target_tables     VARCHAR,               -- comma-separated canonical tables written
    started_at        TIMESTAMP NOT NULL,
    finished_at       TIMESTAMP NOT NULL,
    CHECK (rows_read = rows_loaded + rows_quarantined)
);

CREATE TABLE IF NOT EXISTS ops_quarantine (
    batch_id      BIGINT NOT NULL,
    feed          VARCHAR NOT NULL,
    file_path     VARCHAR NOT NULL,
    line_no       BIGINT,                    -- line (CSV), message number (FIX/MT/XML), row (XLSX)
    record_ref    VARCHAR,                   -- the record's own id where it has one
    target_table  VARCHAR,
    rule          VARCHAR NOT NULL,          -- short rule id, e.g. 'bad_decimal', 'unknown_isin'
    reason        VARCHAR NOT NULL,          -- what was expected and what was found
    raw_text      VARCHAR,                   -- the raw record as read
    quarantined_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE IF NOT EXISTS ops_runs (
    run_id       BIGINT PRIMARY KEY,
    as_of        DATE NOT NULL,
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP,
    status       VARCHAR NOT NULL,           -- RUNNING | OK | FAILED
    error        VARCHAR,
    summary_json VARCHAR                      -- per-step summary figures
);

CREATE TABLE IF NOT EXISTS ops_run_steps (
    run_id     BIGINT NOT NULL,
    as_of      DATE NOT NULL,
    step       VARCHAR NOT NULL,
    seconds    DOUBLE NOT NULL,
    rows_out   BIGINT,
    summary_json VARCHAR
);

-- Reconciliation results (issue 4): front-office trades against back-office settlements, and
-- expected cash against cash statements.
--
-- Per-date tables (out_recon_*, out_breaks, out_break_fields, out_suggestions, out_cash_*) are
-- replaced by each run for that date (as_of) and carry the run_id that wrote them.
-- life_breaks is NOT replaced per date: it is each break's life across runs (first seen, last
-- seen, open or resolved), keyed by the stable break_id, so breaks survive re-runs.
-- Human workflow (assign, comment, resolve, manual matches, approvals) lives in the separate
-- workflow store (engine/sql/workflow/10_breaks.sql), never here.

-- Grain: one row per matched record per date. A 1:1 match is one row with both ids; a group
-- match (1:N, N:1, N:M) has one row per member with the other id NULL.
-- match_id is stable across runs: 'T:<trade_id>' (anchor trade) for passes by trade reference
-- or economic key, 'B:<block_id>' for block matches, 'G:<trade_id>' for aggregate groups,
-- 'M:<event_id>' for a manual match.
CREATE TABLE IF NOT EXISTS out_recon_matches (
    as_of          DATE NOT NULL,
    run_id         BIGINT NOT NULL,
    match_id       VARCHAR NOT NULL,
    pass_name      VARCHAR NOT NULL,         -- the configured pass (or 'manual')
    method         VARCHAR NOT NULL,         -- MANUAL | REFERENCE | BLOCK | ECONOMIC | AGGREGATE
    trade_id       VARCHAR,
    settlement_id  VARCHAR,
    n_trades       INTEGER NOT NULL,
    n_settlements  INTEGER NOT NULL,
    is_clean       BOOLEAN NOT NULL          -- no field out of tolerance (settlement state aside)
);

-- Grain: one row per break present on the date (lifecycle NEW or PERSISTING) plus one row per
-- break resolved on that date (lifecycle RESOLVED, last known details).
-- kind: UNMATCHED_FO | UNMATCHED_BO | MISMATCH | SETTLEMENT | CASH_MISSING | CASH_UNEXPECTED |
-- CASH_MISMATCH. break_type: the class (CMIS_FO_ONLY, CMIS_BO_ONLY, DQUA, DDEA, DMON, NCRR, DDAT,
-- DTRD, DSEC, DELN, DEPT, ICAG, SAFE, PARTIAL, FAILING, PENDING_PAST_ISD, CASH_MISSING,
-- CASH_UNEXPECTED, CASH_DMON, CASH_DDAT, CASH_NCRR); iso_code: the ISO 20022 / MT548 reason code.
CREATE TABLE IF NOT EXISTS out_breaks (
    as_of                DATE NOT NULL,
    run_id               BIGINT NOT NULL,
    break_id             VARCHAR NOT NULL,   -- stable: 'BRK-<FO|BO|MM|ST|CM|CU|CD>-<anchor record id>'
    category             VARCHAR NOT NULL,   -- MATCHING | SETTLEMENT | CASH
    kind                 VARCHAR NOT NULL,
    break_type           VARCHAR NOT NULL,
    iso_code             VARCHAR,
    side                 VARCHAR NOT NULL,   -- FO_ONLY | BO_ONLY | BOTH
    lifecycle            VARCHAR NOT NULL,   -- NEW | PERSISTING | RESOLVED
    anchor               VARCHAR NOT NULL,   -- 'T:<trade_id>' | 'S:<settlement_id>' | 'C:<movement_id>'
    match_id             VARCHAR,
    pass_name            VARCHAR,
    trade_id             VARCHAR,            -- first (lowest) trade of the break
    settlement_id        VARCHAR,            -- first (lowest) settlement of the break
    movement_id          VARCHAR,            -- cash breaks: the statement entry
    trade_ids            VARCHAR[],
    settlement_ids       VARCHAR[],
    n_fields             INTEGER NOT NULL DEFAULT 0,
    fields               VARCHAR,            -- differing fields, comma-separated, by precedence
    isin                 VARCHAR,
    instrument_id        VARCHAR,
    asset_class          VARCHAR,
    book_id              VARCHAR,
    counterparty_id      VARCHAR,
    custodian            VARCHAR,
    account_id           VARCHAR,
    direction            VARCHAR,            -- RECEIVE | DELIVER (our point of view)
    currency             VARCHAR,
    quantity_fo          DECIMAL(24,6),
    quantity_bo          DECIMAL(24,6),
    amount_fo            DECIMAL(24,4),
    amount_bo            DECIMAL(24,4),
    amount_diff          DECIMAL(24,4),      -- BO minus FO
    amount_base          DECIMAL(24,4),      -- |amount| in base currency (FO side if present)
    trade_date           DATE,
    intended_settle_date DATE,
    settle_status        VARCHAR,            -- BO status: SETTLED | PARTIAL | FAILING | PENDING | ...
    reason_code          VARCHAR,            -- BO reason (LACK, MONY, CLAC, CMON, ...)
    settled_quantity     DECIMAL(24,6),
    remaining_quantity   DECIMAL(24,6),      -- PARTIAL/FAILING: instructed minus settled
    first_seen           DATE NOT NULL,
    age_days             INTEGER NOT NULL,   -- business days since first seen
    age_bucket           VARCHAR NOT NULL,   -- '0-1' | '2-5' | '6-10' | '>10'
    days_past_isd        INTEGER,            -- business days since intended settlement date
    isd_age_bucket       VARCHAR,
    days_failing         INTEGER,            -- business days failing (ISD..as_of, inclusive)
    penalty_rate_bp      DECIMAL(12,6),      -- CSDR daily rate used
    penalty_ccy          DECIMAL(24,4),      -- estimated accrued CSDR penalty, settlement currency
    penalty_base         DECIMAL(24,4),      -- same in base currency
    penalty_payer        VARCHAR,            -- US | COUNTERPARTY | UNKNOWN
    detail               VARCHAR             -- one line in words
);

-- Grain: one row per (break, differing field) on the date. Values as text for display plus
-- the numeric difference where the field is a number (BO minus FO) or a date (business days).
CREATE TABLE IF NOT EXISTS out_break_fields (
    as_of             DATE NOT NULL,
    run_id            BIGINT NOT NULL,
    break_id          VARCHAR NOT NULL,
    category          VARCHAR NOT NULL,      -- MATCHING | CASH
    field             VARCHAR NOT NULL,      -- quantity | price | amount | currency | settle_date | ...
    iso_code          VARCHAR NOT NULL,
    precedence        INTEGER NOT NULL,      -- 1 = the break's type
    fo_value          VARCHAR,
    bo_value          VARCHAR,
    difference        VARCHAR,               -- text: BO - FO for numbers, business days for dates
    diff_num          DECIMAL(38,10),
    tolerance         VARCHAR                -- the tolerance that was exceeded, in words
);

-- Grain: one row per (unmatched record, candidate) on the date, best first (rank 1..k).
CREATE TABLE IF NOT EXISTS out_suggestions (
    as_of               DATE NOT NULL,
    run_id              BIGINT NOT NULL,
    break_id            VARCHAR NOT NULL,    -- the unmatched record's break
    side                VARCHAR NOT NULL,    -- FO | BO: the side of the unmatched record
    record_id           VARCHAR NOT NULL,
    candidate_id        VARCHAR NOT NULL,    -- a record on the other side
    candidate_break_id  VARCHAR,
    rank                INTEGER NOT NULL,
    score               DOUBLE NOT NULL,     -- 0..1, higher is better
    differing_fields    VARCHAR              -- comma-separated
);

-- Grain: one row per expected cash flow (from settled trades) on the date.
CREATE TABLE IF NOT EXISTS out_cash_expected (
    as_of          DATE NOT NULL,
    run_id         BIGINT NOT NULL,
    expected_id    VARCHAR NOT NULL,         -- = trade_id
    settlement_ids VARCHAR[],
    cash_account   VARCHAR,
    currency       VARCHAR NOT NULL,
    amount         DECIMAL(24,4) NOT NULL,   -- signed: credit positive (we receive cash)
    value_date     DATE NOT NULL,
    match_id       VARCHAR,                  -- NULL when not matched
    pass_name      VARCHAR
);

-- Grain: one row per matched cash record per date (as out_recon_matches).
CREATE TABLE IF NOT EXISTS out_cash_matches (
    as_of          DATE NOT NULL,
    run_id         BIGINT NOT NULL,
    match_id       VARCHAR NOT NULL,
    pass_name      VARCHAR NOT NULL,
    method         VARCHAR NOT NULL,
    expected_id    VARCHAR,
    movement_id    VARCHAR,
    is_clean       BOOLEAN NOT NULL
);

-- Grain: one row per (date, scope, metric, dimension value). Long format so that new figures
-- need no schema change. scope: RECON | CASH.
CREATE TABLE IF NOT EXISTS out_recon_stats (
    as_of      DATE NOT NULL,
    run_id     BIGINT NOT NULL,
    scope      VARCHAR NOT NULL,
    metric     VARCHAR NOT NULL,    -- e.g. matches, trades, auto_match_rate, stp_rate, breaks, seconds
    dimension  VARCHAR NOT NULL,    -- e.g. 'all', 'pass', 'break_type', 'age_bucket', 'counterparty'
    dim_value  VARCHAR NOT NULL,
    value      DOUBLE NOT NULL
);

-- Grain: one row per break ever seen. Recomputed for the affected breaks by each run from the
-- out_breaks history, so re-running a date gives the same rows.
CREATE TABLE IF NOT EXISTS life_breaks (
    break_id             VARCHAR PRIMARY KEY,
    category             VARCHAR NOT NULL,
    kind                 VARCHAR NOT NULL,
    break_type           VARCHAR NOT NULL,   -- as last seen
    anchor               VARCHAR NOT NULL,
    trade_id             VARCHAR,
    settlement_id        VARCHAR,
    movement_id          VARCHAR,
    isin                 VARCHAR,
    counterparty_id      VARCHAR,
    custodian            VARCHAR,
    intended_settle_date DATE,
    first_seen           DATE NOT NULL,
    last_seen            DATE NOT NULL,
    days_seen            INTEGER NOT NULL,   -- number of run dates on which it was present
    status               VARCHAR NOT NULL,   -- OPEN | RESOLVED (by the data; workflow overlays)
    resolved_on          DATE,               -- first run date after last_seen
    updated_run_id       BIGINT NOT NULL
);

-- Back office: settlement records from custodians and cash movements from statements.
-- bo_settlements is an append-only record of what a custodian said: one row per
-- (settlement_id, seq); the newest seq known on or before the as-of date is the current state.
-- direction is from our point of view: RECEIVE (we receive securities: a BUY) or DELIVER.

CREATE TABLE IF NOT EXISTS bo_settlements (
    settlement_id        VARCHAR NOT NULL,   -- custodian's reference (SEME / transaction id)
    seq                  INTEGER NOT NULL DEFAULT 1,
    known_date           DATE NOT NULL,      -- business date the record was received
    custodian            VARCHAR NOT NULL,
    message_type         VARCHAR NOT NULL,   -- CSV | MT544..MT548 | sese.024 | sese.025 | ...
    trade_ref            VARCHAR,            -- our trade id as the custodian echoes it (RELA / AcctOwnrTxId)
    account_id           VARCHAR,            -- safekeeping account
    counterparty_id      VARCHAR,
    counterparty_bic     VARCHAR,
    place_of_settlement  VARCHAR,
    isin                 VARCHAR,
    direction            VARCHAR NOT NULL,   -- RECEIVE | DELIVER
    payment              VARCHAR NOT NULL DEFAULT 'APMT',   -- APMT (against payment) | FREE
    quantity             DECIMAL(24,6),      -- instructed quantity
    settled_quantity     DECIMAL(24,6),      -- quantity settled so far (this record)
    amount               DECIMAL(24,4),      -- instructed settlement amount
    settled_amount       DECIMAL(24,4),
    currency             VARCHAR,
    trade_date           DATE,
    deal_price           DECIMAL(24,10),
    intended_settle_date DATE,
    actual_settle_date   DATE,
    status               VARCHAR NOT NULL,   -- PENDING | MATCHED | SETTLED | PARTIAL | FAILING | UNMATCHED | CANCELLED
    reason_code          VARCHAR,            -- ISO reason (LACK, MONY, CLAC, CMON, ...)
    reason_text          VARCHAR,
    batch_id BIGINT, src_line BIGINT, src_ref VARCHAR,
    PRIMARY KEY (settlement_id, seq)
);

CREATE TABLE IF NOT EXISTS bo_cash_movements (
    movement_id      VARCHAR NOT NULL,       -- statement id + entry ref + detail number
    statement_id     VARCHAR,
    account          VARCHAR NOT NULL,       -- IBAN / cash account
    booking_date     DATE,
    value_date       DATE NOT NULL,
    amount           DECIMAL(24,4) NOT NULL, -- signed: credit positive, debit negative
    currency         VARCHAR NOT NULL,
    is_reversal      BOOLEAN NOT NULL DEFAULT FALSE,
    bank_tx_code     VARCHAR,
    end_to_end_id    VARCHAR,                -- our reference (trade id) where the bank echoes it
    entry_ref        VARCHAR,
    counterparty_name VARCHAR,
    description      VARCHAR,
    known_date       DATE NOT NULL,
    batch_id BIGINT, src_line BIGINT, src_ref VARCHAR,
    PRIMARY KEY (movement_id)
);

CREATE TABLE IF NOT EXISTS bo_cash_balances (
    statement_id   VARCHAR NOT NULL,
    account        VARCHAR NOT NULL,
    balance_type   VARCHAR NOT NULL,         -- OPBD | CLBD | ITBD | CLAV ...
    balance_date   DATE NOT NULL,
    amount         DECIMAL(24,4) NOT NULL,   -- signed
    currency       VARCHAR NOT NULL,
    batch_id BIGINT, src_line BIGINT,
    PRIMARY KEY (statement_id, account, balance_type, balance_date)
);

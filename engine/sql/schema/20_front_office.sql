-- Front office: versioned trades. A trade's versions are (trade_id, version); the run for
-- business date D uses, per trade_id, the highest version whose known_date <= D, and drops the
-- trade if that version's status is CANCEL. Sign convention: quantity is positive, side says
-- the direction; amounts are positive in the trade currency (net_amount = gross +/- fees + accrued,
-- the cash that changes hands: paid for a BUY, received for a SELL).

CREATE TABLE IF NOT EXISTS fo_trades (
    trade_id          VARCHAR NOT NULL,
    version           INTEGER NOT NULL,
    status            VARCHAR NOT NULL,      -- NEW | AMEND | CANCEL
    known_date        DATE NOT NULL,         -- business date this version became known
    book_id           VARCHAR NOT NULL,
    trader            VARCHAR,
    counterparty_id   VARCHAR,
    instrument_id     VARCHAR NOT NULL,
    isin              VARCHAR,
    side              VARCHAR NOT NULL,      -- BUY | SELL
    quantity          DECIMAL(24,6) NOT NULL,  -- units / nominal / contracts; > 0
    price             DECIMAL(24,10) NOT NULL, -- per unit in quote convention (bonds: % of par)
    currency          VARCHAR NOT NULL,
    trade_date        DATE NOT NULL,
    settle_date       DATE,                  -- intended settlement date
    gross_amount      DECIMAL(24,4),         -- quantity * price * price_multiplier
    fees              DECIMAL(24,4) NOT NULL DEFAULT 0,   -- fees and commissions, >= 0
    accrued_interest  DECIMAL(24,4) NOT NULL DEFAULT 0,
    net_amount        DECIMAL(24,4),         -- settlement amount
    account_id        VARCHAR,               -- our safekeeping account (SSI) for the trade
    place_of_settlement VARCHAR,
    order_id          VARCHAR,
    exec_id           VARCHAR,
    block_id          VARCHAR,               -- allocation block the trade belongs to
    source_system     VARCHAR,
    -- derivatives (what SA-CCR and risk need); NULL for cash instruments
    notional          DECIMAL(24,4),
    start_date        DATE,
    end_date          DATE,
    mtm               DECIMAL(24,4),          -- mark-to-market in base currency, from the FO
    netting_set_id    VARCHAR,
    option_type       VARCHAR,               -- CALL | PUT
    option_strike     DECIMAL(24,10),
    option_expiry     DATE,
    underlying_price  DECIMAL(24,10),
    volatility        DECIMAL(12,8),
    pay_leg           VARCHAR,               -- IRS: FIXED | FLOAT (what we pay); CDS: protection BUY/SELL via side
    fixed_rate        DECIMAL(12,8),
    reference_entity  VARCHAR,               -- CDS reference entity / index name
    ref_entity_rating VARCHAR,
    is_index          BOOLEAN,
    commodity_type    VARCHAR,               -- e.g. 'CRUDE_OIL', 'SILVER'
    batch_id BIGINT, src_line BIGINT, src_ref VARCHAR,
    PRIMARY KEY (trade_id, version)
);

-- Front-office P&L as reported by the desks (for the P&L reconciliation).
CREATE TABLE IF NOT EXISTS fo_pnl (
    book_id      VARCHAR NOT NULL,
    pnl_date     DATE NOT NULL,
    currency     VARCHAR NOT NULL,
    pnl          DECIMAL(24,4) NOT NULL,
    batch_id BIGINT, src_line BIGINT,
    PRIMARY KEY (book_id, pnl_date)
);

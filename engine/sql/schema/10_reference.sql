-- Reference data. Loaded like any feed; every row carries its lineage (batch_id, src_line).
-- Loading a reference file again replaces rows with the same key (the newest batch wins).

CREATE TABLE IF NOT EXISTS ref_currencies (
    currency     VARCHAR PRIMARY KEY,        -- ISO 4217
    minor_units  INTEGER NOT NULL,
    name         VARCHAR
);

CREATE TABLE IF NOT EXISTS ref_holidays (
    calendar      VARCHAR NOT NULL,          -- e.g. 'TARGET', 'USNY', 'WEEKDAYS'
    holiday_date  DATE NOT NULL,
    name          VARCHAR,
    batch_id BIGINT, src_line BIGINT,
    PRIMARY KEY (calendar, holiday_date)
);

CREATE TABLE IF NOT EXISTS ref_legal_entities (
    legal_entity_id VARCHAR PRIMARY KEY,
    name            VARCHAR NOT NULL,
    lei             VARCHAR,
    base_currency   VARCHAR NOT NULL,
    country         VARCHAR,
    batch_id BIGINT, src_line BIGINT
);

CREATE TABLE IF NOT EXISTS ref_books (
    book_id         VARCHAR PRIMARY KEY,
    book_name       VARCHAR,
    desk            VARCHAR NOT NULL,
    legal_entity_id VARCHAR NOT NULL,
    trader          VARCHAR,                 -- the book's head trader
    lot_method      VARCHAR NOT NULL DEFAULT 'FIFO',   -- FIFO | LIFO | AVERAGE
    batch_id BIGINT, src_line BIGINT
);

CREATE TABLE IF NOT EXISTS ref_counterparties (
    counterparty_id VARCHAR PRIMARY KEY,
    name            VARCHAR NOT NULL,
    lei             VARCHAR,                 -- ISO 17442, check digits mod 97
    bic             VARCHAR,
    rating          VARCHAR,                 -- e.g. 'AA-'
    country         VARCHAR,                 -- ISO 3166 alpha-2
    sector          VARCHAR,
    parent_id       VARCHAR,                 -- ultimate parent counterparty_id (NULL = itself)
    batch_id BIGINT, src_line BIGINT
);

CREATE TABLE IF NOT EXISTS ref_instruments (
    instrument_id    VARCHAR PRIMARY KEY,    -- = ISIN where the instrument has one
    isin             VARCHAR,                -- ISO 6166, check digit verified on load
    name             VARCHAR NOT NULL,
    asset_class      VARCHAR NOT NULL,       -- EQUITY | GOVT_BOND | CORP_BOND | FX_SPOT | FX_FORWARD | FUTURE | IRS | CDS | COMMODITY_FWD | OPTION
    currency         VARCHAR NOT NULL,
    issuer           VARCHAR,
    sector           VARCHAR,
    country          VARCHAR,
    price_multiplier DECIMAL(18,6) NOT NULL DEFAULT 1,   -- contract size for futures; 0.01 for bonds quoted in % of par
    coupon_rate      DECIMAL(12,8),          -- annual coupon as a fraction (0.045 = 4.5%)
    coupon_freq      INTEGER,                -- coupons per year
    day_count        VARCHAR,                -- ACT/360 | ACT/365F | 30/360 | ACT/ACT
    issue_date       DATE,
    maturity_date    DATE,
    underlying       VARCHAR,                -- futures/options: underlying id; FX: currency pair 'EURUSD'
    quote_currency   VARCHAR,                -- FX: the second currency of the pair
    liquidity        VARCHAR,                -- LIQUID | ILLIQUID (shares, for CSDR penalties)
    batch_id BIGINT, src_line BIGINT
);

CREATE TABLE IF NOT EXISTS ref_accounts (
    -- Standing settlement instructions (SSIs) and safekeeping accounts.
    account_id          VARCHAR PRIMARY KEY, -- our safekeeping account at the custodian
    custodian           VARCHAR NOT NULL,    -- custodian name, e.g. 'CUST_A'
    custodian_bic       VARCHAR,
    legal_entity_id     VARCHAR,
    counterparty_id     VARCHAR,             -- for counterparty SSIs; NULL for our own accounts
    place_of_settlement VARCHAR,             -- PSET BIC (CSD), e.g. 'DTCYUS33'
    cash_account        VARCHAR,             -- IBAN or cash account number
    currency            VARCHAR,
    batch_id BIGINT, src_line BIGINT
);

CREATE TABLE IF NOT EXISTS ref_netting_sets (
    netting_set_id   VARCHAR PRIMARY KEY,
    counterparty_id  VARCHAR NOT NULL,
    legal_entity_id  VARCHAR,
    margined         BOOLEAN NOT NULL DEFAULT FALSE,
    threshold        DECIMAL(24,4) NOT NULL DEFAULT 0,  -- TH, base currency
    mta              DECIMAL(24,4) NOT NULL DEFAULT 0,  -- minimum transfer amount
    nica             DECIMAL(24,4) NOT NULL DEFAULT 0,  -- net independent collateral amount
    collateral_held  DECIMAL(24,4) NOT NULL DEFAULT 0,  -- C: net collateral held (haircut)
    mpor_days        INTEGER NOT NULL DEFAULT 10,
    batch_id BIGINT, src_line BIGINT
);

CREATE TABLE IF NOT EXISTS ref_limits (
    -- A limit: a scope (NULL dimension = any), a measure, a bound. The most specific
    -- applicable limit wins (most non-NULL scope columns, then priority); a temporary limit
    -- (is_temporary) overrides the official one for its validity range.
    limit_id         VARCHAR NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1,
    measure          VARCHAR NOT NULL,       -- e.g. GROSS_EXPOSURE, NET_EXPOSURE, NOTIONAL, VAR_99_1D, EAD, CURRENT_EXPOSURE, CONCENTRATION_PCT, NET_FX_OPEN
    scope_legal_entity VARCHAR, scope_desk VARCHAR, scope_book VARCHAR, scope_trader VARCHAR,
    scope_counterparty VARCHAR, scope_issuer VARCHAR, scope_sector VARCHAR,
    scope_country VARCHAR, scope_currency VARCHAR, scope_asset_class VARCHAR,
    comparison       VARCHAR NOT NULL DEFAULT '<=',  -- '<=' (measure must stay at or below) | '>=' (at or above)
    use_abs          BOOLEAN NOT NULL DEFAULT TRUE,  -- compare |measure|
    limit_value      DECIMAL(24,4) NOT NULL,
    warning_pct      DECIMAL(9,4) NOT NULL DEFAULT 80,   -- warning at this % utilisation
    severity         VARCHAR NOT NULL DEFAULT 'HARD',    -- HARD | SOFT
    currency         VARCHAR NOT NULL,
    valid_from       DATE NOT NULL,
    valid_to         DATE,                    -- NULL = open-ended
    is_temporary     BOOLEAN NOT NULL DEFAULT FALSE,
    priority         INTEGER NOT NULL DEFAULT 0,
    approved_by      VARCHAR,
    batch_id BIGINT, src_line BIGINT,
    PRIMARY KEY (limit_id, version)
);

-- Positions, exposures, limits and P&L: the results of the end-of-day run (issue 5).
-- Every out_* table has as_of and run_id and is replaced per as_of date by the run
-- (ctx.replace_date). life_limit_incidents is a lifecycle table kept across dates and re-runs.
-- Money in DECIMAL(24,4); base = the configured base currency; local = the position currency.

-- One row per (as_of, basis, book, instrument) with a non-zero quantity or a trade that day.
-- basis 'TRADE': trades with trade_date <= as_of; 'SETTLE': trades with settle_date <= as_of.
-- Lineage: position_id = book_id || '|' || instrument_id; its trades are the live versions
-- (known on as_of) of fo_trades with that book and instrument (engine.positions.position_trades).
CREATE TABLE IF NOT EXISTS out_positions (
    as_of               DATE NOT NULL,
    run_id              BIGINT NOT NULL,
    basis               VARCHAR NOT NULL,          -- TRADE | SETTLE
    position_id         VARCHAR NOT NULL,          -- book_id || '|' || instrument_id
    legal_entity_id     VARCHAR,
    desk                VARCHAR,
    book_id             VARCHAR NOT NULL,
    trader              VARCHAR,                   -- the book's trader (else the trades' only trader)
    instrument_id       VARCHAR NOT NULL,
    isin                VARCHAR,
    asset_class         VARCHAR,
    currency            VARCHAR NOT NULL,          -- local currency (the instrument's)
    issuer              VARCHAR,
    sector              VARCHAR,
    country             VARCHAR,
    valuation           VARCHAR NOT NULL,          -- PRICE | BOND | FX | MTM
    quantity            DECIMAL(24,6) NOT NULL,    -- signed, long > 0 (units / nominal / contracts)
    avg_cost            DECIMAL(24,10),            -- open lots' cost per unit in price terms (lot method)
    cost_local          DECIMAL(24,4),             -- signed cost of the open lots (local)
    price               DECIMAL(24,10),            -- mark used: close, FX/forward rate, or fallback
    price_date          DATE,                      -- date of that mark
    price_source        VARCHAR NOT NULL,          -- CLOSE | STALE | FX_SPOT | FX_FORWARD | TRADE | MTM | PAR | NONE
    price_multiplier    DECIMAL(18,6) NOT NULL,
    accrued_local       DECIMAL(24,4) NOT NULL,    -- bonds: accrued interest to as_of under the day count
    market_value_local  DECIMAL(24,4) NOT NULL,    -- quantity * price * multiplier (+ accrued); MTM: FO mark
    fx_rate_to_base     DECIMAL(24,12),
    market_value_base   DECIMAL(24,4) NOT NULL,
    unrealised_local    DECIMAL(24,4),             -- clean market value - cost of the open lots
    trades              BIGINT NOT NULL,           -- trades in the position (this basis)
    first_trade_date    DATE,
    last_trade_date     DATE,
    PRIMARY KEY (as_of, basis, book_id, instrument_id)
);

-- Exposures (trade-date positions) for the configured groupings (positions.exposure_groupings);
-- a NULL key column is "all". Lineage: the positions of out_positions (basis 'TRADE', same
-- as_of) whose columns equal this row's non-NULL key columns.
CREATE TABLE IF NOT EXISTS out_exposures (
    as_of             DATE NOT NULL,
    run_id            BIGINT NOT NULL,
    grouping          VARCHAR NOT NULL,           -- e.g. 'firm', 'desk', 'desk+currency'
    legal_entity_id   VARCHAR,
    desk              VARCHAR,
    book_id           VARCHAR,
    trader            VARCHAR,
    issuer            VARCHAR,
    sector            VARCHAR,
    country           VARCHAR,
    currency          VARCHAR,
    asset_class       VARCHAR,
    positions         BIGINT NOT NULL,
    gross_base        DECIMAL(24,4) NOT NULL,     -- sum |MV|
    net_base          DECIMAL(24,4) NOT NULL,     -- sum MV
    long_base         DECIMAL(24,4) NOT NULL,     -- sum of positive MV
    short_base        DECIMAL(24,4) NOT NULL,     -- sum of negative MV (<= 0)
    share_pct         DOUBLE,                     -- gross as % of the grouping's total gross
    rank              BIGINT                      -- 1 = largest gross within the grouping
);

-- Concentration per grouping: members, Herfindahl index of gross shares, top-N share.
CREATE TABLE IF NOT EXISTS out_concentration (
    as_of             DATE NOT NULL,
    run_id            BIGINT NOT NULL,
    grouping          VARCHAR NOT NULL,
    members           BIGINT NOT NULL,
    total_gross_base  DECIMAL(24,4) NOT NULL,
    hhi               DOUBLE,                     -- sum of squared shares, 0..10000 (points)
    top_n             INTEGER NOT NULL,
    top_n_share_pct   DOUBLE,
    largest_key       VARCHAR,
    largest_share_pct DOUBLE
);

-- Net open FX position per currency (and legal entity), in the currency and in base.
-- Securities count their market value in their currency (futures and forwards only their
-- unrealised P&L); FX spot/forwards count both legs (bought currency +, sold currency -).
CREATE TABLE IF NOT EXISTS out_net_fx (
    as_of             DATE NOT NULL,
    run_id            BIGINT NOT NULL,
    legal_entity_id   VARCHAR,
    currency          VARCHAR NOT NULL,
    long_local        DECIMAL(24,4) NOT NULL,
    short_local       DECIMAL(24,4) NOT NULL,
    net_local         DECIMAL(24,4) NOT NULL,
    fx_rate_to_base   DECIMAL(24,12),
    net_base          DECIMAL(24,4) NOT NULL
);

-- Counterparty exposure per counterparty (and legal entity): replacement cost of unsettled
-- trades, settlement risk of trades settling on as_of, OTC derivative marks per netting set.
CREATE TABLE IF NOT EXISTS out_counterparty_exposures (
    as_of                  DATE NOT NULL,
    run_id                 BIGINT NOT NULL,
    counterparty_id        VARCHAR NOT NULL,
    parent_id              VARCHAR,
    legal_entity_id        VARCHAR,
    country                VARCHAR,
    rating                 VARCHAR,
    unsettled_trades       BIGINT NOT NULL,
    unsettled_value_base   DECIMAL(24,4) NOT NULL,   -- |value| of unsettled trades at market
    replacement_cost_base  DECIMAL(24,4) NOT NULL,   -- sum over unsettled trades of max(0, MTM)
    settling_trades        BIGINT NOT NULL,
    settlement_risk_base   DECIMAL(24,4) NOT NULL,   -- what we deliver on as_of
    otc_trades             BIGINT NOT NULL,
    otc_mtm_base           DECIMAL(24,4) NOT NULL,   -- net OTC mark
    otc_exposure_base      DECIMAL(24,4) NOT NULL,   -- sum over netting sets of max(0, net mark)
    current_exposure_base  DECIMAL(24,4) NOT NULL    -- replacement_cost + otc_exposure
);

-- Lineage of counterparty exposure: one row per contributing trade.
CREATE TABLE IF NOT EXISTS out_counterparty_exposure_trades (
    as_of              DATE NOT NULL,
    run_id             BIGINT NOT NULL,
    trade_id           VARCHAR NOT NULL,
    version            INTEGER NOT NULL,
    kind               VARCHAR NOT NULL,   -- SETTLING (settle_date = as_of) | UNSETTLED (later, or failing) | OTC
    counterparty_id    VARCHAR NOT NULL,
    netting_set_id     VARCHAR,
    legal_entity_id    VARCHAR,
    desk               VARCHAR,
    book_id            VARCHAR,
    trader             VARCHAR,
    instrument_id      VARCHAR,
    asset_class        VARCHAR,
    currency           VARCHAR,
    settle_date        DATE,
    settlement_status  VARCHAR,            -- back-office status where one is known
    unsettled_fraction DOUBLE,
    value_base         DECIMAL(24,4),      -- signed value at market of what is still to settle
    mtm_base           DECIMAL(24,4),      -- signed mark to market against the trade price
    replacement_cost_base DECIMAL(24,4),   -- max(0, mtm) (UNSETTLED)
    settlement_amount_base DECIMAL(24,4)   -- what we deliver (SETTLING)
);

-- Limit utilisation: one row per (limit, evaluation point). A point is the limit's scope with
-- every '*' dimension expanded to one member. Status OK | WARNING | BREACH, SUPERSEDED when a
-- more specific limit governs the same point, NO_DATA when the measure is not available.
CREATE TABLE IF NOT EXISTS out_limit_utilisation (
    as_of             DATE NOT NULL,
    run_id            BIGINT NOT NULL,
    limit_id          VARCHAR NOT NULL,
    version           INTEGER,
    source            VARCHAR NOT NULL,     -- REF | WORKFLOW (approved temporary increase)
    measure           VARCHAR NOT NULL,
    point_key         VARCHAR NOT NULL,     -- e.g. 'desk=EQ;book_id=EQ1' ('firm' = everything)
    legal_entity_id VARCHAR, desk VARCHAR, book_id VARCHAR, trader VARCHAR, counterparty_id VARCHAR,
    issuer VARCHAR, sector VARCHAR, country VARCHAR, currency VARCHAR, asset_class VARCHAR,
    comparison        VARCHAR NOT NULL,     -- '<=' | '>='
    use_abs           BOOLEAN NOT NULL,
    measure_value     DECIMAL(24,4),        -- base currency (percent for *_PCT measures)
    limit_value       DECIMAL(24,4) NOT NULL,  -- in the limit's currency
    limit_currency    VARCHAR NOT NULL,
    limit_value_base  DECIMAL(24,4),
    utilisation_pct   DOUBLE,               -- NULL = unbounded (limit 0 or the wrong side of 0)
    warning_pct       DECIMAL(9,4) NOT NULL,
    excess_base       DECIMAL(24,4),        -- > 0: amount beyond the limit; < 0: headroom
    status            VARCHAR NOT NULL,     -- OK | WARNING | BREACH | SUPERSEDED | NO_DATA
    severity          VARCHAR NOT NULL,     -- HARD | SOFT
    is_temporary      BOOLEAN NOT NULL,
    specificity       INTEGER NOT NULL,     -- number of explicit scope keys
    priority          INTEGER NOT NULL,
    governed_by       VARCHAR,              -- the winning limit_id when SUPERSEDED
    facts             BIGINT,               -- contributing rows (positions, trades, ...)
    note              VARCHAR
);

-- Breaches on as_of with their incident and state NEW | CONTINUING, plus RESOLVED rows for
-- the incidents that ended on as_of (first date no longer in breach).
CREATE TABLE IF NOT EXISTS out_limit_breaches (
    as_of             DATE NOT NULL,
    run_id            BIGINT NOT NULL,
    incident_id       VARCHAR NOT NULL,
    limit_id          VARCHAR NOT NULL,
    measure           VARCHAR NOT NULL,
    point_key         VARCHAR NOT NULL,
    state             VARCHAR NOT NULL,     -- NEW | CONTINUING | RESOLVED
    severity          VARCHAR NOT NULL,
    measure_value     DECIMAL(24,4),
    limit_value_base  DECIMAL(24,4),
    utilisation_pct   DOUBLE,
    excess_base       DECIMAL(24,4),
    first_date        DATE NOT NULL,
    days_in_breach    INTEGER NOT NULL
);

-- Breach incidents across days (NOT replaced per date): a run of consecutive evaluated dates on
-- which the same (limit, point) was in breach. Re-derived from out_limit_utilisation by every
-- run, so re-runs and out-of-order runs agree; incident_id is stable for a (limit, point, first
-- date). An incident that a re-run no longer supports is kept as VOID (its workflow survives).
CREATE TABLE IF NOT EXISTS life_limit_incidents (
    incident_id           VARCHAR PRIMARY KEY,   -- 'LB-' + 12 hex of md5(limit|point|first_date)
    limit_id              VARCHAR NOT NULL,
    measure               VARCHAR NOT NULL,
    point_key             VARCHAR NOT NULL,
    severity              VARCHAR NOT NULL,
    status                VARCHAR NOT NULL,      -- OPEN | RESOLVED | VOID
    first_date            DATE NOT NULL,
    last_date             DATE NOT NULL,         -- last date in breach
    resolved_date         DATE,                  -- first evaluated date no longer in breach
    days_in_breach        INTEGER NOT NULL,
    peak_utilisation_pct  DOUBLE,
    peak_date             DATE,
    peak_excess_base      DECIMAL(24,4),
    last_measure_value    DECIMAL(24,4),
    last_limit_value_base DECIMAL(24,4),
    updated_run_id        BIGINT NOT NULL,
    updated_at            TIMESTAMP NOT NULL
);

-- Daily P&L per (book, instrument), trade-date basis, for the as_of date (the business day
-- since the previous business date prev_date). Columns without _itd are the day's P&L;
-- fees_local is signed as P&L (a cost is negative). total_local = realised + unrealised +
-- carry + fees; total_base = total_local * fx + fx translation of the opening position.
CREATE TABLE IF NOT EXISTS out_pnl (
    as_of                  DATE NOT NULL,
    run_id                 BIGINT NOT NULL,
    prev_date              DATE NOT NULL,
    legal_entity_id        VARCHAR,
    desk                   VARCHAR,
    book_id                VARCHAR NOT NULL,
    trader                 VARCHAR,
    instrument_id          VARCHAR NOT NULL,
    asset_class            VARCHAR,
    currency               VARCHAR NOT NULL,
    lot_method             VARCHAR NOT NULL,
    quantity_prev          DECIMAL(24,6) NOT NULL,
    quantity               DECIMAL(24,6) NOT NULL,
    price_prev             DECIMAL(24,10),
    price                  DECIMAL(24,10),
    fx_rate_prev           DECIMAL(24,12),
    fx_rate                DECIMAL(24,12),
    market_value_prev_local DECIMAL(24,4) NOT NULL,
    market_value_local     DECIMAL(24,4) NOT NULL,
    cash_flow_local        DECIMAL(24,4) NOT NULL,   -- trade consideration, accrued, fees, coupons
    realised_local         DECIMAL(24,4) NOT NULL,
    unrealised_local       DECIMAL(24,4) NOT NULL,
    fees_local             DECIMAL(24,4) NOT NULL,
    carry_local            DECIMAL(24,4) NOT NULL,
    total_local            DECIMAL(24,4) NOT NULL,
    fx_translation_base    DECIMAL(24,4) NOT NULL,
    total_base             DECIMAL(24,4) NOT NULL,
    realised_itd_local     DECIMAL(24,4) NOT NULL,
    unrealised_itd_local   DECIMAL(24,4) NOT NULL,
    fees_itd_local         DECIMAL(24,4) NOT NULL,
    trades_today           BIGINT NOT NULL,
    PRIMARY KEY (as_of, book_id, instrument_id)
);

-- Daily attribution per (book, instrument): new-trade (trade price vs close), price move on the
-- opening position, carry (accrued and coupons), fees, and in base the FX move; the components
-- add up to the total (local: new_trade + price_move + carry + fees; base: the same at the
-- as-of rate + fx_move).
CREATE TABLE IF NOT EXISTS out_pnl_attribution (
    as_of              DATE NOT NULL,
    run_id             BIGINT NOT NULL,
    book_id            VARCHAR NOT NULL,
    instrument_id      VARCHAR NOT NULL,
    currency           VARCHAR NOT NULL,
    new_trade_local    DECIMAL(24,4) NOT NULL,
    price_move_local   DECIMAL(24,4) NOT NULL,
    carry_local        DECIMAL(24,4) NOT NULL,
    fees_local         DECIMAL(24,4) NOT NULL,
    total_local        DECIMAL(24,4) NOT NULL,
    new_trade_base     DECIMAL(24,4) NOT NULL,
    price_move_base    DECIMAL(24,4) NOT NULL,
    fx_move_base       DECIMAL(24,4) NOT NULL,
    carry_base         DECIMAL(24,4) NOT NULL,
    fees_base          DECIMAL(24,4) NOT NULL,
    total_base         DECIMAL(24,4) NOT NULL,
    PRIMARY KEY (as_of, book_id, instrument_id)
);

-- The P&L check: total P&L = change in market value + net cash flows, per (book, instrument),
-- computed independently from the positions' market values and the day's cash flows.
CREATE TABLE IF NOT EXISTS out_pnl_check (
    as_of              DATE NOT NULL,
    run_id             BIGINT NOT NULL,
    book_id            VARCHAR NOT NULL,
    instrument_id      VARCHAR NOT NULL,
    currency           VARCHAR NOT NULL,
    total_local        DECIMAL(24,4) NOT NULL,
    mv_change_local    DECIMAL(24,4) NOT NULL,
    cash_flow_local    DECIMAL(24,4) NOT NULL,
    difference_local   DECIMAL(24,4) NOT NULL,   -- total - (mv_change + cash_flow)
    ok                 BOOLEAN NOT NULL
);

-- Front-office P&L (fo_pnl, by book and date) against the computed P&L (sum of total_base
-- translated to the FO currency).
CREATE TABLE IF NOT EXISTS out_fo_pnl_recon (
    as_of              DATE NOT NULL,
    run_id             BIGINT NOT NULL,
    book_id            VARCHAR NOT NULL,
    currency           VARCHAR,
    fo_pnl             DECIMAL(24,4),
    computed_pnl       DECIMAL(24,4),
    difference         DECIMAL(24,4),            -- fo - computed
    tolerance          DECIMAL(24,4),
    status             VARCHAR NOT NULL          -- MATCH | DIFF | FO_ONLY | COMPUTED_ONLY
);

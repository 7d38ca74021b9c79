-- Market risk (VaR, ES, components, stress, backtesting) and counterparty credit risk (SA-CCR).
-- Written by the run steps `market_risk` (engine.market_risk.step) and `counterparty`
-- (engine.counterparty.step); each step replaces its tables' rows for the run's as_of date.
-- Risk figures are floats (DOUBLE): analytics, compared with tolerances, never booked.
-- Sign conventions: var, es and component figures are LOSSES (positive = money lost);
-- pnl columns are profits (negative = loss). Amounts in the base currency (config base_currency).

-- VaR and expected shortfall. Grain: (as_of, level, key, method, model, confidence,
-- horizon_days, scaling). level FIRM (key 'FIRM') | DESK (key = desk) | BOOK (key = book_id).
CREATE TABLE IF NOT EXISTS out_var (
    as_of         DATE NOT NULL,
    run_id        BIGINT NOT NULL,
    level         VARCHAR NOT NULL,          -- FIRM | DESK | BOOK
    key           VARCHAR NOT NULL,          -- 'FIRM', the desk, or the book_id
    method        VARCHAR NOT NULL,          -- HISTORICAL | PARAMETRIC | MONTE_CARLO
    model         VARCHAR NOT NULL,          -- HISTORICAL: FULL_REVAL; PARAMETRIC: SAMPLE | EWMA; MONTE_CARLO: NORMAL | STUDENT_T
    confidence    DOUBLE NOT NULL,           -- 0.95 | 0.975 | 0.99
    horizon_days  INTEGER NOT NULL,          -- 1 or the multi-day horizon (10)
    scaling       VARCHAR,                   -- NULL for 1-day; SQRT (1-day x sqrt(h)) | OVERLAPPING (h-day overlapping returns)
    var           DOUBLE NOT NULL,           -- value at risk (loss, base currency)
    es            DOUBLE NOT NULL,           -- expected shortfall (loss, base currency)
    n_scenarios   INTEGER,                   -- scenarios (historical) or paths (Monte Carlo); NULL for parametric
    n_positions   INTEGER,
    currency      VARCHAR NOT NULL           -- base currency
);

-- Euler allocation of the firm's VaR/ES to desks and to books: per (method, model, confidence,
-- horizon, scaling, level) the component_var values add up to the FIRM var of out_var.
CREATE TABLE IF NOT EXISTS out_var_components (
    as_of          DATE NOT NULL,
    run_id         BIGINT NOT NULL,
    level          VARCHAR NOT NULL,         -- DESK | BOOK
    key            VARCHAR NOT NULL,         -- desk or book_id
    desk           VARCHAR,                  -- the book's desk (= key for DESK rows)
    method         VARCHAR NOT NULL,
    model          VARCHAR NOT NULL,
    confidence     DOUBLE NOT NULL,
    horizon_days   INTEGER NOT NULL,
    scaling        VARCHAR,
    component_var  DOUBLE NOT NULL,          -- contribution to the firm VaR (loss)
    component_es   DOUBLE NOT NULL,          -- contribution to the firm ES (loss)
    pct_of_var     DOUBLE,                   -- component_var / firm var
    standalone_var DOUBLE                    -- the unit's own VaR (diversification = standalone - component)
);

-- Stress test P&L. Grain: (as_of, scenario, level, key).
CREATE TABLE IF NOT EXISTS out_stress (
    as_of          DATE NOT NULL,
    run_id         BIGINT NOT NULL,
    scenario       VARCHAR NOT NULL,         -- the configured window or shock name
    scenario_type  VARCHAR NOT NULL,         -- WINDOW (historical stress window) | SHOCK (user-defined)
    window_start   DATE,                     -- WINDOW: market date the move is measured from
    window_end     DATE,                     -- WINDOW: market date the move is measured to
    level          VARCHAR NOT NULL,         -- FIRM | DESK | BOOK
    key            VARCHAR NOT NULL,
    pnl            DOUBLE NOT NULL,          -- profit (negative = loss), base currency
    description    VARCHAR
);

-- Backtesting observations. basis DAILY: the VaR stored by the run of var_date against the
-- P&L of obs_date (the next run date): hypothetical (var_date's positions revalued with the
-- market moves to obs_date) and actual (out_pnl of obs_date). basis CURRENT_PORTFOLIO: today's
-- portfolio held constant over the last `window` days, each day's VaR from the preceding
-- history_days scenarios (hypothetical P&L only).
CREATE TABLE IF NOT EXISTS out_backtest (
    as_of              DATE NOT NULL,        -- the run that wrote the row
    run_id             BIGINT NOT NULL,
    basis              VARCHAR NOT NULL,     -- DAILY | CURRENT_PORTFOLIO
    obs_date           DATE NOT NULL,        -- the P&L date
    var_date           DATE NOT NULL,        -- the date the VaR was computed for (previous market/run date)
    method             VARCHAR NOT NULL,
    confidence         DOUBLE NOT NULL,
    var                DOUBLE,               -- 1-day VaR (loss)
    hypothetical_pnl   DOUBLE,
    actual_pnl         DOUBLE,
    hyp_exception      BOOLEAN,              -- -hypothetical_pnl > var
    actual_exception   BOOLEAN               -- -actual_pnl > var
);

-- Backtest statistics over the last `window` observations up to as_of.
CREATE TABLE IF NOT EXISTS out_backtest_summary (
    as_of                   DATE NOT NULL,
    run_id                  BIGINT NOT NULL,
    basis                   VARCHAR NOT NULL,     -- DAILY | CURRENT_PORTFOLIO
    pnl_type                VARCHAR NOT NULL,     -- HYPOTHETICAL | ACTUAL
    method                  VARCHAR NOT NULL,
    confidence              DOUBLE NOT NULL,
    n_obs                   INTEGER NOT NULL,
    exceptions              INTEGER NOT NULL,
    expected_exceptions     DOUBLE NOT NULL,
    kupiec_lr               DOUBLE,
    kupiec_pvalue           DOUBLE,
    christoffersen_ind_lr   DOUBLE,
    christoffersen_ind_pvalue DOUBLE,
    christoffersen_cc_lr    DOUBLE,
    christoffersen_cc_pvalue DOUBLE,
    zone                    VARCHAR,              -- GREEN | YELLOW | RED (Basel 1996 traffic light)
    plus_factor             DOUBLE,               -- added to the multiplier 3
    cumulative_probability  DOUBLE                -- binomial P(X <= exceptions)
);

-- SA-CCR exposure at default per netting set (BCBS 279 / Basel Framework CRE52).
-- current_exposure = max(V - C, 0): the netting set's MtM net of collateral, floored at zero.
CREATE TABLE IF NOT EXISTS out_saccr (
    as_of             DATE NOT NULL,
    run_id            BIGINT NOT NULL,
    netting_set_id    VARCHAR NOT NULL,
    counterparty_id   VARCHAR,
    legal_entity_id   VARCHAR,
    margined          BOOLEAN NOT NULL,
    n_trades          INTEGER NOT NULL,
    mtm               DOUBLE NOT NULL,       -- V: sum of the trades' MtM
    collateral        DOUBLE NOT NULL,       -- C: net collateral held
    replacement_cost  DOUBLE NOT NULL,       -- RC
    addon_ir          DOUBLE NOT NULL,
    addon_fx          DOUBLE NOT NULL,
    addon_credit      DOUBLE NOT NULL,
    addon_equity      DOUBLE NOT NULL,
    addon_commodity   DOUBLE NOT NULL,
    addon_aggregate   DOUBLE NOT NULL,
    pfe_multiplier    DOUBLE NOT NULL,
    pfe               DOUBLE NOT NULL,
    ead               DOUBLE NOT NULL,       -- alpha * (RC + PFE), margined capped at ead_unmargined
    ead_unmargined    DOUBLE NOT NULL,
    current_exposure  DOUBLE NOT NULL,
    currency          VARCHAR NOT NULL
);

-- SA-CCR add-on per netting set, asset class and hedging set.
CREATE TABLE IF NOT EXISTS out_saccr_addons (
    as_of               DATE NOT NULL,
    run_id              BIGINT NOT NULL,
    netting_set_id      VARCHAR NOT NULL,
    asset_class         VARCHAR NOT NULL,    -- IR | FX | CREDIT | EQUITY | COMMODITY
    hedging_set         VARCHAR NOT NULL,    -- IR: currency; FX: pair; CREDIT/EQUITY: the class; COMMODITY: ENERGY | METALS | AGRICULTURAL | OTHER
    n_trades            INTEGER NOT NULL,
    effective_notional  DOUBLE NOT NULL,     -- signed sum of delta * adjusted notional * MF (IR: the bucket-aggregated D)
    addon               DOUBLE NOT NULL
);

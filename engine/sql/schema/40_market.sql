-- Market data. rate_to_base: value in base currency of one unit of the currency.

CREATE TABLE IF NOT EXISTS mkt_prices (
    instrument_id  VARCHAR NOT NULL,
    price_date     DATE NOT NULL,
    close          DECIMAL(24,10) NOT NULL,
    batch_id BIGINT, src_line BIGINT,
    PRIMARY KEY (instrument_id, price_date)
);

CREATE TABLE IF NOT EXISTS mkt_fx_rates (
    currency      VARCHAR NOT NULL,
    rate_date     DATE NOT NULL,
    rate_to_base  DECIMAL(24,12) NOT NULL,
    batch_id BIGINT, src_line BIGINT,
    PRIMARY KEY (currency, rate_date)
);

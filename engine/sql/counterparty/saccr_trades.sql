-- Purpose: the live derivative trades of the run as SA-CCR inputs, amounts in base currency.
-- Grain: one row per live derivative trade as of $as_of (tmp_trades_asof) whose instrument's
--        asset class is in $derivative_classes and which has not matured.
-- Inputs: tmp_trades_asof (run step trades_asof), ref_instruments (the trade's instrument and
--         its underlying), mkt_fx_rates (latest rate_to_base on or before $as_of).
-- Parameters: $as_of DATE, $base VARCHAR (base currency), $derivative_classes VARCHAR[].
-- Conventions: direction +1 = long the primary risk factor (IRS: we pay FIXED; CDS: protection
--   SELL; FX: BUY the pair's first currency; others: BUY), options +1 bought / -1 sold;
--   FX pairs are normalised to alphabetical order (direction flipped when swapped).
WITH fx AS (
    SELECT currency, CAST(arg_max(rate_to_base, rate_date) AS DOUBLE) AS rate
    FROM mkt_fx_rates
    WHERE rate_date <= $as_of
    GROUP BY currency
),
base AS (
    SELECT t.trade_id, t.netting_set_id, t.counterparty_id, t.side, t.currency, t.pay_leg,
           t.option_type, t.option_strike, t.underlying_price, t.start_date, t.end_date,
           t.option_expiry, t.fixed_rate, t.reference_entity, t.ref_entity_rating, t.is_index,
           t.commodity_type, t.mtm, t.notional, t.quantity, t.price, t.instrument_id,
           i.asset_class AS inst_class, i.underlying AS inst_underlying, i.quote_currency,
           i.issuer, u.asset_class AS und_class, u.issuer AS und_issuer,
           CAST(i.price_multiplier AS DOUBLE) AS price_multiplier
    FROM tmp_trades_asof AS t
    JOIN ref_instruments AS i ON i.instrument_id = t.instrument_id
    LEFT JOIN ref_instruments AS u ON u.instrument_id = i.underlying
    WHERE i.asset_class IN (SELECT unnest($derivative_classes))
      AND coalesce(t.end_date, t.option_expiry, DATE '9999-12-31') > $as_of
),
classed AS (
    SELECT *,
           CASE inst_class
               WHEN 'IRS' THEN 'IR'
               WHEN 'CDS' THEN 'CREDIT'
               WHEN 'FX_FORWARD' THEN 'FX'
               WHEN 'FX_SPOT' THEN 'FX'
               WHEN 'COMMODITY_FWD' THEN 'COMMODITY'
               ELSE CASE
                   WHEN und_class IN ('IRS', 'GOVT_BOND', 'CORP_BOND') OR fixed_rate IS NOT NULL THEN 'IR'
                   WHEN und_class IN ('FX_SPOT', 'FX_FORWARD') OR length(inst_underlying) = 6 AND quote_currency IS NOT NULL THEN 'FX'
                   WHEN und_class = 'COMMODITY_FWD' OR commodity_type IS NOT NULL THEN 'COMMODITY'
                   WHEN und_class = 'CDS' THEN 'CREDIT'
                   ELSE 'EQUITY'
               END
           END AS saccr_class,
           CASE WHEN length(inst_underlying) = 6 THEN inst_underlying
                ELSE currency || coalesce(quote_currency, $base) END AS raw_pair
    FROM base
)
SELECT c.trade_id,
       c.netting_set_id,
       c.counterparty_id,
       c.saccr_class AS asset_class,
       CAST(coalesce(c.notional, c.quantity * c.price * coalesce(c.price_multiplier, 1)) AS DOUBLE)
           * CASE WHEN c.currency = $base THEN 1.0 ELSE fx.rate END AS notional,
       coalesce(CAST(c.mtm AS DOUBLE), 0.0) AS mtm,
       CASE
           WHEN c.option_type IS NOT NULL THEN CASE WHEN c.side = 'BUY' THEN 1.0 ELSE -1.0 END
           WHEN c.saccr_class = 'IR' AND upper(c.pay_leg) = 'FIXED' THEN 1.0
           WHEN c.saccr_class = 'IR' AND upper(c.pay_leg) = 'FLOAT' THEN -1.0
           WHEN c.saccr_class = 'CREDIT' THEN CASE WHEN c.side = 'BUY' THEN -1.0 ELSE 1.0 END
           ELSE CASE WHEN c.side = 'BUY' THEN 1.0 ELSE -1.0 END
       END
       * CASE WHEN c.saccr_class = 'FX' AND substr(c.raw_pair, 1, 3) > substr(c.raw_pair, 4, 3) THEN -1.0 ELSE 1.0 END
           AS direction,
       upper(c.option_type) AS option_type,
       CAST(c.underlying_price AS DOUBLE) AS underlying_price,
       CAST(c.option_strike AS DOUBLE) AS strike,
       c.start_date,
       c.end_date,
       c.option_expiry,
       c.currency,
       CASE WHEN c.saccr_class = 'FX'
            THEN least(substr(c.raw_pair, 1, 3), substr(c.raw_pair, 4, 3))
                 || greatest(substr(c.raw_pair, 1, 3), substr(c.raw_pair, 4, 3)) END AS currency_pair,
       CASE WHEN c.saccr_class = 'CREDIT' THEN coalesce(c.reference_entity, c.issuer)
            WHEN c.saccr_class = 'EQUITY' THEN coalesce(c.reference_entity, c.und_issuer, c.inst_underlying, c.instrument_id)
       END AS reference_entity,
       c.ref_entity_rating AS rating,
       coalesce(c.is_index, FALSE) AS is_index,
       upper(coalesce(c.commodity_type, CASE WHEN c.saccr_class = 'COMMODITY' THEN c.inst_underlying END)) AS commodity_type
FROM classed AS c
LEFT JOIN fx ON fx.currency = c.currency
ORDER BY c.trade_id

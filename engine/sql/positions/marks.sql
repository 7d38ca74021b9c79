-- Purpose: the mark of every instrument held, on as_of ('T') and on the previous business date
--   ('P'): the latest close on or before the date within the look-back window (CLOSE on the
--   day, STALE before it); bonds at or after maturity at par (PAR); FX spot and forwards
--   without a close at the rate implied by the FX rates: spot = rate_to_base(bought) /
--   rate_to_base(quote), forward = spot * (1 + r_quote * t) / (1 + r_bought * t) with t =
--   days to delivery / 360 and the deposit rates of tmp_pos_deposit_rates (covered interest
--   parity; 0 when none are configured); accrued interest and coupon per unit for bonds.
-- Grain: one row per (instrument_id, which) for instruments in tmp_pos; which in ('T', 'P').
-- Inputs: tmp_pos, mkt_prices, tmp_pos_fx, tmp_acc_out, tmp_pos_deposit_rates.
-- Parameters: $as_of, $prev_date (DATE), $lookback_days (INTEGER).
CREATE OR REPLACE TEMP TABLE tmp_pos_marks AS
WITH dates AS (
    SELECT CAST($as_of AS DATE) AS d, 'T' AS which
    UNION ALL
    SELECT CAST($prev_date AS DATE), 'P'
),
inst AS (
    SELECT instrument_id, any_value(valuation) AS valuation, any_value(asset_class) AS asset_class,
           any_value(currency) AS currency, any_value(fx_bought_currency) AS bought_currency,
           any_value(maturity_date) AS maturity_date, any_value(price_multiplier) AS price_multiplier
    FROM tmp_pos
    GROUP BY instrument_id
),
px AS (
    SELECT p.instrument_id, dt.which, max_by(p.close, p.price_date) AS close, max(p.price_date) AS price_date
    FROM mkt_prices AS p
    JOIN inst AS i ON i.instrument_id = p.instrument_id
    JOIN dates AS dt ON p.price_date <= dt.d AND p.price_date >= dt.d - CAST($lookback_days AS INTEGER)
    WHERE p.price_date <= CAST($as_of AS DATE)
    GROUP BY p.instrument_id, dt.which
),
fx_pairs AS (
    SELECT i.instrument_id, dt.which, dt.d,
           CAST(f1.rate_to_base AS DOUBLE) AS rate_bought,
           CAST(f2.rate_to_base AS DOUBLE) AS rate_quote,
           coalesce(r1.rate, 0.0) AS dep_bought,
           coalesce(r2.rate, 0.0) AS dep_quote,
           greatest(coalesce(i.maturity_date - dt.d, 0), 0) / 360.0 AS t
    FROM inst AS i
    CROSS JOIN dates AS dt
    LEFT JOIN tmp_pos_fx AS f1 ON f1.currency = i.bought_currency AND f1.which = dt.which
    LEFT JOIN tmp_pos_fx AS f2 ON f2.currency = i.currency AND f2.which = dt.which
    LEFT JOIN tmp_pos_deposit_rates AS r1 ON r1.currency = i.bought_currency
    LEFT JOIN tmp_pos_deposit_rates AS r2 ON r2.currency = i.currency
    WHERE i.valuation = 'FX'
)
SELECT
    i.instrument_id,
    dt.which,
    CASE
        WHEN i.valuation = 'MTM' THEN NULL
        WHEN i.valuation = 'BOND' AND i.maturity_date IS NOT NULL AND dt.d >= i.maturity_date THEN CAST(100 AS DECIMAL(24, 10))
        WHEN px.close IS NOT NULL THEN px.close
        WHEN i.valuation = 'FX' AND fp.rate_quote > 0
            THEN CAST(fp.rate_bought / fp.rate_quote * (1 + fp.dep_quote * fp.t) / (1 + fp.dep_bought * fp.t) AS DECIMAL(24, 10))
    END AS mark,
    CASE
        WHEN i.valuation = 'MTM' THEN 'MTM'
        WHEN i.valuation = 'BOND' AND i.maturity_date IS NOT NULL AND dt.d >= i.maturity_date THEN 'PAR'
        WHEN px.close IS NOT NULL THEN CASE WHEN px.price_date = dt.d THEN 'CLOSE' ELSE 'STALE' END
        WHEN i.valuation = 'FX' AND fp.rate_quote > 0
            THEN CASE WHEN fp.t > 0 THEN 'FX_FORWARD' ELSE 'FX_SPOT' END
    END AS mark_source,
    CASE WHEN px.close IS NOT NULL THEN px.price_date ELSE dt.d END AS mark_date,
    CASE WHEN i.valuation = 'BOND' THEN coalesce(a.accrued_per_unit, 0.0) * 100 * CAST(i.price_multiplier AS DOUBLE) ELSE 0.0 END AS accrued_unit,
    CASE WHEN i.valuation = 'BOND' THEN coalesce(a.coupon_paid_per_unit, 0.0) * 100 * CAST(i.price_multiplier AS DOUBLE) ELSE 0.0 END AS coupon_unit
FROM inst AS i
CROSS JOIN dates AS dt
LEFT JOIN px ON px.instrument_id = i.instrument_id AND px.which = dt.which
LEFT JOIN fx_pairs AS fp ON fp.instrument_id = i.instrument_id AND fp.which = dt.which
LEFT JOIN tmp_acc_out AS a ON a.key = i.instrument_id AND a.value_date = dt.d;

-- Purpose: estimated CSDR cash penalties accrued by failing settlements (scratch table tmp_rc_pen).
-- For each business day from the intended settlement date to the run date (inclusive) that the
-- settlement is still not settled, the penalty is the daily rate times the reference value:
--   lack of securities: remaining quantity x that day's closing price (latest known, else the
--   deal price) x price multiplier, at the instrument type's rate (liquid shares, illiquid
--   shares, sovereign bonds, other bonds);
--   lack of cash (reason in $cash_codes): the remaining cash amount at the lack-of-cash rate.
-- Payer: US for our reason codes (LACK, MONY), COUNTERPARTY for theirs (CLAC, CMON), else UNKNOWN.
-- Grain: one row per SETTLEMENT break with a remaining quantity and ISD on or before $as_of.
-- Inputs: tmp_rc_breaks, tmp_rc_cal, mkt_prices, tmp_rc_fx.
-- Parameters: $as_of, $base, $cash_codes, $our_codes, $their_codes (VARCHAR[]),
--   $liquid_bp, $illiquid_bp, $sovereign_bp, $other_bp, $cash_bp (DECIMAL, basis points per day).
CREATE OR REPLACE TEMP TABLE tmp_rc_pen AS
WITH f AS (
    SELECT b.break_id, b.instrument_id, b.asset_class, b.x_liquidity AS liquidity,
           b.intended_settle_date AS isd, b.remaining_quantity, b.reason_code, b.currency,
           b.x_price AS deal_price, coalesce(b.x_multiplier, 1) AS multiplier,
           CASE WHEN b.x_instructed_quantity > 0
                THEN b.x_instructed_amount * b.remaining_quantity / b.x_instructed_quantity END AS remaining_amount,
           list_contains($cash_codes, b.reason_code) AS is_cash,
           CAST(CASE
               WHEN list_contains($cash_codes, b.reason_code) THEN $cash_bp
               WHEN b.asset_class = 'EQUITY' AND b.x_liquidity = 'ILLIQUID' THEN $illiquid_bp
               WHEN b.asset_class = 'EQUITY' THEN $liquid_bp
               WHEN b.asset_class = 'GOVT_BOND' THEN $sovereign_bp
               ELSE $other_bp
           END AS DECIMAL(12,6)) AS rate_bp
    FROM tmp_rc_breaks AS b
    WHERE b.kind = 'SETTLEMENT' AND b.intended_settle_date <= $as_of AND b.remaining_quantity > 0
),
days AS (
    SELECT f.*, c.d
    FROM f JOIN tmp_rc_cal AS c ON c.d BETWEEN f.isd AND $as_of AND c.is_bd
),
priced AS (
    SELECT days.*, p.close
    FROM days ASOF LEFT JOIN mkt_prices AS p
      ON p.instrument_id = days.instrument_id AND p.price_date <= days.d
),
daily AS (
    SELECT break_id, any_value(rate_bp) AS rate_bp, any_value(currency) AS currency,
           any_value(reason_code) AS reason_code, count(*) AS days_failing,
           sum(CASE WHEN is_cash THEN coalesce(remaining_amount, 0)
                    ELSE remaining_quantity * coalesce(close, deal_price, 0) * multiplier END
               * rate_bp / 10000) AS penalty
    FROM priced
    GROUP BY break_id
)
SELECT d.break_id, CAST(d.days_failing AS INTEGER) AS days_failing, d.rate_bp,
       CAST(round(d.penalty, 2) AS DECIMAL(24,4)) AS penalty_ccy,
       CAST(round(d.penalty * coalesce(fx.rate_to_base, CASE WHEN d.currency = $base THEN 1 END), 2) AS DECIMAL(24,4))
           AS penalty_base,
       CASE WHEN list_contains($our_codes, d.reason_code) THEN 'US'
            WHEN list_contains($their_codes, d.reason_code) THEN 'COUNTERPARTY'
            ELSE 'UNKNOWN' END AS penalty_payer
FROM daily AS d
LEFT JOIN tmp_rc_fx AS fx ON fx.currency = d.currency;

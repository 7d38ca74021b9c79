-- Purpose: the bonds of the run's positions on the two valuation dates (as_of with its
--   previous business date for the coupon window, and the previous business date itself), as
--   the input of positions/bond_accrual.sql.
-- Grain: one row per (bond instrument, value_date).
-- Inputs: tmp_pos.
-- Parameters: $as_of, $prev_date (DATE).
CREATE OR REPLACE TEMP TABLE tmp_acc_in AS
WITH bonds AS (
    SELECT instrument_id, any_value(coupon_rate) AS coupon_rate, any_value(coupon_freq) AS coupon_freq,
           any_value(day_count) AS day_count, any_value(issue_date) AS issue_date,
           any_value(maturity_date) AS maturity_date
    FROM tmp_pos
    WHERE valuation = 'BOND'
    GROUP BY instrument_id
)
SELECT instrument_id AS key, CAST($as_of AS DATE) AS value_date, CAST($prev_date AS DATE) AS prev_date,
       coupon_rate, coupon_freq, day_count, issue_date, maturity_date
FROM bonds
UNION ALL
SELECT instrument_id, CAST($prev_date AS DATE), NULL, coupon_rate, coupon_freq, day_count, issue_date, maturity_date
FROM bonds;

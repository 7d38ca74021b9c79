-- Purpose: accrued interest of fixed-coupon bonds per unit of nominal (par 1) on a value date,
--   under the bond's day count, and the coupon per unit paid in (prev_date, value_date].
--   Coupon dates are generated backward from the maturity date in steps of 12/coupon_freq
--   months, unadjusted, a month end clamped to the shorter month (as QuantLib's Schedule with
--   DateGeneration.Backward, Unadjusted, endOfMonth=false). Accrual starts at the last coupon
--   date or the issue date, whichever is later. Day counts: ACT/360, ACT/365F, 30/360 (bond
--   basis, = QuantLib Thirty360.BondBasis), 30E/360 (Eurobond), ACT/ACT (ICMA: days / days in
--   the reference coupon period / frequency). A coupon is the year fraction of its own period
--   under the same day count times the rate. Matured bonds (value_date >= maturity) accrue
--   nothing; the final coupon is paid on the maturity date.
-- Grain: one row per row of tmp_acc_in with a coupon (coupon_freq > 0, maturity known).
-- Inputs: tmp_acc_in(key, value_date, prev_date, coupon_rate, coupon_freq, day_count,
--   issue_date, maturity_date); key is the caller's identifier (e.g. instrument_id).
-- Parameters: none. Output: tmp_acc_out(key, value_date, last_coupon, next_coupon,
--   accrual_start, year_fraction, accrued_per_unit, coupon_paid_per_unit).
CREATE OR REPLACE TEMP TABLE tmp_acc_out AS
WITH base AS (
    SELECT
        a.key, a.value_date, a.prev_date, a.coupon_rate, a.coupon_freq, a.issue_date, a.maturity_date,
        least(a.value_date, a.maturity_date) AS eff_date,
        CAST(12 // a.coupon_freq AS INTEGER) AS step_months,
        CASE
            WHEN a.day_count IS NULL THEN 'ACT/ACT'
            WHEN replace(upper(a.day_count), ' ', '') IN ('ACT/360', 'ACTUAL/360', 'A/360') THEN 'ACT/360'
            WHEN replace(upper(a.day_count), ' ', '') IN ('ACT/365', 'ACT/365F', 'ACT/365FIXED', 'ACTUAL/365',
                                                          'ACTUAL/365F', 'ACTUAL/365FIXED', 'A/365F') THEN 'ACT/365F'
            WHEN replace(upper(a.day_count), ' ', '') IN ('30E/360', '30/360E', 'EUROBOND', '30E/360ICMA') THEN '30E/360'
            WHEN replace(upper(a.day_count), ' ', '') LIKE '30%360%' OR upper(a.day_count) = 'BOND BASIS' THEN '30/360'
            ELSE 'ACT/ACT'
        END AS dc
    FROM tmp_acc_in AS a
    WHERE a.coupon_freq > 0 AND a.maturity_date IS NOT NULL AND a.value_date IS NOT NULL
),
stepped AS (
    SELECT *,
        ((year(maturity_date) - year(eff_date)) * 12 + month(maturity_date) - month(eff_date)) // step_months AS k0
    FROM base
),
candidates AS (
    SELECT s.key, s.value_date,
           CAST(s.maturity_date - to_months(CAST((s.k0 + j.j) * s.step_months AS INTEGER)) AS DATE) AS c,
           s.eff_date
    FROM stepped AS s CROSS JOIN (VALUES (-1), (0), (1), (2)) AS j(j)
),
periods AS (
    SELECT key, value_date,
           max(c) FILTER (WHERE c <= eff_date) AS last_coupon,
           min(c) FILTER (WHERE c > eff_date) AS next_coupon
    FROM candidates
    GROUP BY key, value_date
),
dated AS (
    SELECT
        s.*,
        p.last_coupon,
        p.next_coupon,
        CAST(p.last_coupon - to_months(s.step_months) AS DATE) AS previous_coupon
    FROM stepped AS s JOIN periods AS p ON p.key = s.key AND p.value_date = s.value_date
),
-- the two intervals to measure: accrual (accrual start -> value date) and the coupon paid on
-- last_coupon (its period start -> last_coupon), each with its reference period
intervals AS (
    SELECT key, value_date, dc, coupon_freq, 'ACCRUAL' AS what,
           CASE WHEN issue_date IS NOT NULL AND issue_date > last_coupon THEN issue_date ELSE last_coupon END AS d1,
           value_date AS d2,
           -- a short first period is measured against the notional period ending on the first
           -- coupon (first coupon minus the step), as QuantLib's ActualActual(ISMA, schedule)
           CASE WHEN issue_date IS NOT NULL AND issue_date > last_coupon
                THEN CAST(next_coupon - to_months(step_months) AS DATE) ELSE last_coupon END AS ref1,
           next_coupon AS ref2
    FROM dated
    WHERE value_date < maturity_date AND (issue_date IS NULL OR value_date >= issue_date)
    UNION ALL
    SELECT key, value_date, dc, coupon_freq, 'COUPON' AS what,
           CASE WHEN issue_date IS NOT NULL AND issue_date > previous_coupon THEN issue_date ELSE previous_coupon END AS d1,
           last_coupon AS d2, previous_coupon AS ref1, last_coupon AS ref2
    FROM dated
    WHERE prev_date IS NOT NULL AND last_coupon > prev_date AND (issue_date IS NULL OR last_coupon > issue_date)
),
fractions AS (
    SELECT key, value_date, what, d1,
        CASE dc
            WHEN 'ACT/360' THEN (d2 - d1) / 360.0
            WHEN 'ACT/365F' THEN (d2 - d1) / 365.0
            WHEN '30/360' THEN (360 * (year(d2) - year(d1)) + 30 * (month(d2) - month(d1))
                                + (CASE WHEN day(d2) = 31 AND least(day(d1), 30) = 30 THEN 30 ELSE day(d2) END)
                                - least(day(d1), 30)) / 360.0
            WHEN '30E/360' THEN (360 * (year(d2) - year(d1)) + 30 * (month(d2) - month(d1))
                                 + least(day(d2), 30) - least(day(d1), 30)) / 360.0
            ELSE (d2 - d1) / ((ref2 - ref1) * CAST(coupon_freq AS DOUBLE))
        END AS yf
    FROM intervals
)
SELECT
    d.key,
    d.value_date,
    d.last_coupon,
    d.next_coupon,
    a.d1 AS accrual_start,
    coalesce(a.yf, 0.0) AS year_fraction,
    CAST(d.coupon_rate AS DOUBLE) * coalesce(a.yf, 0.0) AS accrued_per_unit,
    CAST(d.coupon_rate AS DOUBLE) * coalesce(c.yf, 0.0) AS coupon_paid_per_unit
FROM dated AS d
LEFT JOIN fractions AS a ON a.key = d.key AND a.value_date = d.value_date AND a.what = 'ACCRUAL'
LEFT JOIN fractions AS c ON c.key = d.key AND c.value_date = d.value_date AND c.what = 'COUPON';

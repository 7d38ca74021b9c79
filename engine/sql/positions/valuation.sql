-- Purpose: the valuation of every position group on as_of (trade and settlement basis) and on
--   the previous business date (trade basis): mark, unit value (mark * multiplier), FX rate,
--   clean market value, accrued interest, the coupon received in (prev_date, as_of], and the
--   open lots' cost from the lot matcher. A group without a mark is valued at its last trade
--   price (price_source TRADE). Instruments valued from the front office's mark (MTM) carry the
--   sum of their trades' mtm (base currency) translated at the as-of rate on both dates.
-- Grain: one row per gid of tmp_pos.
-- Inputs: tmp_pos, tmp_pos_marks, tmp_pos_fx, tmp_pos_lots.
-- Parameters: none. All money is local currency, rounded to 4 decimals (DECIMAL(24,4)).
CREATE OR REPLACE TEMP TABLE tmp_pos_val AS
WITH v AS (
    SELECT
        p.gid,
        p.valuation,
        CASE WHEN p.valuation = 'MTM' THEN NULL ELSE coalesce(mt.mark, p.last_price) END AS price,
        CASE WHEN p.valuation = 'MTM' THEN 'MTM'
             WHEN mt.mark IS NOT NULL THEN mt.mark_source
             WHEN p.last_price IS NOT NULL THEN 'TRADE'
             ELSE 'NONE' END AS price_source,
        CASE WHEN p.valuation = 'MTM' THEN NULL
             WHEN mt.mark IS NOT NULL THEN mt.mark_date
             ELSE p.last_trade_date END AS price_date,
        CASE WHEN p.valuation = 'MTM' THEN NULL
             ELSE coalesce(mp.mark, p.last_price_prev, mt.mark, p.last_price) END AS price_prev,
        coalesce(mt.accrued_unit, 0.0) AS accrued_unit,
        coalesce(mp.accrued_unit, 0.0) AS accrued_unit_prev,
        coalesce(mt.coupon_unit, 0.0) AS coupon_unit,
        ft.rate_to_base AS fx_rate,
        fp.rate_to_base AS fx_rate_prev
    FROM tmp_pos AS p
    LEFT JOIN tmp_pos_marks AS mt ON mt.instrument_id = p.instrument_id AND mt.which = 'T'
    LEFT JOIN tmp_pos_marks AS mp ON mp.instrument_id = p.instrument_id AND mp.which = 'P'
    LEFT JOIN tmp_pos_fx AS ft ON ft.currency = p.currency AND ft.which = 'T'
    LEFT JOIN tmp_pos_fx AS fp ON fp.currency = p.currency AND fp.which = 'P'
),
u AS (
    SELECT
        v.*,
        CAST(v.price * p.price_multiplier AS DECIMAL(28, 14)) AS unit_value,
        CAST(v.price_prev * p.price_multiplier AS DECIMAL(28, 14)) AS unit_value_prev
    FROM v JOIN tmp_pos AS p ON p.gid = v.gid
)
SELECT
    u.*,
    -- clean market values (local)
    CAST(round(CASE WHEN u.valuation = 'MTM' THEN CAST(p.mtm AS DOUBLE) / CAST(u.fx_rate AS DOUBLE)
                    ELSE p.qty * coalesce(u.unit_value, 0) END, 4) AS DECIMAL(24, 4)) AS mv_clean,
    CAST(round(CASE WHEN u.valuation = 'MTM' THEN CAST(p.mtm_prev AS DOUBLE) / CAST(u.fx_rate AS DOUBLE)
                    ELSE p.qty_prev * coalesce(u.unit_value_prev, 0) END, 4) AS DECIMAL(24, 4)) AS mv_clean_prev,
    CAST(round(CASE WHEN u.valuation = 'MTM' THEN CAST(p.mtm_settle AS DOUBLE) / CAST(u.fx_rate AS DOUBLE)
                    ELSE p.qty_settle * coalesce(u.unit_value, 0) END, 4) AS DECIMAL(24, 4)) AS mv_clean_settle,
    -- accrued interest held (local) and the coupon received on the opening position
    CAST(round(CAST(p.qty AS DOUBLE) * u.accrued_unit, 4) AS DECIMAL(24, 4)) AS accrued,
    CAST(round(CAST(p.qty_prev AS DOUBLE) * u.accrued_unit_prev, 4) AS DECIMAL(24, 4)) AS accrued_prev,
    CAST(round(CAST(p.qty_settle AS DOUBLE) * u.accrued_unit, 4) AS DECIMAL(24, 4)) AS accrued_settle,
    CAST(round(CAST(p.qty_prev AS DOUBLE) * u.coupon_unit, 4) AS DECIMAL(24, 4)) AS coupon_cash,
    -- open lots' signed cost (local)
    CAST(round(coalesce(l.open_cost, 0.0), 4) AS DECIMAL(24, 4)) AS open_cost,
    CAST(round(coalesce(l.open_cost_prev, 0.0), 4) AS DECIMAL(24, 4)) AS open_cost_prev,
    CAST(round(coalesce(l.open_cost_settle, 0.0), 4) AS DECIMAL(24, 4)) AS open_cost_settle
FROM u
JOIN tmp_pos AS p ON p.gid = u.gid
LEFT JOIN tmp_pos_lots AS l ON l.gid = u.gid;

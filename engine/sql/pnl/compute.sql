-- Purpose: the day's P&L of every position group (trade-date basis) from the previous
--   business date to as_of, with its components and attribution, in local and base currency.
--   realised (inception to date) = open lots' cost - signed consideration of all trades
--     (lots from the book's lot method: engine.lots); the day's realised is its change;
--   unrealised (ITD) = clean market value - open lots' cost; the day's is its change;
--   carry = accrued held today - accrued held yesterday - accrued paid on the day's trades
--     + coupons received on the opening position;
--   fees = - fees of the day's trades;
--   total = realised + unrealised + carry + fees.
--   Attribution (local): new_trade = day's quantity at the close - what the day's trades
--   paid; price_move = the rest of realised + unrealised, i.e. the opening position's price
--   move (quantity_prev * (price - price_prev) * multiplier, up to rounding); carry; fees.
--   Base: every local component at the as-of rate, plus fx_move = the opening position's value
--   times the change of the FX rate (funded instruments: market value; unfunded ones - futures,
--   forwards - their unrealised P&L only; FO-marked instruments: none, they are in base already).
-- Grain: one row per gid with a position on either date or a trade in (prev_date, as_of].
-- Inputs: tmp_pos, tmp_pos_val.
-- Parameters: none.
CREATE OR REPLACE TEMP TABLE tmp_pnl AS
WITH b AS (
    SELECT
        p.gid, p.book_id, p.instrument_id, p.legal_entity_id, p.desk, p.trader, p.asset_class,
        p.currency, p.lot_method, p.valuation, p.unfunded,
        p.qty_prev, p.qty, p.qty_today, p.trades_today, p.fees_today, p.fees_itd, p.accrued_today,
        p.cons, p.cons_prev, p.cons_today, p.mtm_today,
        v.price, v.price_prev, v.unit_value, v.unit_value_prev,
        v.fx_rate, coalesce(v.fx_rate_prev, v.fx_rate) AS fx_rate_prev,
        v.mv_clean, v.mv_clean_prev, v.accrued, v.accrued_prev, v.coupon_cash,
        v.open_cost, v.open_cost_prev
    FROM tmp_pos AS p
    JOIN tmp_pos_val AS v ON v.gid = p.gid
    WHERE p.qty <> 0 OR p.qty_prev <> 0 OR p.trades_today > 0 OR p.mtm <> 0 OR p.mtm_prev <> 0
),
itd AS (
    SELECT
        b.*,
        CASE WHEN valuation = 'MTM' THEN CAST(0 AS DECIMAL(24, 4)) ELSE open_cost - cons END AS realised_itd,
        CASE WHEN valuation = 'MTM' THEN CAST(0 AS DECIMAL(24, 4)) ELSE open_cost_prev - cons_prev END AS realised_itd_prev,
        CASE WHEN valuation = 'MTM' THEN mv_clean ELSE mv_clean - open_cost END AS unrealised_itd,
        CASE WHEN valuation = 'MTM' THEN mv_clean_prev ELSE mv_clean_prev - open_cost_prev END AS unrealised_itd_prev,
        accrued - accrued_prev - accrued_today + coupon_cash AS carry,
        -fees_today AS fees_pnl,
        -cons_today - accrued_today - fees_today + coupon_cash AS cash_flow,
        CASE WHEN valuation = 'MTM'
             THEN CAST(round(CAST(mtm_today AS DOUBLE) / CAST(fx_rate AS DOUBLE), 4) AS DECIMAL(24, 4))
             ELSE CAST(round(qty_today * coalesce(unit_value, 0), 4) AS DECIMAL(24, 4)) - cons_today
        END AS new_trade
    FROM b
),
day AS (
    SELECT
        itd.*,
        realised_itd - realised_itd_prev AS realised,
        unrealised_itd - unrealised_itd_prev AS unrealised
    FROM itd
),
tot AS (
    SELECT
        day.*,
        realised + unrealised + carry + fees_pnl AS total,
        CAST(round(CAST(CASE WHEN valuation = 'MTM' THEN 0
                             WHEN unfunded THEN unrealised_itd_prev
                             ELSE mv_clean_prev + accrued_prev END AS DOUBLE)
                   * CAST(coalesce(fx_rate - fx_rate_prev, 0) AS DOUBLE), 4) AS DECIMAL(24, 4)) AS fx_move_base
    FROM day
)
SELECT
    tot.*,
    realised + unrealised - new_trade AS price_move,
    CAST(round(CAST(total AS DOUBLE) * CAST(coalesce(fx_rate, 0) AS DOUBLE), 4) AS DECIMAL(24, 4)) + fx_move_base AS total_base,
    CAST(round(CAST(new_trade AS DOUBLE) * CAST(coalesce(fx_rate, 0) AS DOUBLE), 4) AS DECIMAL(24, 4)) AS new_trade_base,
    CAST(round(CAST(carry AS DOUBLE) * CAST(coalesce(fx_rate, 0) AS DOUBLE), 4) AS DECIMAL(24, 4)) AS carry_base,
    CAST(round(CAST(fees_pnl AS DOUBLE) * CAST(coalesce(fx_rate, 0) AS DOUBLE), 4) AS DECIMAL(24, 4)) AS fees_base
FROM tot;

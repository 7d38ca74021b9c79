-- Purpose: the P&L check: total P&L (from the lots: realised + unrealised + carry + fees) =
--   change in market value (today's from out_positions, yesterday's valuation of the opening
--   position) + net cash flows of the day, recomputed here trade by trade from tmp_pos_trades
--   (consideration, accrued interest and fees of the trades in (prev_date, as_of], signed as
--   cash: paid < 0) plus coupons received. Unfunded instruments' consideration is notional cash,
--   consistent with their notional market value.
-- Grain: one row per row of tmp_pnl.
-- Inputs: tmp_pnl, out_positions, tmp_pos_trades (view), tmp_pos_val.
-- Parameters: $as_of, $prev_date (DATE), $run_id (BIGINT), $tolerance (DECIMAL).
INSERT INTO out_pnl_check
WITH cash AS (
    SELECT book_id, instrument_id,
           sum(-sign * consideration - sign * accrued - fees) AS trade_cash
    FROM tmp_pos_trades
    WHERE trade_date > $prev_date AND trade_date <= $as_of
    GROUP BY book_id, instrument_id
),
chk AS (
    SELECT
        n.book_id, n.instrument_id, n.currency, n.total,
        coalesce(o.market_value_local, 0) - (n.mv_clean_prev + n.accrued_prev) AS mv_change,
        coalesce(c.trade_cash, 0) + n.coupon_cash AS cash_flow
    FROM tmp_pnl AS n
    LEFT JOIN out_positions AS o
           ON o.as_of = $as_of AND o.basis = 'TRADE' AND o.book_id = n.book_id AND o.instrument_id = n.instrument_id
    LEFT JOIN cash AS c ON c.book_id = n.book_id AND c.instrument_id = n.instrument_id
)
SELECT
    CAST($as_of AS DATE), CAST($run_id AS BIGINT), book_id, instrument_id, currency,
    total, mv_change, cash_flow,
    total - (mv_change + cash_flow) AS difference,
    abs(total - (mv_change + cash_flow)) <= CAST($tolerance AS DECIMAL(24, 4)) AS ok
FROM chk;

-- Purpose: the trades that expose us to a counterparty on as_of, one row each:
--   SETTLING  - settles on as_of: settlement risk = what we deliver (a buy: the cash paid,
--               consideration + accrued; a sell: the securities, at market);
--   UNSETTLED - settles after as_of, or was due before and the back office still shows it
--               unsettled (latest status known on as_of not SETTLED; the settled share of
--               partial settlements is excluded): replacement cost = max(0, mark to market
--               against the trade price);
--   OTC       - derivatives: trades with a netting set or valued from the front office's
--               mark (valuation MTM), not yet ended (end_date, else settle_date, after as_of):
--               their mark (the FO's mtm in base where given, else ours against the trade
--               price), netted per netting set in the aggregate (as SA-CCR's RC).
-- Grain: one row per (trade_id, kind).
-- Inputs: tmp_pos_trades (view), tmp_pos, tmp_pos_val, bo_settlements.
-- Parameters: $as_of (DATE), $run_id (BIGINT), $use_back_office (BOOLEAN).
INSERT INTO out_counterparty_exposure_trades
WITH bo_latest AS (
    SELECT trade_ref, status, quantity, settled_quantity
    FROM bo_settlements
    WHERE known_date <= $as_of AND trade_ref IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY settlement_id ORDER BY seq DESC) = 1
),
bo AS (
    SELECT trade_ref,
           sum(CASE WHEN status = 'SETTLED' THEN coalesce(settled_quantity, quantity, 0)
                    WHEN status = 'PARTIAL' THEN coalesce(settled_quantity, 0)
                    ELSE 0 END) AS settled_qty,
           bool_and(status IN ('SETTLED', 'CANCELLED')) AS all_done,
           min(status) FILTER (WHERE status NOT IN ('SETTLED', 'CANCELLED')) AS open_status
    FROM bo_latest
    GROUP BY trade_ref
),
t AS (
    SELECT
        tr.*,
        p.legal_entity_id, p.desk, p.trader AS book_trader, p.asset_class, p.currency,
        v.unit_value, v.fx_rate,
        bo.open_status,
        CASE
            WHEN tr.valuation <> 'MTM' AND tr.settle_date = $as_of THEN 'SETTLING'
            WHEN tr.valuation = 'MTM' OR tr.netting_set_id IS NOT NULL THEN 'OTC'
            WHEN tr.settle_date > $as_of THEN 'UNSETTLED'
            WHEN $use_back_office AND bo.trade_ref IS NOT NULL AND NOT bo.all_done THEN 'UNSETTLED'
        END AS kind,
        CASE
            WHEN tr.settle_date >= $as_of OR tr.valuation = 'MTM' OR tr.netting_set_id IS NOT NULL THEN 1.0
            WHEN bo.trade_ref IS NULL THEN 0.0
            ELSE greatest(0.0, least(1.0, 1.0 - CAST(bo.settled_qty AS DOUBLE) / nullif(CAST(tr.quantity AS DOUBLE), 0)))
        END AS fraction
    FROM tmp_pos_trades AS tr
    JOIN tmp_pos AS p ON p.book_id = tr.book_id AND p.instrument_id = tr.instrument_id
    JOIN tmp_pos_val AS v ON v.gid = p.gid
    LEFT JOIN bo ON bo.trade_ref = tr.trade_id
    WHERE tr.counterparty_id IS NOT NULL
      AND (tr.settle_date >= $as_of
           OR ((tr.valuation = 'MTM' OR tr.netting_set_id IS NOT NULL)
               AND coalesce(tr.end_date, CASE WHEN tr.valuation = 'MTM' THEN NULL ELSE tr.settle_date END, $as_of + 1) > $as_of)
           OR ($use_back_office AND bo.trade_ref IS NOT NULL AND NOT bo.all_done))
),
valued AS (
    SELECT
        t.*,
        -- signed value at market of what is still to settle, and its mark against the trade price (local)
        CAST(t.sign AS DOUBLE) * CAST(t.quantity AS DOUBLE) * CAST(coalesce(t.unit_value, 0) AS DOUBLE) * t.fraction AS value_local,
        CAST(t.sign AS DOUBLE) * (CAST(t.quantity AS DOUBLE) * CAST(coalesce(t.unit_value, 0) AS DOUBLE)
                                  - CAST(t.consideration AS DOUBLE)) * t.fraction AS mtm_local,
        CASE WHEN t.sign > 0 THEN CAST(t.consideration + t.accrued AS DOUBLE)
             ELSE CAST(t.quantity AS DOUBLE) * CAST(coalesce(t.unit_value, 0) AS DOUBLE) END AS deliver_local,
        CAST(coalesce(t.fx_rate, 0) AS DOUBLE) AS fx
    FROM t
    WHERE t.kind IS NOT NULL AND t.fraction > 0
)
SELECT
    CAST($as_of AS DATE), CAST($run_id AS BIGINT),
    trade_id, version, kind, counterparty_id, netting_set_id, legal_entity_id, desk, book_id,
    coalesce(book_trader, trader), instrument_id, asset_class, currency, settle_date, open_status, fraction,
    CAST(round(CASE WHEN valuation = 'MTM' THEN CAST(mtm AS DOUBLE) ELSE value_local * fx END, 4) AS DECIMAL(24, 4)) AS value_base,
    CAST(round(CASE WHEN kind = 'OTC' AND (valuation = 'MTM' OR mtm_given) THEN CAST(mtm AS DOUBLE) ELSE mtm_local * fx END, 4) AS DECIMAL(24, 4)) AS mtm_base,
    CAST(round(CASE WHEN kind = 'UNSETTLED' THEN greatest(mtm_local * fx, 0) ELSE 0 END, 4) AS DECIMAL(24, 4)) AS replacement_cost_base,
    CAST(round(CASE WHEN kind = 'SETTLING' THEN deliver_local * fx ELSE 0 END, 4) AS DECIMAL(24, 4)) AS settlement_amount_base
FROM valued;

-- Purpose: write the as-of positions on trade-date and settlement-date basis.
-- Grain: one row per (basis, book, instrument) with a non-zero quantity (or FO mark), plus on
--   trade basis the groups traded since the previous business date (closed out today).
-- Inputs: tmp_pos, tmp_pos_val.
-- Parameters: $as_of (DATE), $run_id (BIGINT).
-- market_value_local = clean value + accrued interest (bonds); MTM instruments: the FO mark.
-- avg_cost = open lots' cost / (quantity * multiplier), in price terms; unrealised = clean
-- value - open lots' cost.
INSERT INTO out_positions
SELECT
    CAST($as_of AS DATE) AS as_of,
    CAST($run_id AS BIGINT) AS run_id,
    b.basis,
    p.position_id,
    p.legal_entity_id,
    p.desk,
    p.book_id,
    p.trader,
    p.instrument_id,
    p.isin,
    p.asset_class,
    p.currency,
    p.issuer,
    p.sector,
    p.country,
    p.valuation,
    CASE b.basis WHEN 'TRADE' THEN p.qty ELSE p.qty_settle END AS quantity,
    CASE WHEN p.valuation = 'MTM' OR (CASE b.basis WHEN 'TRADE' THEN p.qty ELSE p.qty_settle END) = 0 OR p.price_multiplier = 0 THEN NULL
         ELSE CAST(CAST(CASE b.basis WHEN 'TRADE' THEN v.open_cost ELSE v.open_cost_settle END AS DOUBLE)
                   / (CAST(CASE b.basis WHEN 'TRADE' THEN p.qty ELSE p.qty_settle END AS DOUBLE) * CAST(p.price_multiplier AS DOUBLE))
                   AS DECIMAL(24, 10)) END AS avg_cost,
    CASE WHEN p.valuation = 'MTM' THEN NULL
         ELSE CASE b.basis WHEN 'TRADE' THEN v.open_cost ELSE v.open_cost_settle END END AS cost_local,
    CAST(v.price AS DECIMAL(24, 10)) AS price,
    v.price_date,
    v.price_source,
    p.price_multiplier,
    CASE b.basis WHEN 'TRADE' THEN v.accrued ELSE v.accrued_settle END AS accrued_local,
    CASE b.basis WHEN 'TRADE' THEN v.mv_clean + v.accrued ELSE v.mv_clean_settle + v.accrued_settle END AS market_value_local,
    v.fx_rate AS fx_rate_to_base,
    CASE WHEN p.valuation = 'MTM' THEN CAST(CASE b.basis WHEN 'TRADE' THEN p.mtm ELSE p.mtm_settle END AS DECIMAL(24, 4))
         ELSE CAST(round(CAST(CASE b.basis WHEN 'TRADE' THEN v.mv_clean + v.accrued ELSE v.mv_clean_settle + v.accrued_settle END AS DOUBLE)
                         * CAST(coalesce(v.fx_rate, 0) AS DOUBLE), 4) AS DECIMAL(24, 4)) END AS market_value_base,
    CASE WHEN p.valuation = 'MTM' THEN CASE b.basis WHEN 'TRADE' THEN v.mv_clean ELSE v.mv_clean_settle END
         ELSE CASE b.basis WHEN 'TRADE' THEN v.mv_clean - v.open_cost ELSE v.mv_clean_settle - v.open_cost_settle END END AS unrealised_local,
    CASE b.basis WHEN 'TRADE' THEN p.trades ELSE p.trades_settle END AS trades,
    CASE b.basis WHEN 'TRADE' THEN p.first_trade_date ELSE p.first_settled_trade_date END AS first_trade_date,
    CASE b.basis WHEN 'TRADE' THEN p.last_trade_date ELSE p.last_settled_trade_date END AS last_trade_date
FROM tmp_pos AS p
JOIN tmp_pos_val AS v ON v.gid = p.gid
CROSS JOIN (VALUES ('TRADE'), ('SETTLE')) AS b(basis)
WHERE (b.basis = 'TRADE' AND (p.qty <> 0 OR p.trades_today > 0 OR (p.valuation = 'MTM' AND p.mtm <> 0)))
   OR (b.basis = 'SETTLE' AND p.trades_settle > 0 AND (p.qty_settle <> 0 OR (p.valuation = 'MTM' AND p.mtm_settle <> 0)));

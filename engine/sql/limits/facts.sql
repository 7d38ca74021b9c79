-- Purpose: the additive facts limits are measured on, one row per (measure, contributing
--   item) with every dimension a limit scope can name. Measures (base currency):
--   GROSS_EXPOSURE |MV|, NET_EXPOSURE and MARKET_VALUE MV, LONG_EXPOSURE max(MV, 0),
--   SHORT_EXPOSURE min(MV, 0), NOTIONAL |quantity * price * multiplier| - per position;
--   NET_FX_OPEN - per currency leg of a position (non-base currencies);
--   CURRENT_EXPOSURE - replacement cost per unsettled trade, and max(0, net mark) per OTC
--   netting set; REPLACEMENT_COST - unsettled trades only; SETTLEMENT_RISK - per trade
--   settling on the date; PNL_DAILY - the day's total P&L per (book, instrument);
--   EAD - per SA-CCR netting set. Counterparty facts carry the counterparty's parent,
--   country and sector (a scope_country/sector on a counterparty measure means the
--   counterparty's); position facts the instrument's issuer, sector and country.
-- Grain: one row per (measure, item).
-- Inputs: tmp_src_positions, tmp_fx_legs, tmp_src_cpty_trades, tmp_src_pnl, tmp_src_saccr,
--   ref_counterparties, ref_netting_sets, ref_books.
-- Parameters: $base (VARCHAR).
CREATE OR REPLACE TEMP TABLE tmp_lim_facts AS
WITH pos AS (
    SELECT p.*, CAST(p.market_value_base AS DECIMAL(24, 4)) AS mv,
           CAST(round(abs(CAST(p.quantity AS DOUBLE) * CAST(coalesce(p.price, 0) AS DOUBLE)
                          * CAST(p.price_multiplier AS DOUBLE) * CAST(coalesce(p.fx_rate_to_base, 0) AS DOUBLE)), 4)
                AS DECIMAL(24, 4)) AS notional
    FROM tmp_src_positions AS p
),
measures AS (
    SELECT * FROM (VALUES ('GROSS_EXPOSURE'), ('NET_EXPOSURE'), ('MARKET_VALUE'), ('LONG_EXPOSURE'),
                          ('SHORT_EXPOSURE'), ('NOTIONAL')) AS m(measure)
),
cp AS (
    SELECT counterparty_id, coalesce(parent_id, counterparty_id) AS parent_id, country, sector
    FROM ref_counterparties
),
otc_sets AS (
    SELECT counterparty_id, legal_entity_id, coalesce(netting_set_id, 'trade:' || trade_id) AS netting_key,
           CASE WHEN count(DISTINCT book_id) = 1 THEN min(book_id) END AS book_id,
           CASE WHEN count(DISTINCT desk) = 1 THEN min(desk) END AS desk,
           CASE WHEN count(DISTINCT trader) = 1 THEN min(trader) END AS trader,
           sum(mtm_base) AS net_mtm
    FROM tmp_src_cpty_trades
    WHERE kind = 'OTC'
    GROUP BY ALL
)
SELECT m.measure, p.legal_entity_id, p.desk, p.book_id, p.trader,
       CAST(NULL AS VARCHAR) AS counterparty_id, CAST(NULL AS VARCHAR) AS counterparty_parent,
       p.issuer, p.sector, p.country, p.currency, p.asset_class,
       CASE m.measure
           WHEN 'GROSS_EXPOSURE' THEN abs(p.mv)
           WHEN 'LONG_EXPOSURE' THEN greatest(p.mv, 0)
           WHEN 'SHORT_EXPOSURE' THEN least(p.mv, 0)
           WHEN 'NOTIONAL' THEN p.notional
           ELSE p.mv
       END AS value
FROM pos AS p CROSS JOIN measures AS m
UNION ALL
SELECT 'NET_FX_OPEN', legal_entity_id, desk, book_id, trader, NULL, NULL, issuer, sector, country,
       leg_currency, asset_class, amount_base
FROM tmp_fx_legs
WHERE leg_currency <> $base
UNION ALL
SELECT CASE t.kind WHEN 'SETTLING' THEN 'SETTLEMENT_RISK' ELSE m.measure END,
       t.legal_entity_id, t.desk, t.book_id, t.trader, t.counterparty_id, cp.parent_id,
       NULL, cp.sector, cp.country, t.currency, t.asset_class,
       CASE t.kind WHEN 'SETTLING' THEN t.settlement_amount_base ELSE t.replacement_cost_base END
FROM tmp_src_cpty_trades AS t
CROSS JOIN (VALUES ('CURRENT_EXPOSURE'), ('REPLACEMENT_COST')) AS m(measure)
LEFT JOIN cp ON cp.counterparty_id = t.counterparty_id
WHERE t.kind = 'UNSETTLED' OR (t.kind = 'SETTLING' AND m.measure = 'CURRENT_EXPOSURE')
UNION ALL
SELECT 'CURRENT_EXPOSURE', o.legal_entity_id, o.desk, o.book_id, o.trader, o.counterparty_id, cp.parent_id,
       NULL, cp.sector, cp.country, NULL, NULL, greatest(o.net_mtm, 0)
FROM otc_sets AS o
LEFT JOIN cp ON cp.counterparty_id = o.counterparty_id
UNION ALL
SELECT 'PNL_DAILY', legal_entity_id, desk, book_id, trader, NULL, NULL, NULL, NULL, NULL, currency, asset_class, total_base
FROM tmp_src_pnl
UNION ALL
SELECT 'EAD', coalesce(s.legal_entity_id, ns.legal_entity_id), NULL, NULL, NULL, s.counterparty_id, cp.parent_id,
       NULL, cp.sector, cp.country, NULL, NULL, CAST(s.ead AS DECIMAL(24, 4))
FROM tmp_src_saccr AS s
LEFT JOIN ref_netting_sets AS ns ON ns.netting_set_id = s.netting_set_id
LEFT JOIN cp ON cp.counterparty_id = s.counterparty_id;

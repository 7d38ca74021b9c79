-- Purpose: the currency legs of the positions (the input of the net open FX position and of
--   NET_FX_OPEN limits): a security's market value in its currency (funded instruments); a
--   future's or forward's unrealised P&L only (unfunded); an FX spot/forward position's two
--   legs: + quantity * multiplier in the bought currency, - the open lots' cost in the quote
--   currency. Instruments marked by the front office (MTM) have no leg (they are in base).
-- Grain: one row per (position, leg currency).
-- Inputs: tmp_src_positions (rows of out_positions, basis TRADE), ref_instruments,
--   tmp_pos_classes, tmp_pos_fx (which = 'T').
-- Parameters: none.
CREATE OR REPLACE TEMP TABLE tmp_fx_legs AS
WITH pos AS (
    SELECT
        o.*,
        CASE WHEN o.valuation = 'FX' THEN coalesce(substr(i.underlying, 1, 3), i.currency) END AS bought_currency,
        coalesce(c.unfunded, FALSE) AS unfunded
    FROM tmp_src_positions AS o
    LEFT JOIN ref_instruments AS i ON i.instrument_id = o.instrument_id
    LEFT JOIN tmp_pos_classes AS c ON c.asset_class = o.asset_class
),
legs AS (
    SELECT *, currency AS leg_currency, market_value_local AS amount_local
    FROM pos WHERE valuation NOT IN ('FX', 'MTM') AND NOT unfunded
    UNION ALL
    SELECT *, currency, coalesce(unrealised_local, 0)
    FROM pos WHERE valuation NOT IN ('FX', 'MTM') AND unfunded
    UNION ALL
    SELECT *, bought_currency, CAST(quantity * price_multiplier AS DECIMAL(24, 4))
    FROM pos WHERE valuation = 'FX' AND bought_currency IS NOT NULL
    UNION ALL
    SELECT *, currency, -coalesce(cost_local, 0)
    FROM pos WHERE valuation = 'FX'
)
SELECT
    l.legal_entity_id, l.desk, l.book_id, l.trader, l.instrument_id, l.issuer, l.sector, l.country,
    l.asset_class, l.currency AS position_currency, l.leg_currency, l.amount_local,
    fx.rate_to_base,
    CAST(round(CAST(l.amount_local AS DOUBLE) * CAST(coalesce(fx.rate_to_base, 0) AS DOUBLE), 4) AS DECIMAL(24, 4)) AS amount_base
FROM legs AS l
LEFT JOIN tmp_pos_fx AS fx ON fx.currency = l.leg_currency AND fx.which = 'T'
WHERE l.leg_currency IS NOT NULL;

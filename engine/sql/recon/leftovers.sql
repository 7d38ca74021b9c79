-- Purpose: the records no match holds after the reference pass (scratch tables tmp_rc_lfo and
-- tmp_rc_lbo), with what later passes compare: amount rounded to the currency's minor unit
-- (amount_r), signed quantity and amount (qty_s, amt_s: RECEIVE positive, DELIVER negative) and
-- business-day ordinals of the settlement and trade dates (settle_bd, trade_bd), and for a
-- settlement whether its reference names a trade we know (ref_known: a live trade it could not be
-- paired with, or a cancelled one), which keeps it out of the economic and aggregate passes.
-- Grain: one row per unmatched trade / settlement.
-- Inputs: tmp_rc_pi, tmp_rc_x, tmp_rc_gm, tmp_rc_nfo, tmp_rc_nbo, fo_trades, ref_instruments,
--   ref_currencies, tmp_rc_cal.
-- Parameters: none.
CREATE OR REPLACE TEMP TABLE tmp_rc_lfo AS
WITH ids AS (
    SELECT trade_id FROM tmp_rc_pi WHERE settlement_id IS NULL AND trade_id IS NOT NULL
    UNION
    SELECT trade_id FROM tmp_rc_x
),
free AS (
    SELECT trade_id FROM ids
    WHERE trade_id NOT IN (SELECT trade_id FROM tmp_rc_gm WHERE trade_id IS NOT NULL)
),
base AS (
    SELECT f.*, i.asset_class, i.liquidity, coalesce(i.price_multiplier, 1) AS price_multiplier,
           coalesce(c.minor_units, 2) AS minor
    FROM tmp_rc_nfo AS f
    LEFT JOIN ref_instruments AS i ON i.instrument_id = f.instrument_id
    LEFT JOIN ref_currencies AS c ON c.currency = f.currency
    WHERE f.trade_id IN (SELECT trade_id FROM free)
),
rounded AS (
    SELECT *,
           CASE minor WHEN 0 THEN round(amount, 0) WHEN 1 THEN round(amount, 1) WHEN 2 THEN round(amount, 2)
                      WHEN 3 THEN round(amount, 3) ELSE round(amount, 4) END AS amount_r,
           CAST(CASE minor WHEN 0 THEN 1 WHEN 1 THEN 0.1 WHEN 2 THEN 0.01 WHEN 3 THEN 0.001 ELSE 0.0001 END AS DECIMAL(10,4)) AS minor_unit
    FROM base
)
SELECT r.*,
       CASE r.direction WHEN 'RECEIVE' THEN r.quantity WHEN 'DELIVER' THEN -r.quantity END AS qty_s,
       CASE r.direction WHEN 'RECEIVE' THEN r.amount_r WHEN 'DELIVER' THEN -r.amount_r END AS amt_s,
       cs.bd AS settle_bd,
       ct.bd AS trade_bd
FROM rounded AS r
LEFT JOIN tmp_rc_cal AS cs ON cs.d = r.settle_date
LEFT JOIN tmp_rc_cal AS ct ON ct.d = r.trade_date;

CREATE OR REPLACE TEMP TABLE tmp_rc_lbo AS
WITH ids AS (
    SELECT settlement_id FROM tmp_rc_pi WHERE trade_id IS NULL AND settlement_id IS NOT NULL
    UNION
    SELECT settlement_id FROM tmp_rc_x
),
free AS (
    SELECT settlement_id FROM ids
    WHERE settlement_id NOT IN (SELECT settlement_id FROM tmp_rc_gm WHERE settlement_id IS NOT NULL)
),
base AS (
    SELECT b.*, coalesce(c.minor_units, 2) AS minor
    FROM tmp_rc_nbo AS b
    LEFT JOIN ref_currencies AS c ON c.currency = b.currency
    WHERE b.settlement_id IN (SELECT settlement_id FROM free)
),
rounded AS MATERIALIZED (
    SELECT *,
           CASE minor WHEN 0 THEN round(amount, 0) WHEN 1 THEN round(amount, 1) WHEN 2 THEN round(amount, 2)
                      WHEN 3 THEN round(amount, 3) ELSE round(amount, 4) END AS amount_r,
           CAST(CASE minor WHEN 0 THEN 1 WHEN 1 THEN 0.1 WHEN 2 THEN 0.01 WHEN 3 THEN 0.001 ELSE 0.0001 END AS DECIMAL(10,4)) AS minor_unit
    FROM base
)
SELECT r.*,
       CASE r.direction WHEN 'RECEIVE' THEN r.quantity WHEN 'DELIVER' THEN -r.quantity END AS qty_s,
       CASE r.direction WHEN 'RECEIVE' THEN r.amount_r WHEN 'DELIVER' THEN -r.amount_r END AS amt_s,
       cs.bd AS settle_bd,
       ct.bd AS trade_bd,
       r.trade_ref IS NOT NULL AND r.trade_ref IN (
           SELECT t.trade_id FROM fo_trades AS t WHERE t.trade_id IN (SELECT trade_ref FROM rounded)
       ) AS ref_known
FROM rounded AS r
LEFT JOIN tmp_rc_cal AS cs ON cs.d = r.settle_date
LEFT JOIN tmp_rc_cal AS ct ON ct.d = r.trade_date;

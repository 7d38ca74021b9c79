-- Purpose: the few records that later passes and the classification read in full (scratch
-- tables tmp_rc_nfo, tmp_rc_nbo): records the reference pass left unmatched, pairs with a field
-- not exactly equal or a settlement-state issue, pairs taken out of the 1:1 set (duplicate
-- references, manual decisions). One scan of each side instead of one per later query.
-- Grain: one row per trade / settlement (the columns of tmp_rc_fo but its lineage, batch_id and
-- src_line; those of tmp_rc_bo the reconciliation reads), enriched ONCE with what every later
-- step derives: amount rounded to the currency's minor unit (amount_r, minor_unit), sign (sgn:
-- RECEIVE +1, DELIVER -1), signed quantity and amount (qty_s, amt_s), business-day ordinals
-- (settle_bd, trade_bd), the signature of the compared fields (sig, the hot path's hash: a 1:1
-- match of a later pass whose two signatures are equal needs no field-by-field look), and for a
-- trade its instrument's asset class, liquidity and price multiplier; for a settlement the
-- settled quantity so far (settled_q) and its settlement state as a 1:1 match (state).
-- Records are fetched by row id (frid/brid of the reference join: cheaper than a string key);
-- manual-match members are found by id.
-- Inputs: tmp_rc_pi, tmp_rc_x, tmp_rc_manual, tmp_rc_fo, tmp_rc_bo, ref_instruments,
--   ref_currencies, tmp_rc_cal; the macros rc_settled, rc_round_minor, rc_minor_unit
--   (recon/macros.sql) and rc_sig (sqlgen.signature_macro).
-- Parameters: $as_of (DATE).
CREATE OR REPLACE TEMP TABLE tmp_rc_nfo AS
WITH f AS (
    SELECT f.* EXCLUDE (batch_id, src_line)
    FROM tmp_rc_fo AS f
    WHERE f.rowid IN (
        SELECT frid FROM tmp_rc_pi WHERE frid IS NOT NULL AND (brid IS NULL OR mask <> 0)
        UNION ALL SELECT frid FROM tmp_rc_x
        UNION ALL SELECT m.rowid FROM tmp_rc_fo AS m
                  WHERE m.trade_id IN (SELECT trade_id FROM tmp_rc_manual WHERE trade_id IS NOT NULL)
    )
),
r AS (
    SELECT f.*, i.asset_class, i.liquidity, coalesce(i.price_multiplier, 1) AS price_multiplier,
           CASE f.direction WHEN 'RECEIVE' THEN 1 WHEN 'DELIVER' THEN -1 END AS sgn,
           rc_round_minor(f.amount, coalesce(c.minor_units, 2)) AS amount_r,
           rc_minor_unit(coalesce(c.minor_units, 2)) AS minor_unit
    FROM f
    LEFT JOIN ref_instruments AS i ON i.instrument_id = f.instrument_id
    LEFT JOIN ref_currencies AS c ON c.currency = f.currency
)
SELECT r.*,
       CASE r.direction WHEN 'RECEIVE' THEN r.quantity WHEN 'DELIVER' THEN -r.quantity END AS qty_s,
       CASE r.direction WHEN 'RECEIVE' THEN r.amount_r WHEN 'DELIVER' THEN -r.amount_r END AS amt_s,
       cs.bd AS settle_bd, ct.bd AS trade_bd,
       rc_sig(r.isin, r.direction, r.currency, r.quantity, r.price, r.amount, r.settle_date, r.trade_date,
              r.place_of_settlement, r.counterparty_id, r.account_id) AS sig
FROM r
LEFT JOIN tmp_rc_cal AS cs ON cs.d = r.settle_date
LEFT JOIN tmp_rc_cal AS ct ON ct.d = r.trade_date;

CREATE OR REPLACE TEMP TABLE tmp_rc_nbo AS
WITH b AS (
    SELECT b.settlement_id, b.trade_ref, b.isin, b.direction, b.currency, b.quantity, b.price, b.amount,
           b.settle_date, b.trade_date, b.place_of_settlement, b.counterparty_id, b.account_id, b.custodian,
           b.status, b.reason_code, b.reason_text, b.settled_quantity
    FROM tmp_rc_bo AS b
    WHERE b.rowid IN (
        SELECT brid FROM tmp_rc_pi WHERE brid IS NOT NULL AND (frid IS NULL OR mask <> 0)
        UNION ALL SELECT brid FROM tmp_rc_x
        UNION ALL SELECT m.rowid FROM tmp_rc_bo AS m
                  WHERE m.settlement_id IN (SELECT settlement_id FROM tmp_rc_manual WHERE settlement_id IS NOT NULL)
    )
),
r AS (
    SELECT b.*,
           CASE b.direction WHEN 'RECEIVE' THEN 1 WHEN 'DELIVER' THEN -1 END AS sgn,
           rc_round_minor(b.amount, coalesce(c.minor_units, 2)) AS amount_r,
           rc_minor_unit(coalesce(c.minor_units, 2)) AS minor_unit,
           rc_settled(b.status, b.settled_quantity, b.quantity) AS settled_q
    FROM b
    LEFT JOIN ref_currencies AS c ON c.currency = b.currency
)
SELECT r.*,
       CASE r.direction WHEN 'RECEIVE' THEN r.quantity WHEN 'DELIVER' THEN -r.quantity END AS qty_s,
       CASE r.direction WHEN 'RECEIVE' THEN r.amount_r WHEN 'DELIVER' THEN -r.amount_r END AS amt_s,
       cs.bd AS settle_bd, ct.bd AS trade_bd,
       rc_sig(r.isin, r.direction, r.currency, r.quantity, r.price, r.amount, r.settle_date, r.trade_date,
              r.place_of_settlement, r.counterparty_id, r.account_id) AS sig,
       CASE
           WHEN r.status = 'FAILING' THEN 'FAILING'
           WHEN r.status = 'PARTIAL' OR (r.status = 'SETTLED' AND r.settled_q < r.quantity) THEN 'PARTIAL'
           WHEN r.status = 'SETTLED' THEN 'SETTLED'
           WHEN r.settle_date < $as_of THEN 'PENDING_PAST_ISD'
           ELSE 'PENDING'
       END AS state
FROM r
LEFT JOIN tmp_rc_cal AS cs ON cs.d = r.settle_date
LEFT JOIN tmp_rc_cal AS ct ON ct.d = r.trade_date;

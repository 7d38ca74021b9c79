-- Purpose: the front-office side of the reconciliation: live trades as of the run date whose
-- instrument settles at a custodian (scratch table tmp_rc_fo: only the columns the reconciliation
-- reads), with the compared fields named as on the back-office side. Instrument attributes
-- (asset class, liquidity, price multiplier) are joined only where a few rows need them.
-- Grain: one row per live trade (trade_id unique).
-- Inputs: tmp_trades_asof (the run's first step), ref_instruments, tmp_rc_scope (asset classes
-- in scope, filled from [reconciliation].scope_asset_classes).
-- Parameters: none.
-- direction: BUY -> RECEIVE (we receive securities), SELL -> DELIVER. amount = net_amount.
-- isin: the trade's ISIN, else its instrument id (which is the ISIN where the instrument has one).
-- A trade whose instrument is not in ref_instruments is in scope when it carries an ISIN.
CREATE OR REPLACE TEMP TABLE tmp_rc_scope_ids AS
SELECT instrument_id FROM ref_instruments WHERE asset_class IN (SELECT asset_class FROM tmp_rc_scope);

CREATE OR REPLACE TEMP TABLE tmp_rc_fo AS
SELECT t.trade_id,
       coalesce(t.isin, t.instrument_id) AS isin,
       CASE t.side WHEN 'BUY' THEN 'RECEIVE' WHEN 'SELL' THEN 'DELIVER' ELSE t.side END AS direction,
       t.currency,
       t.quantity,
       t.price,
       t.net_amount AS amount,
       t.settle_date,
       t.trade_date,
       t.place_of_settlement,
       t.counterparty_id,
       t.account_id,
       t.block_id,
       t.book_id,
       t.instrument_id,
       t.batch_id,
       t.src_line
FROM tmp_trades_asof AS t
WHERE t.instrument_id IN (SELECT instrument_id FROM tmp_rc_scope_ids)
   OR (t.isin IS NOT NULL AND t.instrument_id NOT IN (SELECT instrument_id FROM ref_instruments));

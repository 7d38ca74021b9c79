-- Purpose: today's securities breaks with their CSDR penalties, in out_breaks' columns (view
-- tmp_life_cur, the input of life_publish).
-- Grain: one row per break. Inputs: tmp_rc_breaks, tmp_rc_pen. Parameters: none.
CREATE OR REPLACE TEMP VIEW tmp_life_cur AS
SELECT b.break_id, b.category, b.kind, b.break_type, b.iso_code, b.side, b.anchor, b.match_id, b.pass_name,
       b.trade_id, b.settlement_id, b.movement_id, b.trade_ids, b.settlement_ids, b.n_fields, b.fields,
       b.isin, b.instrument_id, b.asset_class, b.book_id, b.counterparty_id, b.custodian, b.account_id,
       b.direction, b.currency, b.quantity_fo, b.quantity_bo, b.amount_fo, b.amount_bo, b.amount_diff,
       b.amount_base, b.trade_date, b.intended_settle_date, b.settle_status, b.reason_code,
       b.settled_quantity, b.remaining_quantity, b.days_past_isd,
       p.days_failing, p.rate_bp AS penalty_rate_bp, p.penalty_ccy, p.penalty_base, p.penalty_payer,
       b.detail
FROM tmp_rc_breaks AS b
LEFT JOIN tmp_rc_pen AS p USING (break_id);

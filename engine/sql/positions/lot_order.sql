-- Purpose: the execution order of the live trades per position group: the trades' row ids in
--   tmp_trades_asof, sorted by gid, trade_date, trade_id (execution order within a day is the
--   trade id's order). Only the sort keys are sorted; the trades' numbers are read unsorted
--   (positions/lot_input.sql) and put in this order in numpy.
-- Grain: one row per live trade.
-- Inputs: tmp_trades_asof, tmp_pos_keys. Parameters: none.
SELECT t.rowid AS rid, k.gid
FROM tmp_trades_asof AS t
JOIN tmp_pos_keys AS k ON k.book_id = t.book_id AND k.instrument_id = t.instrument_id
ORDER BY k.gid, t.trade_date, t.trade_id;

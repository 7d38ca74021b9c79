-- Purpose: the day's P&L attribution in base currency (the waterfall): new trades, price move,
--   FX move, carry, fees; they add up to the total.
-- Grain: one row. Inputs: out_pnl_attribution, ref_books (for the legal entity / desk filters).
-- Parameters: $as_of DATE, $legal_entities/$desks/$books VARCHAR[] (empty = all).
SELECT sum(a.new_trade_base) AS new_trade, sum(a.price_move_base) AS price_move,
       sum(a.fx_move_base) AS fx_move, sum(a.carry_base) AS carry, sum(a.fees_base) AS fees,
       sum(a.total_base) AS total
FROM out_pnl_attribution AS a
LEFT JOIN ref_books AS b USING (book_id)
WHERE a.as_of = $as_of
  AND (len($legal_entities::VARCHAR[]) = 0 OR list_contains($legal_entities::VARCHAR[], b.legal_entity_id))
  AND (len($desks::VARCHAR[]) = 0 OR list_contains($desks::VARCHAR[], b.desk))
  AND (len($books::VARCHAR[]) = 0 OR list_contains($books::VARCHAR[], a.book_id))

-- Purpose: reconcile the front office's P&L (fo_pnl, by book and date) with the computed P&L:
--   the sum of total_base per book translated to the FO row's currency at the as-of rate.
--   MATCH within tolerance = max(abs_tolerance, rel_tolerance * |fo_pnl|); DIFF beyond it;
--   FO_ONLY: a book the FO reports and the run has no P&L for; COMPUTED_ONLY: a book with P&L
--   that the FO did not report (only when the FO reported some book for the date).
-- Grain: one row per book in either side for as_of.
-- Inputs: fo_pnl, out_pnl, tmp_pos_fx.
-- Parameters: $as_of (DATE), $run_id (BIGINT), $base (VARCHAR), $abs_tolerance, $rel_tolerance (DOUBLE).
INSERT INTO out_fo_pnl_recon
WITH fo AS (
    SELECT book_id, currency, pnl FROM fo_pnl WHERE pnl_date = $as_of
),
mine AS (
    SELECT book_id, sum(total_base) AS total_base FROM out_pnl WHERE as_of = $as_of GROUP BY book_id
),
joined AS (
    SELECT
        coalesce(fo.book_id, mine.book_id) AS book_id,
        coalesce(fo.currency, $base) AS currency,
        fo.pnl AS fo_pnl,
        CASE WHEN mine.book_id IS NULL THEN NULL
             ELSE CAST(round(CAST(mine.total_base AS DOUBLE) / CAST(fx.rate_to_base AS DOUBLE), 4) AS DECIMAL(24, 4)) END AS computed_pnl,
        fo.book_id IS NOT NULL AS on_fo,
        mine.book_id IS NOT NULL AS on_mine
    FROM fo
    FULL OUTER JOIN mine ON mine.book_id = fo.book_id
    LEFT JOIN tmp_pos_fx AS fx ON fx.currency = coalesce(fo.currency, $base) AND fx.which = 'T'
)
SELECT
    CAST($as_of AS DATE), CAST($run_id AS BIGINT), book_id, currency, fo_pnl, computed_pnl,
    fo_pnl - computed_pnl AS difference,
    CAST(greatest(CAST($abs_tolerance AS DOUBLE), CAST($rel_tolerance AS DOUBLE) * abs(CAST(coalesce(fo_pnl, 0) AS DOUBLE))) AS DECIMAL(24, 4)) AS tolerance,
    CASE
        WHEN on_fo AND NOT on_mine THEN 'FO_ONLY'
        WHEN on_mine AND NOT on_fo THEN 'COMPUTED_ONLY'
        WHEN abs(CAST(fo_pnl - computed_pnl AS DOUBLE)) <= greatest(CAST($abs_tolerance AS DOUBLE), CAST($rel_tolerance AS DOUBLE) * abs(CAST(fo_pnl AS DOUBLE))) THEN 'MATCH'
        ELSE 'DIFF'
    END AS status
FROM joined
WHERE EXISTS (SELECT 1 FROM fo);

-- Purpose: the break list of the workbench and of exports: the date's breaks (published
-- snapshot) with their workflow state (tmp_wf_overlay, computed from the workflow store) and the
-- user's filters, in a stable column order.
-- Grain: one row per break of out_breaks at $as_of that passes the filters.
-- Inputs: out_breaks, tmp_wf_overlay (registered frame). Parameters (NULL = no filter):
--   $as_of (DATE), $status (OPEN | RESOLVED | PENDING_APPROVAL | MATCH_PENDING | NEW | PERSISTING |
--   ACTIVE = not RESOLVED), $types (VARCHAR[]: break types, kinds or categories), $min_age, $max_age
--   (INTEGER, business days since first seen), $counterparty, $custodian, $isin, $assignee
--   (VARCHAR), $limit, $offset (INTEGER).
WITH b AS (
    SELECT o.*, w.last_status_event, w.last_status_id, w.resolution_code, w.manual_match_id, w.match_event_id,
           w.pending_event_id, w.pending_action, w.assignee, w.reason, w.last_comment,
           coalesce(w.n_comments, 0) AS n_comments, w.last_action_at
    FROM out_breaks AS o
    LEFT JOIN tmp_wf_overlay AS w USING (break_id)
    WHERE o.as_of = $as_of
),
s AS (
    SELECT b.*,
           CASE
               WHEN pending_event_id IS NOT NULL AND pending_event_id > coalesce(last_status_id, 0) THEN 'PENDING_APPROVAL'
               WHEN match_event_id IS NOT NULL AND match_event_id > coalesce(last_status_id, 0)
                    AND lifecycle <> 'RESOLVED' THEN 'MATCH_PENDING'
               WHEN last_status_event IN ('RESOLVE', 'AUTO_RESOLVED') THEN 'RESOLVED'
               WHEN last_status_event IN ('REOPEN', 'AUTO_REOPENED') THEN 'OPEN'
               WHEN lifecycle = 'RESOLVED' THEN 'RESOLVED'
               ELSE 'OPEN'
           END AS status
    FROM b
)
SELECT break_id, as_of, status, lifecycle, category, break_type, iso_code, side, age_days, age_bucket,
       first_seen, days_past_isd, isd_age_bucket, trade_id, settlement_id, movement_id, match_id, pass_name,
       isin, counterparty_id, custodian, account_id, book_id, direction, currency,
       quantity_fo, quantity_bo, amount_fo, amount_bo, amount_diff, amount_base, trade_date,
       intended_settle_date, settle_status, reason_code, settled_quantity, remaining_quantity, days_failing,
       penalty_rate_bp, penalty_ccy, penalty_base, penalty_payer, n_fields, fields, assignee, reason,
       resolution_code, last_comment, n_comments, pending_event_id, pending_action, manual_match_id,
       last_action_at, detail, kind, anchor, trade_ids, settlement_ids
FROM s
WHERE ($status IS NULL OR status = $status OR lifecycle = $status OR ($status = 'ACTIVE' AND status <> 'RESOLVED'))
  AND ($types IS NULL OR list_contains($types, break_type) OR list_contains($types, kind) OR list_contains($types, category))
  AND ($min_age IS NULL OR age_days >= $min_age)
  AND ($max_age IS NULL OR age_days <= $max_age)
  AND ($counterparty IS NULL OR counterparty_id = $counterparty)
  AND ($custodian IS NULL OR custodian = $custodian)
  AND ($isin IS NULL OR isin = $isin)
  AND ($assignee IS NULL OR assignee = $assignee)
ORDER BY CASE status WHEN 'RESOLVED' THEN 1 ELSE 0 END, age_days DESC, amount_base DESC NULLS LAST, break_id
LIMIT $limit OFFSET $offset;

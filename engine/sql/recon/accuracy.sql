-- Purpose: detection accuracy of the reconciliation against a generator's ground truth.
-- A truth break is detected when a break of the same kind holds its record: CMIS_FO_ONLY ->
-- UNMATCHED_FO on the trade; CMIS_BO_ONLY -> UNMATCHED_BO on the settlement; a field class ->
-- MISMATCH holding the trade or the settlement; FAILING / PARTIAL / PENDING_PAST_ISD ->
-- SETTLEMENT holding them; CASH_MISSING -> CASH_MISSING on the settlement; other CASH_* ->
-- CASH_MISMATCH holding the settlement or the statement entry. Its class is right when the
-- detected break's type is the truth's class.
-- Grain: one row per (truth break, reported break) pair, plus unmatched rows of either side
-- (truth_id or break_id NULL).
-- Inputs: tmp_acc_truth (the truth CSV, registered), out_breaks. Parameters: $as_of (DATE).
WITH truth AS (
    SELECT t.break_id AS truth_id, t.break_class, t.trade_id, t.settlement_id, t.movement_id,
           CASE
               WHEN t.break_class = 'CMIS_FO_ONLY' THEN 'UNMATCHED_FO'
               WHEN t.break_class = 'CMIS_BO_ONLY' THEN 'UNMATCHED_BO'
               WHEN t.break_class IN ('FAILING', 'PARTIAL', 'PENDING_PAST_ISD') THEN 'SETTLEMENT'
               WHEN t.break_class = 'CASH_MISSING' THEN 'CASH_MISSING'
               WHEN t.break_class = 'CASH_UNEXPECTED' THEN 'CASH_UNEXPECTED'
               WHEN t.break_class LIKE 'CASH_%' THEN 'CASH_MISMATCH'
               ELSE 'MISMATCH'
           END AS kind
    FROM tmp_acc_truth AS t
),
ours AS (
    SELECT break_id, kind, break_type, trade_ids, settlement_ids, movement_id, trade_id, settlement_id
    FROM out_breaks
    WHERE as_of = $as_of AND lifecycle <> 'RESOLVED'
),
pairs AS (
    SELECT t.truth_id, o.break_id
    FROM truth AS t
    JOIN ours AS o ON o.kind = t.kind AND (
           (t.kind = 'UNMATCHED_FO' AND o.trade_id = t.trade_id)
        OR (t.kind IN ('UNMATCHED_BO', 'CASH_MISSING') AND o.settlement_id = t.settlement_id)
        OR (t.kind = 'CASH_UNEXPECTED' AND o.movement_id = t.movement_id)
        OR (t.kind IN ('MISMATCH', 'SETTLEMENT', 'CASH_MISMATCH')
            AND (list_contains(o.trade_ids, t.trade_id) OR list_contains(o.settlement_ids, t.settlement_id)
                 OR (t.movement_id IS NOT NULL AND o.movement_id = t.movement_id)))
    )
)
SELECT t.truth_id, t.break_class AS truth_class, t.kind AS truth_kind, t.trade_id, t.settlement_id,
       o.break_id, o.kind AS our_kind, o.break_type AS our_class,
       coalesce(o.break_type = t.break_class, FALSE) AS class_right
FROM truth AS t
LEFT JOIN pairs AS p USING (truth_id)
LEFT JOIN ours AS o ON o.break_id = p.break_id
UNION ALL
SELECT NULL, NULL, NULL, o.trade_id, o.settlement_id, o.break_id, o.kind, o.break_type, FALSE
FROM ours AS o
WHERE o.break_id NOT IN (SELECT break_id FROM pairs)
ORDER BY 1 NULLS LAST, 6;

-- Purpose: persist the date's matches, differing fields and suggestions of the securities
-- reconciliation (the date's previous rows are replaced).
-- Grain: out_recon_matches one row per matched record (a 1:1 match one row with both ids);
--   out_break_fields one row per (MISMATCH break, field); out_suggestions one per candidate.
-- Inputs: tmp_rc_bo, tmp_rc_pi, tmp_rc_x, tmp_rc_ps, tmp_rc_pc, tmp_rc_gm, tmp_rc_fd, tmp_rc_fdm, tmp_rc_breaks, tmp_rc_sugg.
-- Parameters: $as_of (DATE), $run_id (BIGINT), $ref_pass (VARCHAR).
DELETE FROM out_recon_matches WHERE as_of = $as_of;
DELETE FROM out_break_fields WHERE as_of = $as_of AND category = 'MATCHING';
DELETE FROM out_suggestions WHERE as_of = $as_of;

-- 1:1 reference pairs exactly equal on every compared field (the bulk). The reference join did
-- not write them (passes.py): each settlement is in one row of the join, so they are the
-- settlements in neither tmp_rc_pi (unmatched, or a non-zero mask) nor tmp_rc_x, with the trade
-- their reference names; plus the pairs whose only issue is the settlement state (tmp_rc_ps).
INSERT INTO out_recon_matches
SELECT $as_of, $run_id, 'T:' || b.trade_ref, $ref_pass, 'REFERENCE', b.trade_ref, b.settlement_id, 1, 1, TRUE
FROM tmp_rc_bo AS b
WHERE b.rowid NOT IN (SELECT brid FROM tmp_rc_pi WHERE brid IS NOT NULL UNION ALL SELECT brid FROM tmp_rc_x)
UNION ALL
SELECT $as_of, $run_id, 'T:' || s.trade_id, $ref_pass, 'REFERENCE', s.trade_id, s.settlement_id, 1, 1, TRUE
FROM tmp_rc_ps AS s;

-- 1:1 reference pairs with a field not exactly equal: clean when every difference is within tolerance
INSERT INTO out_recon_matches
SELECT $as_of, $run_id, 'T:' || c.trade_id, $ref_pass, 'REFERENCE', c.trade_id, c.settlement_id, 1, 1,
       'T:' || c.trade_id NOT IN (SELECT match_id FROM tmp_rc_fdm)
FROM tmp_rc_pc AS c
WHERE (c.mask & 32767) <> 0;

-- every other match: one row if 1:1, else one row per member
INSERT INTO out_recon_matches
WITH g AS (
    SELECT match_id, any_value(pass_name) AS pass_name, any_value(method) AS method,
           CAST(count(trade_id) AS INTEGER) AS nt, CAST(count(settlement_id) AS INTEGER) AS ns,
           min(trade_id) AS t, min(settlement_id) AS s
    FROM tmp_rc_gm
    GROUP BY match_id
),
clean AS (
    SELECT g.*, g.match_id NOT IN (SELECT match_id FROM tmp_rc_fdm) AS is_clean FROM g
)
SELECT $as_of, $run_id, c.match_id, c.pass_name, c.method, c.t, c.s, c.nt, c.ns, c.is_clean
FROM clean AS c WHERE c.nt = 1 AND c.ns = 1
UNION ALL
SELECT $as_of, $run_id, c.match_id, c.pass_name, c.method, m.trade_id, m.settlement_id, c.nt, c.ns, c.is_clean
FROM clean AS c JOIN tmp_rc_gm AS m USING (match_id)
WHERE NOT (c.nt = 1 AND c.ns = 1);

INSERT INTO out_break_fields
SELECT $as_of, $run_id, b.break_id, 'MATCHING', f.field, f.iso_code, f.precedence, f.fo_value, f.bo_value,
       f.difference, f.diff_num, f.tolerance
FROM tmp_rc_fd AS f
JOIN tmp_rc_breaks AS b ON b.match_id = f.match_id AND b.kind = 'MISMATCH';

INSERT INTO out_suggestions
SELECT $as_of, $run_id, break_id, side, record_id, candidate_id, candidate_break_id, rank, score, differing_fields
FROM tmp_rc_sugg;

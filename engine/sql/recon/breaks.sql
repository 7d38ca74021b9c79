-- Purpose: the breaks of the run (scratch table tmp_rc_breaks), before lifecycle and penalties:
--   MISMATCH     a match with at least one field out of tolerance (type: the first differing
--                class by precedence; every differing field is in tmp_rc_fd / tmp_rc_fdm);
--   SETTLEMENT   a match whose settlement is FAILING, PARTIAL or PENDING_PAST_ISD;
--   UNMATCHED_FO a trade without any settlement (CMIS, front office only), once fo_only_grace
--                business days have passed since its trade date;
--   UNMATCHED_BO a settlement without any trade (CMIS, back office only).
-- break_id is stable across runs and readable: 'BRK-' + a code of the kind (FO, BO, MM, ST) + '-' +
-- the anchor record: the lowest trade id for anything holding a trade, else the settlement id
-- (e.g. BRK-MM-T000123: a mismatch on trade T000123; BRK-BO-S77: settlement S77 without trade).
-- Grain: one row per break.
-- Inputs: tmp_rc_fdm, tmp_rc_sfo, tmp_rc_sbo, tmp_rc_ps, tmp_rc_gs, tmp_rc_nfo, tmp_rc_nbo,
--   tmp_rc_lfo, tmp_rc_lbo, ref_instruments, ref_currencies, tmp_rc_cal, tmp_rc_fx; the macro
--   rc_settlement_break and rc_amount_base (recon/macros.sql).
-- Parameters: $as_of (DATE), $grace (INTEGER), $base (VARCHAR, base currency), $ref_pass (VARCHAR).
CREATE OR REPLACE TEMP TABLE tmp_rc_breaks AS
WITH run_day AS (
    SELECT bd FROM tmp_rc_cal WHERE d = $as_of
),
fd AS (
    SELECT match_id, iso_code, n_fields, fields, detail FROM tmp_rc_fdm
),
matched AS MATERIALIZED (
    SELECT f.match_id, f.pass_name, f.first_id AS trade_id, b.first_id AS settlement_id,
           f.ids AS trade_ids, b.ids AS settlement_ids,
           f.isin, f.instrument_id, f.asset_class, f.book_id, f.counterparty_id, b.custodian,
           coalesce(f.account_id, b.account_id) AS account_id, f.direction, f.currency,
           f.quantity AS quantity_fo, b.quantity AS quantity_bo,
           f.amount_r AS amount_fo, b.amount_r AS amount_bo,
           f.trade_date, coalesce(b.isd, f.settle_date) AS intended_settle_date,
           b.status AS bo_status, b.state, b.reason_code, b.reason_text,
           b.settled_quantity, b.instructed_quantity, b.instructed_amount,
           f.liquidity AS x_liquidity, f.price_multiplier AS x_multiplier, coalesce(f.price, b.price) AS x_price
    FROM tmp_rc_sfo AS f
    JOIN (
        -- the few matches with a break, before the join (an OR with a subquery is not pushed down)
        SELECT * FROM tmp_rc_sbo
        WHERE rc_settlement_break(state)
           OR match_id IN (SELECT match_id FROM tmp_rc_fdm)
    ) AS b USING (match_id)
),
mism AS (
    SELECT 'MATCHING' AS category, 'MISMATCH' AS kind, fd.iso_code AS break_type, fd.iso_code, 'BOTH' AS side,
           'T:' || m.trade_id AS anchor, m.*, fd.n_fields, fd.fields, fd.detail
    FROM fd JOIN matched AS m USING (match_id)
),
state_only AS (
    -- 1:1 matches whose fields are all equal (hot pairs of tmp_rc_ps, other passes' tmp_rc_gs):
    -- read the two records directly (no summaries); sett keeps those whose state is a break
    SELECT p.match_id, p.pass_name, p.trade_id, p.settlement_id,
           [p.trade_id] AS trade_ids, [p.settlement_id] AS settlement_ids,
           f.isin, f.instrument_id, f.asset_class, f.book_id, f.counterparty_id, b.custodian,
           coalesce(f.account_id, b.account_id) AS account_id, f.direction, f.currency,
           f.quantity AS quantity_fo, b.quantity AS quantity_bo,
           f.amount_r AS amount_fo, b.amount_r AS amount_bo,
           f.trade_date, coalesce(b.settle_date, f.settle_date) AS intended_settle_date,
           b.status AS bo_status, b.state, b.reason_code, b.reason_text,
           b.settled_q AS settled_quantity,
           b.quantity AS instructed_quantity, b.amount AS instructed_amount,
           f.liquidity AS x_liquidity, f.price_multiplier AS x_multiplier,
           coalesce(f.price, b.price) AS x_price
    FROM (
        SELECT 'T:' || trade_id AS match_id, $ref_pass AS pass_name, trade_id, settlement_id FROM tmp_rc_ps
        UNION ALL
        SELECT match_id, pass_name, trade_id, settlement_id FROM tmp_rc_gs
    ) AS p
    JOIN tmp_rc_nfo AS f ON f.trade_id = p.trade_id
    JOIN tmp_rc_nbo AS b ON b.settlement_id = p.settlement_id
),
sett AS (
    SELECT 'SETTLEMENT' AS category, 'SETTLEMENT' AS kind, m.state AS break_type, m.reason_code AS iso_code,
           'BOTH' AS side, 'T:' || m.trade_id AS anchor, m.*, 0 AS n_fields, CAST(NULL AS VARCHAR) AS fields,
           m.state || ' ' || coalesce(m.reason_code, '') || coalesce(' ' || m.reason_text, '')
             || ': settled ' || CAST(m.settled_quantity AS VARCHAR) || ' of ' || CAST(m.instructed_quantity AS VARCHAR)
             AS detail
    FROM (SELECT * FROM matched UNION ALL BY NAME SELECT * FROM state_only) AS m
    WHERE rc_settlement_break(m.state)
),
fo_only AS (
    SELECT 'MATCHING' AS category, 'UNMATCHED_FO' AS kind, 'CMIS_FO_ONLY' AS break_type, 'CMIS' AS iso_code,
           'FO_ONLY' AS side, 'T:' || l.trade_id AS anchor, CAST(NULL AS VARCHAR) AS match_id,
           CAST(NULL AS VARCHAR) AS pass_name, l.trade_id, CAST(NULL AS VARCHAR) AS settlement_id,
           [l.trade_id] AS trade_ids, CAST([] AS VARCHAR[]) AS settlement_ids,
           l.isin, l.instrument_id, l.asset_class, l.book_id, l.counterparty_id, CAST(NULL AS VARCHAR) AS custodian,
           l.account_id, l.direction, l.currency, l.quantity AS quantity_fo, CAST(NULL AS DECIMAL(24,6)) AS quantity_bo,
           l.amount_r AS amount_fo, CAST(NULL AS DECIMAL(24,4)) AS amount_bo, l.trade_date,
           l.settle_date AS intended_settle_date, CAST(NULL AS VARCHAR) AS bo_status, CAST(NULL AS VARCHAR) AS state,
           CAST(NULL AS VARCHAR) AS reason_code, CAST(NULL AS VARCHAR) AS reason_text,
           CAST(NULL AS DECIMAL(24,6)) AS settled_quantity, CAST(NULL AS DECIMAL(24,6)) AS instructed_quantity,
           CAST(NULL AS DECIMAL(24,4)) AS instructed_amount,
           l.liquidity AS x_liquidity, l.price_multiplier AS x_multiplier, l.price AS x_price,
           0 AS n_fields, CAST(NULL AS VARCHAR) AS fields,
           'no back-office record for trade ' || l.trade_id AS detail
    FROM tmp_rc_lfo AS l, run_day
    WHERE l.trade_bd IS NULL OR run_day.bd - l.trade_bd >= $grace
),
bo_only AS (
    SELECT 'MATCHING' AS category, 'UNMATCHED_BO' AS kind, 'CMIS_BO_ONLY' AS break_type, 'CMIS' AS iso_code,
           'BO_ONLY' AS side, 'S:' || l.settlement_id AS anchor, CAST(NULL AS VARCHAR) AS match_id,
           CAST(NULL AS VARCHAR) AS pass_name, CAST(NULL AS VARCHAR) AS trade_id, l.settlement_id,
           CAST([] AS VARCHAR[]) AS trade_ids, [l.settlement_id] AS settlement_ids,
           l.isin, CAST(NULL AS VARCHAR) AS instrument_id, CAST(NULL AS VARCHAR) AS asset_class,
           CAST(NULL AS VARCHAR) AS book_id, l.counterparty_id, l.custodian,
           l.account_id, l.direction, l.currency, CAST(NULL AS DECIMAL(24,6)) AS quantity_fo, l.quantity AS quantity_bo,
           CAST(NULL AS DECIMAL(24,4)) AS amount_fo, l.amount_r AS amount_bo, l.trade_date,
           l.settle_date AS intended_settle_date, l.status AS bo_status, l.status AS state,
           l.reason_code, l.reason_text, l.settled_quantity, l.quantity AS instructed_quantity,
           l.amount AS instructed_amount,
           CAST(NULL AS VARCHAR) AS x_liquidity, CAST(NULL AS DECIMAL(18,6)) AS x_multiplier, l.price AS x_price,
           0 AS n_fields, CAST(NULL AS VARCHAR) AS fields,
           'no front-office trade for settlement ' || l.settlement_id
             || coalesce(' (reference ' || l.trade_ref || ')', '') AS detail
    FROM tmp_rc_lbo AS l
),
allb AS (
    SELECT * FROM mism
    UNION ALL BY NAME SELECT * FROM sett
    UNION ALL BY NAME SELECT * FROM fo_only
    UNION ALL BY NAME SELECT * FROM bo_only
)
SELECT 'BRK-' || CASE a.kind WHEN 'UNMATCHED_FO' THEN 'FO' WHEN 'UNMATCHED_BO' THEN 'BO' WHEN 'MISMATCH' THEN 'MM' WHEN 'SETTLEMENT' THEN 'ST' WHEN 'CASH_MISSING' THEN 'CM' WHEN 'CASH_UNEXPECTED' THEN 'CU' ELSE 'CD' END || '-' || substr(a.anchor, 3) AS break_id,
       a.category, a.kind, a.break_type, a.iso_code, a.side, a.anchor, a.match_id, a.pass_name,
       a.trade_id, a.settlement_id, CAST(NULL AS VARCHAR) AS movement_id, a.trade_ids, a.settlement_ids,
       a.n_fields, a.fields, a.isin, a.instrument_id, a.asset_class, a.book_id, a.counterparty_id,
       a.custodian, a.account_id, a.direction, a.currency,
       CAST(a.quantity_fo AS DECIMAL(24,6)) AS quantity_fo, CAST(a.quantity_bo AS DECIMAL(24,6)) AS quantity_bo,
       CAST(a.amount_fo AS DECIMAL(24,4)) AS amount_fo, CAST(a.amount_bo AS DECIMAL(24,4)) AS amount_bo,
       CAST(a.amount_bo - a.amount_fo AS DECIMAL(24,4)) AS amount_diff,
       rc_amount_base(abs(coalesce(a.amount_fo, a.amount_bo)),
                      coalesce(fx.rate_to_base, CASE WHEN a.currency = $base THEN 1 END)) AS amount_base,
       a.trade_date, a.intended_settle_date,
       coalesce(a.state, a.bo_status) AS settle_status, a.reason_code,
       CAST(a.settled_quantity AS DECIMAL(24,6)) AS settled_quantity,
       CAST(CASE WHEN a.kind = 'SETTLEMENT' THEN a.instructed_quantity - a.settled_quantity END AS DECIMAL(24,6))
           AS remaining_quantity,
       CASE WHEN a.intended_settle_date IS NOT NULL THEN run_day.bd - ci.bd END AS days_past_isd,
       a.detail,
       a.x_liquidity, a.x_multiplier, a.x_price, a.instructed_quantity AS x_instructed_quantity,
       a.instructed_amount AS x_instructed_amount
FROM allb AS a
CROSS JOIN run_day
LEFT JOIN tmp_rc_cal AS ci ON ci.d = a.intended_settle_date
LEFT JOIN tmp_rc_fx AS fx ON fx.currency = a.currency;

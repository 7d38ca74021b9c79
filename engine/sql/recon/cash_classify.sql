-- Purpose: classify the cash matches and list the cash breaks.
--   tmp_cash_sum: per match that may differ (every match but the clean 1:1 pairs of cash_stage,
--     whose currencies and amounts agree and whose value dates are equal), both sides summed
--     (expected amount vs statement amount, currencies, latest value dates, business-day ordinals).
--   tmp_cash_fd: per match and field out of tolerance: currency (NCRR), amount (DMON, within
--     $amt_abs, $amt_minor minor units or $amt_rel x max(|expected|, |actual|)), value date
--     (DDAT, within $vd_bdays).
--   tmp_cash_breaks: CASH_MISMATCH (type CASH_<first code by NCRR > DMON > DDAT>), CASH_MISSING
--     (an expected flow without entry), CASH_UNEXPECTED (an entry without expected flow that
--     carries a reference, or any entry when $unexpected_all).
-- Grain: see each table. Inputs: tmp_cash_ref, tmp_cash_refpass, tmp_cash_gmx, tmp_cash_ed,
--   tmp_cash_md, tmp_cash_lexp, tmp_cash_lmov, tmp_rc_fo, ref_instruments, tmp_rc_cal, tmp_rc_fx; the macro
--   rc_amount_base (recon/macros.sql).
-- Parameters: $as_of, $amt_abs, $amt_rel, $amt_minor (DECIMAL), $amt_desc (VARCHAR), $vd_bdays
--   (INTEGER), $unexpected_all (BOOLEAN), $base (VARCHAR).
CREATE OR REPLACE TEMP TABLE tmp_cash_sum AS
WITH gm AS MATERIALIZED (
    SELECT match_id, pass_name, method, expected_id, movement_id FROM tmp_cash_gmx
    UNION ALL
    SELECT 'E:' || r.ref || '@' || CAST(r.value_date AS VARCHAR), p.pass_name, 'REFERENCE',
           r.ref || '#' || CAST(r.seq AS VARCHAR), NULL
    FROM tmp_cash_ref AS r CROSS JOIN tmp_cash_refpass AS p
    WHERE r.pair AND NOT r.clean
    UNION ALL
    SELECT 'E:' || r.ref || '@' || CAST(r.value_date AS VARCHAR), p.pass_name, 'REFERENCE', NULL, r.movement_id
    FROM tmp_cash_ref AS r CROSS JOIN tmp_cash_refpass AS p
    WHERE r.pair AND NOT r.clean
),
e AS (
    SELECT gm.match_id, any_value(gm.pass_name) AS pass_name, any_value(gm.method) AS method,
           list(x.expected_id ORDER BY x.expected_id) AS expected_ids, min(x.expected_id) AS first_expected,
           list_distinct(flatten(list(x.settlement_ids))) AS settlement_ids, min(x.trade_id) AS trade_id,
           min(x.isin) AS isin, min(x.custodian) AS custodian, min(x.intended_settle_date) AS isd,
           max(x.minor_unit) AS minor_unit,
           sum(x.amount) AS e_amount,
           CASE WHEN min(x.currency) = max(x.currency) THEN min(x.currency) ELSE '<mixed>' END AS e_currency,
           max(x.value_date) AS e_value_date,
           CASE WHEN min(x.cash_account) = max(x.cash_account) THEN min(x.cash_account) ELSE '<mixed>' END AS cash_account
    FROM gm JOIN tmp_cash_ed AS x ON x.expected_id = gm.expected_id
    GROUP BY gm.match_id
),
m AS (
    SELECT gm.match_id, list(x.movement_id ORDER BY x.movement_id) AS movement_ids, min(x.movement_id) AS first_movement,
           sum(x.amount) AS m_amount,
           CASE WHEN min(x.currency) = max(x.currency) THEN min(x.currency) ELSE '<mixed>' END AS m_currency,
           max(x.value_date) AS m_value_date
    FROM gm JOIN tmp_cash_md AS x ON x.movement_id = gm.movement_id
    GROUP BY gm.match_id
)
SELECT e.*, m.movement_ids, m.first_movement, m.m_amount, m.m_currency, m.m_value_date,
       ce.bd AS e_bd, cm.bd AS m_bd
FROM e JOIN m USING (match_id)
LEFT JOIN tmp_rc_cal AS ce ON ce.d = e.e_value_date
LEFT JOIN tmp_rc_cal AS cm ON cm.d = m.m_value_date;

CREATE OR REPLACE TEMP TABLE tmp_cash_fd AS
SELECT match_id, 'currency' AS field, 'NCRR' AS iso_code, 1 AS precedence, e_currency AS fo_value,
       m_currency AS bo_value, CAST(NULL AS VARCHAR) AS difference, CAST(NULL AS DECIMAL(38,10)) AS diff_num,
       'exact' AS tolerance
FROM tmp_cash_sum WHERE e_currency IS DISTINCT FROM m_currency
UNION ALL
SELECT match_id, 'amount', 'DMON', 2, CAST(e_amount AS VARCHAR), CAST(m_amount AS VARCHAR),
       CAST(m_amount - e_amount AS VARCHAR), CAST(m_amount - e_amount AS DECIMAL(38,10)),
       $amt_desc
FROM tmp_cash_sum
WHERE NOT coalesce(e_amount = m_amount
                   OR abs(m_amount - e_amount) <= CAST($amt_abs AS DECIMAL(38,10))
                   OR abs(m_amount - e_amount) <= CAST($amt_minor AS DECIMAL(38,10)) * minor_unit
                   OR abs(m_amount - e_amount) <= CAST($amt_rel AS DECIMAL(38,10)) * greatest(abs(e_amount), abs(m_amount)), FALSE)
UNION ALL
SELECT match_id, 'value_date', 'DDAT', 3, CAST(e_value_date AS VARCHAR), CAST(m_value_date AS VARCHAR),
       CAST(m_bd - e_bd AS VARCHAR) || ' business day(s)', CAST(m_bd - e_bd AS DECIMAL(38,10)),
       CAST($vd_bdays AS VARCHAR) || ' business day(s)'
FROM tmp_cash_sum
WHERE NOT coalesce(abs(m_bd - e_bd) <= $vd_bdays, e_value_date = m_value_date, FALSE);

CREATE OR REPLACE TEMP TABLE tmp_cash_breaks AS
WITH run_day AS (
    SELECT bd FROM tmp_rc_cal WHERE d = $as_of
),
fd AS (
    SELECT match_id, arg_min(iso_code, precedence) AS iso_code, count(*) AS n_fields,
           string_agg(field, ',' ORDER BY precedence) AS fields,
           string_agg(field || ': expected ' || coalesce(fo_value, '-') || ' / statement ' || coalesce(bo_value, '-')
                      || coalesce(' (' || difference || ')', ''), '; ' ORDER BY precedence) AS detail
    FROM tmp_cash_fd GROUP BY match_id
),
mism AS (
    SELECT 'CASH_MISMATCH' AS kind, 'CASH_' || fd.iso_code AS break_type, fd.iso_code, 'BOTH' AS side,
           'E:' || s.first_expected AS anchor, s.match_id, s.pass_name, s.trade_id,
           s.settlement_ids[1] AS settlement_id, s.first_movement AS movement_id,
           CASE WHEN s.trade_id IS NULL THEN CAST([] AS VARCHAR[]) ELSE [s.trade_id] END AS trade_ids,
           s.settlement_ids, CAST(fd.n_fields AS INTEGER) AS n_fields, fd.fields, s.cash_account AS account_id,
           s.e_currency AS currency, s.e_amount AS amount_fo, s.m_amount AS amount_bo, s.e_value_date AS value_date,
           s.isin AS x_isin, s.custodian, s.isd, fd.detail
    FROM fd JOIN tmp_cash_sum AS s USING (match_id)
),
missing AS (
    SELECT 'CASH_MISSING' AS kind, 'CASH_MISSING' AS break_type, 'CMIS' AS iso_code, 'EXPECTED_ONLY' AS side,
           'E:' || e.expected_id AS anchor, CAST(NULL AS VARCHAR) AS match_id, CAST(NULL AS VARCHAR) AS pass_name,
           e.trade_id, e.settlement_id, CAST(NULL AS VARCHAR) AS movement_id,
           CASE WHEN e.trade_id IS NULL THEN CAST([] AS VARCHAR[]) ELSE [e.trade_id] END AS trade_ids,
           e.settlement_ids, 0 AS n_fields, CAST(NULL AS VARCHAR) AS fields,
           e.cash_account AS account_id, e.currency, e.amount AS amount_fo, CAST(NULL AS DECIMAL(24,4)) AS amount_bo,
           e.value_date, e.isin AS x_isin, e.custodian, e.intended_settle_date AS isd,
           'no statement entry for settlement event ' || e.expected_id AS detail
    FROM tmp_cash_lexp AS e
),
unexpected AS (
    SELECT 'CASH_UNEXPECTED' AS kind, 'CASH_UNEXPECTED' AS break_type, 'CMIS' AS iso_code, 'STATEMENT_ONLY' AS side,
           'C:' || m.movement_id AS anchor, CAST(NULL AS VARCHAR) AS match_id, CAST(NULL AS VARCHAR) AS pass_name,
           CAST(NULL AS VARCHAR) AS trade_id, CAST(NULL AS VARCHAR) AS settlement_id, m.movement_id,
           CAST([] AS VARCHAR[]) AS trade_ids, CAST([] AS VARCHAR[]) AS settlement_ids, 0 AS n_fields,
           CAST(NULL AS VARCHAR) AS fields, m.cash_account AS account_id, m.currency,
           CAST(NULL AS DECIMAL(24,4)) AS amount_fo, m.amount AS amount_bo, m.value_date,
           CAST(NULL AS VARCHAR) AS x_isin, CAST(NULL AS VARCHAR) AS custodian, CAST(NULL AS DATE) AS isd,
           'statement entry ' || m.movement_id || coalesce(' (reference ' || coalesce(m.entry_ref, m.end_to_end_id) || ')', '')
             || ' matches no expected cash' AS detail
    FROM tmp_cash_lmov AS m
    WHERE $unexpected_all OR m.entry_ref IS NOT NULL OR m.end_to_end_id IS NOT NULL
),
allb AS (
    SELECT * FROM mism
    UNION ALL BY NAME SELECT * FROM missing
    UNION ALL BY NAME SELECT * FROM unexpected
)
SELECT 'BRK-' || CASE a.kind WHEN 'UNMATCHED_FO' THEN 'FO' WHEN 'UNMATCHED_BO' THEN 'BO' WHEN 'MISMATCH' THEN 'MM' WHEN 'SETTLEMENT' THEN 'ST' WHEN 'CASH_MISSING' THEN 'CM' WHEN 'CASH_UNEXPECTED' THEN 'CU' ELSE 'CD' END || '-' || substr(a.anchor, 3) AS break_id,
       'CASH' AS category, a.kind, a.break_type, a.iso_code, a.side, a.anchor, a.match_id, a.pass_name,
       a.trade_id, a.settlement_id, a.movement_id, a.trade_ids, a.settlement_ids, a.n_fields, a.fields,
       coalesce(f.isin, a.x_isin) AS isin, f.instrument_id, i.asset_class, f.book_id, f.counterparty_id, a.custodian,
       a.account_id, f.direction, a.currency,
       CAST(NULL AS DECIMAL(24,6)) AS quantity_fo, CAST(NULL AS DECIMAL(24,6)) AS quantity_bo,
       CAST(a.amount_fo AS DECIMAL(24,4)) AS amount_fo, CAST(a.amount_bo AS DECIMAL(24,4)) AS amount_bo,
       CAST(a.amount_bo - a.amount_fo AS DECIMAL(24,4)) AS amount_diff,
       rc_amount_base(abs(coalesce(a.amount_fo, a.amount_bo)),
                      coalesce(fx.rate_to_base, CASE WHEN a.currency = $base THEN 1 END)) AS amount_base,
       f.trade_date, coalesce(a.isd, a.value_date) AS intended_settle_date, CAST(NULL AS VARCHAR) AS settle_status,
       CAST(NULL AS VARCHAR) AS reason_code, CAST(NULL AS DECIMAL(24,6)) AS settled_quantity,
       CAST(NULL AS DECIMAL(24,6)) AS remaining_quantity,
       CAST(run_day.bd - cv.bd AS INTEGER) AS days_past_isd,  -- since the value date
       CAST(NULL AS INTEGER) AS days_failing, CAST(NULL AS DECIMAL(12,6)) AS penalty_rate_bp,
       CAST(NULL AS DECIMAL(24,4)) AS penalty_ccy, CAST(NULL AS DECIMAL(24,4)) AS penalty_base,
       CAST(NULL AS VARCHAR) AS penalty_payer, a.detail
FROM allb AS a
CROSS JOIN run_day
LEFT JOIN tmp_rc_fo AS f ON f.trade_id = a.trade_id
LEFT JOIN ref_instruments AS i ON i.instrument_id = f.instrument_id
LEFT JOIN tmp_rc_cal AS cv ON cv.d = a.value_date
LEFT JOIN tmp_rc_fx AS fx ON fx.currency = a.currency;

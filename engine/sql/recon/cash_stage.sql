-- Purpose: the two sides of the cash reconciliation as of the run date.
--   tmp_cash_exp: the cash we expect from settlements: one flow per settlement event (a custodian
--     record, known on or before $as_of, whose settled quantity grew), against payment only;
--     amount = the growth of the settled amount, rounded half away from zero to the currency's
--     minor unit, signed (DELIVER: we are paid, positive; RECEIVE: we pay, negative); currency,
--     value date = actual settlement date (else the intended one), our cash account = the SSI of
--     the settlement's account (ref_accounts.cash_account); trade_id = the live trade it
--     references. Only settlements in scope today (tmp_rc_bo: not cancelled).
--   tmp_cash_mov: statement entries (camt.053/054) known on the date with a value date on or
--     before it.
-- Grain: tmp_cash_exp one row per settlement event (expected_id = settlement_id#seq);
--   tmp_cash_mov one row per entry.
-- Inputs: bo_settlements, tmp_rc_bo, tmp_rc_fo, ref_accounts, ref_currencies, tmp_rc_cal,
--   bo_cash_movements.
-- Parameters: $as_of (DATE).
CREATE OR REPLACE TEMP TABLE tmp_cash_exp AS
WITH hist AS (
    SELECT s.settlement_id, s.seq, s.trade_ref, s.account_id, s.currency, s.direction, s.payment, s.isin,
           s.custodian, s.intended_settle_date, s.actual_settle_date,
           CASE WHEN s.status = 'SETTLED' THEN coalesce(s.settled_quantity, s.quantity)
                ELSE coalesce(s.settled_quantity, 0) END AS settled_q,
           CASE WHEN s.status = 'SETTLED' THEN coalesce(s.settled_amount, s.amount)
                ELSE coalesce(s.settled_amount, 0) END AS settled_a
    FROM bo_settlements AS s
    WHERE s.known_date <= $as_of
      AND s.settlement_id IN (SELECT settlement_id FROM tmp_rc_bo)
),
ev AS (
    SELECT *,
           settled_q - coalesce(lag(settled_q) OVER w, 0) AS inc_q,
           settled_a - coalesce(lag(settled_a) OVER w, 0) AS inc_a
    FROM hist
    WINDOW w AS (PARTITION BY settlement_id ORDER BY seq)
),
e AS (
    SELECT ev.*, coalesce(ev.actual_settle_date, ev.intended_settle_date) AS value_date,
           coalesce(c.minor_units, 2) AS minor,
           CASE ev.direction WHEN 'DELIVER' THEN 1 WHEN 'RECEIVE' THEN -1 END AS sgn
    FROM ev
    LEFT JOIN ref_currencies AS c ON c.currency = ev.currency
    WHERE ev.inc_q > 0 AND ev.payment <> 'FREE'
)
SELECT e.settlement_id || '#' || CAST(e.seq AS VARCHAR) AS expected_id, e.settlement_id,
       [e.settlement_id] AS settlement_ids,
       CASE WHEN e.trade_ref IN (SELECT trade_id FROM tmp_rc_fo) THEN e.trade_ref END AS trade_id,
       a.cash_account, e.currency, e.value_date, cal.bd AS value_bd, e.isin, e.custodian, e.intended_settle_date,
       CAST(e.sgn * CASE e.minor WHEN 0 THEN round(e.inc_a, 0) WHEN 1 THEN round(e.inc_a, 1)
                     WHEN 2 THEN round(e.inc_a, 2) WHEN 3 THEN round(e.inc_a, 3)
                     ELSE round(e.inc_a, 4) END AS DECIMAL(24,4)) AS amount,
       CAST(CASE e.minor WHEN 0 THEN 1 WHEN 1 THEN 0.1 WHEN 2 THEN 0.01 WHEN 3 THEN 0.001 ELSE 0.0001 END
            AS DECIMAL(10,4)) AS minor_unit
FROM e
LEFT JOIN ref_accounts AS a ON a.account_id = e.account_id
LEFT JOIN tmp_rc_cal AS cal ON cal.d = e.value_date
WHERE e.sgn IS NOT NULL AND e.value_date <= $as_of;

CREATE OR REPLACE TEMP TABLE tmp_cash_mov AS
SELECT m.movement_id, m.account AS cash_account, m.currency, m.amount, m.value_date, c.bd AS value_bd,
       m.end_to_end_id, m.entry_ref, m.is_reversal, m.statement_id, m.booking_date, m.bank_tx_code,
       m.description, m.batch_id, m.src_line,
       CAST(CASE coalesce(cu.minor_units, 2) WHEN 0 THEN 1 WHEN 1 THEN 0.1 WHEN 2 THEN 0.01 WHEN 3 THEN 0.001
            ELSE 0.0001 END AS DECIMAL(10,4)) AS minor_unit
FROM bo_cash_movements AS m
LEFT JOIN tmp_rc_cal AS c ON c.d = m.value_date
LEFT JOIN ref_currencies AS cu ON cu.currency = m.currency
WHERE m.known_date <= $as_of AND m.value_date <= $as_of;

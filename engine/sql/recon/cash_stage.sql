-- Purpose: the two sides of the cash reconciliation as of the run date, paired on the hot path by
-- reference (the first round of the reference pass), and the few records read in full.
--   Expected cash: one flow per settlement event (a custodian record, known on or before $as_of,
--     whose settled quantity grew), against payment only; amount = the growth of the settled
--     amount, rounded half away from zero to the currency's minor unit, signed (DELIVER: we are
--     paid, positive; RECEIVE: we pay, negative); currency, value date = actual settlement date
--     (else the intended one), our cash account = the SSI of the settlement's account
--     (ref_accounts.cash_account). Only settlements in scope today (tmp_rc_bo: not cancelled).
--     expected_id = settlement_id#seq.
--   Statement entries: camt.053/054 entries known on the date with a value date on or before it.
--
--   tmp_cash_multi: settlements in scope with a record other than seq 1 known on the date. Every
--     other settlement has exactly one known record (the key is (settlement_id, seq)), which is
--     its row in tmp_rc_bo: its one event needs no ordering of history, only these do.
--   tmp_cash_mdup: hashes of the (entry_ref, value_date) of more than one entry (a duplicate and
--     its reversal); a hash collision only sends a few more entries to the exact slow path.
--   tmp_cash_ref: one row per expected flow, with the entry whose reference is its settlement id
--     on the same value date when there is exactly one such entry (when $by_reference), plus one
--     row per entry paired with no flow. ref = the settlement id, else the entry's reference;
--     seq NULL = an entry alone; movement_id NULL = a flow alone; shared = another flow of the
--     settlement has the same value date. A pair (seq and movement_id set, not shared) is a
--     1:1 reference match; clean = its currencies and amounts agree within tolerance (the
--     currency and amount tests of cash_classify; the value dates are equal by construction).
--     Everything else goes through the passes and classification in full.
--   tmp_cash_ed / tmp_cash_md: every expected flow / entry that is not in a clean 1:1 pair, with
--     the columns the other passes and the breaks need.
--   tmp_cash_gmx (empty here): members of every cash match other than the 1:1 pairs.
--   tmp_cash_gm (view): members of every cash match (one id per row): the 1:1 pairs, matched by
--     reference as 'E:<settlement_id>@<value date>', and tmp_cash_gmx.
-- Grain: see each table. Macros: rc_settled, rc_round_minor, rc_minor_unit (recon/macros.sql).
-- Inputs: bo_settlements, tmp_rc_bo, tmp_rc_fo, ref_accounts, ref_currencies, tmp_rc_cal,
--   bo_cash_movements.
-- Parameters: $as_of (DATE), $by_reference (BOOLEAN), $ref_pass (VARCHAR), $amt_abs, $amt_rel,
--   $amt_minor (DECIMAL).
CREATE OR REPLACE TEMP TABLE tmp_cash_multi AS
SELECT b.settlement_id
FROM tmp_rc_bo AS b
SEMI JOIN (SELECT settlement_id FROM bo_settlements WHERE known_date <= $as_of AND seq <> 1) AS s USING (settlement_id);

CREATE OR REPLACE TEMP TABLE tmp_cash_mdup AS
SELECT hash(entry_ref, value_date) AS h
FROM bo_cash_movements
WHERE known_date <= $as_of AND value_date <= $as_of AND entry_ref IS NOT NULL
GROUP BY 1
HAVING count(*) > 1;

CREATE OR REPLACE TEMP TABLE tmp_cash_ref AS
WITH single AS (   -- one known record: the settled quantity and amount are its increments
    SELECT b.settlement_id, b.seq, b.account_id, b.currency, b.direction, b.payment,
           b.settle_date AS intended_settle_date, b.actual_settle_date,
           rc_settled(b.status, b.settled_quantity, b.quantity) AS inc_q,
           rc_settled(b.status, b.settled_amount, b.amount) AS inc_a
    FROM tmp_rc_bo AS b
    ANTI JOIN tmp_cash_multi AS x USING (settlement_id)
),
hist AS (
    SELECT s.settlement_id, s.seq, s.account_id, s.currency, s.direction, s.payment,
           s.intended_settle_date, s.actual_settle_date,
           rc_settled(s.status, s.settled_quantity, s.quantity) AS settled_q,
           rc_settled(s.status, s.settled_amount, s.amount) AS settled_a
    FROM bo_settlements AS s
    SEMI JOIN tmp_cash_multi AS x USING (settlement_id)
    WHERE s.known_date <= $as_of
),
multi AS (         -- several records: the growth since the previous record (by seq)
    SELECT settlement_id, seq, account_id, currency, direction, payment, intended_settle_date, actual_settle_date,
           settled_q - coalesce(lag(settled_q) OVER w, 0) AS inc_q,
           settled_a - coalesce(lag(settled_a) OVER w, 0) AS inc_a
    FROM hist
    WINDOW w AS (PARTITION BY settlement_id ORDER BY seq)
),
ev AS (
    SELECT settlement_id, seq, account_id, currency, direction, inc_a,
           coalesce(actual_settle_date, intended_settle_date) AS value_date, FALSE AS shared
    FROM single
    WHERE inc_q > 0 AND payment <> 'FREE' AND direction IN ('DELIVER', 'RECEIVE')
      AND coalesce(actual_settle_date, intended_settle_date) <= $as_of
    UNION ALL
    SELECT *, count(*) OVER (PARTITION BY settlement_id, value_date) > 1 AS shared
    FROM (
        SELECT settlement_id, seq, account_id, currency, direction, inc_a,
               coalesce(actual_settle_date, intended_settle_date) AS value_date
        FROM multi
        WHERE inc_q > 0 AND payment <> 'FREE' AND direction IN ('DELIVER', 'RECEIVE')
          AND coalesce(actual_settle_date, intended_settle_date) <= $as_of
    )
),
u AS (
    SELECT ev.*, a.cash_account, coalesce(c.minor_units, 2) AS minor
    FROM ev
    LEFT JOIN ref_currencies AS c ON c.currency = ev.currency
    LEFT JOIN ref_accounts AS a ON a.account_id = ev.account_id
),
v AS (
    SELECT settlement_id, seq, value_date, cash_account, currency, direction, shared,
           rc_round_minor(inc_a, minor) AS amt, rc_minor_unit(minor) AS minor_unit
    FROM u
),
x AS (
    SELECT settlement_id, seq, value_date, cash_account, currency, shared, minor_unit,
           CAST(CASE direction WHEN 'DELIVER' THEN amt ELSE -amt END AS DECIMAL(24,4)) AS amount
    FROM v
),
m AS (
    SELECT movement_id, entry_ref, value_date, amount, currency,
           CASE WHEN $by_reference AND hash(entry_ref, value_date) NOT IN (SELECT h FROM tmp_cash_mdup) THEN entry_ref END AS pair_ref
    FROM bo_cash_movements
    WHERE known_date <= $as_of AND value_date <= $as_of
)
SELECT coalesce(x.settlement_id, m.entry_ref) AS ref, coalesce(x.value_date, m.value_date) AS value_date, x.seq,
       x.shared, x.seq IS NOT NULL AND m.movement_id IS NOT NULL AND NOT x.shared AS pair, x.cash_account, x.currency, x.amount, m.movement_id,
       coalesce(x.currency = m.currency
                AND (x.amount = m.amount
                     OR abs(m.amount - x.amount) <= CAST($amt_abs AS DECIMAL(38,10))
                     OR abs(m.amount - x.amount) <= CAST($amt_minor AS DECIMAL(38,10)) * x.minor_unit
                     OR abs(m.amount - x.amount) <= CAST($amt_rel AS DECIMAL(38,10)) * greatest(abs(x.amount), abs(m.amount))),
                FALSE) AS clean
FROM x
FULL JOIN m ON m.pair_ref = x.settlement_id AND m.value_date = x.value_date;

CREATE OR REPLACE TEMP TABLE tmp_cash_ed AS
WITH r AS MATERIALIZED (
    SELECT ref AS settlement_id, seq, value_date, cash_account, currency, amount, movement_id IS NOT NULL AS paired
    FROM tmp_cash_ref
    WHERE seq IS NOT NULL AND NOT (pair AND clean)
),
s AS MATERIALIZED (
    SELECT s.settlement_id, s.seq, s.trade_ref, s.isin, s.custodian, s.intended_settle_date
    FROM bo_settlements AS s
    SEMI JOIN r ON r.settlement_id = s.settlement_id AND r.seq = s.seq
),
live AS (
    SELECT DISTINCT f.trade_id FROM tmp_rc_fo AS f SEMI JOIN s ON s.trade_ref = f.trade_id
)
SELECT r.settlement_id || '#' || CAST(r.seq AS VARCHAR) AS expected_id, r.settlement_id,
       [r.settlement_id] AS settlement_ids, live.trade_id, r.cash_account, r.currency, r.value_date,
       cal.bd AS value_bd, s.isin, s.custodian, s.intended_settle_date, r.amount,
       rc_minor_unit(coalesce(c.minor_units, 2)) AS minor_unit, r.paired
FROM r
JOIN s USING (settlement_id, seq)
LEFT JOIN live ON live.trade_id = s.trade_ref
LEFT JOIN ref_currencies AS c ON c.currency = r.currency
LEFT JOIN tmp_rc_cal AS cal ON cal.d = r.value_date;

CREATE OR REPLACE TEMP TABLE tmp_cash_md AS
SELECT m.movement_id, m.account AS cash_account, m.currency, m.amount, m.value_date, c.bd AS value_bd,
       m.end_to_end_id, m.entry_ref,
       rc_minor_unit(coalesce(cu.minor_units, 2)) AS minor_unit, r.paired
FROM bo_cash_movements AS m
JOIN (SELECT DISTINCT movement_id, seq IS NOT NULL AS paired FROM tmp_cash_ref
      WHERE movement_id IS NOT NULL AND NOT (pair AND clean)) AS r USING (movement_id)
LEFT JOIN tmp_rc_cal AS c ON c.d = m.value_date
LEFT JOIN ref_currencies AS cu ON cu.currency = m.currency;

CREATE OR REPLACE TEMP TABLE tmp_cash_gmx (match_id VARCHAR, pass_name VARCHAR, method VARCHAR, expected_id VARCHAR,
                                           movement_id VARCHAR);

CREATE OR REPLACE TEMP TABLE tmp_cash_refpass AS SELECT CAST($ref_pass AS VARCHAR) AS pass_name;

CREATE OR REPLACE TEMP VIEW tmp_cash_gm AS
SELECT 'E:' || r.ref || '@' || CAST(r.value_date AS VARCHAR) AS match_id, p.pass_name, 'REFERENCE' AS method,
       r.ref || '#' || CAST(r.seq AS VARCHAR) AS expected_id, CAST(NULL AS VARCHAR) AS movement_id
FROM tmp_cash_ref AS r CROSS JOIN tmp_cash_refpass AS p
WHERE r.pair
UNION ALL
SELECT 'E:' || r.ref || '@' || CAST(r.value_date AS VARCHAR), p.pass_name, 'REFERENCE', NULL, r.movement_id
FROM tmp_cash_ref AS r CROSS JOIN tmp_cash_refpass AS p
WHERE r.pair
UNION ALL
SELECT match_id, pass_name, method, expected_id, movement_id FROM tmp_cash_gmx;

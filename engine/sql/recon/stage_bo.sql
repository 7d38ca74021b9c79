-- Purpose: the back-office side: each settlement's current state known on or before the run
-- date (scratch table tmp_rc_bo), with the compared fields named as on the front-office side.
-- The state (status, reason, message, lineage) is the highest seq's; every other field is the
-- latest non-NULL value among the settlement's records, because a status message (MT548,
-- sese.024) repeats the references and quantities but not, say, the deal price.
-- Grain: one row per settlement_id (records with known_date <= $as_of).
-- Inputs: bo_settlements, ref_counterparties (a BIC without counterparty id is resolved to it).
-- Parameters: $as_of (DATE), $ignore (VARCHAR[]: statuses that are not settlements, e.g. CANCELLED).
CREATE OR REPLACE TEMP TABLE tmp_rc_bo AS
WITH latest AS (
    SELECT settlement_id,
           max(seq) AS seq,
           arg_max(known_date, seq) AS known_date,
           arg_max(message_type, seq) AS message_type,
           arg_max(status, seq) AS status,
           arg_max(reason_code, seq) AS reason_code,
           arg_max(reason_text, seq) AS reason_text,
           arg_max(batch_id, seq) AS batch_id,
           arg_max(src_line, seq) AS src_line,
           arg_max(custodian, seq) FILTER (WHERE custodian IS NOT NULL) AS custodian,
           arg_max(trade_ref, seq) FILTER (WHERE trade_ref IS NOT NULL) AS trade_ref,
           arg_max(account_id, seq) FILTER (WHERE account_id IS NOT NULL) AS account_id,
           arg_max(counterparty_id, seq) FILTER (WHERE counterparty_id IS NOT NULL) AS counterparty_id,
           arg_max(counterparty_bic, seq) FILTER (WHERE counterparty_bic IS NOT NULL) AS counterparty_bic,
           arg_max(place_of_settlement, seq) FILTER (WHERE place_of_settlement IS NOT NULL) AS place_of_settlement,
           arg_max(isin, seq) FILTER (WHERE isin IS NOT NULL) AS isin,
           arg_max(direction, seq) AS direction,
           arg_max(payment, seq) FILTER (WHERE payment IS NOT NULL) AS payment,
           arg_max(quantity, seq) FILTER (WHERE quantity IS NOT NULL) AS quantity,
           arg_max(settled_quantity, seq) FILTER (WHERE settled_quantity IS NOT NULL) AS settled_quantity,
           arg_max(amount, seq) FILTER (WHERE amount IS NOT NULL) AS amount,
           arg_max(settled_amount, seq) FILTER (WHERE settled_amount IS NOT NULL) AS settled_amount,
           arg_max(currency, seq) FILTER (WHERE currency IS NOT NULL) AS currency,
           arg_max(trade_date, seq) FILTER (WHERE trade_date IS NOT NULL) AS trade_date,
           arg_max(deal_price, seq) FILTER (WHERE deal_price IS NOT NULL) AS deal_price,
           arg_max(intended_settle_date, seq) FILTER (WHERE intended_settle_date IS NOT NULL) AS intended_settle_date,
           arg_max(actual_settle_date, seq) FILTER (WHERE actual_settle_date IS NOT NULL) AS actual_settle_date
    FROM bo_settlements
    WHERE known_date <= $as_of
    GROUP BY settlement_id
),
bics AS (
    SELECT bic, min(counterparty_id) AS counterparty_id
    FROM ref_counterparties
    WHERE bic IS NOT NULL
    GROUP BY bic
)
SELECT s.settlement_id,
       s.trade_ref,
       s.isin,
       s.direction,
       s.currency,
       s.quantity,
       s.deal_price AS price,
       s.amount,
       s.intended_settle_date AS settle_date,
       s.trade_date,
       s.place_of_settlement,
       coalesce(s.counterparty_id, c.counterparty_id) AS counterparty_id,
       s.account_id,
       s.counterparty_bic,
       s.custodian,
       s.payment,
       s.status,
       s.reason_code,
       s.reason_text,
       s.settled_quantity,
       s.settled_amount,
       s.actual_settle_date,
       s.message_type,
       s.seq,
       s.known_date,
       s.batch_id,
       s.src_line
FROM latest AS s
LEFT JOIN bics AS c ON s.counterparty_id IS NULL AND c.bic = s.counterparty_bic
WHERE NOT list_contains($ignore, s.status);

-- Purpose: one summary per side of every match that needs a field-by-field look (scratch tables
-- tmp_rc_sfo and tmp_rc_sbo): a 1:1 pair is the record itself; a group (1:N, N:1, N:M) sums
-- signed quantities and amounts (RECEIVE positive), takes the quantity-weighted deal price, and
-- shows '<mixed>' where members disagree on a text field. The BO summary adds the settlement
-- state: FAILING > PARTIAL > SETTLED > PENDING_PAST_ISD > PENDING.
-- A match with one trade and one settlement (most of them: the hot 1:1 pairs of tmp_rc_pc and the
-- 1:1 matches of the other passes) is summarised by projection; only group matches are aggregated.
-- The 1:1 matches of the economic pass whose records are exactly equal on every compared field
-- (tmp_rc_gs: equal signatures) get no summary at all.
-- Grain: one row per match_id and side (tmp_rc_cmn: per match of tmp_rc_gm, its member counts).
-- Inputs: tmp_rc_pc (hot 1:1 pairs to classify), tmp_rc_gm (members of the other matches),
--   tmp_rc_gs, tmp_rc_nfo, tmp_rc_nbo (records already enriched: amount_r, minor_unit, sgn,
--   business days, instrument attributes, settled_q, 1:1 state, sig), tmp_rc_cal.
-- Parameters: $as_of (DATE), $ref_pass (VARCHAR: the reference pass's name).
CREATE OR REPLACE TEMP TABLE tmp_rc_cmn AS
SELECT match_id, any_value(pass_name) AS pass_name, any_value(method) AS method,
       count(trade_id) AS nt, count(settlement_id) AS ns
FROM tmp_rc_gm
GROUP BY match_id;

CREATE OR REPLACE TEMP TABLE tmp_rc_sfo AS
WITH mem AS (
    SELECT 'T:' || trade_id AS match_id, $ref_pass AS pass_name, 'REFERENCE' AS method, trade_id, 1 AS nt
    FROM tmp_rc_pc
    UNION ALL
    SELECT g.match_id, n.pass_name, n.method, g.trade_id, n.nt
    FROM tmp_rc_gm AS g JOIN tmp_rc_cmn AS n USING (match_id)
    WHERE g.trade_id IS NOT NULL AND g.match_id NOT IN (SELECT match_id FROM tmp_rc_gs)
),
r AS (
    SELECT mem.match_id, mem.pass_name, mem.method, mem.nt, f.*
    FROM mem
    JOIN tmp_rc_nfo AS f ON f.trade_id = mem.trade_id
),
single AS (
    SELECT match_id, pass_name, method, CAST(1 AS BIGINT) AS n, [trade_id] AS ids, trade_id AS first_id, isin,
           direction, currency, quantity, price, amount_r,
           minor_unit, settle_date, trade_date, place_of_settlement, counterparty_id, account_id, book_id,
           instrument_id, asset_class, liquidity, price_multiplier, settle_bd, trade_bd
    FROM r WHERE nt = 1
),
grp AS (
    SELECT match_id,
           any_value(pass_name) AS pass_name,
           any_value(method) AS method,
           count(*) AS n,
           list(trade_id ORDER BY trade_id) AS ids,
           min(trade_id) AS first_id,
           CASE WHEN min(isin) = max(isin) THEN min(isin) ELSE '<mixed>' END AS isin,
           CASE WHEN sum(sgn * quantity) > 0 THEN 'RECEIVE'
                WHEN sum(sgn * quantity) < 0 THEN 'DELIVER' ELSE 'FLAT' END AS direction,
           CASE WHEN min(currency) = max(currency) THEN min(currency) ELSE '<mixed>' END AS currency,
           CAST(abs(sum(sgn * quantity)) AS DECIMAL(24,6)) AS quantity,
           CAST(sum(quantity * price) / nullif(sum(quantity), 0) AS DECIMAL(24,10)) AS price,
           CAST(abs(sum(sgn * amount_r)) AS DECIMAL(24,4)) AS amount_r,
           max(minor_unit) AS minor_unit,
           max(settle_date) AS settle_date,
           max(trade_date) AS trade_date,
           CASE WHEN min(place_of_settlement) = max(place_of_settlement) THEN min(place_of_settlement) ELSE '<mixed>' END AS place_of_settlement,
           CASE WHEN min(counterparty_id) = max(counterparty_id) THEN min(counterparty_id) ELSE '<mixed>' END AS counterparty_id,
           CASE WHEN min(account_id) = max(account_id) THEN min(account_id) ELSE '<mixed>' END AS account_id,
           min(book_id) AS book_id,
           min(instrument_id) AS instrument_id,
           min(asset_class) AS asset_class,
           min(liquidity) AS liquidity,
           min(price_multiplier) AS price_multiplier
    FROM r WHERE nt > 1
    GROUP BY match_id
),
grp_bd AS (
    SELECT g.*, cs.bd AS settle_bd, ct.bd AS trade_bd
    FROM grp AS g
    LEFT JOIN tmp_rc_cal AS cs ON cs.d = g.settle_date
    LEFT JOIN tmp_rc_cal AS ct ON ct.d = g.trade_date
)
SELECT * FROM single UNION ALL BY NAME SELECT * FROM grp_bd;

CREATE OR REPLACE TEMP TABLE tmp_rc_sbo AS
WITH mem AS (
    SELECT 'T:' || trade_id AS match_id, settlement_id, 1 AS ns
    FROM tmp_rc_pc
    UNION ALL
    SELECT g.match_id, g.settlement_id, n.ns
    FROM tmp_rc_gm AS g JOIN tmp_rc_cmn AS n USING (match_id)
    WHERE g.settlement_id IS NOT NULL AND g.match_id NOT IN (SELECT match_id FROM tmp_rc_gs)
),
r AS (
    SELECT mem.match_id, mem.ns, b.*
    FROM mem
    JOIN tmp_rc_nbo AS b ON b.settlement_id = mem.settlement_id
),
single AS (
    SELECT match_id, CAST(1 AS BIGINT) AS n, [settlement_id] AS ids, settlement_id AS first_id, isin, direction, currency,
           quantity, price, amount_r, minor_unit,
           settle_date, trade_date, place_of_settlement, counterparty_id, account_id, custodian,
           quantity AS instructed_quantity, settled_q AS settled_quantity,
           amount AS instructed_amount, settle_date AS isd, status,
           reason_code, reason_text, state, settle_bd, trade_bd
    FROM r WHERE ns = 1
),
grp AS (
    SELECT match_id,
           count(*) AS n,
           list(settlement_id ORDER BY settlement_id) AS ids,
           min(settlement_id) AS first_id,
           CASE WHEN min(isin) = max(isin) THEN min(isin) ELSE '<mixed>' END AS isin,
           CASE WHEN sum(sgn * quantity) > 0 THEN 'RECEIVE'
                WHEN sum(sgn * quantity) < 0 THEN 'DELIVER' ELSE 'FLAT' END AS direction,
           CASE WHEN min(currency) = max(currency) THEN min(currency) ELSE '<mixed>' END AS currency,
           CAST(abs(sum(sgn * quantity)) AS DECIMAL(24,6)) AS quantity,
           CAST(sum(quantity * price) / nullif(sum(quantity), 0) AS DECIMAL(24,10)) AS price,
           CAST(abs(sum(sgn * amount_r)) AS DECIMAL(24,4)) AS amount_r,
           max(minor_unit) AS minor_unit,
           max(settle_date) AS settle_date,
           max(trade_date) AS trade_date,
           CASE WHEN min(place_of_settlement) = max(place_of_settlement) THEN min(place_of_settlement) ELSE '<mixed>' END AS place_of_settlement,
           CASE WHEN min(counterparty_id) = max(counterparty_id) THEN min(counterparty_id) ELSE '<mixed>' END AS counterparty_id,
           CASE WHEN min(account_id) = max(account_id) THEN min(account_id) ELSE '<mixed>' END AS account_id,
           CASE WHEN min(custodian) = max(custodian) THEN min(custodian) ELSE '<mixed>' END AS custodian,
           CAST(sum(quantity) AS DECIMAL(24,6)) AS instructed_quantity,
           CAST(sum(settled_q) AS DECIMAL(24,6)) AS settled_quantity,
           CAST(sum(amount) AS DECIMAL(24,4)) AS instructed_amount,
           min(settle_date) AS isd,
           CASE WHEN min(status) = max(status) THEN min(status) ELSE '<mixed>' END AS status,
           coalesce(min(reason_code) FILTER (WHERE status = 'FAILING'), min(reason_code)) AS reason_code,
           min(reason_text) AS reason_text,
           CASE
               WHEN bool_or(status = 'FAILING') THEN 'FAILING'
               WHEN bool_or(status = 'PARTIAL') OR bool_or(status = 'SETTLED' AND settled_q < quantity)
                    OR (bool_or(status = 'SETTLED') AND NOT bool_and(status = 'SETTLED')) THEN 'PARTIAL'
               WHEN bool_and(status = 'SETTLED') THEN 'SETTLED'
               WHEN min(settle_date) < $as_of THEN 'PENDING_PAST_ISD'
               ELSE 'PENDING'
           END AS state
    FROM r WHERE ns > 1
    GROUP BY match_id
),
grp_bd AS (
    SELECT g.*, cs.bd AS settle_bd, ct.bd AS trade_bd
    FROM grp AS g
    LEFT JOIN tmp_rc_cal AS cs ON cs.d = g.settle_date
    LEFT JOIN tmp_rc_cal AS ct ON ct.d = g.trade_date
)
SELECT * FROM single UNION ALL BY NAME SELECT * FROM grp_bd;

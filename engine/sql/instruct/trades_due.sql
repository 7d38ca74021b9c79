-- Trades due to settle, with the standing settlement instructions (SSIs) that settle them.
-- Purpose: the rows `midoffice instruct` turns into MT540-543 / sese.023 settlement instructions.
-- Grain: one row per live trade (tmp_trades_asof: the latest version known on $as_of, cancelled
--   trades dropped) in a securities asset class whose intended settlement date is on or after $as_of.
-- Inputs: tmp_trades_asof; ref_instruments (asset class, ISIN); ref_accounts (our safekeeping
--   account = the trade's account_id, giving the custodian and its BIC; the counterparty's SSI = its
--   account in the trade's currency, else its first by account_id, giving its agent BIC, its
--   account and the place of settlement); ref_counterparties (the counterparty's BIC).
-- Parameters: $as_of DATE; $asset_classes VARCHAR[]; $famt_classes VARCHAR[] (face-amount quantities).
-- skip_reason is NULL for a trade that can be instructed, else why it cannot.
WITH ssi AS (
    SELECT a.counterparty_id, a.currency, a.account_id, a.custodian_bic, a.place_of_settlement,
           row_number() OVER (PARTITION BY a.counterparty_id, a.currency ORDER BY a.account_id) AS rn_ccy,
           row_number() OVER (PARTITION BY a.counterparty_id ORDER BY a.account_id) AS rn_any
    FROM ref_accounts AS a
    WHERE a.counterparty_id IS NOT NULL
)
SELECT
    t.trade_id,
    t.version,
    t.book_id,
    t.counterparty_id,
    i.asset_class,
    coalesce(t.isin, i.isin) AS isin,
    CASE t.side WHEN 'BUY' THEN 'RECEIVE' ELSE 'DELIVER' END AS direction,
    CASE WHEN coalesce(t.net_amount, t.gross_amount, 0) = 0 THEN 'FREE' ELSE 'APMT' END AS payment,
    CASE WHEN list_contains($famt_classes, i.asset_class) THEN 'FAMT' ELSE 'UNIT' END AS quantity_type,
    t.quantity,
    coalesce(t.net_amount, t.gross_amount) AS amount,
    t.currency,
    t.price AS deal_price,
    t.trade_date,
    t.settle_date AS intended_settle_date,
    t.account_id,
    o.custodian,
    o.custodian_bic,
    coalesce(t.place_of_settlement, o.place_of_settlement, s1.place_of_settlement, s2.place_of_settlement)
        AS place_of_settlement,
    c.bic AS counterparty_bic,
    coalesce(s1.custodian_bic, s2.custodian_bic) AS counterparty_agent_bic,
    coalesce(s1.account_id, s2.account_id) AS counterparty_account,
    CASE
        WHEN coalesce(t.isin, i.isin) IS NULL THEN 'the instrument has no ISIN'
        WHEN t.settle_date IS NULL THEN 'the trade has no settlement date'
        WHEN t.account_id IS NULL THEN 'the trade names no safekeeping account (account_id)'
        WHEN o.account_id IS NULL THEN 'account ' || t.account_id || ' is not in ref_accounts'
        WHEN o.custodian_bic IS NULL THEN 'account ' || t.account_id || ' has no custodian BIC'
    END AS skip_reason
FROM tmp_trades_asof AS t
JOIN ref_instruments AS i ON i.instrument_id = t.instrument_id
LEFT JOIN ref_accounts AS o ON o.account_id = t.account_id
LEFT JOIN ssi AS s1 ON s1.counterparty_id = t.counterparty_id AND s1.currency = t.currency AND s1.rn_ccy = 1
LEFT JOIN ssi AS s2 ON s2.counterparty_id = t.counterparty_id AND s2.rn_any = 1
LEFT JOIN ref_counterparties AS c ON c.counterparty_id = t.counterparty_id
WHERE list_contains($asset_classes, i.asset_class)
  AND t.settle_date >= $as_of
ORDER BY o.custodian NULLS LAST, t.trade_id

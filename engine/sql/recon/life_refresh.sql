-- Purpose: refresh life_breaks (each break's life across runs) for the breaks this run touched,
-- from the whole out_breaks history of those breaks, so that re-running a date gives the same
-- rows: first and last date present, number of run dates present, OPEN when present at the
-- latest run date, else RESOLVED with resolved_on = the first run date after it was last seen.
-- Grain: one row per break_id.
-- Inputs: out_breaks, out_recon_stats (run dates), life_breaks.
-- Parameters: $as_of, $run_id, $cats (VARCHAR[]), $scope (VARCHAR: RECON | CASH).
CREATE OR REPLACE TEMP TABLE tmp_life_touched AS
SELECT break_id FROM out_breaks WHERE as_of = $as_of AND list_contains($cats, category)
UNION
SELECT break_id FROM life_breaks WHERE last_seen >= $as_of AND list_contains($cats, category);

DELETE FROM life_breaks WHERE break_id IN (SELECT break_id FROM tmp_life_touched);

INSERT INTO life_breaks
WITH h AS (
    SELECT * FROM out_breaks WHERE break_id IN (SELECT break_id FROM tmp_life_touched)
),
runs AS (
    SELECT DISTINCT as_of FROM out_recon_stats WHERE scope = $scope
    UNION SELECT CAST($as_of AS DATE)
),
latest AS (
    SELECT max(as_of) AS d FROM runs
),
present AS (
    SELECT break_id,
           arg_max(category, as_of) AS category, arg_max(kind, as_of) AS kind,
           arg_max(break_type, as_of) AS break_type, arg_max(anchor, as_of) AS anchor,
           arg_max(trade_id, as_of) AS trade_id, arg_max(settlement_id, as_of) AS settlement_id,
           arg_max(movement_id, as_of) AS movement_id, arg_max(isin, as_of) AS isin,
           arg_max(counterparty_id, as_of) AS counterparty_id, arg_max(custodian, as_of) AS custodian,
           arg_max(intended_settle_date, as_of) AS intended_settle_date,
           min(as_of) AS first_seen, max(as_of) AS last_seen, CAST(count(*) AS INTEGER) AS days_seen
    FROM h
    WHERE lifecycle <> 'RESOLVED'
    GROUP BY break_id
)
SELECT p.break_id, p.category, p.kind, p.break_type, p.anchor, p.trade_id, p.settlement_id, p.movement_id,
       p.isin, p.counterparty_id, p.custodian, p.intended_settle_date, p.first_seen, p.last_seen, p.days_seen,
       CASE WHEN p.last_seen >= latest.d THEN 'OPEN' ELSE 'RESOLVED' END AS status,
       CASE WHEN p.last_seen < latest.d
            THEN (SELECT min(r.as_of) FROM runs AS r WHERE r.as_of > p.last_seen) END AS resolved_on,
       CAST($run_id AS BIGINT) AS updated_run_id
FROM present AS p CROSS JOIN latest;

-- Purpose: rules the reconciliation's SQL shares, as temporary macros of the connection
-- (inlined where used: no cost at run time). Created by core.reconcile and cash.reconcile_cash.
-- rc_settled(status, settled, instructed): how much of an instructed quantity or amount a
--   settlement record says is settled so far: a SETTLED record without a settled figure settled
--   all of it; any other record, its settled figure or nothing.
CREATE OR REPLACE TEMP MACRO rc_settled(status, settled, instructed) AS
    CASE WHEN status = 'SETTLED' THEN coalesce(settled, instructed) ELSE coalesce(settled, 0) END;

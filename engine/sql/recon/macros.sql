-- Purpose: rules the reconciliation's SQL shares, as temporary macros of the connection
-- (inlined where used: no cost at run time). Created by core.reconcile and cash.reconcile_cash.
-- rc_settled(status, settled, instructed): how much of an instructed quantity or amount a
--   settlement record says is settled so far: a SETTLED record without a settled figure settled
--   all of it; any other record, its settled figure or nothing.
-- rc_round_minor(amount, units): an amount (scale 4 at most, as in the canonical model) rounded
--   half away from zero to its currency's minor units (0-3; 4 or more: as is), as DECIMAL(28,4).
--   Below 10^14 in absolute value (nearly every amount) it is rounded as a 64-bit decimal:
--   DuckDB rounds a 128-bit one (DECIMAL(24,4)) much slower (0.1 CPU-s per 640k amounts).
-- rc_minor_unit(units): the currency's minor unit (0.01 for 2 decimals) as DECIMAL(10,4).
-- rc_settlement_break(state): a match whose settlement is in this state is a SETTLEMENT break.
CREATE OR REPLACE TEMP MACRO rc_settled(status, settled, instructed) AS
    CASE WHEN status = 'SETTLED' THEN coalesce(settled, instructed) ELSE coalesce(settled, 0) END;

CREATE OR REPLACE TEMP MACRO rc_round_minor(amount, units) AS CAST(
    CASE WHEN abs(amount) < 100000000000000 THEN
        CASE units WHEN 0 THEN round(CAST(amount AS DECIMAL(18,4)), 0) WHEN 1 THEN round(CAST(amount AS DECIMAL(18,4)), 1)
                   WHEN 2 THEN round(CAST(amount AS DECIMAL(18,4)), 2) WHEN 3 THEN round(CAST(amount AS DECIMAL(18,4)), 3)
                   ELSE round(CAST(amount AS DECIMAL(18,4)), 4) END
    ELSE
        CASE units WHEN 0 THEN round(amount, 0) WHEN 1 THEN round(amount, 1) WHEN 2 THEN round(amount, 2)
                   WHEN 3 THEN round(amount, 3) ELSE round(amount, 4) END
    END AS DECIMAL(28,4));

CREATE OR REPLACE TEMP MACRO rc_minor_unit(units) AS
    CAST(CASE units WHEN 0 THEN 1 WHEN 1 THEN 0.1 WHEN 2 THEN 0.01 WHEN 3 THEN 0.001 ELSE 0.0001 END AS DECIMAL(10,4));

CREATE OR REPLACE TEMP MACRO rc_settlement_break(state) AS state IN ('FAILING', 'PARTIAL', 'PENDING_PAST_ISD');

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
-- rc_amount_base(amount, rate): amount x rate (a base-currency amount) rounded half away from
--   zero to 4 decimals, as DECIMAL(24,4): exactly CAST(amount * rate AS DECIMAL(24,4)). That cast
--   divides a 128-bit DECIMAL(38,16) by 10^12, which DuckDB does slowly (0.25 CPU-s per 370k
--   breaks); so the product is taken in DOUBLE (relative error under 1e-15) and rounded there,
--   unless it is within 1e-13 relative (+1e-6) of a half unit, or 10^11 or more: then the exact cast.
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

CREATE OR REPLACE TEMP MACRO rc_amount_base_units(v, amount, rate) AS CASE
    WHEN abs(v) < 1e15 AND abs(abs(v) - floor(abs(v)) - 0.5) > abs(v) * 1e-13 + 1e-6
        THEN CAST(sign(v) * floor(abs(v) + 0.5) / 10000 AS DECIMAL(24,4))
    ELSE CAST(amount * rate AS DECIMAL(24,4))
END;

CREATE OR REPLACE TEMP MACRO rc_amount_base(amount, rate) AS
    rc_amount_base_units(CAST(amount AS DOUBLE) * CAST(rate AS DOUBLE) * 10000, amount, rate);

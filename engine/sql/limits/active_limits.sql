-- Purpose: the limits in force on as_of, one version per limit_id, with their bound in base
--   currency. A version is valid when valid_from <= as_of <= valid_to (open-ended without
--   valid_to). Per limit_id the governing version is: an approved temporary increase from the
--   workflow store (tmp_lim_overrides, newest approval first), else a temporary version
--   (is_temporary), else the highest version. Scope values are trimmed; '' is NULL (= any);
--   '*' means "each member separately" (the limit is evaluated per member of that dimension).
--   specificity = the number of scope columns with an explicit key (not NULL, not '*').
-- Grain: one row per limit_id in force.
-- Inputs: ref_limits, tmp_lim_overrides(request_id, limit_id, new_value, valid_from,
--   valid_to, approved_by, approved_at), tmp_pos_fx (which = 'T').
-- Parameters: $as_of (DATE).
CREATE OR REPLACE TEMP TABLE tmp_lim_limits AS
WITH ref AS (
    SELECT
        limit_id, version, upper(trim(measure)) AS measure,
        nullif(trim(scope_legal_entity), '') AS s_legal_entity, nullif(trim(scope_desk), '') AS s_desk,
        nullif(trim(scope_book), '') AS s_book, nullif(trim(scope_trader), '') AS s_trader,
        nullif(trim(scope_counterparty), '') AS s_counterparty, nullif(trim(scope_issuer), '') AS s_issuer,
        nullif(trim(scope_sector), '') AS s_sector, nullif(trim(scope_country), '') AS s_country,
        nullif(trim(scope_currency), '') AS s_currency, nullif(trim(scope_asset_class), '') AS s_asset_class,
        CASE replace(upper(trim(comparison)), ' ', '')
            WHEN '<' THEN '<' WHEN 'LT' THEN '<'
            WHEN '>=' THEN '>=' WHEN '=>' THEN '>=' WHEN 'GE' THEN '>=' WHEN 'MIN' THEN '>=' WHEN 'FLOOR' THEN '>='
            WHEN '>' THEN '>' WHEN 'GT' THEN '>'
            ELSE '<=' END AS comparison,
        use_abs, limit_value, warning_pct, upper(severity) AS severity, upper(currency) AS currency,
        valid_from, valid_to, is_temporary, priority, approved_by
    FROM ref_limits
),
valid_ref AS (
    SELECT *, 'REF' AS source, CAST(NULL AS TIMESTAMP) AS approved_at
    FROM ref
    WHERE valid_from <= $as_of AND (valid_to IS NULL OR valid_to >= $as_of)
),
-- the attributes an approved increase applies to: the limit's governing reference version
-- (or its latest version when none is in force on the date)
base AS (
    SELECT *
    FROM ref
    QUALIFY row_number() OVER (
        PARTITION BY limit_id
        ORDER BY (valid_from <= $as_of AND (valid_to IS NULL OR valid_to >= $as_of)) DESC, is_temporary, version DESC
    ) = 1
),
overrides AS (
    SELECT
        b.limit_id, b.version, b.measure, b.s_legal_entity, b.s_desk, b.s_book, b.s_trader, b.s_counterparty,
        b.s_issuer, b.s_sector, b.s_country, b.s_currency, b.s_asset_class, b.comparison, b.use_abs,
        CAST(o.new_value AS DECIMAL(24, 4)) AS limit_value, b.warning_pct, b.severity, b.currency,
        CAST(o.valid_from AS DATE) AS valid_from, CAST(o.valid_to AS DATE) AS valid_to, TRUE AS is_temporary, b.priority,
        o.approved_by, 'WORKFLOW' AS source, CAST(o.approved_at AS TIMESTAMP) AS approved_at
    FROM tmp_lim_overrides AS o
    JOIN base AS b ON b.limit_id = o.limit_id
    WHERE CAST(o.valid_from AS DATE) <= $as_of AND (o.valid_to IS NULL OR CAST(o.valid_to AS DATE) >= $as_of)
),
candidates AS (
    SELECT * FROM valid_ref
    UNION ALL BY NAME
    SELECT * FROM overrides
),
governing AS (
    SELECT *
    FROM candidates
    QUALIFY row_number() OVER (
        PARTITION BY limit_id
        ORDER BY (source = 'WORKFLOW') DESC, is_temporary DESC, approved_at DESC NULLS LAST, version DESC
    ) = 1
)
SELECT
    g.*,
    CAST((s_legal_entity IS NOT NULL AND s_legal_entity <> '*') AS INTEGER)
      + CAST((s_desk IS NOT NULL AND s_desk <> '*') AS INTEGER)
      + CAST((s_book IS NOT NULL AND s_book <> '*') AS INTEGER)
      + CAST((s_trader IS NOT NULL AND s_trader <> '*') AS INTEGER)
      + CAST((s_counterparty IS NOT NULL AND s_counterparty <> '*') AS INTEGER)
      + CAST((s_issuer IS NOT NULL AND s_issuer <> '*') AS INTEGER)
      + CAST((s_sector IS NOT NULL AND s_sector <> '*') AS INTEGER)
      + CAST((s_country IS NOT NULL AND s_country <> '*') AS INTEGER)
      + CAST((s_currency IS NOT NULL AND s_currency <> '*') AS INTEGER)
      + CAST((s_asset_class IS NOT NULL AND s_asset_class <> '*') AS INTEGER) AS specificity,
    CASE WHEN g.measure LIKE '%\_PCT' ESCAPE '\' THEN CAST(g.limit_value AS DOUBLE)
         ELSE CAST(g.limit_value AS DOUBLE) * CAST(fx.rate_to_base AS DOUBLE) END AS limit_value_base
FROM governing AS g
LEFT JOIN tmp_pos_fx AS fx ON fx.currency = g.currency AND fx.which = 'T';

-- Purpose: evaluate every limit in force at each of its points, decide precedence and status.
--   Points: a limit's scope with every '*' dimension expanded to each member found in the
--   facts (a limit without '*' has exactly one point, at 0 when nothing matches). A NULL scope
--   column is "any" (aggregate over all); scope_counterparty also matches a counterparty's
--   parent (a group limit). Measures:
--   * additive (tmp_lim_facts): the sum of the matching facts;
--   * CONCENTRATION_PCT: gross exposure of the point as % of the gross exposure of its
--     organisational scope (legal entity, desk, book, trader keys and '*' members only);
--   * VAR_99_1D: looked up in tmp_src_var (level FIRM without scope, DESK with scope_desk
--     only, BOOK with scope_book); other scopes cannot be measured (NO_DATA).
--   Precedence: limits on the same measure whose points are the same (after the book's desk
--   and legal entity are filled in from ref_books) compete; the most specific wins
--   (specificity = explicit keys), then a temporary limit, then higher priority, then limit_id.
--   The others are SUPERSEDED (governed_by = the winner).
--   Status: compared value = |measure| when use_abs; '<=' / '<' limits are ceilings,
--   '>=' / '>' floors. Utilisation %: ceiling value / limit * 100; floor with a negative
--   bound (a loss limit) value / limit * 100 (0 while the value is above 0); floor with a
--   positive bound limit / value * 100. BREACH beyond the bound, WARNING from warning_pct,
--   else OK; NO_DATA when the measure or the FX rate of the limit's currency is missing.
--   excess_base > 0 is the amount beyond the bound, < 0 the headroom.
-- Grain: one row per (limit_id, point).
-- Inputs: tmp_lim_limits, tmp_lim_facts, tmp_src_var, ref_books.
-- Parameters: $has_var, $has_ead (BOOLEAN: the risk steps produced results for the date).
CREATE OR REPLACE TEMP TABLE tmp_lim_eval AS
WITH lim AS (
    SELECT
        l.*,
        CASE
            WHEN l.measure IN ('GROSS_EXPOSURE', 'NET_EXPOSURE', 'MARKET_VALUE', 'LONG_EXPOSURE', 'SHORT_EXPOSURE',
                               'NOTIONAL', 'NET_FX_OPEN', 'CURRENT_EXPOSURE', 'REPLACEMENT_COST', 'SETTLEMENT_RISK',
                               'PNL_DAILY') THEN 'ADDITIVE'
            WHEN l.measure = 'EAD' AND $has_ead THEN 'ADDITIVE'
            WHEN l.measure = 'CONCENTRATION_PCT' THEN 'RATIO'
            WHEN l.measure = 'VAR_99_1D' AND $has_var THEN 'LOOKUP'
            ELSE 'NONE'
        END AS kind,
        (l.s_legal_entity = '*' OR l.s_desk = '*' OR l.s_book = '*' OR l.s_trader = '*' OR l.s_counterparty = '*'
         OR l.s_issuer = '*' OR l.s_sector = '*' OR l.s_country = '*' OR l.s_currency = '*'
         OR l.s_asset_class = '*') IS TRUE AS has_star,
        CASE
            WHEN l.s_legal_entity IS NOT NULL OR l.s_trader IS NOT NULL OR l.s_counterparty IS NOT NULL
              OR l.s_issuer IS NOT NULL OR l.s_sector IS NOT NULL OR l.s_country IS NOT NULL
              OR l.s_currency IS NOT NULL OR l.s_asset_class IS NOT NULL THEN NULL
            WHEN l.s_book IS NOT NULL THEN 'BOOK'
            WHEN l.s_desk IS NOT NULL THEN 'DESK'
            ELSE 'FIRM'
        END AS var_level
    FROM tmp_lim_limits AS l
),
var_points AS (
    SELECT
        l.limit_id, CAST(NULL AS VARCHAR) AS p_legal_entity,
        CASE WHEN v.level = 'DESK' THEN v.key ELSE l.s_desk END AS p_desk,
        CASE WHEN v.level = 'BOOK' THEN v.key END AS p_book,
        CAST(v.var AS DOUBLE) AS measure_value
    FROM lim AS l
    JOIN tmp_src_var AS v
      ON v.level = l.var_level
     AND (l.var_level = 'FIRM'
          OR (l.var_level = 'DESK' AND (l.s_desk = '*' OR l.s_desk = v.key))
          OR (l.var_level = 'BOOK' AND (l.s_book = '*' OR l.s_book = v.key)))
    WHERE l.kind = 'LOOKUP'
),
matched AS (
    SELECT
        l.limit_id,
        CASE WHEN l.s_legal_entity = '*' THEN f.legal_entity_id ELSE l.s_legal_entity END AS p_legal_entity,
        CASE WHEN l.s_desk = '*' THEN f.desk ELSE l.s_desk END AS p_desk,
        CASE WHEN l.s_book = '*' THEN f.book_id ELSE l.s_book END AS p_book,
        CASE WHEN l.s_trader = '*' THEN f.trader ELSE l.s_trader END AS p_trader,
        CASE WHEN l.s_counterparty = '*' THEN f.counterparty_id ELSE l.s_counterparty END AS p_counterparty,
        CASE WHEN l.s_issuer = '*' THEN f.issuer ELSE l.s_issuer END AS p_issuer,
        CASE WHEN l.s_sector = '*' THEN f.sector ELSE l.s_sector END AS p_sector,
        CASE WHEN l.s_country = '*' THEN f.country ELSE l.s_country END AS p_country,
        CASE WHEN l.s_currency = '*' THEN f.currency ELSE l.s_currency END AS p_currency,
        CASE WHEN l.s_asset_class = '*' THEN f.asset_class ELSE l.s_asset_class END AS p_asset_class,
        f.value
    FROM lim AS l
    JOIN tmp_lim_facts AS f
      ON f.measure = CASE WHEN l.kind = 'RATIO' THEN 'GROSS_EXPOSURE' ELSE l.measure END
    WHERE l.kind IN ('ADDITIVE', 'RATIO')
      AND (l.s_legal_entity IS NULL OR (l.s_legal_entity = '*' AND f.legal_entity_id IS NOT NULL) OR l.s_legal_entity = f.legal_entity_id)
      AND (l.s_desk IS NULL OR (l.s_desk = '*' AND f.desk IS NOT NULL) OR l.s_desk = f.desk)
      AND (l.s_book IS NULL OR (l.s_book = '*' AND f.book_id IS NOT NULL) OR l.s_book = f.book_id)
      AND (l.s_trader IS NULL OR (l.s_trader = '*' AND f.trader IS NOT NULL) OR l.s_trader = f.trader)
      AND (l.s_counterparty IS NULL OR (l.s_counterparty = '*' AND f.counterparty_id IS NOT NULL)
           OR l.s_counterparty = f.counterparty_id OR l.s_counterparty = f.counterparty_parent)
      AND (l.s_issuer IS NULL OR (l.s_issuer = '*' AND f.issuer IS NOT NULL) OR l.s_issuer = f.issuer)
      AND (l.s_sector IS NULL OR (l.s_sector = '*' AND f.sector IS NOT NULL) OR l.s_sector = f.sector)
      AND (l.s_country IS NULL OR (l.s_country = '*' AND f.country IS NOT NULL) OR l.s_country = f.country)
      AND (l.s_currency IS NULL OR (l.s_currency = '*' AND f.currency IS NOT NULL) OR l.s_currency = f.currency)
      AND (l.s_asset_class IS NULL OR (l.s_asset_class = '*' AND f.asset_class IS NOT NULL) OR l.s_asset_class = f.asset_class)
),
summed AS (
    SELECT limit_id, p_legal_entity, p_desk, p_book, p_trader, p_counterparty, p_issuer, p_sector, p_country,
           p_currency, p_asset_class, sum(value) AS measure_value, count(*) AS facts
    FROM matched
    GROUP BY ALL
),
-- a limit without '*' that matched nothing still has its point (at 0)
unmatched AS (
    SELECT l.limit_id, l.s_legal_entity, l.s_desk, l.s_book, l.s_trader, l.s_counterparty, l.s_issuer, l.s_sector,
           l.s_country, l.s_currency, l.s_asset_class, CAST(0 AS DECIMAL(38, 4)), CAST(0 AS BIGINT)
    FROM lim AS l
    WHERE l.kind IN ('ADDITIVE', 'RATIO') AND NOT l.has_star
      AND l.limit_id NOT IN (SELECT limit_id FROM summed)
),
points AS (
    SELECT * FROM summed
    UNION ALL
    SELECT * FROM unmatched
),
-- CONCENTRATION_PCT: the denominator is the gross exposure of the organisational scope
ratio_den AS (
    SELECT
        l.limit_id,
        CASE WHEN l.s_legal_entity = '*' THEN f.legal_entity_id ELSE l.s_legal_entity END AS p_legal_entity,
        CASE WHEN l.s_desk = '*' THEN f.desk ELSE l.s_desk END AS p_desk,
        CASE WHEN l.s_book = '*' THEN f.book_id ELSE l.s_book END AS p_book,
        CASE WHEN l.s_trader = '*' THEN f.trader ELSE l.s_trader END AS p_trader,
        sum(f.value) AS den
    FROM lim AS l
    JOIN tmp_lim_facts AS f ON f.measure = 'GROSS_EXPOSURE'
    WHERE l.kind = 'RATIO'
      AND (l.s_legal_entity IS NULL OR (l.s_legal_entity = '*' AND f.legal_entity_id IS NOT NULL) OR l.s_legal_entity = f.legal_entity_id)
      AND (l.s_desk IS NULL OR (l.s_desk = '*' AND f.desk IS NOT NULL) OR l.s_desk = f.desk)
      AND (l.s_book IS NULL OR (l.s_book = '*' AND f.book_id IS NOT NULL) OR l.s_book = f.book_id)
      AND (l.s_trader IS NULL OR (l.s_trader = '*' AND f.trader IS NOT NULL) OR l.s_trader = f.trader)
    GROUP BY ALL
),
measured AS (
    SELECT
        pt.limit_id, pt.p_legal_entity, pt.p_desk, pt.p_book, pt.p_trader, pt.p_counterparty, pt.p_issuer,
        pt.p_sector, pt.p_country, pt.p_currency, pt.p_asset_class,
        CASE WHEN l.kind = 'RATIO'
             THEN CASE WHEN d.den > 0 THEN CAST(pt.measure_value AS DOUBLE) / CAST(d.den AS DOUBLE) * 100 ELSE 0.0 END
             ELSE CAST(pt.measure_value AS DOUBLE) END AS measure_value,
        pt.facts,
        CAST(NULL AS VARCHAR) AS note
    FROM points AS pt
    JOIN lim AS l ON l.limit_id = pt.limit_id
    LEFT JOIN ratio_den AS d
           ON l.kind = 'RATIO' AND d.limit_id = pt.limit_id
          AND d.p_legal_entity IS NOT DISTINCT FROM pt.p_legal_entity AND d.p_desk IS NOT DISTINCT FROM pt.p_desk
          AND d.p_book IS NOT DISTINCT FROM pt.p_book AND d.p_trader IS NOT DISTINCT FROM pt.p_trader
    UNION ALL
    -- VaR: not additive, looked up at the level the scope names
    SELECT limit_id, p_legal_entity, p_desk, p_book, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           measure_value, CAST(1 AS BIGINT), NULL
    FROM var_points
    UNION ALL
    -- limits that cannot be measured on this date: one row each
    SELECT l.limit_id, l.s_legal_entity, l.s_desk, l.s_book, l.s_trader, l.s_counterparty, l.s_issuer, l.s_sector,
           l.s_country, l.s_currency, l.s_asset_class, NULL, CAST(0 AS BIGINT),
           CASE
               WHEN l.measure IN ('VAR_99_1D', 'EAD') AND l.kind = 'NONE' THEN 'measure ' || l.measure || ' not computed for this date'
               WHEN l.kind = 'NONE' THEN 'unknown measure ' || l.measure
               ELSE 'no ' || l.measure || ' at the level of this scope'
           END
    FROM lim AS l
    WHERE l.kind = 'NONE'
       OR (l.kind = 'LOOKUP' AND l.limit_id NOT IN (SELECT limit_id FROM var_points))
),
scored AS (
    SELECT
        m.*,
        l.version, l.source, l.measure, l.comparison, l.use_abs, l.limit_value, l.currency AS limit_currency,
        l.limit_value_base, l.warning_pct, l.severity, l.is_temporary, l.specificity, l.priority,
        coalesce(m.p_legal_entity, b.legal_entity_id) AS n_legal_entity,
        coalesce(m.p_desk, b.desk) AS n_desk,
        CASE WHEN l.use_abs THEN abs(m.measure_value) ELSE m.measure_value END AS v,
        coalesce(nullif(concat_ws(';',
            'legal_entity_id=' || m.p_legal_entity, 'desk=' || m.p_desk, 'book_id=' || m.p_book,
            'trader=' || m.p_trader, 'counterparty_id=' || m.p_counterparty, 'issuer=' || m.p_issuer,
            'sector=' || m.p_sector, 'country=' || m.p_country, 'currency=' || m.p_currency,
            'asset_class=' || m.p_asset_class), ''), 'firm') AS point_key
    FROM measured AS m
    JOIN lim AS l ON l.limit_id = m.limit_id
    LEFT JOIN ref_books AS b ON b.book_id = m.p_book
),
ranked AS (
    SELECT
        s.*,
        row_number() OVER w AS rn,
        first_value(s.limit_id) OVER w AS winner
    FROM scored AS s
    WINDOW w AS (
        PARTITION BY s.measure, s.n_legal_entity, s.n_desk, s.p_book, s.p_trader, s.p_counterparty, s.p_issuer,
                     s.p_sector, s.p_country, s.p_currency, s.p_asset_class, (s.measure_value IS NULL)
        ORDER BY s.specificity DESC, s.is_temporary DESC, s.priority DESC, s.limit_id
    )
),
judged AS (
    SELECT
        r.*,
        CASE
            WHEN r.v IS NULL OR r.limit_value_base IS NULL THEN NULL
            WHEN r.comparison IN ('<=', '<') THEN
                CASE WHEN r.limit_value_base > 0 THEN r.v / r.limit_value_base * 100
                     WHEN r.v <= 0 THEN 0.0 END
            ELSE
                CASE WHEN r.limit_value_base < 0 THEN greatest(r.v / r.limit_value_base * 100, 0.0)
                     WHEN r.limit_value_base > 0 THEN CASE WHEN r.v > 0 THEN r.limit_value_base / r.v * 100 END
                     WHEN r.v >= 0 THEN 0.0 END
        END AS utilisation_pct,
        CASE
            WHEN r.v IS NULL OR r.limit_value_base IS NULL THEN NULL
            WHEN r.comparison = '<=' THEN r.v > r.limit_value_base
            WHEN r.comparison = '<' THEN r.v >= r.limit_value_base
            WHEN r.comparison = '>=' THEN r.v < r.limit_value_base
            ELSE r.v <= r.limit_value_base
        END AS is_breach,
        CASE WHEN r.comparison IN ('<=', '<') THEN r.v - r.limit_value_base ELSE r.limit_value_base - r.v END AS excess
    FROM ranked AS r
)
SELECT
    j.limit_id, j.version, j.source, j.measure, j.point_key,
    j.p_legal_entity AS legal_entity_id, j.p_desk AS desk, j.p_book AS book_id, j.p_trader AS trader,
    j.p_counterparty AS counterparty_id, j.p_issuer AS issuer, j.p_sector AS sector, j.p_country AS country,
    j.p_currency AS currency, j.p_asset_class AS asset_class,
    j.comparison, j.use_abs,
    CAST(round(j.measure_value, 4) AS DECIMAL(24, 4)) AS measure_value,
    j.limit_value, j.limit_currency,
    CAST(round(j.limit_value_base, 4) AS DECIMAL(24, 4)) AS limit_value_base,
    j.utilisation_pct, j.warning_pct,
    CAST(round(j.excess, 4) AS DECIMAL(24, 4)) AS excess_base,
    CASE
        WHEN j.measure_value IS NULL THEN 'NO_DATA'
        WHEN j.limit_value_base IS NULL THEN 'NO_DATA'
        WHEN j.rn > 1 THEN 'SUPERSEDED'
        WHEN j.is_breach THEN 'BREACH'
        WHEN j.utilisation_pct >= CAST(j.warning_pct AS DOUBLE) THEN 'WARNING'
        ELSE 'OK'
    END AS status,
    j.severity, j.is_temporary, j.specificity, j.priority,
    CASE WHEN j.rn > 1 AND j.measure_value IS NOT NULL THEN j.winner END AS governed_by,
    j.facts,
    CASE WHEN j.limit_value_base IS NULL AND j.measure_value IS NOT NULL
         THEN 'no FX rate for the limit currency ' || j.limit_currency ELSE j.note END AS note
FROM judged AS j;

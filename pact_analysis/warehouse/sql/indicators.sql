-- Risk-of-exclusion indicators, one row per person of dim_person, at the reference date
-- (warehouse_params.reference_date). Only events on or before that date count.
--
-- Time is measured in calendar months: a month index is year * 12 + month, "the last N months" are
-- the reference month and the N - 1 before it, and durations are differences of month indexes.
-- RGC spells are monthly ("first/last month paid"): a spell runs to its last month paid, or to the
-- reference month if it is still paid then. Their end is fact_benefit_spell's effective end_date: an
-- open file followed by a later file of the same head ends at that file's start (end_imputed), so it
-- is not still paid at the reference date after it, nor counted as a long current spell.
-- Employment episodes are dated to the day.
-- Standard SQL (CTEs, window functions, EXTRACT, CASE); GREATEST is not in the standard but every
-- target engine has it.

-- name: indicators
WITH ref AS (
    SELECT reference_date AS r,
           EXTRACT(YEAR FROM reference_date) * 12 + EXTRACT(MONTH FROM reference_date) AS rm,
           EXTRACT(YEAR FROM extraction_date) - EXTRACT(YEAR FROM reference_date) AS years_before_extraction
    FROM warehouse_params
), months AS (
    SELECT DISTINCT month_index AS m FROM dim_date
), person AS (
    -- age at the reference date: exact at the extraction date, otherwise shifted by whole years
    SELECT d.*, d.age_at_extraction - ref.years_before_extraction AS age
    FROM dim_person d
    CROSS JOIN ref
), spells AS (
    -- every RGC spell of every member of its file (heads and other members alike); end_date is the
    -- effective end (empty or after the reference date: still paid at the reference date)
    SELECT b.person_key, b.role, s.spell_id, s.file_id, s.start_date, s.household_type, s.household_size,
           EXTRACT(YEAR FROM s.start_date) * 12 + EXTRACT(MONTH FROM s.start_date) AS start_m,
           CASE WHEN s.end_date IS NULL OR s.end_date > ref.r THEN ref.rm
                ELSE EXTRACT(YEAR FROM s.end_date) * 12 + EXTRACT(MONTH FROM s.end_date)
           END AS end_m
    FROM fact_benefit_spell s
    JOIN bridge_rgc_member b ON b.file_id = s.file_id
    CROSS JOIN ref
    WHERE s.start_date <= ref.r
), rgc_months AS (
    -- distinct months on RGC among the last 36 (overlapping files of one person count once)
    SELECT sp.person_key, COUNT(DISTINCT mo.m) AS months_on_rgc_36m
    FROM spells sp
    CROSS JOIN ref
    JOIN months mo ON mo.m BETWEEN GREATEST(sp.start_m, ref.rm - 35) AND sp.end_m
    GROUP BY sp.person_key
), spell_order AS (
    -- the latest month paid by any earlier spell of the person
    SELECT person_key, start_m, end_m,
           MAX(end_m) OVER (PARTITION BY person_key ORDER BY start_date, spell_id
                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_end_m
    FROM spells
), rgc AS (
    -- a re-entry is a spell starting after at least one unpaid month since every earlier spell
    SELECT so.person_key,
           COUNT(*) AS rgc_spells,
           SUM(CASE WHEN so.start_m > so.previous_end_m + 1 THEN 1 ELSE 0 END) AS rgc_reentries,
           -- RGC_REENTRY's count: returns within 12 months of an exit, the return in the last 24 months
           SUM(CASE WHEN so.start_m > so.previous_end_m + 1 AND so.start_m - so.previous_end_m <= 12
                         AND so.start_m > ref.rm - 24
                    THEN 1 ELSE 0 END) AS rgc_reentries_12m,
           MAX(CASE WHEN so.end_m = ref.rm THEN ref.rm - so.start_m + 1 ELSE 0 END) AS current_rgc_spell_months,
           MIN(so.start_m) AS first_m
    FROM spell_order so
    CROSS JOIN ref
    GROUP BY so.person_key
), latest_file AS (
    SELECT person_key, role, file_id, household_type, household_size,
           ROW_NUMBER() OVER (PARTITION BY person_key ORDER BY start_date DESC, spell_id DESC) AS rn
    FROM spells
), household AS (
    -- minors: every member of the person's latest RGC file under 18, the person included (a child in a
    -- household with three minors counts three); dependants: the OTHER members under 18, 65 or over,
    -- or disabled; members not yet born at the reference date (age < 0) are not counted
    SELECT lf.person_key,
           SUM(CASE WHEN o.age >= 0 AND o.age < 18 THEN 1 ELSE 0 END) AS n_minors,
           SUM(CASE WHEN b.person_key <> lf.person_key AND ((o.age >= 0 AND o.age < 18) OR o.age >= 65 OR o.disability)
                    THEN 1 ELSE 0 END) AS n_dependants
    FROM latest_file lf
    JOIN (SELECT DISTINCT file_id, person_key FROM bridge_rgc_member) b ON b.file_id = lf.file_id
    JOIN person o ON o.person_key = b.person_key
    WHERE lf.rn = 1
    GROUP BY lf.person_key
), episodes AS (
    SELECT e.person_key, e.episode_type,
           EXTRACT(YEAR FROM e.start_date) * 12 + EXTRACT(MONTH FROM e.start_date) AS start_m,
           CASE WHEN e.end_date IS NULL OR e.end_date > ref.r THEN ref.rm
                ELSE EXTRACT(YEAR FROM e.end_date) * 12 + EXTRACT(MONTH FROM e.end_date)
           END AS end_m,
           e.end_date IS NULL OR e.end_date >= ref.r AS ongoing
    FROM fact_employment_episode e
    CROSS JOIN ref
    WHERE e.start_date <= ref.r AND e.person_key IS NOT NULL
), employment AS (
    SELECT person_key,
           MAX(CASE WHEN episode_type = 'CONTRACT' AND ongoing THEN 1 ELSE 0 END) = 1 AS employed_at_reference,
           MAX(CASE WHEN episode_type = 'CONTRACT' THEN end_m END) AS last_contract_m,
           MIN(CASE WHEN episode_type = 'JOBSEEKER' AND ongoing THEN start_m END) AS jobseeker_since_m
    FROM episodes
    GROUP BY person_key
), any_episode AS (
    SELECT DISTINCT person_key FROM fact_employment_episode WHERE person_key IS NOT NULL
), provisions AS (
    SELECT f.person_key,
           -- provisions received (granted or provided, or closed after being provided); information and
           -- guidance and the processing of an RGC claim are contacts, not provisions; denied or pending
           -- requests were not received
           COUNT(DISTINCT CASE WHEN f.m > ref.rm - 36 AND f.status IN ('GRANTED', 'CLOSED')
                                    AND f.provision_code NOT IN ('INFO', 'RGC_PROCESSING')
                               THEN f.provision_code END) AS n_services_36m,
           SUM(CASE WHEN f.provision_code = 'EMERGENCY_AID' AND f.status <> 'DENIED' AND f.m > ref.rm - 12
                    THEN 1 ELSE 0 END) AS emergency_aids_12m,
           MAX(CASE WHEN f.provision_code = 'DEPENDENCY' THEN 1 ELSE 0 END) = 1 AS dependency_assessed,
           MIN(f.m) AS first_m
    FROM (SELECT person_key, provision_code, status,
                 EXTRACT(YEAR FROM date) * 12 + EXTRACT(MONTH FROM date) AS m
          FROM fact_provision, ref
          WHERE date <= ref.r AND person_key IS NOT NULL) f
    CROSS JOIN ref
    GROUP BY f.person_key
), ngo AS (
    SELECT a.person_key,
           COUNT(DISTINCT CASE WHEN a.m > ref.rm - 36 THEN a.ngo_code END) AS n_ngos_36m,
           SUM(CASE WHEN a.m > ref.rm - 12 THEN 1 ELSE 0 END) AS ngo_attentions_12m
    FROM (SELECT person_key, ngo_code, EXTRACT(YEAR FROM date) * 12 + EXTRACT(MONTH FROM date) AS m
          FROM fact_ngo_attention, ref
          WHERE date <= ref.r AND person_key IS NOT NULL) a
    CROSS JOIN ref
    GROUP BY a.person_key
), joined AS (
    SELECT p.person_key, p.ceas_code, p.province_code, p.age, p.disability, p.disability_pct,
           p.sauss_registration_date <= ref.r AS registered_sauss,
           EXTRACT(YEAR FROM p.sauss_registration_date) * 12 + EXTRACT(MONTH FROM p.sauss_registration_date)
               AS registration_m,
           p.in_employment, ref.rm,
           COALESCE(lf.household_type, p.household_type) AS household_type,
           COALESCE(lf.household_size,
                    CASE WHEN COALESCE(lf.household_type, p.household_type) = 'SINGLE' THEN 1 END) AS household_size,
           lf.role AS rgc_role,
           CASE WHEN lf.person_key IS NOT NULL THEN COALESCE(h.n_minors, 0) END AS n_minors,
           CASE WHEN lf.person_key IS NOT NULL THEN COALESCE(h.n_dependants, 0) END AS n_dependants,
           rg.rgc_spells, rg.rgc_reentries, rg.rgc_reentries_12m, rg.current_rgc_spell_months,
           rg.first_m AS rgc_first_m, rm36.months_on_rgc_36m,
           em.employed_at_reference, em.last_contract_m, em.jobseeker_since_m,
           ae.person_key IS NOT NULL AS has_any_episode, em.person_key IS NOT NULL AS has_episode,
           pr.n_services_36m, pr.emergency_aids_12m, pr.dependency_assessed, pr.first_m AS provision_first_m,
           ng.person_key IS NOT NULL AS known_ngo, ng.n_ngos_36m, ng.ngo_attentions_12m
    FROM person p
    CROSS JOIN ref
    LEFT JOIN latest_file lf ON lf.person_key = p.person_key AND lf.rn = 1
    LEFT JOIN household h ON h.person_key = p.person_key
    LEFT JOIN rgc rg ON rg.person_key = p.person_key
    LEFT JOIN rgc_months rm36 ON rm36.person_key = p.person_key
    LEFT JOIN employment em ON em.person_key = p.person_key
    LEFT JOIN any_episode ae ON ae.person_key = p.person_key
    LEFT JOIN provisions pr ON pr.person_key = p.person_key
    LEFT JOIN ngo ng ON ng.person_key = p.person_key
), flags AS (
    SELECT j.*,
           COALESCE(j.registered_sauss, FALSE) OR j.provision_first_m IS NOT NULL AS known_sauss,
           j.rgc_spells IS NOT NULL AS known_rgc,
           -- the employment registry is undated: a registered person without any episode counts as known
           j.has_episode OR (j.in_employment AND NOT j.has_any_episode) AS known_employment
    FROM joined j
)
SELECT person_key,
       ceas_code,
       province_code,
       age,
       known_sauss OR known_rgc OR known_employment OR known_ngo AS known_at_reference,
       known_sauss,
       known_rgc,
       known_employment,
       known_ngo,
       CASE WHEN known_sauss THEN 1 ELSE 0 END + CASE WHEN known_rgc THEN 1 ELSE 0 END
           + CASE WHEN known_employment THEN 1 ELSE 0 END + CASE WHEN known_ngo THEN 1 ELSE 0 END AS n_systems,
       COALESCE(current_rgc_spell_months, 0) > 0 AS on_rgc_at_reference,
       COALESCE(months_on_rgc_36m, 0) AS months_on_rgc_36m,
       COALESCE(current_rgc_spell_months, 0) AS current_rgc_spell_months,
       COALESCE(rgc_spells, 0) AS rgc_spells,
       COALESCE(rgc_reentries, 0) AS rgc_reentries,
       COALESCE(rgc_reentries_12m, 0) AS rgc_reentries_12m,
       COALESCE(employed_at_reference, FALSE) AS employed_at_reference,
       CASE WHEN employed_at_reference THEN 0 ELSE rm - last_contract_m END AS months_since_last_contract,
       jobseeker_since_m IS NOT NULL AS registered_unemployed,
       COALESCE(rm - jobseeker_since_m, 0) AS unemployment_months,
       household_type,
       household_size,
       n_minors,
       n_dependants,
       -- an adult heading (or, outside RGC, living in) a lone-parent household with a minor (assumed
       -- when no RGC file lists the household's members)
       COALESCE(household_type = 'LONE_PARENT' AND age >= 18 AND COALESCE(rgc_role, 'HEAD') = 'HEAD'
                AND COALESCE(n_minors, 1) > 0, FALSE) AS lone_parent_minors,
       COALESCE(disability, FALSE) AS disability,
       disability_pct,
       COALESCE(n_services_36m, 0) AS n_services_36m,
       COALESCE(n_ngos_36m, 0) AS n_ngos_36m,
       COALESCE(ngo_attentions_12m, 0) AS ngo_attentions_12m,
       COALESCE(emergency_aids_12m, 0) AS emergency_aids_12m,
       COALESCE(dependency_assessed, FALSE) AS dependency_assessed,
       CASE WHEN first_known_m <= rm THEN rm - first_known_m END AS months_known_to_social_services
FROM (SELECT f.*,
             -- first month known to public social services: SAUSS registration, provision or RGC spell
             LEAST(CASE WHEN f.registered_sauss THEN f.registration_m ELSE f.rm + 1 END,
                   COALESCE(f.provision_first_m, f.rm + 1), COALESCE(f.rgc_first_m, f.rm + 1)) AS first_known_m
      FROM flags f) x;

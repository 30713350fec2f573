-- The star schema of the warehouse: one SELECT per table, filled by pact_analysis.warehouse in the
-- order of its logical model (dimensions before the facts that reference them).
--
-- Each block starts with "-- name: <table>" and is a plain SELECT whose columns are the table's
-- columns in model order; the Python side wraps it in "INSERT INTO <table> (<columns>) ...".
-- Inputs are the de-identified tables of data/processed under their file names (persons, ceas,
-- sauss_persons, sauss_interventions, rgc_members, rgc_spells, employment_persons,
-- employment_episodes, ngo_attention, mdtse_assessments, pilot_assignment) plus the one-row table
-- warehouse_params (reference_date, extraction_date) and codebook_provinces.
--
-- Standard SQL throughout (CTEs, window functions, CASE, COALESCE, EXTRACT); GREATEST/LEAST are not
-- in the standard but every target engine (DuckDB, PostgreSQL, Spark SQL) has them.

-- name: dim_territory
SELECT c.ceas_code,
       c.ceas_name,
       c.municipality_code,
       c.province_code,
       pr.province_name,
       CASE WHEN c.urban THEN 'urban' ELSE 'rural' END AS area,
       c.urban,
       c.pilot_territory
FROM ceas c
LEFT JOIN codebook_provinces pr ON pr.province_code = c.province_code;

-- name: dim_household
-- Households are the connected RGC files of data/processed (household_key); their type and size
-- come from the most recent benefit spell of any of their files.
WITH files AS (
    SELECT DISTINCT p.household_key, m.file_id
    FROM persons p
    JOIN rgc_members m ON m.person_key = p.person_key
    WHERE p.household_key IS NOT NULL
), spells AS (
    SELECT f.household_key, s.household_type, s.household_size, s.start_date,
           ROW_NUMBER() OVER (PARTITION BY f.household_key ORDER BY s.start_date DESC, s.spell_id DESC) AS rn
    FROM files f
    JOIN rgc_spells s ON s.file_id = f.file_id
), sizes AS (
    SELECT household_key, COUNT(*) AS n_persons
    FROM persons
    WHERE household_key IS NOT NULL
    GROUP BY household_key
), file_counts AS (
    SELECT household_key, COUNT(*) AS n_rgc_files
    FROM files
    GROUP BY household_key
)
SELECT z.household_key,
       s.household_type,
       s.household_size,
       z.n_persons,
       fc.n_rgc_files,
       (SELECT MIN(s2.start_date) FROM spells s2 WHERE s2.household_key = z.household_key) AS first_rgc_start
FROM sizes z
LEFT JOIN spells s ON s.household_key = z.household_key AND s.rn = 1
LEFT JOIN file_counts fc ON fc.household_key = z.household_key;

-- name: dim_person
-- The CEAS of a person: where SAUSS registered them, else the CEAS following their latest RGC file,
-- else the CEAS of their latest SAUSS intervention, else the CEAS most persons of their municipality
-- are registered with (ties: the smallest code); ceas_source says which.
WITH last_spell AS (
    SELECT m.person_key, s.ceas_code,
           ROW_NUMBER() OVER (PARTITION BY m.person_key ORDER BY s.start_date DESC, s.spell_id DESC) AS rn
    FROM rgc_members m
    JOIN rgc_spells s ON s.file_id = m.file_id
), last_intervention AS (
    SELECT person_key, ceas_code,
           ROW_NUMBER() OVER (PARTITION BY person_key ORDER BY date DESC, intervention_id DESC) AS rn
    FROM sauss_interventions
    WHERE person_key IS NOT NULL
), municipality_ceas AS (
    SELECT municipality_code, ceas_code,
           ROW_NUMBER() OVER (PARTITION BY municipality_code ORDER BY COUNT(*) DESC, ceas_code) AS rn
    FROM persons
    WHERE ceas_code IS NOT NULL AND municipality_code IS NOT NULL
    GROUP BY municipality_code, ceas_code
), registration AS (
    SELECT person_key, MIN(registration_date) AS sauss_registration_date
    FROM sauss_persons
    GROUP BY person_key
), resolved AS (
    SELECT p.person_key,
           COALESCE(p.ceas_code, ls.ceas_code, li.ceas_code, mc.ceas_code) AS ceas_code,
           CASE WHEN p.ceas_code IS NOT NULL THEN 'SAUSS'
                WHEN ls.ceas_code IS NOT NULL THEN 'RGC'
                WHEN li.ceas_code IS NOT NULL THEN 'INTERVENTION'
                WHEN mc.ceas_code IS NOT NULL THEN 'MUNICIPALITY'
           END AS ceas_source
    FROM persons p
    LEFT JOIN last_spell ls ON ls.person_key = p.person_key AND ls.rn = 1
    LEFT JOIN last_intervention li ON li.person_key = p.person_key AND li.rn = 1
    LEFT JOIN municipality_ceas mc ON mc.municipality_code = p.municipality_code AND mc.rn = 1
)
SELECT p.person_key,
       p.household_key,
       p.sex,
       p.birth_year,
       p.age AS age_at_extraction,
       CASE WHEN p.age IS NULL THEN NULL
            WHEN p.age < 16 THEN '00-15'
            WHEN p.age < 25 THEN '16-24'
            WHEN p.age < 35 THEN '25-34'
            WHEN p.age < 45 THEN '35-44'
            WHEN p.age < 55 THEN '45-54'
            WHEN p.age < 65 THEN '55-64'
            ELSE '65+'
       END AS age_band,
       p.nationality AS nationality_group,
       p.education,
       p.disability_pct,
       p.disability_pct >= 33 AS disability,
       COALESCE(p.household_type, h.household_type) AS household_type,
       r.ceas_code,
       r.ceas_source,
       COALESCE(t.province_code, p.province_code) AS province_code,
       g.sauss_registration_date,
       p.sources LIKE '%sauss_persons%' AS in_sauss,
       p.sources LIKE '%rgc_members%' AS in_rgc,
       p.sources LIKE '%employment_persons%' AS in_employment,
       p.sources LIKE '%ngo_attention%' AS in_ngo
FROM persons p
JOIN resolved r ON r.person_key = p.person_key
LEFT JOIN dim_territory t ON t.ceas_code = r.ceas_code
LEFT JOIN dim_household h ON h.household_key = p.household_key
LEFT JOIN registration g ON g.person_key = p.person_key;

-- name: bridge_rgc_member
-- A person recorded twice in one file (a duplicate record linked to one person) counts once, as
-- head if either record is the head ('HEAD' sorts before 'MEMBER').
SELECT file_id, person_key, MIN(role) AS role
FROM rgc_members
WHERE person_key IS NOT NULL
GROUP BY file_id, person_key;

-- name: fact_benefit_spell
-- end_date is the file's effective end: the recorded end, except for a file still open at the
-- extraction date (no end, or an end after it) and begun by then, followed by a later file of the
-- same head begun by then: a household does not hold two RGC files at once, so the open file is a
-- missing end date and ends at the next later start of the head's files (end_imputed; its
-- exit_reason stays as recorded, normally empty). The one rule of the spells and the payments,
-- pact_analysis.chronicity.spells.superseded_ends. months_paid counts calendar months from the first
-- to the last month paid, the last being the end's month but at most the extraction month (a file
-- still paid is paid to the extraction month), and 0 for a file begun after the extraction month
-- (pact_analysis.spending.paid.months_paid).
WITH next_start AS (
    -- the next later start of the same head among files begun by the extraction date, for every open file
    SELECT s.spell_id, MIN(n.start_date) AS next_start
    FROM rgc_spells s
    CROSS JOIN warehouse_params w
    JOIN rgc_spells n ON n.person_key = s.person_key
                     AND n.start_date > s.start_date
                     AND n.start_date <= w.extraction_date
    WHERE s.start_date <= w.extraction_date
      AND (s.end_date IS NULL OR s.end_date > w.extraction_date)
    GROUP BY s.spell_id
), ends AS (
    SELECT s.*,
           COALESCE(ns.next_start, s.end_date) AS effective_end,
           ns.next_start IS NOT NULL AS end_imputed,
           EXTRACT(YEAR FROM s.start_date) * 12 + EXTRACT(MONTH FROM s.start_date) AS first_m,
           CASE WHEN ns.next_start IS NOT NULL
                    THEN EXTRACT(YEAR FROM ns.next_start) * 12 + EXTRACT(MONTH FROM ns.next_start)
                WHEN s.end_date IS NULL OR s.end_date > w.extraction_date
                    THEN EXTRACT(YEAR FROM w.extraction_date) * 12 + EXTRACT(MONTH FROM w.extraction_date)
                ELSE EXTRACT(YEAR FROM s.end_date) * 12 + EXTRACT(MONTH FROM s.end_date)
           END AS last_m
    FROM rgc_spells s
    CROSS JOIN warehouse_params w
    LEFT JOIN next_start ns ON ns.spell_id = s.spell_id
)
SELECT e.spell_id,
       e.file_id,
       e.person_key,
       p.household_key,
       e.ceas_code,
       e.start_date,
       e.effective_end AS end_date,
       e.end_imputed,
       e.exit_reason,
       e.monthly_amount_eur,
       e.household_type,
       e.household_size,
       e.prior_imi,
       CASE WHEN e.last_m - e.first_m + 1 < 0 THEN 0 ELSE e.last_m - e.first_m + 1 END AS months_paid
FROM ends e
LEFT JOIN persons p ON p.person_key = e.person_key;

-- name: fact_provision
SELECT intervention_id, person_key, ceas_code, date, provision_code, status, amount_eur
FROM sauss_interventions;

-- name: fact_employment_episode
SELECT episode_id, person_key, episode_type, start_date, end_date, contract_type, workday, hours_week
FROM employment_episodes;

-- name: fact_ngo_attention
-- NGO attention records carry no id after de-identification: attention_id numbers them in a
-- deterministic order (rows that tie are identical, so which gets which number does not matter).
SELECT ROW_NUMBER() OVER (ORDER BY date, person_key, ngo_code, service_code) AS attention_id,
       person_key, ngo_code, service_code, date
FROM ngo_attention;

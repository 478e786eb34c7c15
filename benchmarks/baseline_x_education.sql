-- The rules of rules/x-education.yaml written by hand as one DuckDB query: the baseline of
-- benchmarks/bench_sql.py (issue 11: `leadspec qualify --engine duckdb` must stay within 1.5x
-- of it).
--
-- It reads a table or view `leads` whose columns are the export's, all VARCHAR, and returns
-- every input column plus `stage` and `reasons`: the same two columns `leadspec qualify`
-- writes, with the same text as the Python engine's `Result.summary()` on every row of the
-- real export (checked by bench_sql.py on every row it times, and by
-- tests/test_sql_agree.py::test_the_hand_written_baseline_agrees_with_python on the export).
--
-- Written from the rule file and docs/ (missing values, enums, summaries), the way an analyst
-- would: only what these rules need. What it leaves out (and leadspec's query does not):
-- * values that cannot be read are only NULL: an enum value outside the declared list, a
--   number that is not one, are not named in `reasons` (no "N data issues"); the export has
--   none. The bounds (`min: 0`) and whole numbers for integer fields are kept;
-- * the `fit` score, the criterion columns, `blocked_by`, `missing`, `issues`: not computed.
-- So it is a lower bound of the work: the 1.5x target is measured against the leanest query.
-- Like leadspec, it writes the rows in input order (row_number() over the input, ORDER BY).
--
-- Reading a cell, as leadspec does: trimmed; '', 'Select' and 'unknown' (the rule file's
-- `missing:` markers, compared exactly once trimmed) are missing (NULL); enum values are
-- matched without regard to case (compared here in lower case); booleans are
-- true/yes/y/1/t/on and false/no/n/0/f/off in any case; NULL is unknown and SQL's AND/OR/NOT
-- are Kleene logic, as in leadspec.
WITH cells AS (
    SELECT
        *,
        row_number() OVER () AS f_row,  -- the input order (DuckDB may run an IN list as a join, which reorders)
        CASE WHEN trim("Lead Origin") IN ('', 'Select', 'unknown') THEN NULL ELSE lower(trim("Lead Origin")) END AS f_origin,
        CASE WHEN trim("Lead Source") IN ('', 'Select', 'unknown') THEN NULL ELSE lower(trim("Lead Source")) END AS f_lead_source,
        CASE WHEN trim("Do Not Email") IN ('', 'Select', 'unknown') THEN NULL ELSE lower(trim("Do Not Email")) END AS f_do_not_email_text,
        CASE WHEN trim("TotalVisits") IN ('', 'Select', 'unknown') THEN NULL ELSE TRY_CAST(trim("TotalVisits") AS DOUBLE) END AS f_visits_read,
        CASE WHEN trim("Total Time Spent on Website") IN ('', 'Select', 'unknown') THEN NULL ELSE TRY_CAST(trim("Total Time Spent on Website") AS DOUBLE) END AS f_seconds_read,
        CASE WHEN trim("Page Views Per Visit") IN ('', 'Select', 'unknown') THEN NULL ELSE TRY_CAST(trim("Page Views Per Visit") AS DOUBLE) END AS f_pages_read,
        CASE WHEN trim("Last Activity") IN ('', 'Select', 'unknown') THEN NULL ELSE lower(trim("Last Activity")) END AS f_last_activity,
        CASE WHEN trim("Country") IN ('', 'Select', 'unknown') THEN NULL ELSE trim("Country") END AS f_country,
        CASE WHEN trim("What is your current occupation") IN ('', 'Select', 'unknown') THEN NULL ELSE lower(trim("What is your current occupation")) END AS f_occupation,
        CASE WHEN trim("Tags") IN ('', 'Select', 'unknown') THEN NULL ELSE lower(trim("Tags")) END AS f_tags,
        CASE WHEN trim("Lead Quality") IN ('', 'Select', 'unknown') THEN NULL ELSE lower(trim("Lead Quality")) END AS f_lead_quality,
        CASE WHEN trim("City") IN ('', 'Select', 'unknown') THEN NULL ELSE lower(trim("City")) END AS f_city
    FROM leads
),
fields AS (
    SELECT
        *,
        CASE WHEN f_do_not_email_text IN ('true', 'yes', 'y', '1', 't', 'on') THEN TRUE
             WHEN f_do_not_email_text IN ('false', 'no', 'n', '0', 'f', 'off') THEN FALSE END AS f_do_not_email,
        -- integer fields with min: 0 (a fraction, a negative or a non-finite number is not read)
        CASE WHEN isfinite(f_visits_read) AND f_visits_read >= 0 AND f_visits_read = floor(f_visits_read) THEN f_visits_read END AS f_visits,
        CASE WHEN isfinite(f_seconds_read) AND f_seconds_read >= 0 AND f_seconds_read = floor(f_seconds_read) THEN f_seconds_read END AS f_seconds_on_site,
        CASE WHEN isfinite(f_pages_read) AND f_pages_read >= 0 THEN f_pages_read END AS f_pages_per_visit
    FROM cells
),
criteria AS (
    SELECT
        *,
        -- scores.engagement (min 0, max 100): a rule that is unknown gives no points
        least(100, greatest(0,
              CASE WHEN f_seconds_on_site >= 600 THEN 30 ELSE 0 END
            + CASE WHEN f_seconds_on_site >= 300 AND f_seconds_on_site < 600 THEN 10 ELSE 0 END
            + CASE WHEN f_visits >= 5 THEN 10 ELSE 0 END
            + CASE WHEN f_pages_per_visit >= 3 THEN 5 ELSE 0 END
            + CASE WHEN f_origin IN ('lead add form', 'quick add form') THEN 30 ELSE 0 END
            + CASE WHEN f_last_activity IN ('had a phone conversation', 'approached upfront', 'sms sent', 'email link clicked',
                                          'form submitted on website') THEN 15 ELSE 0 END
            + CASE WHEN f_last_activity IN ('email bounced', 'unsubscribed', 'unreachable') THEN -20 ELSE 0 END)) AS f_engagement,
        -- disqualify
        f_tags IN ('invalid number', 'wrong number given', 'number not provided') AS dq_no_contact,
        f_tags IN ('already a student', 'not doing further education', 'diploma holder (not eligible)',
                 'university not recognized', 'recognition issue (dec approval)') AS dq_ineligible,
        f_tags IN ('lost to eins', 'lost to others') AS dq_lost,
        f_lead_quality = 'worst' AS dq_worst_quality,
        -- icp (all)
        f_occupation IN ('working professional', 'businessman', 'unemployed', 'other', 'housewife') AS icp_occupation,
        coalesce(f_country IN ('India', 'United Arab Emirates', 'Saudi Arabia', 'Qatar', 'Bahrain', 'Oman', 'Kuwait', 'Singapore'), TRUE) AS icp_market,
        coalesce(f_tags NOT IN ('interested in other courses', 'interested  in full time mba', 'graduation in progress'), TRUE) AS icp_wants_our_courses,
        -- mql (any)
        f_origin IN ('lead add form', 'quick add form') AS mql_form,
        f_seconds_on_site >= 600 AS mql_time_on_site,
        -- sql (all)
        f_tags IN ('will revert after reading the email', 'closed by horizzon', 'interested in next batch',
                 'shall take in the next coming month', 'lateral student',
                 'want to take admission but has financial problems', 'in confusion whether part time or dlp',
                 'still thinking') AS sql_intent,
        coalesce(f_lead_quality NOT IN ('not sure', 'worst'), TRUE) AS sql_quality
    FROM fields
),
stages AS (
    SELECT
        *,
        f_engagement >= 30 AS mql_engaged,
        coalesce(dq_no_contact OR dq_ineligible OR dq_lost OR f_do_not_email OR dq_worst_quality, FALSE) AS disqualified,
        icp_occupation AND icp_market AND icp_wants_our_courses AS icp,
        mql_form OR mql_time_on_site OR f_engagement >= 30 AS mql,
        sql_intent AND sql_quality AS sql_
    FROM criteria
),
reached AS (
    SELECT
        *,
        CASE WHEN icp IS NOT TRUE THEN 0 WHEN mql IS NOT TRUE THEN 1 WHEN sql_ IS NOT TRUE THEN 2 ELSE 3 END AS reached
    FROM stages
)
SELECT
    * EXCLUDE (f_row, f_origin, f_lead_source, f_do_not_email_text, f_visits_read, f_seconds_read, f_pages_read, f_last_activity, f_country,
               f_occupation, f_tags, f_lead_quality, f_city, f_do_not_email, f_visits, f_seconds_on_site, f_pages_per_visit, f_engagement,
               dq_no_contact, dq_ineligible, dq_lost, dq_worst_quality, icp_occupation, icp_market, icp_wants_our_courses,
               mql_form, mql_time_on_site, mql_engaged, sql_intent, sql_quality, disqualified, icp, mql, sql_, reached),
    CASE WHEN disqualified THEN 'disqualified' ELSE ['lead', 'icp', 'mql', 'sql'][reached + 1] END AS stage,
    concat_ws('; ',
        CASE WHEN disqualified THEN 'Disqualified' ELSE ['Lead', 'ICP fit', 'Marketing qualified lead', 'Sales qualified lead'][reached + 1] END,
        -- a disqualified lead: the `because` of each disqualifier that applies, then the stage it would have reached
        CASE WHEN disqualified AND dq_no_contact THEN 'cannot be contacted (' || CASE f_tags WHEN 'invalid number' THEN 'invalid number'
            WHEN 'wrong number given' THEN 'wrong number given' ELSE 'number not provided' END || ')' END,
        CASE WHEN disqualified AND dq_ineligible THEN 'cannot or will not enrol (' || CASE f_tags WHEN 'already a student' THEN 'Already a student'
            WHEN 'not doing further education' THEN 'Not doing further education'
            WHEN 'diploma holder (not eligible)' THEN 'Diploma holder (Not Eligible)'
            WHEN 'university not recognized' THEN 'University not recognized'
            ELSE 'Recognition issue (DEC approval)' END || ')' END,
        CASE WHEN disqualified AND dq_lost THEN 'enrolled elsewhere (' || CASE f_tags WHEN 'lost to eins' THEN 'Lost to EINS' ELSE 'Lost to Others' END || ')' END,
        CASE WHEN disqualified AND f_do_not_email THEN 'asked not to be emailed' END,
        CASE WHEN disqualified AND dq_worst_quality THEN 'sales rated the lead Worst' END,
        CASE WHEN disqualified THEN 'otherwise ' || ['Lead', 'ICP fit', 'Marketing qualified lead', 'Sales qualified lead'][reached + 1] END,
        -- otherwise: the criteria that keep the next stage from passing, with their outcome
        CASE WHEN NOT disqualified AND reached = 0 THEN 'not ICP fit: ' || concat_ws(', ',
            CASE WHEN icp_occupation IS NOT TRUE THEN 'icp.occupation ' || CASE WHEN icp_occupation IS FALSE THEN 'fail' ELSE 'unknown' END END,
            CASE WHEN icp_market IS NOT TRUE THEN 'icp.market fail' END,
            CASE WHEN icp_wants_our_courses IS NOT TRUE THEN 'icp.wants_our_courses fail' END)
        WHEN NOT disqualified AND reached = 1 THEN 'not Marketing qualified lead: ' || concat_ws(', ',
            'mql.form ' || CASE WHEN mql_form IS FALSE THEN 'fail' ELSE 'unknown' END,
            'mql.time_on_site ' || CASE WHEN mql_time_on_site IS FALSE THEN 'fail' ELSE 'unknown' END,
            'mql.engaged fail')
        WHEN NOT disqualified AND reached = 2 THEN 'not Sales qualified lead: ' || concat_ws(', ',
            CASE WHEN sql_intent IS NOT TRUE THEN 'sql.intent ' || CASE WHEN sql_intent IS FALSE THEN 'fail' ELSE 'unknown' END END,
            CASE WHEN sql_quality IS NOT TRUE THEN 'sql.quality fail' END)
        END,
        -- the fields whose absence left a criterion unknown, in the rule file's order (country
        -- is not one: its only criterion passes when it is missing)
        'missing ' || nullif(concat_ws(', ',
            CASE WHEN f_origin IS NULL THEN 'origin' END,
            CASE WHEN f_lead_source IS NULL THEN 'lead_source' END,
            CASE WHEN f_do_not_email IS NULL THEN 'do_not_email' END,
            CASE WHEN f_visits IS NULL THEN 'visits' END,
            CASE WHEN f_seconds_on_site IS NULL THEN 'seconds_on_site' END,
            CASE WHEN f_pages_per_visit IS NULL THEN 'pages_per_visit' END,
            CASE WHEN f_last_activity IS NULL THEN 'last_activity' END,
            CASE WHEN f_occupation IS NULL THEN 'occupation' END,
            CASE WHEN f_tags IS NULL THEN 'tags' END,
            CASE WHEN f_lead_quality IS NULL THEN 'lead_quality' END,
            CASE WHEN f_city IS NULL THEN 'city' END), '')
    ) AS reasons
FROM reached
ORDER BY f_row

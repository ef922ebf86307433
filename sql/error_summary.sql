-- /trail errors [top N] [window]
-- The top recurring errors, as in the AWS article: count(*) grouped by eventname, errorcode, errormessage.
-- An empty errorCode (exports write "" for absent fields) is no error; an empty message groups with a missing one.
-- `errorcode <> ''` is false for NULL and for "" alike (it means nullif(errorcode, '') IS NOT NULL on both engines);
-- in this form DuckDB tests it inside the Parquet scan, before it reads the row's other columns.
-- "top N" is a rank filter in the outer WHERE because Athena accepts ? parameters only in WHERE clauses.
SELECT total_events, eventname, errorcode, errormessage, distinct_principals, first_seen, last_seen
FROM (
  SELECT count(*) AS total_events,
         eventname,
         nullif(errorcode, '') AS errorcode,
         nullif(errormessage, '') AS errormessage,
         count(DISTINCT useridentity.arn) AS distinct_principals,
         min(eventtime) AS first_seen,
         max(eventtime) AS last_seen,
         row_number() OVER (ORDER BY count(*) DESC, nullif(errorcode, ''), eventname, nullif(errormessage, '')) AS position
  FROM cloudtrail_logs
  WHERE {{> window}}
    AND errorcode <> ''
  GROUP BY eventname, nullif(errorcode, ''), nullif(errormessage, '')
) AS ranked
WHERE position <= {{top}}
ORDER BY position

-- /trail errors [top N] [window]
-- The top recurring errors, as in the AWS article: count(*) grouped by eventname, errorcode, errormessage.
-- "top N" is a rank filter in the outer WHERE because Athena accepts ? parameters only in WHERE clauses.
SELECT total_events, eventname, errorcode, errormessage, distinct_principals, first_seen, last_seen
FROM (
  SELECT count(*) AS total_events,
         eventname,
         errorcode,
         errormessage,
         count(DISTINCT useridentity.arn) AS distinct_principals,
         min(eventtime) AS first_seen,
         max(eventtime) AS last_seen,
         row_number() OVER (ORDER BY count(*) DESC, errorcode, eventname, errormessage) AS position
  FROM cloudtrail_logs
  WHERE {{> window}}
    AND errorcode IS NOT NULL
  GROUP BY eventname, errorcode, errormessage
) AS ranked
WHERE position <= {{top}}
ORDER BY position

-- /trail users [top N] [window]
-- The most active IAM users and their most frequent actions (per-user, per-action counts first, then ranked).
-- A user is named by userName, or by the ARN when an export left userName empty.
WITH per_action AS (
  SELECT coalesce(nullif(useridentity.username, ''), useridentity.arn) AS username,
         eventname,
         count(*) AS calls,
         count(nullif(errorcode, '')) AS errors
  FROM cloudtrail_logs
  WHERE {{> window}}
    AND useridentity.type = 'IAMUser'
  GROUP BY coalesce(nullif(useridentity.username, ''), useridentity.arn), eventname
)
SELECT username, total_events, error_events, distinct_actions, top_actions
FROM (
  SELECT username,
         sum(calls) AS total_events,
         sum(errors) AS error_events,
         count(*) AS distinct_actions,
         array_join(slice(array_agg(eventname || ' (' || CAST(calls AS varchar) || ')' ORDER BY calls DESC, eventname), 1, 5), ', ') AS top_actions,
         row_number() OVER (ORDER BY sum(calls) DESC, username) AS position
  FROM per_action
  GROUP BY username
) AS ranked
WHERE position <= {{top}}
ORDER BY position

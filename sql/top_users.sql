-- /trail users [top N] [window]
-- The most active IAM users and their most frequent actions (per-user, per-action counts first, then ranked).
-- A user is named by userName, or by the ARN when an export left userName empty.
-- The embedded engine may run sql/rollups/top_users.sql instead, from counts it keeps per hour (same answer).
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
{{> users_ranked}}

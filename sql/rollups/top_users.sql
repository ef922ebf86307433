-- /trail users on the embedded engine when its columnar cache keeps the days' calls counted per hour
-- (src/engines/duckdb/actions.ts): the same per-user, per-action counts as sql/top_users.sql, summed from
-- cloudtrail_actions (the window's whole hours of the cached days) and counted row by row from cloudtrail_logs
-- (the rest: raw days, and the rows of a first or last hour the window holds only in part). The engine makes the two
-- views disjoint; the window's conditions are tested on both.
WITH per_action AS (
  SELECT username, eventname, CAST(sum(calls) AS BIGINT) AS calls, CAST(sum(errors) AS BIGINT) AS errors
  FROM (
    SELECT coalesce(nullif(useridentity.username, ''), useridentity.arn) AS username,
           eventname,
           count(*) AS calls,
           count(nullif(errorcode, '')) AS errors
    FROM cloudtrail_logs
    WHERE {{> window}}
      AND useridentity.type = 'IAMUser'
    GROUP BY coalesce(nullif(useridentity.username, ''), useridentity.arn), eventname
    UNION ALL
    SELECT username, eventname, calls, errors
    FROM cloudtrail_actions
    WHERE {{> window}}
      AND identity_type = 'IAMUser'
  ) AS counted
  GROUP BY username, eventname
)
{{> users_ranked}}

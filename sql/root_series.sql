-- Series of /trail root (issue 17, item 4): the calls of root_activity.sql (the root identity, directly or through
-- a service) counted per UTC day, or per hour for a window of at most a few days ({{^by_day}}, chosen by the parser),
-- for the chart in the thread. Same filters as the answer: the window partial and useridentity.type = 'Root'.
-- `bucket` is a prefix of the ISO 8601 eventtime (`2026-11-30` or `2026-11-30T09`). The bucket length is a section,
-- not a parameter: Athena accepts ? parameters only in WHERE clauses.
SELECT {{#by_day}}substr(eventtime, 1, 10){{/by_day}}{{^by_day}}substr(eventtime, 1, 13){{/by_day}} AS bucket,
       count(*) AS events
FROM cloudtrail_logs
WHERE {{> window}}
  AND useridentity.type = 'Root'
GROUP BY 1
ORDER BY 1

-- Series of /trail errors (issue 17, item 4): the errors of error_summary.sql counted per UTC hour, or per day
-- ({{#by_day}}, chosen by the parser from the window), for the chart in the thread. Same filters as the answer: the
-- window partial (window and account:/region: scope) and a non-empty errorCode. `bucket` is a prefix of the ISO 8601
-- eventtime (`2026-11-30T09` or `2026-11-30`), so the grouping is text and reads the same on Trino and DuckDB;
-- `top N` is not applied: the chart shows every error in the window, the table the top groups.
-- The bucket length is a section, not a parameter: Athena accepts ? parameters only in WHERE clauses.
SELECT {{#by_day}}substr(eventtime, 1, 10){{/by_day}}{{^by_day}}substr(eventtime, 1, 13){{/by_day}} AS bucket,
       count(*) AS events
FROM cloudtrail_logs
WHERE {{> window}}
  AND errorcode <> ''
GROUP BY 1
ORDER BY 1

-- Partial included by every template as {{> window}}: the day-partition filter lets Athena (partition projection)
-- and the DuckDB engine read only the window's days; the eventtime filter makes the window exact, [start, end).
"timestamp" BETWEEN {{day_from}} AND {{day_to}}
  AND from_iso8601_timestamp(eventtime) >= from_iso8601_timestamp({{start}})
  AND from_iso8601_timestamp(eventtime) < from_iso8601_timestamp({{end}})
  {{#scope_accounts}}AND recipientaccountid IN ({{scope_accounts...}}){{/scope_accounts}}
  {{#scope_regions}}AND awsregion IN ({{scope_regions...}}){{/scope_regions}}

-- Partial included by every template as {{> window}}: the day-partition filter lets Athena (partition projection)
-- and the DuckDB engine read only the window's days; the eventtime filter makes the window exact, [start, end).
-- account:/region: filter the events' own fields, and also the account/region partition columns when the table
-- has them (multi-account / multi-region trails), which is what narrows what Athena scans.
"timestamp" BETWEEN {{day_from}} AND {{day_to}}
  AND from_iso8601_timestamp(eventtime) >= from_iso8601_timestamp({{start}})
  AND from_iso8601_timestamp(eventtime) < from_iso8601_timestamp({{end}})
  {{#scope_accounts}}AND recipientaccountid IN ({{scope_accounts...}}){{/scope_accounts}}
  {{#scope_regions}}AND awsregion IN ({{scope_regions...}}){{/scope_regions}}
  {{#partition_accounts}}AND account IN ({{partition_accounts...}}){{/partition_accounts}}
  {{#partition_regions}}AND region IN ({{partition_regions...}}){{/partition_regions}}

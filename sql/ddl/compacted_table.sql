-- The compacted CloudTrail table (issue 16): the same columns and types as the raw table, plus its partition keys as
-- ordinary columns, stored as an Iceberg table of Parquet files that Athena itself fills (src/ddl/compact.ts).
-- Partitioned by identity on `timestamp`, the yyyy/MM/dd string every template filters on ("timestamp" BETWEEN ? AND ?),
-- so a template's day range prunes this table exactly as it prunes the raw table's projected days. A day(eventtime)
-- transform needs a timestamp column, and eventtime is a string here, as in AWS's CloudTrail DDL.
-- Athena User Guide, "Create Iceberg tables" (querying-iceberg-creating-tables.html). `--` lines are dropped.
CREATE TABLE IF NOT EXISTS ${tableName} (
${columns}
)
PARTITIONED BY (${partitionKeys})
LOCATION '${location}'
TBLPROPERTIES (
${tableProperties}
)

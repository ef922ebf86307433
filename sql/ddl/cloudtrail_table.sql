-- The CloudTrail table for Athena, with partition projection: the current AWS DDL
-- (docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html).
-- Rendered by src/ddl/render.ts, which fills each placeholder below; lines starting with `--` are dropped.
-- The column list is generated from src/ddl/table.ts (one source for this DDL, the Glue table in infra/ and the
-- DuckDB view); partition keys, LOCATION and TBLPROPERTIES come from the configured trail location.
CREATE EXTERNAL TABLE IF NOT EXISTS ${tableName} (
${columns}
)
PARTITIONED BY (
${partitionKeys}
)
ROW FORMAT SERDE '${serde}'
STORED AS INPUTFORMAT '${inputFormat}'
OUTPUTFORMAT '${outputFormat}'
LOCATION '${location}'
TBLPROPERTIES (
${tableProperties}
)

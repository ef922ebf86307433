-- Drops the table definition only: the table is EXTERNAL, so the log files in S3 stay where they are
-- (docs.aws.amazon.com/athena/latest/ug/drop-table.html). Used by `setup --replace` before re-creating it.
DROP TABLE IF EXISTS ${tableName}

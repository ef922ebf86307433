-- The table name every template queries, as a view over compacted days and raw recent days (issue 16), so the
-- templates stay unchanged. The split is the compaction watermark: the compacted table holds the days from its first
-- to its last compacted day without a gap (the job compacts in order, src/engines/athena/compact.ts); the raw table
-- answers every day before the first and after the last. No day is read from both. With an empty compacted table
-- everything comes from raw (the subqueries are NULL, so the days before '9999/12/31' are all read raw).
-- The two raw branches are separate, each one comparison of the partition column with a one-row subquery, rather
-- than one OR: a single range comparison is the shape Trino can turn into a dynamic filter that skips partitions
-- (Trino docs, "Dynamic filtering": dynamic partition pruning); whether Athena does so for projected partitions is
-- not verified here (README, "Compacted days"). Rendered by src/ddl/compact.ts; `--` lines are dropped.
CREATE OR REPLACE VIEW ${viewName} AS
SELECT ${columns} FROM ${compacted}
UNION ALL
SELECT ${columns} FROM ${raw}
WHERE "timestamp" < coalesce((SELECT min("timestamp") FROM ${compacted}), '9999/12/31')
UNION ALL
SELECT ${columns} FROM ${raw}
WHERE "timestamp" > (SELECT max("timestamp") FROM ${compacted})

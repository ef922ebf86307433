-- The compacted table's first and last day (NULL, NULL when it is empty): a run may extend the compacted range by
-- one day at either end or re-run a day inside it, never leave a gap (src/engines/athena/compact.ts).
-- `--` lines are dropped.
SELECT min("timestamp") AS first_day, max("timestamp") AS last_day FROM ${compacted}

-- Copies one closed day of the raw table into the compacted table (issue 16). Idempotent: a row is inserted only when
-- no row with the same eventid (and partition values) is there yet, so re-running a day inserts nothing twice
-- (Athena User Guide, "MERGE INTO", querying-iceberg-merge-into.html). The day is the only value and reaches Athena
-- as an ExecutionParameter (`?`), never as text. CloudTrail may deliver an event more than once ("CloudTrail log file
-- examples": duplicates are possible), so the source keeps one row per eventid: a target row matched by two source
-- rows would be an error, and the compacted day must not hold two copies of an event.
MERGE INTO ${compacted} AS t
USING (
  SELECT ${columns}
  FROM (
    SELECT ${columns}, row_number() OVER (PARTITION BY ${eventKey} ORDER BY eventtime) AS copy
    FROM ${raw}
    WHERE "timestamp" = ?
  ) AS r
  WHERE copy = 1
) AS s
ON ${match}
WHEN NOT MATCHED THEN
  INSERT (${columns})
  VALUES (${sourceColumns})

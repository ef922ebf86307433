-- The Glue database that holds the CloudTrail table. Rendered by src/ddl/render.ts; `--` lines are dropped.
CREATE DATABASE IF NOT EXISTS ${database}

-- Partial {{> local_time}}: the event's time on the clock of {{time_zone}} (TRAIL_TIME_ZONE), the one place the
-- templates turn eventtime into local time. Trino's at_timezone keeps the instant and changes the zone, so hour(),
-- minute() and day_of_week() of the result read the local wall clock (Trino docs, "Date and time functions").
at_timezone(from_iso8601_timestamp(eventtime), {{time_zone}})

-- Partial {{> local_minute}}: the minute of the local day (0 to 1439) at which the event happened, compared with the
-- off-hours bounds, which src/time/window.ts minutesOf() counts the same way.
(hour({{> local_time}}) * 60 + minute({{> local_time}}))

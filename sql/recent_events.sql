-- /trail recent [writes|errors] [window]
-- The latest events, newest first: what is happening right now.
SELECT eventtime,
       eventname,
       eventsource,
       useridentity.type AS identity_type,
       useridentity.arn AS principal_arn,
       sourceipaddress,
       awsregion,
       recipientaccountid,
       nullif(errorcode, '') AS errorcode,
       eventid
FROM cloudtrail_logs
WHERE {{> window}}
  {{#writes_only}}AND readonly = 'false'{{/writes_only}}
  {{#errors_only}}AND errorcode <> ''{{/errors_only}}
ORDER BY eventtime DESC, eventid
LIMIT 200

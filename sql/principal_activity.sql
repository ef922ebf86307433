-- /trail user <IAM user name or ARN> [window]
-- What one principal did: by user name (IAM user, or the role/user behind an assumed-role session) or by ARN.
SELECT eventtime,
       eventname,
       eventsource,
       useridentity.type AS identity_type,
       useridentity.arn AS principal_arn,
       sourceipaddress,
       useragent,
       awsregion,
       recipientaccountid,
       nullif(errorcode, '') AS errorcode,
       nullif(errormessage, '') AS errormessage,
       eventid
FROM cloudtrail_logs
WHERE {{> window}}
  {{#user_name}}AND (useridentity.username = {{user_name}}
       OR useridentity.sessioncontext.sessionissuer.username = {{user_name}}){{/user_name}}
  {{#user_arn}}AND (useridentity.arn = {{user_arn}}
       OR useridentity.sessioncontext.sessionissuer.arn = {{user_arn}}){{/user_arn}}
ORDER BY eventtime DESC, eventid
LIMIT 10000

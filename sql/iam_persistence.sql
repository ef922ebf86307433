-- /trail iam [window]
-- Persistence through IAM: users, access keys, console passwords and roles created, policies attached or put inline,
-- trust policies changed. Who, what, when and where first; the request, for the risk flags
-- (commands/detections/iam-flags.ts flags admin policies and trusts that let another account in).
SELECT coalesce(nullif(useridentity.username, ''), nullif(useridentity.sessioncontext.sessionissuer.username, '')) AS username,
       useridentity.arn AS principal_arn,
       eventname,
       eventsource,
       eventtime,
       sourceipaddress,
       awsregion,
       recipientaccountid,
       nullif(errorcode, '') AS errorcode,
       requestparameters,
       eventid
FROM cloudtrail_logs
WHERE {{> window}}
  AND eventsource = 'iam.amazonaws.com'
  AND eventname IN ('CreateUser', 'CreateAccessKey', 'CreateLoginProfile', 'UpdateLoginProfile', 'CreateRole',
                    'AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy',
                    'PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy', 'UpdateAssumeRolePolicy')
ORDER BY eventtime DESC, eventid
LIMIT 5000

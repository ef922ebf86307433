-- The columns of a detection's answer (tamper, iam, exposed): who, what, when and where first, then the request
-- the risk flags are read from (commands/detections/). A role session is named by the role behind it.
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

-- /trail root [window]
-- What the root identity did, directly or through a service (useridentity.invokedby), as in the AWS article's
-- root query (grouped by eventname and invokedby), with how many calls were not MFA-authenticated.
SELECT eventname,
       useridentity.invokedby AS invoked_by,
       count(*) AS total_events,
       count_if(coalesce(useridentity.sessioncontext.attributes.mfaauthenticated, 'false') <> 'true') AS without_mfa,
       count(errorcode) AS error_events,
       count(DISTINCT sourceipaddress) AS distinct_source_ips,
       min(eventtime) AS first_seen,
       max(eventtime) AS last_seen,
       arbitrary(recipientaccountid) AS recipientaccountid
FROM cloudtrail_logs
WHERE {{> window}}
  AND useridentity.type = 'Root'
GROUP BY eventname, useridentity.invokedby
ORDER BY total_events DESC, eventname, invoked_by

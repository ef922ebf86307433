-- /trail root [window]
-- What the root identity did, directly or through a service (useridentity.invokedby), as in the AWS article's
-- root query (grouped by eventname and invokedby), with how many calls were made without MFA (the used_mfa partial:
-- sign-ins record it in additionalEventData, API calls in sessionContext). An empty invokedBy or errorCode, as
-- exports write them, counts as absent.
SELECT eventname,
       nullif(useridentity.invokedby, '') AS invoked_by,
       count(*) AS total_events,
       count_if(NOT {{> used_mfa}}) AS without_mfa,
       count(nullif(errorcode, '')) AS error_events,
       count(DISTINCT sourceipaddress) AS distinct_source_ips,
       min(eventtime) AS first_seen,
       max(eventtime) AS last_seen,
       arbitrary(recipientaccountid) AS recipientaccountid
FROM cloudtrail_logs
WHERE {{> window}}
  AND useridentity.type = 'Root'
GROUP BY eventname, nullif(useridentity.invokedby, '')
ORDER BY total_events DESC, eventname, invoked_by

-- /trail tamper [window]
-- Logging and defences turned off or narrowed: a trail stopped, deleted, updated or its event selectors changed,
-- VPC flow logs and Route 53 Resolver query logging deleted, GuardDuty / Security Hub / AWS Config disabled or
-- deleted, an account leaving its organization. Who, what, when and where first; the request, for the risk flags
-- (commands/detections/tamper-flags.ts decides which rows are a finding). Refused calls are kept: an attempt is a
-- signal too. GuardDuty's UpdateDetector is kept only when it sets `enable` to false (GuardDuty API Reference,
-- "UpdateDetector"); it also changes the publishing frequency, which is no tampering.
{{> finding_columns}}
WHERE {{> window}}
  AND ((eventsource = 'cloudtrail.amazonaws.com'
        AND eventname IN ('StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors', 'PutInsightSelectors'))
    OR (eventsource = 'ec2.amazonaws.com' AND eventname = 'DeleteFlowLogs')
    OR (eventsource = 'route53resolver.amazonaws.com'
        AND eventname IN ('DeleteResolverQueryLogConfig', 'DisassociateResolverQueryLogConfig'))
    OR (eventsource = 'guardduty.amazonaws.com'
        AND (eventname = 'DeleteDetector'
             OR (eventname = 'UpdateDetector' AND json_extract_scalar(requestparameters, '$.enable') = 'false')))
    OR (eventsource = 'securityhub.amazonaws.com' AND eventname = 'DisableSecurityHub')
    OR (eventsource = 'config.amazonaws.com'
        AND eventname IN ('StopConfigurationRecorder', 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel'))
    OR (eventsource = 'organizations.amazonaws.com'
        AND eventname IN ('LeaveOrganization', 'RemoveAccountFromOrganization')))
ORDER BY eventtime DESC, eventid
LIMIT 5000

-- /trail logins [all|offhours|mobile|external|nomfa|failed|root] [window]
-- Console sign-ins (eventname ConsoleLogin). The result is in responseElements.ConsoleLogin, MFA and mobile use in
-- additionalEventData (MFAUsed, MobileVersion), as CloudTrail records them for AwsConsoleSignIn events; used_mfa is
-- the shared definition (sql/_used_mfa.sql) that root and the risk flags use too. Off-hours compare the local
-- minute of the day (sql/_local_minute.sql) with the configured range; a range that wraps midnight (22:00-06:00) is
-- one side OR the other, a range within the day (00:00-05:00) one side AND the other.
SELECT eventtime,
       useridentity.type AS identity_type,
       coalesce(nullif(useridentity.username, ''), useridentity.arn) AS username,
       sourceipaddress,
       json_extract_scalar(responseelements, '$.ConsoleLogin') AS result,
       json_extract_scalar(additionaleventdata, '$.MFAUsed') AS mfa_used,
       {{> used_mfa}} AS used_mfa,
       json_extract_scalar(additionaleventdata, '$.MobileVersion') AS mobile,
       nullif(errormessage, '') AS errormessage,
       useragent,
       useridentity.arn AS principal_arn,
       awsregion,
       recipientaccountid,
       eventid
FROM cloudtrail_logs
WHERE {{> window}}
  AND eventname = 'ConsoleLogin'
  {{#mobile}}AND json_extract_scalar(additionaleventdata, '$.MobileVersion') = 'Yes'{{/mobile}}
  {{#nomfa}}AND NOT {{> used_mfa}}
  AND json_extract_scalar(responseelements, '$.ConsoleLogin') = 'Success'{{/nomfa}}
  {{#root}}AND useridentity.type = 'Root'{{/root}}
  {{#failed}}AND (json_extract_scalar(responseelements, '$.ConsoleLogin') = 'Failure' OR nullif(errormessage, '') IS NOT NULL){{/failed}}
  {{#known_networks}}AND NOT ({{#each known_networks " OR "}}{{> in_network}}{{/each}}){{/known_networks}}
  {{#offhours}}AND (({{> local_minute}} >= {{offhours_start}}
       {{#offhours_within}}AND{{/offhours_within}}{{#offhours_wrapping}}OR{{/offhours_wrapping}} {{> local_minute}} < {{offhours_end}})
       {{#offhours_weekends}}OR day_of_week({{> local_time}}) IN (6, 7){{/offhours_weekends}}){{/offhours}}
ORDER BY eventtime ASC, eventid

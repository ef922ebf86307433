-- /trail iam [window]
-- Persistence through IAM: users, access keys, console passwords and roles created, policies attached or put inline,
-- trust policies changed. Who, what, when and where first; the request, for the risk flags
-- (commands/detections/iam-flags.ts flags admin policies and trusts that let another account in).
{{> finding_columns}}
WHERE {{> window}}
  AND eventsource = 'iam.amazonaws.com'
  AND eventname IN ('CreateUser', 'CreateAccessKey', 'CreateLoginProfile', 'UpdateLoginProfile', 'CreateRole',
                    'AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy',
                    'PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy', 'UpdateAssumeRolePolicy')
ORDER BY eventtime DESC, eventid
LIMIT 5000

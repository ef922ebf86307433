-- Partial {{> used_mfa}}: whether an event was made with MFA, the one definition every template uses.
-- Console sign-ins (eventname ConsoleLogin, eventtype AwsConsoleSignIn) record it as additionalEventData.MFAUsed
-- "Yes"/"No" and usually carry no sessionContext; API calls made with temporary credentials record
-- userIdentity.sessionContext.attributes.mfaAuthenticated "true"/"false" (CloudTrail User Guide, "AWS Management
-- Console sign-in events" and "CloudTrail userIdentity element"). Missing or empty means no MFA.
(CASE WHEN eventname = 'ConsoleLogin'
      THEN lower(coalesce(json_extract_scalar(additionaleventdata, '$.MFAUsed'), '')) = 'yes'
      ELSE lower(coalesce(useridentity.sessioncontext.attributes.mfaauthenticated, '')) = 'true' END)

-- /trail who <resource id or ARN> [window]
-- Every call that named this resource: in the request, the response, or the resources list.
SELECT eventtime,
       eventname,
       eventsource,
       useridentity.arn AS principal_arn,
       useridentity.username AS username,
       sourceipaddress,
       awsregion,
       recipientaccountid,
       nullif(errorcode, '') AS errorcode,
       eventid
FROM cloudtrail_logs
WHERE {{> window}}
  AND (strpos(requestparameters, {{resource}}) > 0
       OR strpos(responseelements, {{resource}}) > 0
       OR strpos(json_format(CAST(resources AS JSON)), {{resource}}) > 0
       {{#resource_name}}OR strpos(requestparameters, {{resource_name}}) > 0
       OR strpos(responseelements, {{resource_name}}) > 0{{/resource_name}})
ORDER BY eventtime DESC, eventid
LIMIT 10000

-- /trail ip <IPv4/IPv6 address or CIDR> [window]
-- Every call from an address or network. A single address is matched as a /32 or /128 network, so IPv6 spellings
-- compare by value, not by text. Non-IP sources (e.g. "ec2.amazonaws.com") never match.
SELECT eventtime,
       eventname,
       eventsource,
       useridentity.arn AS principal_arn,
       useridentity.username AS username,
       sourceipaddress,
       useragent,
       awsregion,
       recipientaccountid,
       nullif(errorcode, '') AS errorcode,
       eventid
FROM cloudtrail_logs
WHERE {{> window}}
  AND ({{#each networks " OR "}}{{> in_network}}{{/each}})
ORDER BY eventtime DESC, eventid
LIMIT 10000

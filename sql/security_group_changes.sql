-- /trail sg [sg-… | eni-…]… [window] [--all]
-- Who changed these security groups / network interfaces? After the AWS Big Data blog post "Analyze Security,
-- Compliance, and Operational Activity Using AWS CloudTrail and Amazon Athena" (first columns as in its query),
-- plus what an investigator needs next. The ids are matched anywhere in the request or response, as the article's
-- LIKE '%sg-…%' does (ModifyNetworkInterfaceAttribute lists groups inside groupSet; CreateSecurityGroup returns the
-- new id in responseElements). --all adds the Describe calls the article also shows.
SELECT eventname,
       useridentity.username AS username,
       sourceipaddress,
       eventtime,
       requestparameters,
       useridentity.arn AS principal_arn,
       awsregion,
       recipientaccountid,
       nullif(errorcode, '') AS errorcode,
       eventid
FROM cloudtrail_logs
WHERE {{> window}}
  AND eventsource = 'ec2.amazonaws.com'
  AND (eventname IN ('AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress',
                     'RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress',
                     'CreateSecurityGroup', 'DeleteSecurityGroup', 'ModifySecurityGroupRules',
                     'UpdateSecurityGroupRuleDescriptionsIngress', 'UpdateSecurityGroupRuleDescriptionsEgress',
                     'ModifyNetworkInterfaceAttribute')
       {{#include_describe}}OR eventname IN ('DescribeSecurityGroups', 'DescribeSecurityGroupRules', 'DescribeNetworkInterfaces'){{/include_describe}})
  {{#resource_ids}}AND ({{#each resource_ids " OR "}}strpos(requestparameters, {{.}}) > 0 OR strpos(responseelements, {{.}}) > 0{{/each}}){{/resource_ids}}
ORDER BY eventtime ASC, eventid

-- /trail exposed [window]
-- Resources made public or shared with another account: EBS snapshot and AMI permissions, RDS snapshot restore
-- permissions, S3 bucket policies, ACLs and Block Public Access. Who, what, when and where first; the request, for
-- the risk flags (commands/detections/exposed-flags.ts names the outside account or `all`). The bucket-level Block
-- Public Access events are recorded as DeleteBucketPublicAccessBlock / PutBucketPublicAccessBlock, not under the
-- API's names (Amazon S3 User Guide, "Amazon S3 CloudTrail events"); both spellings are matched.
{{> finding_columns}}
WHERE {{> window}}
  AND ((eventsource = 'ec2.amazonaws.com' AND eventname IN ('ModifySnapshotAttribute', 'ModifyImageAttribute'))
    OR (eventsource = 'rds.amazonaws.com'
        AND eventname IN ('ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute'))
    OR (eventsource = 's3.amazonaws.com'
        AND eventname IN ('PutBucketPolicy', 'PutBucketAcl',
                          'DeleteBucketPublicAccessBlock', 'DeletePublicAccessBlock', 'DeleteAccountPublicAccessBlock',
                          'PutBucketPublicAccessBlock', 'PutPublicAccessBlock', 'PutAccountPublicAccessBlock')))
ORDER BY eventtime DESC, eventid
LIMIT 5000

import { at, type CloudTrailEvent, objectOf } from '../reference/fields';

/**
 * The reference evaluator for the detection commands, in the manner of test/reference/evaluator.ts: which events
 * `tamper`, `iam` and `exposed` list, written a second time in plain TypeScript over parsed CloudTrail events, with no
 * SQL and no code shared with the templates. It lives beside the detection tests rather than inside
 * test/reference/evaluator.ts (another area's file, near its size limit) and reuses that folder's field readers.
 */

export type DetectionCommand = 'tamper' | 'iam' | 'exposed';

export interface DetectionQuestion {
  command: DetectionCommand;
  window: { start: Date; end: Date };
  scope?: { accounts?: string[]; regions?: string[] };
}

/** Event source → event names each command lists (CloudTrail eventSource and eventName). */
export const SELECTED: Record<DetectionCommand, Record<string, string[]>> = {
  tamper: {
    'cloudtrail.amazonaws.com': [
      'StopLogging',
      'DeleteTrail',
      'UpdateTrail',
      'PutEventSelectors',
      'PutInsightSelectors',
    ],
    'ec2.amazonaws.com': ['DeleteFlowLogs'],
    'route53resolver.amazonaws.com': ['DeleteResolverQueryLogConfig', 'DisassociateResolverQueryLogConfig'],
    'guardduty.amazonaws.com': ['DeleteDetector', 'UpdateDetector'],
    'securityhub.amazonaws.com': ['DisableSecurityHub'],
    'config.amazonaws.com': ['StopConfigurationRecorder', 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel'],
    'organizations.amazonaws.com': ['LeaveOrganization', 'RemoveAccountFromOrganization'],
  },
  iam: {
    'iam.amazonaws.com': [
      'CreateUser',
      'CreateAccessKey',
      'CreateLoginProfile',
      'UpdateLoginProfile',
      'CreateRole',
      'AttachUserPolicy',
      'AttachRolePolicy',
      'AttachGroupPolicy',
      'PutUserPolicy',
      'PutRolePolicy',
      'PutGroupPolicy',
      'UpdateAssumeRolePolicy',
    ],
  },
  exposed: {
    'ec2.amazonaws.com': ['ModifySnapshotAttribute', 'ModifyImageAttribute'],
    'rds.amazonaws.com': ['ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute'],
    's3.amazonaws.com': [
      'PutBucketPolicy',
      'PutBucketAcl',
      'DeleteBucketPublicAccessBlock',
      'DeletePublicAccessBlock',
      'DeleteAccountPublicAccessBlock',
      'PutBucketPublicAccessBlock',
      'PutPublicAccessBlock',
      'PutAccountPublicAccessBlock',
    ],
  },
};

/** Row caps of the detection templates. */
export const DETECTION_CAP = 5000;

/**
 * GuardDuty's UpdateDetector also changes the publishing frequency; only `enable` set to false turns GuardDuty off
 * (GuardDuty API Reference, "UpdateDetector"). JSON false and the text "false" both read as false.
 */
function selects(e: CloudTrailEvent, command: DetectionCommand): boolean {
  const names = SELECTED[command][String(e.eventSource)];
  if (!names?.includes(String(e.eventName))) return false;
  if (command === 'tamper' && e.eventName === 'UpdateDetector') {
    const enable = at(objectOf(e.requestParameters), 'enable');
    return enable === false || enable === 'false';
  }
  return true;
}

function inQuestion(e: CloudTrailEvent, q: DetectionQuestion): boolean {
  const t = Date.parse(String(e.eventTime));
  if (!(t >= q.window.start.getTime() && t < q.window.end.getTime())) return false;
  if (q.scope?.accounts?.length && !q.scope.accounts.includes(String(e.recipientAccountId))) return false;
  if (q.scope?.regions?.length && !q.scope.regions.includes(String(e.awsRegion))) return false;
  return true;
}

const cmp = (a: string, b: string) => (a === b ? 0 : a < b ? -1 : 1);

/** The event ids a detection lists: newest first, ties by event id, at most the cap. */
export function detectionListing(events: CloudTrailEvent[], q: DetectionQuestion): string[] {
  return events
    .filter((e) => inQuestion(e, q) && selects(e, q.command))
    .sort((a, b) => cmp(String(b.eventTime), String(a.eventTime)) || cmp(String(a.eventID), String(b.eventID)))
    .slice(0, DETECTION_CAP)
    .map((e) => String(e.eventID));
}

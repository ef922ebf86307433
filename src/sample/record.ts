/**
 * The shape of one CloudTrail record as the generator writes it (the subset of the CloudTrail record contents that
 * trailbot's table reads, see src/ddl/table.ts). Keys are declared in the order CloudTrail itself writes them, so the
 * generated files read like real ones.
 * Reference: docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface SessionIssuer {
  type: 'Role' | 'IAMUser' | 'Root';
  principalId: string;
  arn: string;
  accountId: string;
  userName: string;
}

export interface SessionContext {
  sessionIssuer?: SessionIssuer | Record<string, never>;
  webIdFederationData?: Record<string, never>;
  attributes: { creationDate: string; mfaAuthenticated: 'true' | 'false' };
  ec2RoleDelivery?: string;
}

export interface UserIdentity {
  type?: 'IAMUser' | 'AssumedRole' | 'Root' | 'AWSService' | 'AWSAccount';
  principalId?: string;
  arn?: string;
  accountId?: string;
  accessKeyId?: string;
  userName?: string;
  sessionContext?: SessionContext;
  invokedBy?: string;
}

export interface TrailResource {
  ARN: string;
  /** Absent on some resources (S3 objects). */
  accountId?: string;
  type: string;
}

export interface TlsDetails {
  tlsVersion: string;
  cipherSuite: string;
  clientProvidedHostHeader: string;
}

export type EventType = 'AwsApiCall' | 'AwsConsoleSignIn' | 'AwsServiceEvent';

export interface CloudTrailRecord {
  eventVersion: string;
  userIdentity: UserIdentity;
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  sourceIPAddress: string;
  userAgent: string;
  errorCode?: string;
  errorMessage?: string;
  requestParameters: JsonObject | null;
  responseElements: JsonObject | null;
  additionalEventData?: JsonObject;
  requestID?: string;
  eventID: string;
  readOnly: boolean;
  resources?: TrailResource[];
  eventType: EventType;
  managementEvent: boolean;
  recipientAccountId: string;
  serviceEventDetails?: JsonObject;
  eventCategory: 'Management' | 'Data';
  tlsDetails?: TlsDetails;
  sessionCredentialFromConsole?: 'true';
}

/** CloudTrail's eventTime format: UTC, whole seconds, `Z` (`2026-11-20T08:15:30Z`). */
export function isoSeconds(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19)}Z`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The odd human format some services use inside responseElements (`Nov 20, 2026, 9:15:30 AM`), in UTC. */
export function humanTime(epochMs: number): string {
  const d = new Date(epochMs);
  const h = d.getUTCHours();
  const h12 = h % 12 === 0 ? 12 : h % 12;
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  const ss = String(d.getUTCSeconds()).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${h12}:${mm}:${ss} ${h < 12 ? 'AM' : 'PM'}`;
}

/** The name a person would give the actor: IAM user name, role behind an assumed role, `root`, or the service. */
export function actorOf(identity: UserIdentity): string {
  if (identity.type === 'Root') return 'root';
  if (identity.userName) return identity.userName;
  const issuer = identity.sessionContext?.sessionIssuer;
  if (issuer && 'userName' in issuer) return issuer.userName;
  return identity.invokedBy ?? identity.principalId ?? 'unknown';
}

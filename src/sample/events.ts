/**
 * Turns a description of one call into a CloudTrail record with the fields in CloudTrail's own order. Used by both
 * the background noise and the scenarios, so every record has the same, realistic shape.
 */
import type { Random } from './random';
import {
  type CloudTrailRecord,
  type EventType,
  isoSeconds,
  type JsonObject,
  type TrailResource,
  type UserIdentity,
} from './record';
import { tlsFor } from './world';

export interface CallSpec {
  /** Epoch milliseconds, whole seconds. */
  time: number;
  accountId: string;
  region: string;
  /** e.g. `ec2.amazonaws.com`. */
  source: string;
  name: string;
  identity: UserIdentity;
  sourceIp: string;
  userAgent: string;
  request: JsonObject | null;
  response?: JsonObject | null;
  additional?: JsonObject;
  resources?: TrailResource[];
  readOnly: boolean;
  eventType?: EventType;
  /** Data events (S3 object calls) are not management events. */
  data?: boolean;
  errorCode?: string;
  errorMessage?: string;
  /** Host header the client used; `null` when no TLS client was involved (service-internal calls). */
  tlsHost?: string | null;
  /** `false` for events without a request id (service events). */
  withRequestId?: boolean;
  /** Call made with console session credentials. */
  fromConsole?: boolean;
}

/** Record format version by service, as seen in current trails (1.08 for sign-in and STS, newer elsewhere). */
const EVENT_VERSIONS: Record<string, string> = {
  'signin.amazonaws.com': '1.08',
  'sts.amazonaws.com': '1.08',
  'ec2.amazonaws.com': '1.10',
  's3.amazonaws.com': '1.10',
  'iam.amazonaws.com': '1.09',
  'kms.amazonaws.com': '1.10',
};

/** Hosts of global endpoints; everything else is called on its regional endpoint. */
const GLOBAL_HOSTS: Record<string, string> = {
  'iam.amazonaws.com': 'iam.amazonaws.com',
  'signin.amazonaws.com': 'signin.aws.amazon.com',
};

export function defaultHost(source: string, region: string): string {
  const global = GLOBAL_HOSTS[source];
  if (global) return global;
  return `${source.slice(0, source.indexOf('.'))}.${region}.amazonaws.com`;
}

export function makeRecord(rng: Random, spec: CallSpec): CloudTrailRecord {
  const record: CloudTrailRecord = {
    eventVersion: EVENT_VERSIONS[spec.source] ?? '1.09',
    userIdentity: spec.identity,
    eventTime: isoSeconds(spec.time),
    eventSource: spec.source,
    eventName: spec.name,
    awsRegion: spec.region,
    sourceIPAddress: spec.sourceIp,
    userAgent: spec.userAgent,
    errorCode: spec.errorCode,
    errorMessage: spec.errorMessage,
    requestParameters: spec.request,
    responseElements: spec.response ?? null,
    additionalEventData: spec.additional,
    requestID: spec.withRequestId === false ? undefined : rng.uuid(),
    eventID: rng.uuid(),
    readOnly: spec.readOnly,
    resources: spec.resources,
    eventType: spec.eventType ?? 'AwsApiCall',
    managementEvent: !spec.data,
    recipientAccountId: spec.accountId,
    eventCategory: spec.data ? 'Data' : 'Management',
    tlsDetails: spec.tlsHost === null ? undefined : tlsFor(spec.tlsHost ?? defaultHost(spec.source, spec.region), rng),
    sessionCredentialFromConsole: spec.fromConsole ? 'true' : undefined,
  };
  return record;
}

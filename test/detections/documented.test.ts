import * as fs from 'node:fs';
import { DuckDbEngine } from '../../src/engines/duckdb';
import { testConfig } from '../helpers/config';
import { deliverToTempFolder, type Event, runDetection } from './helpers';

/**
 * The templates over records in documented shapes the real detonation logs lack (GuardDuty, Security Hub, Config,
 * S3), through the embedded DuckDB engine: what each template selects, and what it leaves out.
 */

const ACCOUNT = '111122223333';
const ctx = { config: testConfig(), now: new Date('2026-11-22T12:00:00Z') };
const WINDOW = '2026-11-20..2026-11-20';

let seq = 0;
function event(eventSource: string, eventName: string, requestParameters: unknown, over: Event = {}): Event {
  seq += 1;
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/mallory`,
      accountId: ACCOUNT,
      sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/Admin`, userName: 'Admin' } },
    },
    eventTime: `2026-11-20T10:${String(seq % 60).padStart(2, '0')}:00Z`,
    eventSource,
    eventName,
    awsRegion: 'eu-west-1',
    sourceIPAddress: '203.0.113.9',
    requestParameters,
    responseElements: null,
    eventID: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    readOnly: false,
    eventType: 'AwsApiCall',
    recipientAccountId: ACCOUNT,
    ...over,
  };
}

describe('detection templates on documented shapes (DuckDB)', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  async function ask(records: Event[], text: string) {
    const dir = deliverToTempFolder(records);
    dirs.push(dir);
    const engine = new DuckDbEngine({ dataDir: dir, logger: () => {} });
    try {
      return await runDetection(engine, text, ctx);
    } finally {
      await engine.close();
    }
  }

  test('tamper: GuardDuty turned off (not its other updates), Security Hub, Config; reads and other sources left out', async () => {
    const off = event('guardduty.amazonaws.com', 'UpdateDetector', { detectorId: 'd1', enable: false });
    const frequency = event('guardduty.amazonaws.com', 'UpdateDetector', {
      detectorId: 'd1',
      findingPublishingFrequency: 'SIX_HOURS',
    });
    const on = event('guardduty.amazonaws.com', 'UpdateDetector', { detectorId: 'd1', enable: true });
    const hub = event('securityhub.amazonaws.com', 'DisableSecurityHub', {}, { errorCode: '' });
    const recorder = event('config.amazonaws.com', 'StopConfigurationRecorder', {
      configurationRecorderName: 'default',
    });
    const reads = [
      event('cloudtrail.amazonaws.com', 'DescribeTrails', {}, { readOnly: true }),
      event('guardduty.amazonaws.com', 'GetDetector', { detectorId: 'd1' }, { readOnly: true }),
      // A name the template knows, from another service, is not the same call.
      event('ec2.amazonaws.com', 'StopLogging', { name: 'x' }),
    ];
    const late = event(
      'cloudtrail.amazonaws.com',
      'StopLogging',
      { name: 'main' },
      { eventTime: '2026-11-21T00:00:00Z' },
    );
    const r = await ask([off, frequency, on, hub, recorder, ...reads, late], `tamper ${WINDOW}`);
    expect(r.records.map((x) => x.eventid).sort()).toEqual([off, hub, recorder].map((e) => e.eventID).sort());
    // The role behind an assumed-role session is who did it; an empty errorCode is no error.
    expect(r.records.every((x) => x.username === 'Admin' && x.errorcode === null)).toBe(true);
    expect([...r.flagged.values()].flat().map((f) => f.code)).toEqual(
      expect.arrayContaining(['guardduty-disabled', 'securityhub-disabled', 'config-stopped']),
    );
    expect(r.flagged.size).toBe(3);
  });

  test('exposed: S3 policy, ACL and Block Public Access under both event names; reads left out', async () => {
    const policy = event('s3.amazonaws.com', 'PutBucketPolicy', {
      bucketName: 'payroll',
      bucketPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject' }] },
    });
    const acl = event('s3.amazonaws.com', 'PutBucketAcl', { bucketName: 'web', 'x-amz-acl': ['public-read'] });
    const bucketBlock = event('s3.amazonaws.com', 'DeleteBucketPublicAccessBlock', { bucketName: 'web' });
    const apiName = event('s3.amazonaws.com', 'DeletePublicAccessBlock', { bucketName: 'web2' });
    const read = event('s3.amazonaws.com', 'GetBucketPolicy', { bucketName: 'payroll' }, { readOnly: true });
    const r = await ask([policy, acl, bucketBlock, apiName, read], `exposed ${WINDOW}`);
    expect(r.records.map((x) => x.eventid).sort()).toEqual(
      [policy, acl, bucketBlock, apiName].map((e) => e.eventID).sort(),
    );
    expect(r.flagged.get(String(policy.eventID))?.[0]?.message).toBe(
      `Admin gave all (Principal "*") access to bucket payroll in account ${ACCOUNT} in its policy`,
    );
    expect(r.flagged.size).toBe(4);
  });

  test('iam: every persistence call is listed, only the risky ones flagged; newest first', async () => {
    const readOnly = event('iam.amazonaws.com', 'AttachRolePolicy', {
      roleName: 'ci',
      policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
    });
    const user = event('iam.amazonaws.com', 'CreateUser', { userName: 'backdoor' });
    const list = event('iam.amazonaws.com', 'ListUsers', {}, { readOnly: true });
    const r = await ask([readOnly, user, list], `iam ${WINDOW}`);
    expect(r.records.map((x) => x.eventid)).toEqual([user.eventID, readOnly.eventID]);
    expect([...r.flagged.keys()]).toEqual([user.eventID]);
  });
});

import { ConfigError } from '../../src/core/errors';
import {
  CONTEXT_KEYS,
  DEPLOYMENT_DEFAULTS,
  deploymentErrorMessage,
  parseDeployment,
  readDeployment,
} from '../lib/context';

const minimal = {
  trailBucket: 'acme-cloudtrail',
  accounts: '111122223333',
  regions: 'us-east-1',
  accessPolicy: 'open',
};

/** The problems a ConfigError lists, or a failure when parsing succeeds. */
function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    parseDeployment(raw);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseDeployment', () => {
  test('the four required values are enough; everything else has a documented default', () => {
    expect(parseDeployment(minimal)).toEqual({
      trail: { bucket: 'acme-cloudtrail', prefix: '', accounts: ['111122223333'], regions: ['us-east-1'] },
      accessPolicy: 'open',
      ...DEPLOYMENT_DEFAULTS,
    });
  });

  test('projectionStart sets the Glue projection range start; a malformed day is refused naming the key', () => {
    expect(parseDeployment({ ...minimal, projectionStart: '2024/07/01' }).projectionStart).toBe('2024/07/01');
    expect(problemsOf({ ...minimal, projectionStart: '2024-7-1' })).toEqual([
      'projectionStart `2024-7-1` must be a day written yyyy/MM/dd (e.g. 2020/01/01)',
    ]);
  });

  test('reports every missing required value at once, naming the context key', () => {
    const problems = problemsOf({});
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/^trailBucket is not set: -c trailBucket=/);
    expect(problems[1]).toMatch(/^accounts is not set/);
    expect(problems[2]).toMatch(/^regions is not set/);
    expect(problems[3]).toMatch(/^accessPolicy is not set: who may ask what where, .* or -c accessPolicy=open /);
  });

  test('the access policy is required: a deploy is never open by default, only when it says `open`', () => {
    const { accessPolicy: _, ...withoutPolicy } = minimal;
    expect(problemsOf(withoutPolicy)).toEqual([expect.stringMatching(/^accessPolicy is not set/)]);
    expect(problemsOf({ ...minimal, accessPolicy: '' })).toEqual([expect.stringMatching(/^accessPolicy is not set/)]);
    expect(parseDeployment({ ...minimal, accessPolicy: ' open ' }).accessPolicy).toBe('open');
  });

  test('a malformed value is reported even while another is missing', () => {
    const problems = problemsOf({ accounts: '1234', accessPolicy: 'open' });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^trailBucket is not set/);
    expect(problems[1]).toMatch(/^regions is not set/);
    expect(problems[2]).toMatch(/^trail location .*`1234` is not a 12-digit AWS account id/);
  });

  test('lists come from the command line (commas, spaces) or from cdk.json (arrays, numbers)', () => {
    expect(
      parseDeployment({ ...minimal, accounts: '111122223333, 444455556666', regions: 'us-east-1 eu-west-1' }).trail,
    ).toMatchObject({ accounts: ['111122223333', '444455556666'], regions: ['us-east-1', 'eu-west-1'] });
    expect(
      parseDeployment({ ...minimal, accounts: [111122223333, '444455556666'], regions: ['eu-west-1'] }).trail,
    ).toMatchObject({ accounts: ['111122223333', '444455556666'], regions: ['eu-west-1'] });
  });

  test('the prefix loses slashes at either end and may not hold a `*` (it would widen the S3 grants)', () => {
    expect(parseDeployment({ ...minimal, trailPrefix: '/security/trail/' }).trail.prefix).toBe('security/trail');
    expect(problemsOf({ ...minimal, trailPrefix: 'logs*' })).toEqual([
      "trailPrefix `logs*` contains `*`, which would widen the bot's S3 permissions",
    ]);
  });

  test('trail location values are checked by the same rules the bot uses (src/ddl/location.ts)', () => {
    const problems = problemsOf({
      trailBucket: 'Not_A_Bucket',
      accounts: '1234',
      regions: 'mars-1',
      organizationId: 'org-1',
      accessPolicy: 'open',
    });
    expect(problems).toHaveLength(4);
    expect(problems.every((p) => p.startsWith('trail location (trailBucket/trailPrefix/…): '))).toBe(true);
    expect(problems.join('\n')).toMatch(/Not_A_Bucket.*\n.*1234.*\n.*mars-1.*\n.*org-1/);
  });

  test('numbers, retention, zone, network, key ARN and access policy are validated', () => {
    const problems = problemsOf({
      ...minimal,
      bytesScannedCutoffMb: '5',
      resultsRetentionDays: 'a month',
      logRetentionDays: 45,
      desiredCount: 9,
      timeZone: 'Mars/Olympus',
      network: 'vpn',
      trailKmsKeyArn: 'alias/cloudtrail',
      accessPolicy: '{not json',
    });
    expect(problems.map((p) => p.split(' ')[0])).toEqual([
      CONTEXT_KEYS.trailKmsKeyArn,
      CONTEXT_KEYS.bytesScannedCutoffMb,
      CONTEXT_KEYS.resultsRetentionDays,
      CONTEXT_KEYS.logRetentionDays,
      CONTEXT_KEYS.desiredCount,
      CONTEXT_KEYS.timeZone,
      CONTEXT_KEYS.accessPolicy,
      CONTEXT_KEYS.network,
    ]);
  });

  test('values pass through: numbers as text, the access policy as JSON text', () => {
    const d = parseDeployment({
      ...minimal,
      organizationId: 'o-abcd123456',
      trailKmsKeyArn: 'arn:aws:kms:us-east-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      bytesScannedCutoffMb: '250',
      logRetentionDays: 365,
      desiredCount: '0',
      network: 'public',
      accessPolicy: { default: { channels: ['C1'] }, commands: {} },
    });
    expect(d).toMatchObject({
      trail: { organizationId: 'o-abcd123456' },
      trailKmsKeyArn: 'arn:aws:kms:us-east-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      bytesScannedCutoffMb: 250,
      logRetentionDays: 365,
      desiredCount: 0,
      network: 'public',
      accessPolicy: '{"default":{"channels":["C1"]},"commands":{}}',
    });
  });
});

describe('readDeployment and the synth-time message', () => {
  test('reads each key from the construct node’s context', () => {
    const context: Record<string, unknown> = { ...minimal, athenaWorkgroup: 'forensics', glueDatabase: 'audit' };
    const d = readDeployment({ tryGetContext: (key: string) => context[key] });
    expect(d).toMatchObject({ workgroupName: 'forensics', databaseName: 'audit' });
  });

  test('a ConfigError becomes the list plus where to set context; other errors are not ours', () => {
    const message = deploymentErrorMessage(new ConfigError(['trailBucket is not set']));
    expect(message).toBe(
      'Invalid configuration:\n  - trailBucket is not set\n' +
        'Set context with -c key=value (see infra/README.md, "Deploy"), or in the "context" block of infra/cdk.json.',
    );
    expect(deploymentErrorMessage(new Error('boom'))).toBeUndefined();
  });
});

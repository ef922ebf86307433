import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The README's offline synth, end to end: the workspace's own `cdk` CLI runs `infra/cdk.json`'s app (tsx) and reads
 * the cloud assembly back. No AWS credentials, no Docker. This also catches a CLI too old for the installed
 * aws-cdk-lib (the CLI refuses a newer cloud assembly schema).
 */
const INFRA = path.resolve(__dirname, '..');
// npm places the workspace's CLI in infra/node_modules or hoists it to the root; resolve it the way Node would.
const CDK = require.resolve('aws-cdk/bin/cdk', { paths: [INFRA] });

describe('cdk synth from infra/', () => {
  let outdir: string;
  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailbot-cdk-cli-'));
  });
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  const synth = (...context: string[]) =>
    spawnSync(CDK, ['synth', '--quiet', '--no-notices', '--output', outdir, ...context.flatMap((c) => ['-c', c])], {
      cwd: INFRA,
      encoding: 'utf8',
      timeout: 120_000,
    });

  test('writes the Trailbot template with the documented context', () => {
    const run = synth(
      'trailBucket=example-trail-bucket',
      'accounts=111122223333',
      'regions=us-east-1',
      'accessPolicy={"default":{"channels":["C0SECOPS"]},"admins":["U0LEAD"]}',
    );
    expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
    const template = JSON.parse(fs.readFileSync(path.join(outdir, 'Trailbot.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string }>;
    };
    const types = new Set(Object.values(template.Resources).map((r) => r.Type));
    for (const type of ['AWS::DynamoDB::Table', 'AWS::Athena::WorkGroup', 'AWS::Glue::Table', 'AWS::ECS::Service']) {
      expect(types).toContain(type);
    }
  });

  test('without the required context it fails with the list of what to set, not a stack trace', () => {
    const run = synth('accounts=1234');
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('Invalid configuration:');
    expect(run.stderr).toContain('trailBucket is not set');
    expect(run.stderr).toContain('accessPolicy is not set');
    expect(run.stderr).toContain('`1234` is not a 12-digit AWS account id');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

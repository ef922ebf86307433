import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { checkHealth } from '../../src/health';
import {
  deployedEnvironment,
  logicalIdOf,
  onlyResource,
  SINGLE_TRAIL_CONTEXT,
  type Synthesized,
  synthesize,
} from './synth';

/**
 * The first `cdk deploy` with default context. The stack creates the Slack secret with placeholders and starts one
 * task at once. Before: the task exited on the placeholders, the deployment circuit breaker rolled the stack back,
 * and the retained secret (fixed name) made every later create fail "already exists". Now the secret is deleted by
 * a rolled-back create (and only then), and the task started with the placeholders waits, healthy, instead of failing.
 */
const ROOT = path.resolve(__dirname, '..', '..');

let synth: Synthesized;
let template: Template;
beforeAll(() => {
  synth = synthesize({ ...SINGLE_TRAIL_CONTEXT });
  template = synth.template;
});
afterAll(() => synth?.cleanup());

test('the secret and the key are retained on update and delete, but not when the first create rolls back', () => {
  const resources = template.toJSON().Resources as Record<
    string,
    { DeletionPolicy?: string; UpdateReplacePolicy?: string }
  >;
  for (const construct of [synth.stack.slackSecret, synth.stack.stateKey]) {
    const resource = resources[logicalIdOf(construct)]!;
    expect(resource).toMatchObject({ DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
  }
});

test('the task has a health check the image answers and a stop timeout that fits the hand-over', () => {
  const [container] = onlyResource(template, 'AWS::ECS::TaskDefinition').ContainerDefinitions as Record<
    string,
    unknown
  >[];
  expect(container).toMatchObject({
    HealthCheck: {
      Command: ['CMD', 'node', 'dist/src/health.js'],
      Interval: 30,
      Retries: 3,
      StartPeriod: 60,
      Timeout: 5,
    },
    StopTimeout: 30,
    ReadonlyRootFilesystem: true,
  });
});

test('the first task, given the secret as created, waits healthy for its tokens and stops cleanly', async () => {
  const secret = onlyResource(template, 'AWS::SecretsManager::Secret') as {
    GenerateSecretString: { SecretStringTemplate: string };
  };
  // What ECS injects on the first deploy: each secret field as created, and the container's plain environment.
  const injected = JSON.parse(secret.GenerateSecretString.SecretStringTemplate) as Record<string, string>;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trail-first-deploy-'));
  let afterCleanup = () => {};
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    ...deployedEnvironment(template, { region: 'us-east-1', tableName: 'Trailbot-Table-1' }),
    ...injected,
    TRAIL_RESULTS_DIR: dir,
  };
  try {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/main.ts'], { cwd: ROOT, env });
    let err = '';
    child.stderr.on('data', (d) => {
      err += String(d);
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    afterCleanup = () => child.kill('SIGKILL');
    const until = Date.now() + 60_000;
    while (!err.includes('waiting for its Slack tokens') && child.exitCode === null && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(child.exitCode).toBeNull();
    expect(err).toContain('SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_SIGNING_SECRET still hold the placeholder');
    expect(err).toContain('SlackSecretName');
    // Healthy while it waits: the ECS health check passes, so the circuit breaker does not roll the stack back.
    expect(await checkHealth(env)).toBe(0);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    afterCleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

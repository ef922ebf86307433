import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type FakeSlack, startFakeSlack } from './helpers/fake-slack';
import { type LocalDynamo, startLocalDynamo } from './store/helpers';

/**
 * The production image's start command, simulated (no Docker engine here): the sources are compiled the way
 * `npm run build` compiles them, then `node dist/src/main.js` (the Dockerfile's CMD) runs as an unprivileged user
 * with everything read-only except the image's volumes, HOME and TMPDIR included, against a DynamoDB API (dynalite)
 * and a fake Slack. Before this change the image ran `node --import tsx src/main.ts`, which needs a writable
 * temporary folder for tsx's cache. What stays unverified without Docker: the image layers, the `node` user's uid,
 * ECS's volume ownership copy and the Docker HEALTHCHECK timing itself.
 */
const ROOT = path.resolve(__dirname, '..');
const NOBODY = 65_534;
const asRoot = process.getuid?.() === 0;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Every directory under `dir` made read-only (files keep their read bits). */
function readOnlyTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) readOnlyTree(path.join(dir, entry.name));
  }
  chmodSync(dir, 0o555);
}

/** `ENV NAME=value` lines of the Dockerfile's last stage, without TRAIL_* (the test points those at its own folders). */
function imageEnv(): Record<string, string> {
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const lastStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const [, name, value] of lastStage.matchAll(/^ENV ([A-Z_]+)=(\S+)$/gm)) {
    if (!name!.startsWith('TRAIL_')) env[name!] = value!;
  }
  return env;
}

describe('production image start command', () => {
  let tmp: string;
  let dynamo: LocalDynamo;
  let slack: FakeSlack;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'trail-image-'));
    chmodSync(tmp, 0o755);
    dynamo = await startLocalDynamo();
    slack = await startFakeSlack();
  });
  afterAll(async () => {
    await slack.close();
    await dynamo.close();
    // Make it writable again so it can be removed.
    execFileSync('chmod', ['-R', 'u+w', tmp]);
    rmSync(tmp, { recursive: true, force: true });
  });

  test('builds, starts read-only with one ready line, passes its health check, and stops on SIGTERM', async () => {
    // The image's /app: package.json, node_modules (runtime dependencies) and dist/ from the build.
    const app = path.join(tmp, 'app');
    mkdirSync(app);
    execFileSync(
      process.execPath,
      [
        path.join(ROOT, 'node_modules/typescript/bin/tsc'),
        '-p',
        path.join(ROOT, 'tsconfig.build.json'),
        '--outDir',
        path.join(app, 'dist'),
      ],
      { cwd: ROOT, stdio: 'pipe' },
    );
    cpSync(path.join(ROOT, 'sql'), path.join(app, 'dist/sql'), { recursive: true });
    cpSync(path.join(ROOT, 'package.json'), path.join(app, 'package.json'));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'));
    expect(readdirSync(path.join(app, 'dist/src'))).toEqual(expect.arrayContaining(['main.js', 'health.js']));

    // The volumes (/tmp and /app/results in the image) are the only writable places.
    const results = path.join(tmp, 'volumes/results');
    const volumeTmp = path.join(tmp, 'volumes/tmp');
    mkdirSync(results, { recursive: true });
    mkdirSync(volumeTmp, { recursive: true });
    const readOnly = path.join(tmp, 'read-only');
    mkdirSync(readOnly);
    writeFileSync(path.join(readOnly, '.keep'), '');
    readOnlyTree(app);
    readOnlyTree(readOnly);
    chmodSync(path.join(tmp, 'volumes'), 0o555);
    chmodSync(results, 0o777);
    chmodSync(volumeTmp, 0o777);

    const { tableName } = await dynamo.newStore();
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      // The final stage's ENV instructions (NODE_ENV, MALLOC_ARENA_MAX), so the bot starts as the image starts it.
      ...imageEnv(),
      // Read-only, like the image's HOME and everything outside the volumes; tsx wrote its cache under TMPDIR.
      HOME: readOnly,
      TMPDIR: readOnly,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'test-secret',
      TRAIL_TABLE: tableName,
      TRAIL_DYNAMODB_ENDPOINT: dynamo.server.endpoint,
      TRAIL_ATHENA_WORKGROUP: 'trailbot',
      TRAIL_ATHENA_DATABASE: 'security',
      TRAIL_ACCESS_POLICY: 'open',
      TRAIL_RESULTS_DIR: results,
      TRAIL_SLACK_API_URL: slack.url,
      SLACK_BOT_TOKEN: 'xoxb-1-2-test',
      SLACK_SIGNING_SECRET: '0123456789abcdef0123456789abcdef',
      PORT: String(port),
    };
    const identity = asRoot ? { uid: NOBODY, gid: NOBODY } : {};
    // Two malloc arenas keep a 30-day raw question's peak under 300 MiB (Dockerfile; bench/cache-load.ts measures it).
    expect(env).toMatchObject({ NODE_ENV: 'production', MALLOC_ARENA_MAX: '2' });
    const child = spawn(process.execPath, ['dist/src/main.js'], { cwd: app, env, ...identity });
    let err = '';
    child.stderr.on('data', (d) => {
      err += String(d);
    });
    child.stdout.on('data', (d) => {
      err += String(d);
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const until = Date.now() + 60_000;
    while (!err.includes('"trailbot ready"') && child.exitCode === null && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(err).toContain('"message":"trailbot ready"');
    expect(err.match(/trailbot ready/g)).toHaveLength(1);
    expect(err).not.toMatch(/EACCES|EROFS|could not start/);

    // The container health check: the same start folder, user and environment.
    const health = spawnSync(process.execPath, ['dist/src/health.js'], { cwd: app, env, ...identity });
    expect({ status: health.status, stderr: String(health.stderr) }).toEqual({ status: 0, stderr: '' });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err).toContain('"message":"trailbot stopped"');
    // Gone with the process: a stopped bot is not reported healthy.
    expect(spawnSync(process.execPath, ['dist/src/health.js'], { cwd: app, env, ...identity }).status).toBe(1);
  }, 300_000);
});

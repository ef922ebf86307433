import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli';
import { deliverToTempFolder, type Event, HAVE_STRATUS, STRATUS, stratusFiles } from './helpers';

/**
 * End to end in one process, as `npx trail` answers: the real detonation records, moved to yesterday (UTC) and
 * delivered as a trail does, asked with each detection's default wording. The answer names every finding on stdout
 * and the exit code is 0. Everything the run writes (results, state) goes to a temporary folder.
 */

const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
const onYesterday = (e: Event): Event => ({ ...e, eventTime: `${yesterday}T${String(e.eventTime).slice(11)}` });

if (!HAVE_STRATUS) console.log(`skipping the detection CLI test: ${STRATUS} does not exist`);

(HAVE_STRATUS ? describe : describe.skip)('npx trail tamper | iam | exposed yesterday, on real detonations', () => {
  let dataDir: string;
  let work: string;
  beforeAll(() => {
    dataDir = deliverToTempFolder([...stratusFiles().values()].flat().map(onYesterday));
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'trail-detections-cli-'));
  });
  afterAll(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  });

  async function trail(...argv: string[]) {
    const out = new PassThrough();
    const err = new PassThrough();
    let o = '';
    let e = '';
    out.on('data', (d) => {
      o += String(d);
    });
    err.on('data', (d) => {
      e += String(d);
    });
    const env = {
      TRAIL_DATA_DIR: dataDir,
      TRAIL_RESULTS_DIR: path.join(work, 'results'),
      TRAIL_STATE_DIR: path.join(work, 'state'),
      TRAIL_CACHE: 'false',
      NO_COLOR: '1',
    };
    const code = await runCli(argv, { out, err, env });
    return { code, out: o, err: e };
  }

  test.each([
    [
      'tamper',
      6,
      'christophe stopped logging on trail stratus-red-team-ct-stop-trail-buykxbqejv in account 143434273843',
    ],
    [
      'iam',
      9,
      'christophe changed the trust policy of role stratus-red-team-backdoor-r-role in account 751203476945 so that account 193672423079 can assume it',
    ],
    [
      'exposed',
      3,
      'christophe shared EBS snapshot snap-041993b54a9b3af6f in account 756680937392 with account 098797384747',
    ],
  ])('%s yesterday: %i rows, its findings on stdout', async (command, rows, finding) => {
    const r = await trail(command, 'yesterday');
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(r.out).toContain(`✔ ${command}: ${rows} rows`);
    expect(r.out).toContain(`⚠ ${finding}`);
  });

  test('a bad argument exits 2 with the message and the usage on stderr', async () => {
    const r = await trail('exposed', 'everything');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('exposed: unexpected argument everything.');
    expect(r.err).toContain('exposed [window]');
  });
});

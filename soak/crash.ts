/**
 * The bot killed at random points and restarted: the production entry point (`node --require tsx/cjs src/main.ts`,
 * embedded default, terminal surface, its own TRAIL_STATE_DIR) is fed questions on stdin and SIGKILLed after a
 * seeded random delay, K times, then started once more with stdin closed so it resumes what was left and exits.
 * Then the store is opened and counted:
 *
 * - lost: a question the bot acknowledged (`running (id …)`) that is not PUBLISHED, or any execution left unfinished.
 *   A line typed into a process killed before it read it is not lost by the bot: it is counted apart ("never read").
 * - recorded twice: one typed question with two executions.
 * - published twice: an execution whose result line (`✔` / `✖`) was printed more than once across all runs.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecutionRecord } from '../src/core/execution';
import { Random } from '../src/sample/random';
import { openStore } from '../src/store/dynalite';
import { sampleDataset } from './lib/data';
import { count, type Figure, info, type PartReport, target } from './lib/report';
import { tempDir } from './lib/session';

const ROOT = path.resolve(__dirname, '..');

export interface KillOptions {
  kills: number;
  seed: number;
  /** Sample size: heavier data makes a kill more likely to land while a question runs. Default 3 days × 30,000. */
  eventsPerDay?: number;
  days?: number;
  /**
   * Kill delay, ms: one run in five uniform in [min, 1500] after spawn (startup takes ~2 s), the others uniform in
   * [0, max] after the REPL is ready. Default [300, 2000].
   */
  killAfterMs?: [number, number];
  /** Questions typed per run: uniform in [1, max]. Default 4. */
  maxQuestionsPerRun?: number;
}

/** Distinct questions (no two share a window), so each typed line is its own execution (terminal dedupe is 0 s). */
function questions(n: number): string[] {
  const forms = [
    (w: string) => `ip 0.0.0.0/0 ${w}`,
    (w: string) => `errors top 10 ${w}`,
    (w: string) => `users top 5 ${w}`,
    (w: string) => `recent writes ${w}`,
    (w: string) => `logins all ${w}`,
    (w: string) => `sg ${w}`,
    (w: string) => `root ${w}`,
    (w: string) => `user alice.martin ${w}`,
  ];
  // Windows of a day and more: each question reads most of the data, so it runs long enough for a kill to land in it.
  return Array.from({ length: n }, (_, i) => forms[i % forms.length]!(`${30 + Math.floor(i / forms.length)}h`));
}

interface Run {
  out: string;
  code: number | null;
  killed: boolean;
  killAfterMs?: number;
  typed: string[];
}

function startBot(dir: string): {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  exited: Promise<number | null>;
} {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('TRAIL_') && !k.startsWith('SLACK_')),
  );
  // node itself (not the tsx wrapper, which runs node as a child): SIGKILL must hit the process holding the store.
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...clean,
      TRAIL_DATA_DIR: path.join(dir, 'data'),
      TRAIL_STATE_DIR: path.join(dir, 'state'),
      TRAIL_RESULTS_DIR: path.join(dir, 'results'),
    },
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += String(d);
  });
  child.stderr.on('data', (d) => {
    out += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, exited };
}

/** Where in its life a run was killed, read from what it printed. */
function phaseOf(out: string): string {
  if (!out.includes('Type help')) return 'starting up';
  const lines = out.trimEnd().split('\n');
  let at = lines.length - 1;
  while (at >= 0 && !/running \(id|^✔|^✖|^ {2}CSV|^Resuming/.test(lines[at]!)) at--;
  const last = lines[at] ?? '';
  if (/running \(id/.test(last)) return 'while a question ran';
  // After `✔` come the table and the CSV path; an empty result ends with "Nothing found" instead.
  if (/^✔/.test(last) && !lines.slice(at).some((l) => l.includes('Nothing found'))) return 'while publishing';
  return 'idle';
}

export async function runKillRestart(o: KillOptions): Promise<PartReport> {
  const began = Date.now();
  const rng = new Random(o.seed, 'kill-restart');
  const dir = await tempDir('kill');
  const [minDelay, maxDelay] = o.killAfterMs ?? [300, 2000];
  const perRun = o.maxQuestionsPerRun ?? 4;
  try {
    await sampleDataset(path.join(dir, 'data'), {
      days: o.days ?? 3,
      eventsPerDay: o.eventsPerDay ?? 30_000,
      seed: o.seed,
    });
    const pool = questions((o.kills + 1) * perRun);
    let next = 0;
    const runs: Run[] = [];
    for (let round = 0; round <= o.kills; round++) {
      const last = round === o.kills;
      const bot = startBot(dir);
      const typed: string[] = [];
      const k = rng.between(1, perRun);
      for (let i = 0; i < k && next < pool.length; i++) typed.push(pool[next++]!);
      bot.child.stdin.write(typed.map((q) => `${q}\n`).join(''));
      if (last) {
        bot.child.stdin.end();
        const timer = setTimeout(() => bot.child.kill('SIGKILL'), 300_000);
        const code = await bot.exited;
        clearTimeout(timer);
        runs.push({ out: bot.out(), code, killed: false, typed });
      } else {
        // One run in five is killed while starting up (delay from spawn); the others once the REPL is ready, so the
        // kill lands while a question runs, while its answer is written, or when it is idle.
        const startup = rng.chance(0.2);
        const delay = startup ? rng.between(minDelay, 1500) : rng.between(0, maxDelay);
        if (!startup) {
          const until = Date.now() + 60_000;
          // The REPL's banner ends with its first hint; questions typed before it are read once it is ready.
          while (!bot.out().includes('Type help') && Date.now() < until) {
            if ((await Promise.race([sleep(20).then(() => 'waiting'), bot.exited.then(() => 'exited')])) === 'exited')
              break;
          }
        }
        await Promise.race([sleep(delay), bot.exited]);
        bot.child.kill('SIGKILL');
        const code = await bot.exited;
        runs.push({ out: bot.out(), code, killed: true, killAfterMs: delay, typed });
      }
    }

    const opened = await openStore({ kind: 'dynalite', stateDir: path.join(dir, 'state'), tableName: 'trailbot' });
    let executions: ExecutionRecord[];
    let unfinished: number;
    try {
      executions = await opened.store.listByChannel('terminal', 100_000);
      unfinished = (await opened.store.listUnfinished()).length;
    } finally {
      await opened.close();
    }

    const typed = runs.flatMap((r) => r.typed);
    const acked = new Map<string, string>();
    let resultLines = 0;
    const csvById = new Map<string, number>();
    let limited = 0;
    for (const r of runs) {
      for (const line of r.out.split('\n')) {
        const running = /^▶ \/trail (.*?) {2}· .* running \(id (\w+)\)/.exec(line);
        if (running) acked.set(running[2]!, running[1]!);
        if (/^[✔✖] /.test(line)) resultLines++;
        const csv = /^ {2}CSV \(.*\): .*[/\\](\w+)\.csv$/.exec(line);
        if (csv) csvById.set(csv[1]!, (csvById.get(csv[1]!) ?? 0) + 1);
        if (/^You already have \d+ questions? running/.test(line)) limited++;
      }
    }
    const byId = new Map(executions.map((e) => [e.id, e]));
    const published = executions.filter((e) => e.state === 'PUBLISHED');
    const lostIds = new Set<string>();
    for (const id of acked.keys()) if (byId.get(id)?.state !== 'PUBLISHED') lostIds.add(id);
    for (const e of executions) if (e.state !== 'PUBLISHED') lostIds.add(e.id);
    const recordedTexts = new Map<string, number>();
    for (const e of executions) recordedTexts.set(e.commandText, (recordedTexts.get(e.commandText) ?? 0) + 1);
    const recordedTwice = [...recordedTexts.values()].filter((n) => n > 1).length;
    const neverRead = typed.filter((q) => !recordedTexts.has(q)).length - limited;
    const unknownRecorded = executions.filter((e) => !typed.includes(e.commandText)).length;
    const extraResultLines = Math.max(0, resultLines - published.length);
    const csvTwice = [...csvById.values()].filter((n) => n > 1).length;
    const publishedTwice = Math.max(extraResultLines, csvTwice);
    const phases: Record<string, number> = {};
    for (const r of runs.filter((x) => x.killed)) phases[phaseOf(r.out)] = (phases[phaseOf(r.out)] ?? 0) + 1;
    const lastRun = runs[runs.length - 1]!;
    const resumedLines = runs.filter((r) => /Resuming \d+ unfinished/.test(r.out)).length;

    const problems: string[] = [];
    if (lastRun.code !== 0) problems.push(`the last run exited with ${lastRun.code}: ${lastRun.out.slice(-600)}`);
    for (const id of lostIds) {
      const e = byId.get(id);
      problems.push(`lost: ${id} \`${acked.get(id) ?? e?.commandText}\` is ${e?.state ?? 'not in the store'}`);
    }
    if (publishedTwice > 0) {
      problems.push(
        `${publishedTwice} executions printed their result twice: a kill between posting the result and recording resultRef (src/runner/publish.ts) re-posts it on resume`,
      );
    }
    const figures: Figure[] = [
      info('kills (SIGKILL) / restarts', `${o.kills} / ${o.kills}, then one clean run`),
      info(
        'where the kills landed',
        Object.entries(phases)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
      ),
      info('questions typed', count(typed.length)),
      info('  acknowledged by the bot (running line)', count(acked.size)),
      info('  never read (typed into a process killed first)', count(Math.max(0, neverRead))),
      info('  refused by the per-user limit', count(limited)),
      info('executions recorded / PUBLISHED', `${executions.length} / ${published.length}`),
      info('runs that resumed unfinished questions', count(resumedLines)),
      target('executions lost', count(lostIds.size), '0', lostIds.size === 0),
      target('executions left unfinished (listUnfinished)', count(unfinished), '0', unfinished === 0),
      target('questions recorded twice', count(recordedTwice), '0', recordedTwice === 0),
      target('executions nobody typed', count(unknownRecorded), '0', unknownRecorded === 0),
      target('executions published twice', count(publishedTwice), '0', publishedTwice === 0),
      info('result lines printed (✔/✖) across all runs', count(resultLines)),
      target('last (clean) run exit code', String(lastRun.code), '0', lastRun.code === 0),
    ];
    return {
      part: 'faults.kill',
      title: `Faults: the bot SIGKILLed at random points ${o.kills} times and restarted (seed ${o.seed})`,
      figures,
      problems,
      elapsedMs: Date.now() - began,
      data: {
        kills: o.kills,
        phases,
        typed: typed.length,
        acked: acked.size,
        neverRead,
        limited,
        executions: executions.length,
        published: published.length,
        lost: [...lostIds],
        unfinished,
        recordedTwice,
        resultLines,
        publishedTwice,
        killDelaysMs: runs.filter((r) => r.killed).map((r) => r.killAfterMs),
        lastRunExitCode: lastRun.code,
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

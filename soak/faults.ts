/**
 * Faults during a load, one kind at a time so each count means one thing:
 * - Slack: the fake Web API answers bursts of 429 (with Retry-After) and 500 / 503 on every call trailbot makes.
 * - Athena: the real AthenaEngine against a local fake that throttles StartQueryExecution and reads, and fails some
 *   queries with an AthenaError.
 * - DynamoDB: a proxy in front of dynalite answers a share of requests with ThrottlingException.
 * Each reports the faults served and whether every command was still answered once and every execution published
 * once. (The bot killed and restarted is crash.ts.)
 */
import path from 'node:path';
import { Random } from '../src/sample/random';
import { sampleDataset } from './lib/data';
import { drive } from './lib/drive';
import { total } from './lib/dynamo-throttle';
import { FAILED_REASON, StatefulFakeAthena } from './lib/fake-athena';
import { exactlyOnceFigures } from './lib/figures';
import { channelIds, planLoad } from './lib/mix';
import { count, distribution, type Figure, info, ms, type PartReport, target } from './lib/report';
import { removeOnFailure, type Session, soakEnv, startSession, tempDir, WARMUP_CHANNEL, warmUp } from './lib/session';

export interface FaultLoadOptions {
  commands: number;
  durationMs: number;
  seed: number;
  users?: number;
  channels?: number;
  settleMs?: number;
  sweepMs?: number;
  /** `fast` Slack retries (tests); default production policy. */
  slackRetry?: 'production' | 'fast';
}

function plan(o: FaultLoadOptions) {
  return planLoad({
    commands: o.commands,
    durationMs: o.durationMs,
    users: o.users ?? 20,
    channels: o.channels ?? 5,
    seed: o.seed,
  });
}

async function withSession<T>(
  label: string,
  o: FaultLoadOptions & { athenaEndpoint?: string; dynamoThrottle?: { rate: number; seed: number; burst?: number } },
  run: (s: Session) => Promise<T>,
): Promise<T> {
  const dir = await tempDir(label);
  const session = await removeOnFailure(dir, async () => {
    if (!o.athenaEndpoint) await sampleDataset(path.join(dir, 'data'), { days: 2, eventsPerDay: 1000, seed: o.seed });
    return startSession(dir, {
      dataDir: path.join(dir, 'data'),
      athenaEndpoint: o.athenaEndpoint,
      dynamoThrottle: o.dynamoThrottle,
      env: soakEnv(),
      sweepMs: o.sweepMs ?? 5000,
      slackRetry: o.slackRetry,
    });
  });
  try {
    return await run(session);
  } finally {
    await session.close();
  }
}

const SLACK_METHODS = [
  'chat.postMessage',
  'chat.update',
  'files.getUploadURLExternal',
  'upload',
  'files.completeUploadExternal',
] as const;

/** Slack answers 429 (Retry-After: 1) and 500 / 503 in bursts of 1–3 calls, on a random method every `everyMs`. */
export async function runSlackFaults(o: FaultLoadOptions & { everyMs?: number }): Promise<PartReport> {
  const began = Date.now();
  return withSession('slack-faults', o, async (s) => {
    await warmUp(s);
    const rng = new Random(o.seed, 'slack-faults');
    const load = plan(o);
    const r = await drive({
      bot: s.bot,
      fake: s.fake,
      plan: load,
      channels: [...channelIds(o.channels ?? 5), WARMUP_CHANNEL],
      settleMs: o.settleMs ?? 180_000,
      during: {
        everyMs: o.everyMs ?? 700,
        tick: () => {
          const method = rng.pick(SLACK_METHODS);
          const roll = rng.next();
          const times = rng.between(1, 3);
          if (roll < 0.5) s.fake.failNext(method, { status: 429, retryAfter: 1 }, times);
          else s.fake.failNext(method, { status: roll < 0.85 ? 500 : 503 }, times);
        },
      },
    });
    const served429 = s.fake.calls.filter((c) => c.status === 429).length;
    const served5xx = s.fake.calls.filter((c) => c.status >= 500).length;
    const byMethod: Record<string, number> = {};
    for (const c of s.fake.calls)
      if (c.status === 429 || c.status >= 500) byMethod[c.method] = (byMethod[c.method] ?? 0) + 1;
    const { figures: once, problems } = exactlyOnceFigures(r);
    const e2e = distribution(r.answers.endToEndMs);
    const figures: Figure[] = [
      info('commands sent', `${count(load.length)} in ${ms(r.sendMs)}`),
      info('Slack 429 answers served (Retry-After: 1 s)', count(served429)),
      info('Slack 500 / 503 answers served', count(served5xx)),
      info(
        'faults by call',
        Object.entries(byMethod)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
      ),
      ...once,
      info('end to end p50 / p99 under faults', `${ms(e2e.p50)} / ${ms(e2e.p99)}`),
      info('time to settle after the last command', ms(r.settledAfterMs)),
    ];
    return {
      part: 'faults.slack',
      title: `Faults: Slack 429 and 5xx bursts during ${load.length} commands (seed ${o.seed})`,
      figures,
      problems,
      elapsedMs: Date.now() - began,
      data: {
        served429,
        served5xx,
        byMethod,
        answers: { ...r.answers, ackMs: undefined, endToEndMs: undefined, noticeMs: undefined },
        publications: { ...r.publications, replyAt: undefined },
        endToEndMs: e2e,
      },
    };
  });
}

/** The real AthenaEngine against a fake Athena that throttles and fails queries, driven through the Slack bot. */
export async function runAthenaFaults(
  o: FaultLoadOptions & { throttleStart?: number; throttleRead?: number; failRate?: number },
): Promise<PartReport> {
  const began = Date.now();
  const athena = await StatefulFakeAthena.start({
    seed: o.seed,
    throttleStart: 0,
    throttleRead: 0,
    failRate: o.failRate ?? 0.15,
    maxRows: 2500,
  });
  try {
    return await withSession('athena-faults', { ...o, athenaEndpoint: athena.endpoint }, async (s) => {
      await warmUp(s);
      athena.setThrottling({ start: o.throttleStart ?? 0.3, read: o.throttleRead ?? 0.1 });
      const load = plan(o);
      const r = await drive({
        bot: s.bot,
        fake: s.fake,
        plan: load,
        channels: [...channelIds(o.channels ?? 5), WARMUP_CHANNEL],
        settleMs: o.settleMs ?? 180_000,
      });
      const { figures: once, problems } = exactlyOnceFigures(r);
      const states = athena.states();
      // The failed queries that were an answer: a chart's series query (`errors`, `root`) that fails leaves its
      // answer posted without a chart, so it is counted apart.
      const answerIds = new Set(r.executions.map((e) => e.engineExecutionId));
      const failedAnswers = athena.idsIn('FAILED').filter((id) => answerIds.has(id)).length;
      const failedSeries = (states.FAILED ?? 0) - failedAnswers;
      const failedIds = new Set(
        r.executions.filter((e) => e.error?.includes('Athena could not read a file')).map((e) => e.id),
      );
      // Each failed execution's thread reply carries Athena's reason in words.
      const failureReplies = r.executions.filter(
        (e) =>
          failedIds.has(e.id) &&
          s.fake.messages.some(
            (m) =>
              m.thread_ts === e.parentRef && JSON.stringify(m.blocks ?? m.text).includes(FAILED_REASON.split(':')[0]!),
          ),
      ).length;
      const e2e = distribution(r.answers.endToEndMs);
      const throttledOut = r.executions.filter((e) => /too busy|throttl/i.test(e.error ?? '')).length;
      const severalIds = athena.tokensWithSeveralIds();
      const tokens = new Set(athena.starts.map((x) => x.token)).size;
      if (failureReplies !== failedIds.size)
        problems.push(`${failedIds.size - failureReplies} failed queries without Athena's reason in their thread`);
      if (failedAnswers !== failedIds.size)
        problems.push(`Athena failed ${failedAnswers} answers' queries but ${failedIds.size} executions say so`);
      const figures: Figure[] = [
        info('commands sent', `${count(load.length)} in ${ms(r.sendMs)}`),
        info(
          'Athena calls (throttled)',
          Object.entries(athena.calls)
            .map(([op, n]) => `${op} ${n} (${athena.throttled[op] ?? 0})`)
            .join(', '),
        ),
        info(
          'Athena queries by final state',
          Object.entries(states)
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
        ),
        target(
          'queries started twice for one execution (distinct ids per token)',
          count(severalIds),
          '0',
          severalIds === 0,
        ),
        info(
          'StartQueryExecution calls per query',
          ((athena.calls.StartQueryExecution ?? 0) / Math.max(1, tokens)).toFixed(2),
        ),
        target(
          'FAILED answer queries answered with Athena’s reason in the thread',
          `${failureReplies} / ${failedAnswers}`,
          'all',
          failureReplies === failedAnswers && failedIds.size === failedAnswers,
        ),
        info('FAILED chart series queries (answer posted without a chart)', count(failedSeries)),
        info('executions that failed because throttling outlasted the retries', count(throttledOut)),
        ...once,
        info('end to end p50 / p99 under Athena faults', `${ms(e2e.p50)} / ${ms(e2e.p99)}`),
        info('time to settle after the last command', ms(r.settledAfterMs)),
      ];
      return {
        part: 'faults.athena',
        title: `Faults: Athena throttling (start ${Math.round((o.throttleStart ?? 0.3) * 100)} %, reads ${Math.round((o.throttleRead ?? 0.1) * 100)} %) and FAILED queries (${Math.round((o.failRate ?? 0.15) * 100)} %), ${load.length} commands`,
        figures,
        problems,
        elapsedMs: Date.now() - began,
        data: {
          calls: athena.calls,
          throttled: athena.throttled,
          states,
          severalIds,
          failureReplies,
          throttledOut,
          answers: { ...r.answers, ackMs: undefined, endToEndMs: undefined, noticeMs: undefined },
          publications: { ...r.publications, replyAt: undefined },
        },
      };
    });
  } finally {
    await athena.close();
  }
}

/** A share of DynamoDB requests answered with ThrottlingException (in runs of `burst`), during a load. */
export async function runDynamoThrottling(
  o: FaultLoadOptions & { rate?: number; burst?: number },
): Promise<PartReport> {
  const began = Date.now();
  const rate = o.rate ?? 0.1;
  const burst = o.burst ?? 2;
  return withSession('dynamo-throttle', { ...o, dynamoThrottle: { rate: 0, seed: o.seed, burst } }, async (s) => {
    await warmUp(s);
    await s.bot.throttle(rate);
    const load = plan(o);
    const r = await drive({
      bot: s.bot,
      fake: s.fake,
      plan: load,
      channels: [...channelIds(o.channels ?? 5), WARMUP_CHANNEL],
      settleMs: o.settleMs ?? 180_000,
    });
    const stats = r.finalSnapshot.dynamo;
    const { figures: once, problems } = exactlyOnceFigures(r);
    const sorry = r.answers.byAnswer.sorry ?? 0;
    const e2e = distribution(r.answers.endToEndMs);
    if (r.answers.answeredTwice > 0) {
      problems.push(
        `${r.answers.answeredTwice} commands were told "Sorry, that did not work" and then answered in a thread anyway: a store call that ran out of retries after the execution was created fails Runner.submit (src/runner/runner.ts, \`await this.drive(...)\`), while the sweep later publishes the execution`,
      );
    }
    const errors = s.bot.lastLogLines().filter((l) => l.includes('"level":"error"'));
    problems.push(...errors.slice(-3).map((l) => `bot logged: ${l}`));
    const figures: Figure[] = [
      info('commands sent', `${count(load.length)} in ${ms(r.sendMs)}`),
      info(
        'DynamoDB requests / throttled',
        `${count(total(stats?.requests ?? {}))} / ${count(total(stats?.throttled ?? {}))}`,
      ),
      info(
        'throttled by operation',
        Object.entries(stats?.throttled ?? {})
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
      ),
      info('commands answered "Sorry, that did not work" (a store call out of retries)', count(sorry)),
      ...once,
      info('end to end p50 / p99 under throttling', `${ms(e2e.p50)} / ${ms(e2e.p99)}`),
      info('time to settle after the last command', ms(r.settledAfterMs)),
      info('bot log lines (warn / error)', `${s.bot.logCounts().warn ?? 0} / ${s.bot.logCounts().error ?? 0}`),
    ];
    return {
      part: 'faults.dynamodb',
      title: `Faults: DynamoDB throttling (${Math.round(rate * 100)} % of requests, runs of ${burst}), ${load.length} commands`,
      figures,
      problems,
      elapsedMs: Date.now() - began,
      data: {
        dynamo: stats,
        answers: { ...r.answers, ackMs: undefined, endToEndMs: undefined, noticeMs: undefined },
        publications: { ...r.publications, replyAt: undefined },
        logCounts: s.bot.logCounts(),
      },
    };
  });
}

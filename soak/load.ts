/**
 * Load: N signed slash commands over D seconds from U users in C channels through the bot's Bolt HTTP receiver, on
 * the embedded default (DuckDB over generated sample logs, dynalite). Every command acknowledged in time, every
 * execution published exactly once, dedupe and per-user limits working; latencies and memory reported.
 */
import path from 'node:path';
import { maxConcurrent } from './lib/audit';
import { sampleDataset } from './lib/data';
import { drive } from './lib/drive';
import { exactlyOnceFigures } from './lib/figures';
import { channelIds, commandsCovered, planLoad, QUERY_COMMAND_NAMES } from './lib/mix';
import { count, distribution, type Figure, info, mb, ms, type PartReport, signedMb, target } from './lib/report';
import { removeOnFailure, soakEnv, startSession, tempDir, WARMUP_CHANNEL, warmUp } from './lib/session';

export interface LoadOptions {
  commands: number;
  durationMs: number;
  users: number;
  channels: number;
  seed: number;
  /** Longest wait after the last command (default 120 s). */
  settleMs?: number;
  /** Resume sweep period in the bot (default 5 s). */
  sweepMs?: number;
  /** Sample data size. Default 2 days × 2,000 events. */
  eventsPerDay?: number;
}

/** Slack shows an error unless the ack arrives "within 3000 milliseconds" (Slack, "Implementing slash commands"). */
export const ACK_DEADLINE_MS = 3000;
const PER_USER = 3;
const PER_CHANNEL = 10;

export async function runLoad(o: LoadOptions): Promise<PartReport> {
  const began = Date.now();
  const dir = await tempDir('load');
  const session = await removeOnFailure(dir, async () => {
    await sampleDataset(path.join(dir, 'data'), { days: 2, eventsPerDay: o.eventsPerDay ?? 2000, seed: o.seed });
    return startSession(dir, {
      dataDir: path.join(dir, 'data'),
      env: soakEnv({ TRAIL_MAX_PER_USER: String(PER_USER), TRAIL_MAX_PER_CHANNEL: String(PER_CHANNEL) }),
      sweepMs: o.sweepMs ?? 5000,
    });
  });
  try {
    await warmUp(session);
    const plan = planLoad(o);
    const channels = channelIds(o.channels);
    const r = await drive({
      bot: session.bot,
      fake: session.fake,
      plan,
      channels: [...channels, WARMUP_CHANNEL],
      settleMs: o.settleMs ?? 120_000,
    });
    const { figures: once, problems } = exactlyOnceFigures(r);
    const a = r.answers;
    const ack = distribution(a.ackMs);
    const e2e = distribution(r.answers.endToEndMs);
    const notice = distribution(a.noticeMs);
    const lateAcks = a.ackMs.filter((x) => x >= ACK_DEADLINE_MS).length;
    const loadExecutions = r.executions.filter((e) => e.channelId !== WARMUP_CHANNEL);
    const perUser = maxConcurrent(loadExecutions, (e) => e.userId);
    const perChannel = maxConcurrent(loadExecutions, (e) => e.channelId);
    const kinds: Record<string, number> = {};
    for (const c of plan) kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
    const covered = commandsCovered(plan);
    const missing = QUERY_COMMAND_NAMES.filter((n) => !covered.includes(n));
    const growth = r.endMemory.rss - r.startMemory.rss;
    // RSS at each quarter of the load: a plateau is caching (DuckDB keeps recent results), a slope is a leak.
    const loadStart = Math.min(...r.sent.map((c) => c.result?.sentAt ?? Number.POSITIVE_INFINITY));
    const samples = r.finalSnapshot.rssSamples.filter(([t]) => t >= loadStart);
    const quarters = [0.25, 0.5, 0.75, 1].map((q) => {
      const at = loadStart + q * (r.sendMs + r.settledAfterMs);
      let best = samples[0];
      for (const sample of samples) if (Math.abs(sample[0] - at) < Math.abs((best?.[0] ?? 0) - at)) best = sample;
      return best?.[1] ?? Number.NaN;
    });
    const phase = (from: (e: (typeof loadExecutions)[number]) => string | undefined, to: typeof from) =>
      distribution(
        loadExecutions.flatMap((e) => {
          const a0 = from(e);
          const b0 = to(e);
          return a0 && b0 ? [Date.parse(b0) - Date.parse(a0)] : [];
        }),
      );
    const toStart = phase(
      (e) => e.createdAt,
      (e) => e.startedAt,
    );
    const running = phase(
      (e) => e.startedAt,
      (e) => e.finishedAt,
    );
    const publishing = phase(
      (e) => e.finishedAt,
      (e) => e.publishedAt,
    );
    if (perUser.max > PER_USER) {
      problems.push(
        `per-user limit: ${perUser.key} had ${perUser.max} questions unfinished at once (limit ${PER_USER}); ` +
          'the limit is counted before the create, so a burst passes it (src/runner/admission.ts)',
      );
    }
    if (lateAcks > 0) problems.push(`${lateAcks} acks took ${ACK_DEADLINE_MS} ms or more`);
    const figures: Figure[] = [
      info(
        'commands sent',
        `${count(plan.length)} in ${ms(r.sendMs)} (${Object.entries(kinds)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')})`,
      ),
      target(
        'query commands covered',
        `${covered.length} / ${QUERY_COMMAND_NAMES.length}`,
        'all',
        missing.length === 0,
      ),
      ...once,
      target(`acks slower than ${ACK_DEADLINE_MS} ms`, count(lateAcks), '0', lateAcks === 0),
      info('ack latency p50 / p99 / max', `${ms(ack.p50)} / ${ms(ack.p99)} / ${ms(ack.max)}`),
      info(
        'end to end (command → result in thread) p50 / p99 / max',
        `${ms(e2e.p50)} / ${ms(e2e.p99)} / ${ms(e2e.max)} (${e2e.count} answers)`,
      ),
      info(
        'phases p50 / p99: recorded → started, started → finished, finished → published',
        `${ms(toStart.p50)} / ${ms(toStart.p99)}, ${ms(running.p50)} / ${ms(running.p99)}, ${ms(publishing.p50)} / ${ms(publishing.p99)}`,
      ),
      info('ephemeral notices p50 / p99', `${ms(notice.p50)} / ${ms(notice.p99)} (${notice.count})`),
      info(
        'answers by kind',
        Object.entries(a.byAnswer)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
      ),
      target(
        'dedupe: repeated questions pointed to the first',
        `${a.duplicatesDeduped} / ${a.duplicatesSent}`,
        '> 0',
        a.duplicatesDeduped > 0,
      ),
      target('dedupe notices naming a missing execution', count(a.dedupeDangling), '0', a.dedupeDangling === 0),
      target(
        'bursts: questions refused by the per-user limit',
        `${a.burstLimited} / ${a.burstSent}`,
        '> 0',
        a.burstSent === 0 || a.burstLimited > 0,
      ),
      target(
        'most questions unfinished at once, one user',
        `${perUser.max} (${perUser.key ?? '–'})`,
        `≤ ${PER_USER}`,
        perUser.max <= PER_USER,
      ),
      target(
        'most questions unfinished at once, one channel',
        `${perChannel.max}`,
        `≤ ${PER_CHANNEL}`,
        perChannel.max <= PER_CHANNEL,
      ),
      target('rejections with an empty message', count(a.emptyRejections), '0', a.emptyRejections === 0),
      info('time to settle after the last command', ms(r.settledAfterMs)),
      info('bot RSS start → end (after GC)', `${mb(r.startMemory.rss)} → ${mb(r.endMemory.rss)} (${signedMb(growth)})`),
      info('bot RSS at 25 / 50 / 75 / 100 % of the run', quarters.map((q) => mb(q)).join(' / ')),
      info('bot heap used start → end (after GC)', `${mb(r.startMemory.heapUsed)} → ${mb(r.endMemory.heapUsed)}`),
      info('bot peak RSS', mb(r.endMemory.maxRss)),
      info(
        'bot log lines (warn / error)',
        `${session.bot.logCounts().warn ?? 0} / ${session.bot.logCounts().error ?? 0}`,
      ),
    ];
    if ((session.bot.logCounts().error ?? 0) > 0) {
      problems.push(
        `bot logged errors, e.g. ${session.bot
          .lastLogLines()
          .filter((l) => l.includes('"error"'))
          .slice(-2)
          .join(' | ')}`,
      );
    }
    return {
      part: 'load',
      title: `Load: ${plan.length} slash commands over ${ms(o.durationMs)} from ${o.users} users in ${o.channels} channels (seed ${o.seed})`,
      figures,
      problems,
      elapsedMs: Date.now() - began,
      data: {
        options: o,
        kinds,
        ackMs: ack,
        endToEndMs: e2e,
        noticeMs: notice,
        phasesMs: { toStart, running, publishing },
        lateAcks,
        answers: { ...a, ackMs: undefined, endToEndMs: undefined, noticeMs: undefined },
        publications: { ...r.publications, replyAt: undefined },
        perUserMax: perUser,
        perChannelMax: perChannel,
        memory: { start: r.startMemory, end: r.endMemory, rssGrowth: growth, rssQuarters: quarters },
        settledAfterMs: r.settledAfterMs,
        logCounts: session.bot.logCounts(),
      },
    };
  } finally {
    await session.close();
  }
}

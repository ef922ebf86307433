/**
 * One soak session: a temp folder, the fake Slack, the bot process; warm-up and clean-up. Every server listens on
 * 127.0.0.1 only and everything is removed at the end.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SAMPLE_KNOWN_NETWORKS } from '../../src/sample/generate';
import { type BotOptions, type BotProcess, startBotProcess } from './bot';
import { startTimedFakeSlack, type TimedFakeSlack } from './slack';

export const WARMUP_CHANNEL = 'C0WARMUP';

export interface Session {
  dir: string;
  fake: TimedFakeSlack;
  bot: BotProcess;
  close(): Promise<void>;
}

export async function tempDir(label: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `trail-soak-${label}-`));
}

/** Environment an operator would set for the soak's bot (known networks of the sample data, default limits). */
export function soakEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { TRAIL_KNOWN_NETWORKS: SAMPLE_KNOWN_NETWORKS.join(','), ...extra };
}

/** Runs the set-up of a part; if it fails, its temp folder goes too (afterwards `Session.close` removes it). */
export async function removeOnFailure<T>(dir: string, setUp: () => Promise<T>): Promise<T> {
  try {
    return await setUp();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

export async function startSession(
  dir: string,
  o: Omit<BotOptions, 'slackApiUrl' | 'resultsDir'> & { keepDir?: boolean },
): Promise<Session> {
  const fake = await startTimedFakeSlack();
  let bot: BotProcess;
  try {
    bot = await startBotProcess({ ...o, slackApiUrl: fake.url, resultsDir: path.join(dir, 'results') });
  } catch (err) {
    await fake.close();
    if (!o.keepDir) await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    fake,
    bot,
    async close() {
      if ((await Promise.race([bot.exited.then(() => 'exited'), sleep(0, 'running')])) === 'running') {
        // A stop that hangs is a finding, not a reason to hang the soak: kill after a minute.
        const timer = setTimeout(() => bot.kill(), 60_000);
        await bot.stop().catch(() => bot.kill());
        clearTimeout(timer);
      }
      await fake.close();
      if (!o.keepDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One question answered before measuring, so DuckDB, the SDK clients and Bolt are loaded: memory at the start is the
 * bot ready to work, not a half-initialised process.
 */
export async function warmUp(s: Session, text = 'recent 1h', timeoutMs = 60_000): Promise<void> {
  const before = s.fake.messages.length;
  const ack = await s.bot.command(text, {
    userId: 'U0WARMUP',
    channelId: WARMUP_CHANNEL,
    responseUrl: s.fake.responseUrl('warmup'),
  });
  if (ack.status !== 200) throw new Error(`warm-up ack was ${ack.status}: ${ack.body} ${ack.error ?? ''}`);
  const until = Date.now() + timeoutMs;
  while (!s.fake.messages.slice(before).some((m) => m.channel === WARMUP_CHANNEL && m.thread_ts)) {
    if (Date.now() > until) throw new Error(`the warm-up question was not answered in ${timeoutMs} ms`);
    await sleep(50);
  }
  // Let the runner finish the publish (parent update, PUBLISHED) before the start figures are taken.
  const deadline = Date.now() + timeoutMs;
  while ((await s.bot.snapshot([WARMUP_CHANNEL])).inFlight > 0 && Date.now() < deadline) await sleep(50);
}

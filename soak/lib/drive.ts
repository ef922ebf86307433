/**
 * Sends a planned load to a bot process on schedule, waits (bounded) until every command is answered and every
 * execution is published, and audits the result. Shared by the load, fault and hostile (via the bot) parts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecutionRecord } from '../../src/core/execution';
import { type AnswerAudit, auditAnswers, auditPublications, type PublicationAudit, type SentCommand } from './audit';
import type { BotProcess } from './bot';
import type { MemoryFigures, Snapshot } from './bot-child';
import type { PlannedCommand } from './mix';
import type { TimedFakeSlack } from './slack';

export interface DriveOptions {
  bot: BotProcess;
  fake: TimedFakeSlack;
  plan: readonly PlannedCommand[];
  /** Channels whose executions are audited (every channel the plan uses). */
  channels: string[];
  /** Longest wait after the last command for everything to be answered and published. */
  settleMs: number;
  /** Called every `everyMs` while commands are being sent (fault injection). */
  during?: { everyMs: number; tick: (elapsedMs: number) => void };
}

export interface DriveResult {
  sent: SentCommand[];
  executions: ExecutionRecord[];
  publications: PublicationAudit;
  answers: AnswerAudit;
  /** Time from the first command to the last one sent. */
  sendMs: number;
  /** Time from the last command sent until everything was answered and published (or the wait ran out). */
  settledAfterMs: number;
  settled: boolean;
  startMemory: MemoryFigures;
  endMemory: MemoryFigures;
  finalSnapshot: Snapshot;
}

/** Everything answered and published: nothing unfinished, nothing in flight, no command without an answer. */
function settledNow(sent: readonly SentCommand[], fake: TimedFakeSlack, s: Snapshot): boolean {
  if (s.unfinished > 0 || s.inFlight > 0) return false;
  const pub = auditPublications(fake, s.executions);
  return auditAnswers(sent, fake, s.executions, pub.replyAt).unanswered === 0;
}

/** Executions in the channels the plan uses (not the warm-up's). */
function asked(executions: readonly ExecutionRecord[], plan: readonly PlannedCommand[]): ExecutionRecord[] {
  const channels = new Set(plan.map((c) => c.channelId));
  return executions.filter((e) => channels.has(e.channelId));
}

export async function drive(o: DriveOptions): Promise<DriveResult> {
  const { bot, fake, plan } = o;
  const startMemory = (await bot.snapshot(o.channels, { gc: true })).memory;
  const sent: SentCommand[] = plan.map((c, index) => ({
    index,
    kind: c.kind,
    text: c.text,
    userId: c.userId,
    channelId: c.channelId,
    responseId: `cmd${index}`,
  }));
  const began = Date.now();
  let injector: NodeJS.Timeout | undefined;
  if (o.during) {
    const during = o.during;
    injector = setInterval(() => during.tick(Date.now() - began), during.everyMs);
  }
  await Promise.all(
    sent.map(async (c, i) => {
      const wait = began + plan[i]!.at - Date.now();
      if (wait > 0) await sleep(wait);
      c.result = await bot.command(c.text, {
        userId: c.userId,
        channelId: c.channelId,
        responseUrl: fake.responseUrl(c.responseId),
      });
    }),
  );
  if (injector) clearInterval(injector);
  const sendMs = Date.now() - began;
  const lastSent = Date.now();
  let snapshot = await bot.snapshot(o.channels);
  let settled = settledNow(sent, fake, snapshot);
  while (!settled && Date.now() - lastSent < o.settleMs) {
    await sleep(500);
    snapshot = await bot.snapshot(o.channels);
    settled = settledNow(sent, fake, snapshot);
  }
  const settledAfterMs = Date.now() - lastSent;
  // Late stragglers (a notice after the last publish) get a moment before the final count.
  await sleep(300);
  const finalSnapshot = await bot.snapshot(o.channels, { gc: true });
  const publications = auditPublications(fake, finalSnapshot.executions);
  const answers = auditAnswers(sent, fake, asked(finalSnapshot.executions, plan), publications.replyAt);
  return {
    sent,
    executions: finalSnapshot.executions,
    publications,
    answers,
    sendMs,
    settledAfterMs,
    settled,
    startMemory,
    endMemory: finalSnapshot.memory,
    finalSnapshot,
  };
}

/**
 * The parent's handle on the bot under test (bot-child.ts): spawns it, sends it signed `/trail` commands through its
 * Bolt HTTP receiver exactly as Slack would, asks it for snapshots of its store and memory over IPC, and stops it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { signSlackRequest, slashCommandBody } from '../../test/helpers/slack-signing';
import type { BotChildOptions, FromChild, MemoryFigures, Snapshot, ToChild } from './bot-child';

export const SIGNING_SECRET = 'soak-signing-secret-0123456789abcdef';
export const BOT_TOKEN = 'xoxb-soak-token';

const ROOT = path.resolve(__dirname, '..', '..');

export interface CommandResult {
  /** HTTP status of the ack (0 when the request itself failed). */
  status: number;
  /** Ack body (Bolt answers JSON for an ephemeral reply, nothing for a plain ack). */
  body: string;
  /** Time from sending the request to the full ack, ms. */
  ackMs: number;
  /** `Date.now()` when the request was sent. */
  sentAt: number;
  error?: string;
}

export interface BotProcess {
  port: number;
  startMemory: MemoryFigures;
  /** POSTs a signed `/trail <text>` as Slack does. */
  command(text: string, o: { userId: string; channelId: string; responseUrl: string }): Promise<CommandResult>;
  snapshot(channels: string[], o?: { gc?: boolean }): Promise<Snapshot>;
  /** DynamoDB throttling rate from now on (only when started with `dynamoThrottle`). */
  throttle(rate: number): Promise<void>;
  /** Stops it cleanly (waits for the runner, closes the store) and returns its memory at the end. */
  stop(): Promise<MemoryFigures>;
  /** Log lines it wrote on stderr (trailbot's JSON log), by level. */
  logCounts(): Record<string, number>;
  /** The last error/warn log lines, for the report. */
  lastLogLines(): string[];
  exited: Promise<number | null>;
  kill(): void;
}

/** Slack escapes `&`, `<` and `>` in slash-command text (docs.slack.dev/messaging/formatting-message-text#escaping). */
export function slackEscape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** A message without its correlation id, per member of the union. */
type WithoutId<T> = T extends { id: number } ? Omit<T, 'id'> : never;

export type BotOptions = Omit<BotChildOptions, 'signingSecret' | 'botToken'>;

export async function startBotProcess(o: BotOptions, timeoutMs = 90_000): Promise<BotProcess> {
  const options: BotChildOptions = { ...o, signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN };
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('TRAIL_') && !k.startsWith('SLACK_')),
  );
  const child: ChildProcess = spawn(
    process.execPath,
    ['--expose-gc', '--require', 'tsx/cjs', path.join(ROOT, 'soak', 'lib', 'bot-child.ts')],
    { cwd: ROOT, env: { ...env, SOAK_BOT_OPTIONS: JSON.stringify(options) }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
  const counts: Record<string, number> = {};
  const last: string[] = [];
  let partial = '';
  child.stderr?.on('data', (d: Buffer) => {
    partial += d.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      let level = 'other';
      try {
        level = String((JSON.parse(line) as { level?: string }).level ?? 'other');
      } catch {
        // not trailbot's JSON log (a Node warning, a stack trace)
      }
      counts[level] = (counts[level] ?? 0) + 1;
      last.push(line.slice(0, 500));
      if (last.length > 40) last.shift();
    }
  });
  child.stdout?.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  let nextId = 1;
  const waiting = new Map<number, (m: FromChild) => void>();
  const ready = new Promise<{ port: number; memory: MemoryFigures }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the bot did not start in ${timeoutMs} ms`)), timeoutMs);
    child.on('message', (m: FromChild) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve({ port: m.port, memory: m.memory });
      } else if (m.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`the bot failed to start: ${m.error}`));
      } else if ('id' in m) {
        waiting.get(m.id)?.(m);
        waiting.delete(m.id);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the bot exited (${code}) before it was ready:\n${last.join('\n')}`));
    });
  });
  const { port, memory: startMemory } = await ready;

  const ask = (m: WithoutId<ToChild>): Promise<FromChild> => {
    const id = nextId++;
    return new Promise<FromChild>((resolve, reject) => {
      waiting.set(id, resolve);
      child.send({ ...m, id } as ToChild, (err) => {
        if (err) reject(err);
      });
      void exited.then((code) => reject(new Error(`the bot exited (${code})`)));
    });
  };

  const eventsUrl = `http://127.0.0.1:${port}/slack/events`;
  return {
    port,
    startMemory,
    async command(text, c) {
      const signed = signSlackRequest(
        SIGNING_SECRET,
        slashCommandBody({
          text: slackEscape(text),
          userId: c.userId,
          channelId: c.channelId,
          responseUrl: c.responseUrl,
        }),
      );
      const sentAt = Date.now();
      const started = performance.now();
      try {
        const res = await fetch(eventsUrl, { method: 'POST', headers: signed.headers, body: signed.body });
        const body = await res.text();
        return { status: res.status, body, ackMs: performance.now() - started, sentAt };
      } catch (err) {
        return { status: 0, body: '', ackMs: performance.now() - started, sentAt, error: String(err) };
      }
    },
    async snapshot(channels, s = {}) {
      const m = await ask({ type: 'snapshot', channels, gc: s.gc });
      if (m.type !== 'snapshot') throw new Error(`unexpected answer ${m.type}`);
      return m.snapshot;
    },
    async throttle(rate) {
      await ask({ type: 'throttle', rate });
    },
    async stop() {
      const m = await ask({ type: 'stop' });
      await exited;
      if (m.type !== 'done') throw new Error(`unexpected answer ${m.type}`);
      return m.memory;
    },
    logCounts: () => ({ ...counts }),
    lastLogLines: () => [...last],
    exited,
    kill: () => {
      child.kill('SIGKILL');
    },
  };
}

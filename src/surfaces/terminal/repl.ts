import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Dispatcher } from '../../core/input';
import { plainText, type TerminalPublisher } from './publisher';
import type { Screen } from './screen';

export const PROMPT = 'trail> ';
/** Lines of history kept in the state folder. */
export const HISTORY_SIZE = 1000;
/** Most rows `--limit` and `more N` show at once (the CSV has them all). */
export const LIMIT_MAX = 10_000;

/** What only the terminal has, added to `help`. */
export const TERMINAL_HELP =
  'In this terminal: more [N] shows the next rows of the last answer; add --limit N to a question to show N rows, ' +
  'and --bom to start its CSV with a byte-order mark (for Excel). Tab completes commands and ids, ↑ recalls earlier ' +
  'lines (kept across runs), Ctrl-C cancels a running question, Ctrl-D ends.';

export interface ReplOptions {
  dispatcher: Dispatcher;
  input: NodeJS.ReadableStream;
  /** Where readline echoes what is typed (the terminal); answers go through `screen`. */
  out: NodeJS.WritableStream;
  screen: Screen;
  /** The terminal publisher: pages (`more`, `--limit`) and the questions Ctrl-C cancels. */
  publisher: TerminalPublisher;
  userId: string;
  /**
   * A person at a terminal: line editing, history, completion, a prompt, Ctrl-C read from the keyboard. Otherwise
   * (a pipe, a script) lines are read as they come and nothing is echoed.
   */
  interactive?: boolean;
  /** Where history is kept across runs (interactive only). */
  historyFile?: string;
  /** Command names to complete. */
  commands?: readonly string[];
  /** Execution ids to complete after `status` and `cancel`, newest first. */
  recentIds?: () => Promise<string[]>;
  /** Also take SIGINT from the process (Ctrl-C when stdin is not a terminal, so readline does not see it). */
  catchSigint?: boolean;
}

/**
 * What readline writes (the prompt, the echo of typed keys), muted while a question runs: keys typed meanwhile
 * (including ↑) are kept and shown with the next prompt instead of being drawn over the progress line and the answer.
 */
class PromptOutput extends Writable {
  muted = false;
  readonly isTTY = true;

  constructor(private readonly target: NodeJS.WritableStream & { columns?: number; rows?: number }) {
    super();
    target.on('resize', () => this.emit('resize'));
  }

  get columns(): number | undefined {
    return this.target.columns;
  }

  get rows(): number | undefined {
    return this.target.rows;
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (!this.muted) this.target.write(chunk);
    done();
  }
}

/** `--limit N` taken out of a line: the line without it, and N. */
export function takeLimit(line: string): { text: string; limit?: number; error?: string } {
  const m = /(^|\s)--limit(?:=|\s+)?(\S*)/i.exec(line);
  if (!m) return { text: line };
  const text = `${line.slice(0, m.index)}${m[1]}${line.slice(m.index + m[0].length)}`.replace(/\s+/g, ' ').trim();
  const n = /^\d+$/.test(m[2]!) ? Number(m[2]) : Number.NaN;
  if (!(n >= 1 && n <= LIMIT_MAX)) {
    const got = m[2] ? `\`${m[2].slice(0, 20)}\`` : 'nothing';
    return {
      text,
      error: `\`--limit\` needs a number of rows from 1 to ${LIMIT_MAX} (got ${got}), e.g. \`--limit 50\`.`,
    };
  }
  return { text, limit: n };
}

async function loadHistory(file: string | undefined): Promise<string[]> {
  if (!file) return [];
  try {
    const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim() !== '');
    // The file is oldest first (easy to read and to append to by hand); readline wants newest first.
    return lines.slice(-HISTORY_SIZE).reverse();
  } catch {
    return [];
  }
}

/**
 * Reads `/trail …` lines (the prefix is optional) and answers each one before the next, so answers never interleave.
 * At a terminal it uses Node's readline in terminal mode, which gives line editing, history (kept in the state
 * folder across runs) and Tab completion of commands and execution ids. Ctrl-C cancels the questions still running
 * (a second Ctrl-C quits, a third exits at once); Ctrl-D, `exit` or `quit` end the session after the question in
 * progress is answered.
 */
export async function runRepl(o: ReplOptions): Promise<void> {
  const interactive = o.interactive === true;
  const commands = [...(o.commands ?? []), 'more', 'exit', 'quit'];
  const output = interactive ? new PromptOutput(o.out) : undefined;
  const rl: Interface = createInterface({
    input: o.input,
    output,
    terminal: interactive,
    crlfDelay: Number.POSITIVE_INFINITY,
    ...(interactive
      ? {
          history: await loadHistory(o.historyFile),
          historySize: HISTORY_SIZE,
          removeHistoryDuplicates: true,
          completer: (line: string, done: (err: null, result: [string[], string]) => void) => {
            complete(line, commands, o.recentIds).then(
              (r) => done(null, r),
              () => done(null, [[], line]),
            );
          },
        }
      : {}),
  });
  let closed = false;
  let quitting = false;
  let busy = false;
  let interrupts = 0;
  const queue: string[] = [];
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const showPrompt = () => {
    if (!output || closed) return;
    output.muted = false;
    rl.setPrompt(PROMPT);
    rl.prompt(true);
  };
  if (interactive) {
    o.screen.attachPrompt({
      redraw: () => !closed && !output?.muted && rl.prompt(true),
      waiting: () => !closed && !busy,
    });
    if (o.historyFile) {
      const file = o.historyFile;
      let saving = Promise.resolve();
      rl.on('history', (history: string[]) => {
        const text = `${[...history].reverse().join('\n')}\n`;
        saving = saving
          .then(() => mkdir(path.dirname(file), { recursive: true }))
          .then(() => writeFile(file, text, { mode: 0o600 }))
          .catch(() => {});
      });
    }
  }

  const quit = () => {
    quitting = true;
    if (!closed) rl.close();
  };

  const interrupt = () => {
    interrupts += 1;
    if (interrupts >= 3) {
      o.screen.line('Exiting now.');
      process.exit(130);
    }
    if (interrupts === 2) {
      o.screen.attachPrompt(undefined);
      if (output && !output.muted) o.out.write('\r\x1b[2K'); // the prompt line goes; the shell prompt comes next
      o.screen.line('Quitting…');
      quit();
      return;
    }
    const running = o.publisher.inProgress;
    if (running.length > 0) {
      for (const id of running) void answer(`cancel ${id}`);
      o.screen.line(`Cancelling ${running.join(', ')}… (Ctrl-C again quits)`);
      return;
    }
    if (busy) {
      // Asked but not yet announced (the store write, the pre-flight): cancel it as soon as it has an id.
      o.publisher.onAnnounce = (id) => {
        o.publisher.onAnnounce = undefined;
        void answer(`cancel ${id}`);
      };
      o.screen.line('Cancelling the question being started… (Ctrl-C again quits)');
      return;
    }
    if (interactive && rl.line !== '') {
      // Like a shell: Ctrl-C drops what was typed.
      interrupts = 0;
      rl.write(null, { ctrl: true, name: 'e' });
      rl.write(null, { ctrl: true, name: 'u' });
      return;
    }
    o.screen.line('(Ctrl-C again or Ctrl-D quits)');
  };
  rl.on('SIGINT', interrupt);
  if (o.catchSigint) process.on('SIGINT', interrupt);

  /** Runs one command line to its end (the question answered, or the reply printed). */
  const answer = async (raw: string): Promise<void> => {
    const line = raw.trim().replace(/^\/trail(\s+|$)/i, '');
    const more = /^more(?:\s+(\S+))?$/i.exec(line);
    if (more) {
      const n = more[1] === undefined ? undefined : Number(more[1]);
      if (n !== undefined && !(Number.isInteger(n) && n >= 1 && n <= LIMIT_MAX)) {
        o.screen.line(`\`more\` takes a number of rows from 1 to ${LIMIT_MAX}, e.g. \`more 50\`.`);
        return;
      }
      await o.publisher.more(n);
      return;
    }
    const { text: withoutLimit, limit, error } = takeLimit(line);
    if (error) {
      o.screen.line(error);
      return;
    }
    const bom = /(^|\s)--bom(?=\s|$)/i.test(withoutLimit);
    const text = bom ? withoutLimit.replace(/(^|\s)--bom(?=\s|$)/gi, '').trim() : withoutLimit;
    if (limit !== undefined || bom)
      o.publisher.nextAnswer(text, { ...(limit ? { limit } : {}), ...(bom ? { bom } : {}) });
    const prepared = o.dispatcher.prepare({ text, userId: o.userId, channelId: 'terminal', surface: 'terminal' });
    if (prepared.kind === 'reply') {
      o.screen.line(plainText(prepared.text));
      if (/^(help|--help|-h)$/i.test(text)) o.screen.line(TERMINAL_HELP);
    } else {
      if (prepared.ackText) o.screen.line(plainText(prepared.ackText));
      await prepared.run();
    }
  };

  const pump = async () => {
    if (busy) return;
    busy = true;
    while (queue.length > 0 && !quitting) {
      const line = queue.shift()!.trim();
      if (line === '' || line.startsWith('#')) continue;
      if (line === 'exit' || line === 'quit') {
        quit();
        break;
      }
      if (output) output.muted = true;
      await answer(line);
      o.publisher.onAnnounce = undefined;
    }
    busy = false;
    if (quitting || closed) finish();
    else {
      interrupts = 0; // the question is over (answered or cancelled): back to a fresh prompt
      showPrompt();
    }
  };

  rl.on('line', (line: string) => {
    interrupts = 0;
    queue.push(line);
    void pump();
  });
  rl.on('close', () => {
    closed = true;
    o.screen.attachPrompt(undefined);
    if (output && !quitting) o.out.write('\n'); // Ctrl-D: end the prompt's line, as a shell does
    void pump();
  });
  showPrompt();
  await finished;
  if (o.catchSigint) process.removeListener('SIGINT', interrupt);
}

/** Tab completion: a command name first, then an execution id after `status` or `cancel`. */
async function complete(
  line: string,
  commands: readonly string[],
  recentIds?: () => Promise<string[]>,
): Promise<[string[], string]> {
  const words = line.replace(/^\s*\/trail\s+/i, '').split(/\s+/);
  const current = words[words.length - 1] ?? '';
  if (words.length <= 1) {
    const hits = commands.filter((c) => c.startsWith(current.toLowerCase()));
    return [hits.length ? hits.map((h) => `${h} `) : [], current];
  }
  if (words.length === 2 && (words[0] === 'status' || words[0] === 'cancel') && recentIds) {
    const ids = (await recentIds()).filter((id) => id.startsWith(current));
    return [ids, current];
  }
  return [[], current];
}

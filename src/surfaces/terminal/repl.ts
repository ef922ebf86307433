import { createInterface } from 'node:readline';
import type { Dispatcher } from '../../runner/types';

export interface ReplOptions {
  dispatcher: Dispatcher;
  input: NodeJS.ReadableStream;
  out: NodeJS.WritableStream;
  userId: string;
  /** Show a prompt (interactive terminals only). */
  prompt?: boolean;
}

/**
 * Reads `/trail …` lines (the prefix is optional) and answers each one before reading the next, so output never
 * interleaves. Ends cleanly at EOF or `exit`/`quit`, after the question in progress is answered.
 */
export async function runRepl(o: ReplOptions): Promise<void> {
  const rl = createInterface({ input: o.input, terminal: false, crlfDelay: Number.POSITIVE_INFINITY });
  const prompt = () => {
    if (o.prompt) o.out.write('trail> ');
  };
  prompt();
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) {
      prompt();
      continue;
    }
    if (line === 'exit' || line === 'quit') break;
    const prepared = o.dispatcher.prepare({ text: line, userId: o.userId, channelId: 'terminal', surface: 'terminal' });
    if (prepared.kind === 'reply') o.out.write(`${prepared.text}\n`);
    else {
      if (prepared.ackText) o.out.write(`${prepared.ackText}\n`);
      await prepared.run();
    }
    prompt();
  }
  rl.close();
}

import { UsageError } from '../src/core/errors';
import { shown } from './args';
import type { CommandArgs, CommandInfo } from './types';

/** Execution and schedule ids as the store issues them: short, URL-safe. */
export const EXECUTION_ID = /^[A-Za-z0-9_-]{6,32}$/;

export function takeId(command: CommandInfo, args: CommandArgs, what: string): string {
  const [word, extra] = args.words;
  if (word === undefined) throw new UsageError(`\`${command.name}\`: which ${what}? Give its id.`, command.usage);
  if (!EXECUTION_ID.test(word)) {
    throw new UsageError(
      `\`${command.name}\`: \`${shown(word)}\` is not ${/^[aeiou]/.test(what) ? 'an' : 'a'} ${what} id. Accepted: the id trailbot showed (6–32 of A-Z a-z 0-9 _ -).`,
      command.usage,
    );
  }
  if (extra !== undefined)
    throw new UsageError(`\`${command.name}\`: unexpected argument \`${shown(extra)}\`.`, command.usage);
  return word;
}

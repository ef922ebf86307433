/**
 * The dispatcher's copy of the saved questions (issue 17 item 6). `prepare` is synchronous and does no I/O (Slack is
 * acknowledged at once), so it cannot read the store: it expands an alias from this in-memory copy, which is loaded
 * from the store at start, reloaded right after this replica changes an alias, and reloaded every minute, so that
 * replicas (several bots on one table) converge on another replica's change within a minute.
 */
import type { Command, Decision } from '../../commands/types';
import type { AccessPolicy } from '../config';
import type { Alias, AliasStore } from '../core/alias';
import type { CommandInput } from '../core/input';
import { type Logger, silentLogger } from '../logger';

/** How often every replica re-reads the aliases: the longest another replica's change goes unseen. */
export const ALIAS_REFRESH_MS = 60_000;

/** Subcommands whose next word is a question: `schedule prod-sg daily 09:00` schedules what `prod-sg` stands for. */
const ASKS_A_QUESTION = new Set(['schedule']);

export interface Expanded {
  /** The text with the alias replaced by its question. */
  text: string;
  /** The alias used. */
  alias: Alias;
}

export class AliasBook {
  private byName = new Map<string, Alias>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly log: Logger;

  constructor(
    readonly store: AliasStore,
    logger?: Logger,
  ) {
    this.log = logger ?? silentLogger;
  }

  /** Reads every alias from the store. A failed read keeps the copy it had (and is logged): a store blip must not
   * make every alias unknown for a minute. */
  async refresh(): Promise<void> {
    try {
      this.byName = new Map((await this.store.list()).map((a) => [a.name, a]));
    } catch (err) {
      this.log.error('could not read the aliases', { error: String(err) });
    }
  }

  /** Loads now and then every minute; the timer does not keep the process alive. */
  async start(intervalMs = ALIAS_REFRESH_MS): Promise<void> {
    await this.refresh();
    this.stop();
    this.timer = setInterval(() => void this.refresh(), intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  get(name: string): Alias | undefined {
    return this.byName.get(name);
  }

  /**
   * What `text` asks once an alias in it is replaced by its question, or undefined when it uses none. The alias is the
   * first word (`prod-sg 12h` → `sg sg-0abc… account:… 12h`: the words typed after it, a window or flags, follow its
   * question), or the word after `schedule`. A command's own name is never an alias (`alias` refuses such a name, and
   * a command added later wins over an older alias of the same name).
   */
  expand(text: string, catalog: readonly Command[]): Expanded | undefined {
    let rest = text.trim();
    if (/^\/trail(\s|$)/i.test(rest)) rest = rest.slice(6).trim();
    const words = rest.split(/\s+/u).filter((w) => w !== '');
    const isCommand = (word: string) => catalog.some((c) => c.name === word.toLowerCase());
    let at = 0;
    if (words.length > 1 && ASKS_A_QUESTION.has(words[0]!.toLowerCase())) at = 1;
    const word = words[at];
    if (word === undefined || isCommand(word)) return undefined;
    const alias = this.byName.get(word.toLowerCase());
    if (!alias) return undefined;
    return { text: [...words.slice(0, at), alias.text, ...words.slice(at + 1)].join(' '), alias };
  }
}

/**
 * May this person create, replace or remove an alias? Only the access policy's `admins`: an alias changes what a name
 * asks for everyone who types it (and for schedules made from it later). In the terminal without admins (the open
 * policy of a local bot), the person at the keyboard owns the bot and may.
 */
export function mayChangeAliases(policy: AccessPolicy, userId: string, surface: CommandInput['surface']): Decision {
  const admins = policy.admins ?? [];
  if (admins.includes(userId) || (surface === 'terminal' && admins.length === 0)) return { allowed: true };
  if (admins.length === 0) {
    return {
      allowed: false,
      reason: 'only trailbot admins may change aliases, and this bot lists none (`admins` in TRAIL_ACCESS_POLICY).',
    };
  }
  const shown = admins.slice(0, 10).map((u) => `<@${u}>`);
  const more = admins.length > shown.length ? ` or ${admins.length - shown.length} more` : '';
  return { allowed: false, reason: `only trailbot admins (${shown.join(', ')}${more}) may change aliases.` };
}

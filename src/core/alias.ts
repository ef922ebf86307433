/**
 * Saved questions (issue 17 item 6): `/trail alias prod-sg = sg sg-0abc… account:111122223333` names a question, and
 * `/trail prod-sg 12h` asks it. The AliasStore is the port the catalog's `alias`, `aliases` and `unalias` use; the
 * DynamoDB implementation is src/store/aliases.ts.
 */

/**
 * What an alias name may be: lowercase letters, digits and `-`, 1 to 32 characters, not starting with `-` (`-h` is
 * how help is asked for, and a leading dash reads as an option).
 */
export const ALIAS_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
export const ALIAS_NAME_RULE = 'lowercase letters, digits and `-` (not first), at most 32 characters';

export interface Alias {
  /** e.g. `prod-sg`. */
  name: string;
  /** The question it stands for, without a window, as validated: `sg sg-0abc… account:111122223333`. */
  text: string;
  /** Subcommand of the question, e.g. `sg` (the access policy applies by this name). */
  command: string;
  /** Slack user id of whoever set it last. */
  setBy: string;
  /** When it was set last (ISO). */
  setAt: string;
  /** 1 when created, +1 on each replacement: a replacement is conditioned on the version its writer read. */
  version: number;
}

/** What `alias` writes. */
export type AliasWrite = Pick<Alias, 'name' | 'text' | 'command' | 'setBy'>;

/** A conditional write lost: the alias was created, replaced or removed by someone else since it was read. */
export class AliasChangedError extends Error {
  constructor(readonly aliasName: string) {
    super(`alias ${aliasName} changed meanwhile`);
    this.name = 'AliasChangedError';
  }
}

export interface AliasStore {
  /** One alias (consistent read), undefined when there is none. */
  get(name: string): Promise<Alias | undefined>;
  /** Every alias, by name. */
  list(): Promise<Alias[]>;
  /**
   * Creates (`expected` undefined: only when the name is free) or replaces (only while the alias is still at
   * `expected`'s version). Throws AliasChangedError when that no longer holds.
   */
  put(write: AliasWrite, expected?: Pick<Alias, 'version'>): Promise<Alias>;
  /** Removes it; returns it as it was, or undefined when there was none. */
  remove(name: string, by: string): Promise<Alias | undefined>;
}

/**
 * The front door's copy of the aliases (src/dispatch/aliases.ts): read at start and every minute, so a change made on
 * another replica reaches this one; a failed read keeps the copy it had.
 */
import { COMMANDS } from '../../commands';
import type { Alias, AliasStore } from '../../src/core/alias';
import { ALIAS_REFRESH_MS, AliasBook } from '../../src/dispatch/aliases';

const alias = (name: string, text: string): Alias => ({
  name,
  text,
  command: text.split(' ')[0]!,
  setBy: 'U0LEAD',
  setAt: '2026-11-20T08:00:00.000Z',
  version: 1,
});

/** A store whose list is whatever the test says, or fails when `down`. */
function scriptedStore() {
  const state = { aliases: [] as Alias[], down: false, reads: 0 };
  const store: AliasStore = {
    get: async (name) => state.aliases.find((a) => a.name === name),
    list: async () => {
      state.reads++;
      if (state.down) throw new Error('store unreachable');
      return [...state.aliases];
    },
    put: async () => {
      throw new Error('not used');
    },
    remove: async () => undefined,
  };
  return { store, state };
}

afterEach(() => {
  jest.useRealTimers();
});

test('read at start, then every minute: another replica’s alias is known within a minute, and a failed read keeps the copy', async () => {
  jest.useFakeTimers();
  const { store, state } = scriptedStore();
  state.aliases = [alias('prod-sg', 'sg sg-5887f224')];
  const book = new AliasBook(store);
  await book.start();
  expect(state.reads).toBe(1);
  expect(book.expand('prod-sg 12h', COMMANDS)?.text).toBe('sg sg-5887f224 12h');

  // Another replica adds one; this replica learns of it at its next minute.
  state.aliases = [...state.aliases, alias('nomfa', 'logins nomfa')];
  expect(book.expand('nomfa', COMMANDS)).toBeUndefined();
  await jest.advanceTimersByTimeAsync(ALIAS_REFRESH_MS);
  expect(state.reads).toBe(2);
  expect(book.expand('nomfa', COMMANDS)?.text).toBe('logins nomfa');

  // The store is unreachable for a minute: the copy stays as it was.
  state.down = true;
  await jest.advanceTimersByTimeAsync(ALIAS_REFRESH_MS);
  expect(state.reads).toBe(3);
  expect(book.expand('nomfa', COMMANDS)?.text).toBe('logins nomfa');

  book.stop();
  await jest.advanceTimersByTimeAsync(5 * ALIAS_REFRESH_MS);
  expect(state.reads).toBe(3);
});

test('expand: the first word, or the word after `schedule`; a command name is never an alias', async () => {
  const { store, state } = scriptedStore();
  // An alias stored before a command of the same name existed (`root` here) is shadowed by the command.
  state.aliases = [alias('prod-sg', 'sg sg-5887f224 account:111122223333'), alias('root', 'recent')];
  const book = new AliasBook(store);
  await book.refresh();
  expect(book.expand('/trail PROD-SG 12h --sql', COMMANDS)?.text).toBe('sg sg-5887f224 account:111122223333 12h --sql');
  expect(book.expand('schedule prod-sg daily 09:00', COMMANDS)?.text).toBe(
    'schedule sg sg-5887f224 account:111122223333 daily 09:00',
  );
  expect(book.expand('root 7d', COMMANDS)).toBeUndefined();
  expect(book.expand('sg prod-sg', COMMANDS)).toBeUndefined();
  expect(book.expand('help prod-sg', COMMANDS)).toBeUndefined();
  expect(book.expand('', COMMANDS)).toBeUndefined();
  expect(book.expand('schedule', COMMANDS)).toBeUndefined();
});

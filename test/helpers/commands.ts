import { parseRequest, type TrailRequest } from '../../commands';
import type { CommandContext } from '../../commands/types';
import type { TrailConfig } from '../../src/config';
import { UsageError } from '../../src/core/errors';
import type { QuerySubmission } from '../../src/core/runner';
import { testConfig } from './config';

/** The fixed instant every command test renders at: windows and partitions are stable. */
export const NOW = new Date('2026-11-21T12:00:00Z');

export function context(overrides: Partial<TrailConfig> = {}): CommandContext {
  return { config: testConfig(overrides), now: NOW };
}

export function parse(text: string, ctx = context()): TrailRequest {
  return parseRequest(text, ctx);
}

export function queryOf(text: string, ctx = context()) {
  const r = parse(text, ctx);
  if (r.kind !== 'query') throw new Error(`${text} is not a query`);
  return r;
}

/** The user-facing message of the UsageError that `text` produces (fails the test if it parses). */
export function usageMessage(text: string, ctx = context()): string {
  try {
    parse(text, ctx);
  } catch (err) {
    if (err instanceof UsageError) return err.userMessage;
    throw err;
  }
  throw new Error(`expected a usage error for: ${text}`);
}

/** Values of the parameters, in placeholder order. */
export const paramValues = (text: string, ctx = context()) => queryOf(text, ctx).query.params.map((p) => p.value);

/** What a surface hands the runner for `text`: asked by U1 in C1 on Slack unless `over` says otherwise. */
export function querySubmission(text: string, over: Partial<QuerySubmission> = {}, ctx = context()): QuerySubmission {
  const r = queryOf(text, ctx);
  return {
    command: r.command.name,
    commandText: text,
    normalized: r.normalized,
    query: r.query,
    userId: 'U1',
    channelId: 'C1',
    surface: 'slack',
    ...over,
  };
}

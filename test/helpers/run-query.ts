import { findCommand, parseRequest } from '../../commands';
import type { CommandContext } from '../../commands/types';
import type { QueryEngine, QueryStats, ResultPage } from '../../src/core/engine';
import type { RiskFlag } from '../../src/core/publisher';
import type { BoundQuery } from '../../src/core/query';

export interface QueryResult {
  columns: string[];
  rows: (string | null)[][];
  /** Rows as objects by column name. */
  records: Record<string, string | null>[];
  flags: Omit<RiskFlag, 'row'>[];
  stats: QueryStats;
}

/** Parses a command, runs it on an engine to the end, returns every row and the command's risk flags. */
export async function runCommand(engine: QueryEngine, text: string, ctx: CommandContext): Promise<QueryResult> {
  const request = parseRequest(text, ctx);
  if (request.kind !== 'query') throw new Error(`${text} is not a query`);
  const id = await engine.start(request.query, { executionId: `test-${Math.random().toString(36).slice(2)}` });
  for (;;) {
    const s = await engine.status(id);
    if (s.state === 'FAILED' || s.state === 'CANCELLED') throw new Error(`${text}: ${s.reason}`);
    if (s.state === 'SUCCEEDED') {
      const pages: ResultPage[] = [];
      for await (const p of engine.results(id)) pages.push(p);
      const columns = pages[0]?.columns ?? [];
      const rows = pages.flatMap((p) => p.rows);
      const records = rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i] ?? null])));
      const command = findCommand(request.command.name);
      const flags =
        command?.kind === 'query' && command.annotate
          ? records.flatMap((rec) => command.annotate!((c) => rec[c] ?? null, ctx))
          : [];
      return { columns, rows, records, flags, stats: s.stats };
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Every question's rows on one engine, by question. */
export async function answersOf(
  engine: QueryEngine,
  questions: readonly string[],
  ctx: CommandContext,
): Promise<Record<string, QueryResult['rows']>> {
  const out: Record<string, QueryResult['rows']> = {};
  for (const q of questions) out[q] = (await runCommand(engine, q, ctx)).rows;
  return out;
}

/** The bound query of a command that runs one (throws for a control command or bad input). */
export function queryOf(text: string, ctx: CommandContext): BoundQuery {
  const request = parseRequest(text, ctx);
  if (request.kind !== 'query') throw new Error(`${text} is not a query`);
  return request.query;
}

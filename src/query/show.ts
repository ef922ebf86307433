import type { BoundQuery } from '../core/query';
import { codeBlock } from '../util/echo';
import { sqlLiteral } from './literal';

/**
 * The exact SQL and its parameters, as a compliance lead needs to see them (`--sql`, "show SQL"). Parameters are
 * shown as the literals Athena receives in ExecutionParameters, numbered in placeholder order.
 */
export function describeQuery(query: BoundQuery): { sql: string; parameters: string[] } {
  return { sql: query.sql, parameters: query.params.map((p, i) => `${i + 1}. ${sqlLiteral(p)}`) };
}

/** Plain-text form for the terminal and the one-shot CLI. */
export function formatQueryText(query: BoundQuery): string {
  const { sql, parameters } = describeQuery(query);
  return [
    `-- template: sql/${query.template}.sql`,
    `-- partitions: ${query.partitions[0]} .. ${query.partitions[query.partitions.length - 1]} (${query.partitions.length} day${query.partitions.length === 1 ? '' : 's'})`,
    sql,
    '',
    parameters.length
      ? `-- parameters (Athena ExecutionParameters, in order):\n${parameters.map((p) => `--   ${p}`).join('\n')}`
      : '-- no parameters',
  ].join('\n');
}

/**
 * The plain-text form in a code block, for a chat reply. In Slack the parameters may hold what someone typed, so the
 * block is escaped and fence-safe (no run of backticks can close it, issue 13 item 5); the terminal shows it as it is.
 */
export function fencedQueryText(query: BoundQuery, surface: 'slack' | 'terminal' | 'schedule'): string {
  const text = formatQueryText(query);
  return surface === 'terminal' ? `\`\`\`\n${text}\n\`\`\`` : codeBlock(text);
}

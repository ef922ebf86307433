import type { SqlParam } from '../../core/query';
import { bindParams } from './job';
import type { DuckDBConnection, DuckDBPreparedStatement, DuckDBResultReader } from './native';

/**
 * Statements a pooled connection keeps prepared between questions, one per use: the spool of the question's answer
 * or the statement that answers with its rows (answer.ts), and the read of a spooled answer's rows (engine.ts,
 * pages). A repeat question, the case the columnar cache is for, runs the same texts again, and preparing them cost
 * 2–4 ms a question out of a warm answer of ~15–20 ms. DuckDB binds a kept statement again before a run when a table
 * or view it reads was replaced since (the answer table is, for every question) and on every run when it reads a
 * connection variable (`getvariable`: the file lists, the principal, the source texts, the networks' values), so what
 * it answers is what a fresh one would. For a statement that reads a variable, keeping it saves the prepare, not the
 * planning (the `user` spool, plain DuckDB: 26–30 ms kept against 27–29 prepared afresh).
 */
export type KeptUse = 'spool' | 'inline' | 'read';

const keptOf = new WeakMap<DuckDBConnection, Map<KeptUse, { sql: string; statement: DuckDBPreparedStatement }>>();

/**
 * Runs `sql` with `params` through the connection's kept statement for `use` and reads its whole result. A run that
 * fails drops the statement (a cancel interrupts it; the next question prepares it afresh).
 */
export async function runKept(
  connection: DuckDBConnection,
  use: KeptUse,
  sql: string,
  params: readonly SqlParam[],
): Promise<DuckDBResultReader> {
  const statement = await keptStatement(connection, use, sql);
  bindParams(statement, params);
  try {
    return await statement.runAndReadAll();
  } catch (err) {
    dropKept(connection, use);
    throw err;
  }
}

/** The connection's statement for `use`, prepared now unless the one it keeps has this very text. */
async function keptStatement(
  connection: DuckDBConnection,
  use: KeptUse,
  sql: string,
): Promise<DuckDBPreparedStatement> {
  const known = keptOf.get(connection)?.get(use);
  if (known?.sql === sql) return known.statement;
  dropKept(connection, use);
  const statement = await connection.prepare(sql);
  const kept = keptOf.get(connection) ?? new Map();
  keptOf.set(connection, kept);
  kept.set(use, { sql, statement });
  return statement;
}

/** Destroys what a connection keeps for `use` (after a failed run, when the view it was planned on goes), or all. */
export function dropKept(connection: DuckDBConnection, use?: KeptUse): void {
  const kept = keptOf.get(connection);
  if (!kept) return;
  for (const [which, { statement }] of kept) {
    if (use !== undefined && which !== use) continue;
    kept.delete(which);
    statement.destroySync();
  }
}

/**
 * Child process of the cache bench (bench/cache.ts): runs the hand-written DuckDB queries, over the raw files and
 * over the cache's Parquet files, in a process of their own, as a person's `duckdb` would run them, and reports each
 * one's time over IPC (only the query and its fetch are timed, here, as before).
 *
 * Why not in the bench's own process: DuckDB allocates through one jemalloc for the whole process, and an instance
 * that closes, or a thread that has allocated past DuckDB's flush threshold, purges every arena of it, the other
 * instances' included. Run in trailbot's process, each hand-written query over the raw files (~400 ms, hundreds of
 * MB allocated, its instance closed after it) left trailbot's next warm answer to fault its memory back in: measured
 * on the bench data, 1,300–5,200 minor page faults for one warm answer right after it against 220–1,400 without it,
 * and 2–14 ms more per answer (`user` 43 → 58 ms). The bot never runs another DuckDB instance in its process (the
 * cache's conversion has its own, convert-worker.ts), so that cost was the bench's, not the product's.
 *
 * It inherits the bench process's environment, DuckDB's allocator setting included (src/engines/duckdb/native.ts: the
 * bench loads the engine, which sets it, before forking this), so both sides run DuckDB with the same allocator.
 *
 * Usage: forked by bench/cache.ts (HandWorker); messages { id, kind: 'raw' | 'cache' | 'rows', sql }.
 */
import { DuckDBInstance } from '@duckdb/node-api';

interface Request {
  id: number;
  kind: 'raw' | 'cache' | 'rows';
  sql: string;
}

async function serve(): Promise<void> {
  // The queries over the cache's files share one connection that keeps the files' footers, as trailbot's own
  // connections do (src/engines/duckdb/engine.ts), so neither side parses them again on every question.
  const parquetInstance = await DuckDBInstance.create(':memory:');
  const parquet = await parquetInstance.connect();
  await parquet.run(`SET TimeZone = 'UTC'; LOAD parquet; SET GLOBAL parquet_metadata_cache = true`);
  let queue = Promise.resolve();
  process.on('message', (request: Request) => {
    queue = queue.then(async () => {
      try {
        if (request.kind === 'rows') {
          // A query's rows as one text (JSON values, in the query's order), to hold two answers against each other.
          const text = JSON.stringify((await parquet.runAndReadAll(request.sql)).getRowsJson());
          process.send?.({ type: 'answer', id: request.id, text });
          return;
        }
        const timed = request.kind === 'raw' ? await runRaw(request.sql) : await runOn(parquet, request.sql);
        process.send?.({ type: 'answer', id: request.id, ...timed });
      } catch (err) {
        process.send?.({ type: 'answer', id: request.id, error: err instanceof Error ? err.message : String(err) });
      }
    });
  });
  process.on('disconnect', () => {
    parquet.closeSync();
    parquetInstance.closeSync();
    process.exit(0);
  });
  process.send?.({ type: 'ready' });
}

/** The hand-written query on a fresh connection of a fresh in-memory instance (bench/engine.ts, runHand). */
async function runRaw(sql: string): Promise<{ ms: number; rows: number }> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`SET TimeZone = 'UTC'`);
    return await runOn(connection, sql);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function runOn(
  connection: Awaited<ReturnType<DuckDBInstance['connect']>>,
  sql: string,
): Promise<{ ms: number; rows: number }> {
  const began = performance.now();
  const rows = (await connection.runAndReadAll(sql)).getRows().length;
  return { ms: performance.now() - began, rows };
}

void serve();

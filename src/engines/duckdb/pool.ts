import type { BoundQuery } from '../../core/query';
import { dropKept } from './kept';
import type { DuckDBConnection, DuckDBInstance } from './native';
import { installTrinoShims } from './trino';

/**
 * The DuckDB engine's idle connections, each with the Trino shims installed. Installing them costs ~20 ms (about 20
 * macros), as much as a whole answer from the columnar cache, so connections of finished questions are kept (up to
 * `max`) and reused. A connection also keeps the last question's view and statements (execute.ts, kept.ts), so a
 * question goes first to the connection that ran it last.
 */
export class ConnectionPool {
  /** Oldest first. */
  readonly idle: DuckDBConnection[] = [];
  /** The affinity (affinityOf) of the question each connection ran last. */
  private readonly ranLast = new WeakMap<DuckDBConnection, string>();

  constructor(
    private readonly max: number,
    private readonly cached: boolean,
  ) {}

  /**
   * The connection that last ran this very question: a repeat after another question (`sg`, `who`, `sg` again; a
   * warm answer after a raw one) needs neither its view nor its statements again. Else a new connection while the
   * pool has room, so the other's state stays for its own repeat; else the one pooled longest ago.
   */
  async acquire(instance: DuckDBInstance, query: BoundQuery): Promise<DuckDBConnection> {
    const affinity = affinityOf(query);
    let at = -1;
    for (let i = this.idle.length - 1; i >= 0 && at < 0; i--) if (this.ranLast.get(this.idle[i]!) === affinity) at = i;
    if (at < 0 && this.idle.length >= this.max) at = 0;
    const pooled = at >= 0 ? this.idle.splice(at, 1)[0] : undefined;
    const connection = pooled ?? (await this.open(instance));
    this.ranLast.set(connection, affinity);
    return connection;
  }

  /** Keeps a connection for the next question; beyond `max`, the one pooled longest ago is closed. */
  keep(connection: DuckDBConnection): void {
    this.idle.push(connection);
    while (this.idle.length > this.max) closePooled(this.idle.shift()!);
  }

  closeAll(): void {
    for (const connection of this.idle.splice(0)) closePooled(connection);
  }

  private async open(instance: DuckDBInstance): Promise<DuckDBConnection> {
    const connection = await instance.connect();
    await installTrinoShims(connection);
    // Footers of the cached days' Parquet files are parsed once, not on every question (DuckDB checks a file's
    // modification time before using what it kept; a rebuilt day is a new file anyway). Measured over 16 cached days,
    // the fixed cost of opening them fell from ~12–20 ms to ~6–8 ms a question. A global setting of the parquet
    // extension, which must be loaded first (it cannot be given when the instance is created).
    if (this.cached) await connection.run('LOAD parquet; SET GLOBAL parquet_metadata_cache = true');
    // The newest events (`recent`, LIMIT 200): DuckDB first sorts the cached days' rows by their sort columns alone and
    // then reads the shown columns of the 200 it keeps, where by default it does so only up to 50 rows. Warm `recent 7d`
    // on the bench data: 41.5–43.1 → 37.3–38.9 ms. Larger limits (the drill-downs' 10,000) measured slower this way.
    await connection.run('SET late_materialization_max_rows = 200');
    return connection;
  }
}

/** Closes a connection of the pool, with the statements it keeps (kept.ts). */
export function closePooled(connection: DuckDBConnection): void {
  dropKept(connection);
  connection.closeSync();
}

/** Which question a connection runs, for the pool: its SQL text, days, scope and whether it reads the cache. */
const affinityOf = (query: BoundQuery): string =>
  JSON.stringify([query.sql, query.noCache === true, query.partitions, query.scope?.accounts, query.scope?.regions]);

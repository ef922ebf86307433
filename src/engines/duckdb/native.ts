/**
 * The one door to DuckDB's native library for the engine: every module of it imports DuckDB from here, so the
 * library is never loaded before the allocator setting below is in the environment (allocator.test.ts, under
 * test/engines/duckdb, holds that no other source file imports `@duckdb/node-api`).
 *
 * DuckDB allocates its working memory through a jemalloc of its own, configured when the library loads (the
 * `DUCKDB_JE_MALLOC_CONF` variable, jemalloc's `MALLOC_CONF` under DuckDB's prefix, is read then and only then). With
 * DuckDB's settings that jemalloc hands pages freed in the last seconds back to the system as soon as it allocates
 * again (`dirty_decay_ms` 5 s), so a question asked a second or two after the last one takes many of the pages its
 * work needs from the kernel again. A bot spends most of its time between questions, and a repeat question over the
 * cache is a short one. Here freed pages are given back over a minute instead (`dirty_decay_ms` 60 s, and then at
 * once: `muzzy_decay_ms` 0). Measured on the bench data, `user bobodell 7d` warm with 1.5 s between questions:
 * 27.3 / 27.7 ms against 32.7 / 32.5 ms with DuckDB's settings (medians of 21, two rounds each, alternated); never
 * giving pages back (`-1`) measured 31.3 / 29.6 ms.
 *
 * What it costs is memory held longer: pages a large question freed are given back over the minute of work after it
 * rather than over 5 s (with neither setting does jemalloc give anything back while no question runs: it decays as
 * it allocates). A question's peak is what bench/cache-load.ts measures, with this setting as the bot runs it. A value
 * already in the environment is left as it is (allocator-env.ts sets it: a module of its own, so that it runs before
 * the library is loaded under both CommonJS and ES module order).
 */
import './allocator-env';

export * from '@duckdb/node-api';

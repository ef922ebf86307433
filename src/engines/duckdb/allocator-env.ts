/** DuckDB's allocator setting (native.ts says why), put in the environment before the native library is loaded. */
export const ALLOCATOR_VARIABLE = 'DUCKDB_JE_MALLOC_CONF';
export const ALLOCATOR_DEFAULT = 'dirty_decay_ms:60000,muzzy_decay_ms:0';

if (process.env[ALLOCATOR_VARIABLE] === undefined) process.env[ALLOCATOR_VARIABLE] = ALLOCATOR_DEFAULT;

/**
 * The environment for a child process that runs DuckDB for background work (the cache's conversion): DuckDB's own
 * allocator defaults, which give memory back within seconds, since nobody waits on its answers. The variable is
 * passed empty (jemalloc reads no setting from it, and this module in the child leaves a value that is set); any
 * other value than trailbot's own, one the user set, is passed on.
 */
export function backgroundEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return env[ALLOCATOR_VARIABLE] === ALLOCATOR_DEFAULT ? { ...env, [ALLOCATOR_VARIABLE]: '' } : env;
}

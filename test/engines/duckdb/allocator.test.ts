import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALLOCATOR_DEFAULT, ALLOCATOR_VARIABLE, backgroundEnv } from '../../../src/engines/duckdb/allocator-env';
import { ROOT, sourceFiles } from '../../architecture/graph';

/**
 * DuckDB's allocator setting (src/engines/duckdb/native.ts): read by the bundled library under the name trailbot
 * sets, in the environment before the library loads whichever module of the engine is loaded first, a user's own
 * value left alone, and DuckDB's defaults for the background conversion.
 */
const TSX = require.resolve('tsx');

/** Runs `code` in a fresh Node process (tsx's loader, from the project's root) with `env` added; its stdout. */
function inFreshProcess(code: string, env: Record<string, string | undefined>): string {
  const clean = { ...process.env };
  delete clean[ALLOCATOR_VARIABLE];
  return execFileSync(process.execPath, ['--require', TSX, '-e', code], {
    cwd: ROOT,
    env: { ...clean, ...env },
    encoding: 'utf8',
  });
}

describe("DuckDB's allocator setting", () => {
  test('the bundled library reads it under that name (an unknown option in it is reported by jemalloc)', () => {
    const run = spawnSync(
      process.execPath,
      [
        '-e',
        `require('@duckdb/node-api').DuckDBInstance.create(':memory:')
           .then((i) => i.connect()).then((c) => c.runAndReadAll('SELECT 42'))
           .then((r) => console.log(r.getRows()[0][0]))`,
      ],
      { cwd: ROOT, env: { ...process.env, [ALLOCATOR_VARIABLE]: 'trailbot_no_such_option:1' }, encoding: 'utf8' },
    );
    expect(run.stdout.trim()).toBe('42');
    expect(run.stderr).toContain('Invalid conf pair: trailbot_no_such_option:1');
  });

  test.each([
    ['the engine', './src/engines/duckdb'],
    ['the conversion', './src/engines/duckdb/cache-convert'],
    ['the Trino shims', './src/engines/duckdb/trino'],
  ])('is in the environment when %s loads the library', (_, module) => {
    // The library's exports are read first: the value must already be there when it loads.
    const code = `const seen = []; const real = require('module').prototype.require;
      require('module').prototype.require = function (id) {
        if (id === '@duckdb/node-api' && seen.length === 0) seen.push(process.env.${ALLOCATOR_VARIABLE} ?? 'unset');
        return real.apply(this, arguments);
      };
      require(${JSON.stringify(module)});
      console.log(JSON.stringify({ atLoad: seen[0] ?? 'not loaded', now: process.env.${ALLOCATOR_VARIABLE} }));`;
    expect(JSON.parse(inFreshProcess(code, {}))).toEqual({ atLoad: ALLOCATOR_DEFAULT, now: ALLOCATOR_DEFAULT });
  });

  test("a value the user set is kept, and passed on to the conversion's process", () => {
    const code = `const { backgroundEnv } = require('./src/engines/duckdb/allocator-env');
      require('./src/engines/duckdb');
      console.log(JSON.stringify({ now: process.env.${ALLOCATOR_VARIABLE}, child: backgroundEnv().${ALLOCATOR_VARIABLE} }));`;
    expect(JSON.parse(inFreshProcess(code, { [ALLOCATOR_VARIABLE]: 'dirty_decay_ms:1000' }))).toEqual({
      now: 'dirty_decay_ms:1000',
      child: 'dirty_decay_ms:1000',
    });
  });

  test("the conversion's process gets DuckDB's defaults when the value is trailbot's", () => {
    // The test run's environment has none: loading the engine set trailbot's.
    expect(process.env[ALLOCATOR_VARIABLE]).toBe(ALLOCATOR_DEFAULT);
    expect(backgroundEnv()[ALLOCATOR_VARIABLE]).toBe('');
    expect(backgroundEnv({ [ALLOCATOR_VARIABLE]: 'narenas:1' })[ALLOCATOR_VARIABLE]).toBe('narenas:1');
  });

  test('no source file but native.ts loads the library (so none can load it before the setting)', () => {
    // The architecture test's list of the project's source files (src and commands).
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(50);
    const loading = files.filter((f) =>
      /(?:from|import\(|require\()\s*'@duckdb\/node-api'/.test(fs.readFileSync(path.join(ROOT, f), 'utf8')),
    );
    expect(loading).toEqual(['src/engines/duckdb/native.ts']);
  });
});

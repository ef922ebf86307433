import fs from 'node:fs';
import path from 'node:path';
import { againstLayering, crossImports, cycles, importGraph, partOf, ROOT, readParts, sourceFiles } from './graph';

/**
 * The shape of the code held against architecture.json (ARCHITECTURE.md explains it): run
 * `npx tsx test/architecture/graph.ts` to print the same graph.
 */
const parts = readParts();
const graph = importGraph();

describe('architecture', () => {
  test('every source file belongs to exactly one part', () => {
    expect(sourceFiles().filter((f) => !partOf(f, parts))).toEqual([]);
  });

  test('the import graph has no cycle', () => {
    expect(cycles(graph)).toEqual([]);
  });

  test('no import runs against the layering (beyond the explained exceptions)', () => {
    expect(againstLayering(graph, parts).map((i) => `${i.from} -> ${i.to}`)).toEqual([]);
    expect(parts.allowed.length).toBeLessThanOrEqual(2);
  });

  test('none of the imports that must never exist', () => {
    const broken = crossImports(graph, parts)
      .filter((i) => parts.never.some(([from, to]) => from === i.fromPart && (to === '*' || to === i.toPart)))
      .map((i) => `${i.from} -> ${i.to}`);
    expect(broken).toEqual([]);
  });

  test('the core imports nothing of the project but itself', () => {
    const outside = [...graph]
      .filter(([f]) => partOf(f, parts) === 'Core')
      .flatMap(([f, targets]) => targets.filter((t) => partOf(t, parts) !== 'Core').map((t) => `${f} -> ${t}`));
    expect(outside).toEqual([]);
  });

  test(`no source file over ${parts.maxLines} lines outside ${parts.largeFilesAllowed.join(', ')}`, () => {
    const large = sourceFiles()
      .filter((f) => !parts.largeFilesAllowed.some((p) => f.startsWith(p)))
      .map((f) => ({ f, lines: fs.readFileSync(path.join(ROOT, f), 'utf8').split('\n').length }))
      .filter(({ lines }) => lines > parts.maxLines)
      .map(({ f, lines }) => `${f} (${lines})`);
    expect(large).toEqual([]);
  });

  test('the checker sees a cycle and a forbidden import when there is one', () => {
    const made = new Map<string, string[]>([
      ['src/core/a.ts', ['src/runner/b.ts']],
      ['src/runner/b.ts', ['src/core/a.ts']],
    ]);
    expect(cycles(made)).toEqual([['src/core/a.ts', 'src/runner/b.ts']]);
    expect(crossImports(made, parts).map((i) => `${i.fromPart}>${i.toPart}`)).toContain('Core>Runner');
  });
});

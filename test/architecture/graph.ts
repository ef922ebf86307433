/**
 * The project's import graph, read with the TypeScript compiler's own pre-processor (no module is run), and the
 * parts of `architecture.json` held against it: which part a file belongs to, which imports between parts are
 * allowed, and which must never exist.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export const ROOT = path.resolve(__dirname, '../..');

export interface Parts {
  parts: Record<string, { is: string[]; says: string }>;
  /** Imports between parts that the design intends, `[from, to]`. Every part may import `everyone` parts. */
  arrows: [string, string][];
  everyone: string[];
  never: [string, string, string][];
  /** Imports against the layering that are known and explained, `[fromFile, toFile, why]`. */
  allowed: [string, string, string][];
  /** Files exempt from the size rule, by path prefix. */
  largeFilesAllowed: string[];
  maxLines: number;
}

export function readParts(): Parts {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'architecture.json'), 'utf8')) as Parts;
}

const SOURCE_DIRS = ['src', 'commands'];

function walk(dir: string, out: string[]): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (/\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
  }
}

/** Every source file of the product (src/ and commands/), relative to the root. */
export function sourceFiles(): string[] {
  const out: string[] = [];
  for (const d of SOURCE_DIRS) walk(path.join(ROOT, d), out);
  return out.map((f) => path.relative(ROOT, f).split(path.sep).join('/')).sort();
}

function resolve(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(path.join(ROOT, from)), spec);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile())
      return path.relative(ROOT, candidate).split(path.sep).join('/');
  }
  return undefined;
}

/** `file → files it imports` (relative imports only; type-only imports count: they are a dependency too). */
export function importGraph(files = sourceFiles()): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(fs.readFileSync(path.join(ROOT, file), 'utf8'), true, true);
    const targets = info.importedFiles
      .map((i) => i.fileName)
      .filter((s) => s.startsWith('.'))
      .map((s) => resolve(file, s))
      .filter((t): t is string => t !== undefined && t.endsWith('.ts'));
    graph.set(file, [...new Set(targets)].sort());
  }
  return graph;
}

export function partOf(file: string, parts: Parts): string | undefined {
  let best: { name: string; length: number } | undefined;
  for (const [name, part] of Object.entries(parts.parts)) {
    for (const prefix of part.is) {
      const hit = prefix.endsWith('/') ? file.startsWith(prefix) : file === prefix;
      if (hit && (!best || prefix.length > best.length)) best = { name, length: prefix.length };
    }
  }
  return best?.name;
}

/** Each cycle of files (strongly connected components with more than one file, or a file importing itself). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

export interface CrossImport {
  from: string;
  to: string;
  fromPart: string;
  toPart: string;
}

/** Every import from one part into another. */
export function crossImports(graph: Map<string, string[]>, parts: Parts): CrossImport[] {
  const out: CrossImport[] = [];
  for (const [from, targets] of graph) {
    const fromPart = partOf(from, parts);
    for (const to of targets) {
      const toPart = partOf(to, parts);
      if (fromPart && toPart && fromPart !== toPart) out.push({ from, to, fromPart, toPart });
    }
  }
  return out;
}

/** Cross-part imports the design does not intend (neither an arrow, nor an `everyone` part, nor listed as allowed). */
export function againstLayering(graph: Map<string, string[]>, parts: Parts): CrossImport[] {
  const arrows = new Set(parts.arrows.map(([a, b]) => `${a}>${b}`));
  const allowed = new Set(parts.allowed.map(([a, b]) => `${a}>${b}`));
  return crossImports(graph, parts).filter(
    (i) =>
      !parts.everyone.includes(i.toPart) &&
      !arrows.has(`${i.fromPart}>${i.toPart}`) &&
      !allowed.has(`${i.from}>${i.to}`),
  );
}

if (require.main === module) {
  const parts = readParts();
  const graph = importGraph();
  const summary = new Map<string, number>();
  for (const i of crossImports(graph, parts)) {
    const key = `${i.fromPart} -> ${i.toPart}`;
    summary.set(key, (summary.get(key) ?? 0) + 1);
  }
  console.log('part arrows (imports):');
  for (const [k, n] of [...summary].sort()) console.log(`  ${k} (${n})`);
  console.log('cycles:', JSON.stringify(cycles(graph)));
  console.log('against the layering:');
  for (const i of againstLayering(graph, parts)) console.log(`  ${i.from} -> ${i.to} (${i.fromPart} -> ${i.toPart})`);
  const unowned = sourceFiles().filter((f) => !partOf(f, parts));
  if (unowned.length) console.log('files in no part:', unowned.join(', '));
}

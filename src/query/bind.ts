import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { BoundQuery, SqlParam } from '../core/query';
import type { TimeWindow } from '../core/window';
import { partitionsFor } from '../time/window';

/** Where the `.sql` templates live (top-level `sql/`). */
export const SQL_DIR = path.resolve(__dirname, '..', '..', 'sql');

/**
 * Values a template may refer to. A param becomes `?`; a list becomes `?, ?, …`; a flag only switches sections on.
 * Nothing here is ever copied into the SQL text.
 */
export type TemplateValue = SqlParam | SqlParam[] | boolean | undefined;
export type TemplateValues = Record<string, TemplateValue>;

export class TemplateError extends Error {
  readonly code = 'TEMPLATE';
}

const templateCache = new Map<string, string>();

/** Reads `sql/<name>.sql` (cached). Names are catalog constants, never user input. */
export function loadTemplate(name: string, dir = SQL_DIR): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new TemplateError(`bad template name: ${name}`);
  const file = path.join(dir, `${name}.sql`);
  let text = templateCache.get(file);
  if (text === undefined) {
    text = readFileSync(file, 'utf8');
    templateCache.set(file, text);
  }
  return text;
}

/** Where a template's variant over the embedded engine's per-hour counts lives (BoundQuery.rollup). */
export const ROLLUP_DIR = path.join(SQL_DIR, 'rollups');

const hasRollup = new Map<string, boolean>();

/** `sql/rollups/<name>.sql`, when the template has such a variant. */
function loadRollup(name: string): string | undefined {
  let has = hasRollup.get(name);
  if (has === undefined) {
    has = existsSync(path.join(ROLLUP_DIR, `${name}.sql`));
    hasRollup.set(name, has);
  }
  return has ? loadTemplate(name, ROLLUP_DIR) : undefined;
}

const isParam = (v: TemplateValue): v is SqlParam => typeof v === 'object' && v !== null && !Array.isArray(v);
const present = (v: TemplateValue): boolean => v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0);

/**
 * Renders template text: sections, partials and markers become SQL with `?` placeholders, and the parameters are
 * collected in the order the placeholders occur (Athena applies ExecutionParameters "sequentially … in the order in
 * which the parameters occur").
 */
export function renderTemplate(
  text: string,
  values: TemplateValues,
  partial: (name: string) => string = (n) => loadTemplate(`_${n}`),
): { sql: string; params: SqlParam[] } {
  const params: SqlParam[] = [];
  const sql = renderInto(stripComments(text), values, partial, params, 0);
  if (sql.includes('{{') || sql.includes('}}')) throw new TemplateError('unbalanced template marker');
  const placeholders = countPlaceholders(sql);
  if (placeholders !== params.length) {
    throw new TemplateError(`template has ${placeholders} placeholders but ${params.length} parameters`);
  }
  return { sql: tidy(sql), params };
}

/** Template comments (`-- …` lines) document the file; the rendered SQL keeps only the query. */
function stripComments(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n');
}

function tidy(sql: string): string {
  return sql
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .filter((l) => l.trim() !== '')
    .join('\n');
}

const SECTION = /\{\{([#^])(each\s+)?([a-z_][a-z0-9_]*)(?:\s+"([^"]*)")?\}\}/;

function renderInto(
  text: string,
  values: TemplateValues,
  partial: (name: string) => string,
  params: SqlParam[],
  depth: number,
  element?: SqlParam,
): string {
  if (depth > 8) throw new TemplateError('templates nested too deeply');
  let out = '';
  let rest = text;
  for (;;) {
    const open = rest.search(/\{\{/);
    if (open < 0) return out + rest;
    out += rest.slice(0, open);
    rest = rest.slice(open);
    const section = SECTION.exec(rest);
    if (section && section.index === 0) {
      const [whole, kind, each, name, separator] = section;
      const closeTag = each ? '{{/each}}' : `{{/${name}}}`;
      const body = rest.slice(whole.length);
      const end = findClose(body, each ? 'each' : name);
      if (end < 0) throw new TemplateError(`missing ${closeTag}`);
      const inner = body.slice(0, end);
      rest = body.slice(end + closeTag.length);
      const value = values[name];
      if (each) {
        if (!Array.isArray(value)) throw new TemplateError(`{{#each ${name}}} needs a list`);
        out += value.map((el) => renderInto(inner, values, partial, params, depth + 1, el)).join(separator ?? ', ');
      } else if ((kind === '#') === present(value)) {
        out += renderInto(inner, values, partial, params, depth + 1, element);
      }
      continue;
    }
    const close = rest.indexOf('}}');
    if (close < 0) throw new TemplateError('unterminated marker');
    const marker = rest.slice(2, close).trim();
    rest = rest.slice(close + 2);
    if (marker === '.') {
      if (!element) throw new TemplateError('{{.}} outside {{#each}}');
      params.push(element);
      out += '?';
    } else if (marker.startsWith('>')) {
      // A partial's final newline would leave a stray line break where it is used inline (`({{> in_network}})`).
      const body = stripComments(partial(marker.slice(1).trim())).trimEnd();
      out += renderInto(body, values, partial, params, depth + 1, element);
    } else if (marker.endsWith('...')) {
      const value = values[marker.slice(0, -3)];
      if (!Array.isArray(value) || value.length === 0) throw new TemplateError(`{{${marker}}} needs a non-empty list`);
      params.push(...value);
      out += value.map(() => '?').join(', ');
    } else {
      const value = values[marker];
      if (!isParam(value)) throw new TemplateError(`{{${marker}}} has no parameter`);
      params.push(value);
      out += '?';
    }
  }
}

/** Index of the matching close tag for a section `name`, honouring nested sections of the same name. */
function findClose(body: string, name: string): number {
  const openRe = name === 'each' ? /\{\{#each\s/g : new RegExp(`\\{\\{[#^]${name}\\}\\}`, 'g');
  const closeTag = `{{/${name}}}`;
  let depth = 0;
  let i = 0;
  for (;;) {
    const close = body.indexOf(closeTag, i);
    if (close < 0) return -1;
    openRe.lastIndex = i;
    const nextOpen = openRe.exec(body);
    if (nextOpen && nextOpen.index < close) {
      depth += 1;
      i = nextOpen.index + 3;
      continue;
    }
    if (depth === 0) return close;
    depth -= 1;
    i = close + closeTag.length;
  }
}

/** Counts `?` outside string literals, quoted identifiers and comments. */
export function countPlaceholders(sql: string): number {
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      i = end < 0 ? sql.length : end;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
    } else if (c === '?') {
      n += 1;
    }
  }
  return n;
}

const varchar = (value: string): SqlParam => ({ type: 'varchar', value });

/**
 * The day partitions a question must read: every day of the window, and after it every day up to the one holding
 * `end + deliveryLag`. CloudTrail files sit in the folder of their *delivery* time, typically ~5 minutes after the
 * calls they hold and with no guarantee (CloudTrail FAQ; CloudTrail User Guide, "Finding your CloudTrail log files"),
 * so the events of 23:5x on day D arrive in day D+1's folder. The `eventtime` filter keeps the window exact.
 */
export function readPartitions(window: TimeWindow, deliveryLagMinutes: number): string[] {
  if (deliveryLagMinutes <= 0) return window.partitions;
  return partitionsFor(window.start, new Date(window.end.getTime() + deliveryLagMinutes * 60_000));
}

/** The standard window parameters every template's `{{> window}}` partial uses. */
export function windowValues(window: TimeWindow, partitions: readonly string[] = window.partitions): TemplateValues {
  const first = partitions[0];
  const last = partitions[partitions.length - 1];
  if (!first || !last) throw new TemplateError('a window has at least one partition');
  return {
    day_from: varchar(first),
    day_to: varchar(last),
    start: varchar(window.start.toISOString()),
    end: varchar(window.end.toISOString()),
  };
}

export interface BindOptions {
  /** Optional narrowing to accounts / regions. */
  scope?: BoundQuery['scope'];
  /** Partition columns of the table besides `timestamp` (`account`, `region`): scope also filters those. */
  partitionColumns?: readonly string[];
  /** Minutes a log file may arrive after its events (TRAIL_DELIVERY_LAG); see `readPartitions`. Default 0. */
  deliveryLagMinutes?: number;
}

/**
 * Template + validated values + window → BoundQuery. The only way SQL is produced in trailbot.
 */
export function bindQuery(
  template: string,
  values: TemplateValues,
  window: TimeWindow,
  options: BindOptions = {},
): BoundQuery {
  const { scope, partitionColumns = [], deliveryLagMinutes = 0 } = options;
  const text = loadTemplate(template);
  if (!text.includes('{{> window}}')) throw new TemplateError(`template ${template} does not filter on the window`);
  const scopeValues: TemplateValues = {
    scope_accounts: scope?.accounts?.map(varchar),
    scope_regions: scope?.regions?.map(varchar),
    partition_accounts: partitionColumns.includes('account') ? scope?.accounts?.map(varchar) : undefined,
    partition_regions: partitionColumns.includes('region') ? scope?.regions?.map(varchar) : undefined,
  };
  const partitions = readPartitions(window, deliveryLagMinutes);
  const all = { ...values, ...scopeValues, ...windowValues(window, partitions) };
  const { sql, params } = renderTemplate(text, all);
  const rollup = loadRollup(template);
  const bound: BoundQuery = {
    template,
    sql,
    params,
    partitions,
    window: {
      start: window.start.toISOString(),
      end: window.end.toISOString(),
      label: window.label,
      partitions: window.partitions,
    },
  };
  if (rollup) bound.rollup = renderTemplate(rollup, all);
  if (scope && (scope.accounts?.length || scope.regions?.length)) bound.scope = scope;
  return bound;
}

import { CLOUDTRAIL_COLUMNS, type Column, type ColumnType } from '../../ddl/table';

/**
 * Which of the table's columns (and struct fields) a template's SQL reads, from its tokens: the view pins only those
 * in read_json, and the cache's bytes estimate counts only those.
 */

/** `whole` = the column / field is needed entirely; a map = only these fields of a struct (or of an array's struct). */
export type Need = 'whole' | Map<string, Need>;
/** Needs per top-level column; `all` when the query can see every column (`*`, NATURAL JOIN, COLUMNS(…)). */
export type ColumnNeeds = 'all' | Map<string, Need>;

interface Token {
  /** `value`: a number or string literal, kept only so `2 * 3` reads as arithmetic (its text is empty). */
  kind: 'word' | 'punct' | 'value';
  text: string;
}

/** Identifiers and punctuation of a SQL text, skipping string literals and comments (which can name anything). */
export function sqlTokens(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (ch === "'" || ch === '"') {
      let j = i + 1;
      let text = '';
      while (j < sql.length) {
        if (sql[j] === ch && sql[j + 1] === ch) {
          text += ch;
          j += 2;
        } else if (sql[j] === ch) {
          break;
        } else {
          text += sql[j];
          j++;
        }
      }
      // A quoted identifier is still an identifier (DuckDB and Trino both match it case-insensitively here).
      tokens.push(ch === '"' ? { kind: 'word', text: text.toLowerCase() } : { kind: 'value', text: '' });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(ch)) {
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_$]/.test(sql[j]!)) j++;
      tokens.push({ kind: 'word', text: sql.slice(i, j).toLowerCase() });
      i = j;
    } else if (/[0-9]/.test(ch)) {
      let j = i + 1;
      while (j < sql.length && /[0-9.eE]/.test(sql[j]!)) j++;
      tokens.push({ kind: 'value', text: '' });
      i = j;
    } else {
      tokens.push({ kind: 'punct', text: ch });
      i++;
    }
  }
  return tokens;
}

function fieldsOf(type: ColumnType): readonly Column[] | undefined {
  if (type.kind === 'struct') return type.fields;
  if (type.kind === 'array' && type.of.kind === 'struct') return type.of.fields;
  return undefined;
}

function merge(into: Map<string, Need>, name: string, need: Need): void {
  const current = into.get(name);
  if (current === 'whole') return;
  if (need === 'whole' || !current) {
    into.set(name, need);
    return;
  }
  for (const [field, fieldNeed] of need) merge(current, field, fieldNeed);
}

/**
 * Whether the `*` at `i` expands to columns: after SELECT / DISTINCT / ALL / `,` (a select list) or `.` (`t.*`).
 * After a value (a name, a number, `)`) it multiplies; inside `count(*)` it counts rows. Neither reads a column.
 */
function isStar(tokens: readonly Token[], i: number): boolean {
  const before = tokens[i - 1];
  if (!before) return true;
  if (before.text === '(' && tokens[i + 1]?.text === ')') return false;
  if (before.kind === 'punct') return before.text === ',' || before.text === '.' || before.text === '(';
  return before.text === 'select' || before.text === 'distinct' || before.text === 'all';
}

/**
 * The columns (and struct fields) a query names. Conservative by construction: a name that appears anywhere outside
 * a literal counts as used, a struct named without a `.field` after it counts whole, and anything that can expand to
 * columns without naming them (`*` other than `count(*)`, NATURAL JOIN, COLUMNS(…)) makes every column needed.
 * A false positive costs speed only; a column left out would read as NULL, so the rules err towards inclusion.
 */
export function columnNeeds(sql: string, columns: readonly Column[] = CLOUDTRAIL_COLUMNS): ColumnNeeds {
  const tokens = sqlTokens(sql);
  const byName = new Map(columns.map((c) => [c.name, c]));
  const needs = new Map<string, Need>();
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === 'punct') {
      if (token.text === '*' && isStar(tokens, i)) return 'all';
      continue;
    }
    if (token.text === 'natural' || (token.text === 'columns' && tokens[i + 1]?.text === '(')) return 'all';
    const column = byName.get(token.text);
    if (!column) continue;
    // Walk `column.field.field…` down the struct tree; stop where the chain stops and take that node whole.
    const path: string[] = [];
    let type = column.type;
    let j = i;
    for (;;) {
      const fields = fieldsOf(type);
      const dot = tokens[j + 1];
      const next = tokens[j + 2];
      if (!fields || type.kind === 'array' || dot?.text !== '.' || next?.kind !== 'word') break;
      const field = fields.find((f) => f.name === next.text);
      if (!field) break;
      path.push(field.name);
      type = field.type;
      j += 2;
    }
    let need: Need = 'whole';
    for (const field of [...path].reverse()) need = new Map([[field, need]]);
    merge(needs, column.name, need);
    i = j;
  }
  return needs;
}

import { CLOUDTRAIL_COLUMNS, type ColumnType } from '../../ddl/table';
import { sqlLiteral } from '../../query/literal';
import type { ColumnNeeds, Need } from './needs';
import type { Pruning } from './pruning';
import { duckDbType, OWN_COLUMNS, PARTITION_COLUMNS, quoteIdent } from './view';

/**
 * The columns of a cached day's Parquet file. Struct columns are stored flat: one Parquet column per leaf, named by
 * its dotted path (`useridentity.sessioncontext.sessionissuer.username`), and one boolean per struct saying whether it
 * was there at all (`useridentity.sessioncontext:present`). The view packs them back into the table's structs.
 *
 * Why flat: DuckDB 1.5 reads a field of a Parquet struct column far slower than a plain column. Measured on the bench's
 * 7 cached days (244,408 events, 16 files, 2 threads, medians of 7): the `user` question's two-field filter took
 * 52.6 ms over the struct columns and 15.2 ms over flat ones, 16.2 ms through the packing view; the whole `user`
 * question 118 ms against 63 ms. Only the leaves a question names are packed (the others are typed NULLs), so only
 * those are read. A condition on a packed leaf (`useridentity.type = 'Root'`) is not pushed into the Parquet scan
 * (DuckDB 1.5 does not see through struct_pack there): the engine leaves out the days whose statistics rule it out
 * (execute.ts) and gives the arm's scan the same condition on the flat column (cachedArmSql). Other layouts measured no faster: zstd,
 * snappy, lz4 and no compression were within 15 % of one another; DuckDB's own table format answered the same SELECT
 * in 17 ms from memory but took 2.7× the disk of Parquet (101 MiB for 37.7 MiB).
 */

/** Suffix of a struct's presence flag column. */
const PRESENT = ':present';

const literal = (value: string): string => sqlLiteral({ type: 'varchar', value });

/** `SELECT` list writing one day from a view with the table's columns (src/ddl/table.ts) into the flat layout. */
export function flatSelect(): string[] {
  const out: string[] = [];
  const walk = (name: string, source: string, type: ColumnType) => {
    if (type.kind !== 'struct') {
      out.push(`${source} AS ${quoteIdent(name)}`);
      return;
    }
    out.push(`(${source} IS NOT NULL) AS ${quoteIdent(name + PRESENT)}`);
    for (const field of type.fields) {
      walk(`${name}.${field.name}`, `struct_extract(${source}, ${literal(field.name)})`, field.type);
    }
  };
  for (const column of CLOUDTRAIL_COLUMNS) walk(column.name, quoteIdent(column.name), column.type);
  for (const name of PARTITION_COLUMNS) out.push(quoteIdent(name));
  return out;
}

/**
 * `SELECT` list of the view's cached arm: the table's columns, in order, from the flat layout. A struct the question
 * uses whole (`to_json(useridentity)`, `useridentity IS NULL`, `SELECT *`) is NULL where the record had none, as from
 * the raw files; one it only takes fields of is packed without that test, which DuckDB sees through. Fields it does not
 * name are typed NULLs, so every arm of the view has the table's types.
 */
export function packedSelect(needs: ColumnNeeds): string[] {
  const value = (name: string, type: ColumnType, need: Need | undefined): string => {
    if (!need) return `CAST(NULL AS ${duckDbType(type)})`;
    if (type.kind !== 'struct') return quoteIdent(name);
    const fields = type.fields.map(
      (field) =>
        `${quoteIdent(field.name)} := ${value(`${name}.${field.name}`, field.type, need === 'whole' ? 'whole' : need.get(field.name))}`,
    );
    const packed = `struct_pack(${fields.join(', ')})`;
    return need === 'whole' ? `CASE WHEN ${quoteIdent(name + PRESENT)} THEN ${packed} END` : packed;
  };
  return [
    ...CLOUDTRAIL_COLUMNS.map(
      (c) => `${value(c.name, c.type, needs === 'all' ? 'whole' : needs.get(c.name))} AS ${quoteIdent(c.name)}`,
    ),
    ...PARTITION_COLUMNS.map(quoteIdent),
  ];
}

/**
 * The view's arm over the cached days: a relation of their flat rows (their Parquet files, parquetOf, or the merged
 * principal database, merged.ts), packed back into the table's columns. `pruning` (the
 * conditions every answer row satisfies, pruning.ts) on a struct's leaf is handed to the scan as a condition on the
 * leaf's flat column: DuckDB pushes a condition on a plain column into `read_parquet` itself, but not one on a packed
 * leaf, and pushed it skips the row groups whose statistics or Bloom filter rule the value out. `root 30d` over the
 * bench's cached days: 20.8 → 10.0 ms for the question's SELECT (`useridentity.type = 'Root'`). Only the arm of this
 * question's view is filtered, and only of rows its WHERE drops anyway. `more` are further such conditions on flat
 * columns (the source addresses a question's networks can match, execute.ts).
 */
export function cachedArmSql(
  relation: string,
  needs: ColumnNeeds,
  pruning?: Pruning,
  more: readonly string[] = [],
): string {
  // Cached days are S3-layout folders, already narrowed to the scope's accounts and regions when they were chosen.
  const from = `SELECT ${packedSelect(needs).join(', ')}\nFROM ${relation}`;
  const leaves = [...(pruning ?? [])].filter(([column]) => column.includes('.'));
  const conditions = [
    ...leaves.map(([column, values]) =>
      values.size === 0 ? 'false' : `${quoteIdent(column)} IN (${[...values].map(literal).join(', ')})`,
    ),
    ...more,
  ];
  return conditions.length === 0 ? from : `${from}\nWHERE ${conditions.join(' AND ')}`;
}

/** The flat layout's column names, in file order (flatSelect's names). */
export function flatColumns(): string[] {
  const out: string[] = [];
  const walk = (name: string, type: ColumnType) => {
    if (type.kind !== 'struct') {
      out.push(name);
      return;
    }
    out.push(name + PRESENT);
    for (const field of type.fields) walk(`${name}.${field.name}`, field.type);
  };
  for (const column of CLOUDTRAIL_COLUMNS) walk(column.name, column.type);
  return [...out, ...PARTITION_COLUMNS];
}

/**
 * The principal copy of a cached day (cache-convert.ts): the day's rows again, each once under every distinct name
 * it carries in `useridentity.username` or `useridentity.sessioncontext.sessionissuer.username` (rows with neither
 * are left out), sorted by that name, with the columns a drill-down on a principal shows and filters on. The `user`
 * question's rows (`username = ? OR sessionissuer.username = ?`) are scattered over every row group of the day's own
 * file, so it decodes the whole day; here they lie in one or two small row groups that min/max statistics find.
 * The heavy columns (request and response bodies, request ids) are left out: the copy is about a third of the day.
 */
export const PRINCIPAL_COLUMN = 'trailbot_principal';
export const PRINCIPAL_COPY_COLUMNS: readonly string[] = [
  'eventtime',
  'eventsource',
  'eventname',
  'awsregion',
  'sourceipaddress',
  'useragent',
  'errorcode',
  'errormessage',
  'readonly',
  'eventtype',
  'recipientaccountid',
  'eventid',
  'useridentity.type',
  'useridentity.principalid',
  'useridentity.arn',
  'useridentity.accountid',
  'useridentity.accesskeyid',
  'useridentity.username',
  'useridentity.sessioncontext.attributes.mfaauthenticated',
  'useridentity.sessioncontext.sessionissuer.type',
  'useridentity.sessioncontext.sessionissuer.arn',
  'useridentity.sessioncontext.sessionissuer.username',
  ...PARTITION_COLUMNS,
];

/** `SELECT` writing a day's principal copy from its flat Parquet file `dayLiteral` (cache-convert.ts). */
export function principalCopySql(dayLiteral: string): string {
  const names = `list_distinct(list_filter(["useridentity.username", "useridentity.sessioncontext.sessionissuer.username"], lambda n: n IS NOT NULL AND n <> ''))`;
  return `SELECT ${PRINCIPAL_COLUMN}, ${PRINCIPAL_COPY_COLUMNS.map(quoteIdent).join(', ')}
FROM (SELECT *, unnest(${names}) AS ${PRINCIPAL_COLUMN} FROM read_parquet(${dayLiteral}, ${OWN_COLUMNS}))
ORDER BY ${PRINCIPAL_COLUMN}, eventtime`;
}

/** Whether the principal copy holds every column a question with these needs reads. */
export function principalCopyServes(needs: ColumnNeeds): boolean {
  const held = new Set(PRINCIPAL_COPY_COLUMNS);
  return flatColumns().every((column) => held.has(column) || !flatColumnRead(column, needs));
}

/** Whether a question with these needs reads the flat column `name` (for the bytes it reads, cache.ts). */
export function flatColumnRead(name: string, needs: ColumnNeeds): boolean {
  if (needs === 'all') return true;
  const flag = name.endsWith(PRESENT);
  const [top, ...rest] = (flag ? name.slice(0, -PRESENT.length) : name).split('.');
  let need: Need | undefined = needs.get(top!);
  for (const part of rest) {
    if (need === undefined || need === 'whole') break;
    need = need.get(part);
  }
  if (need === undefined) return false;
  // A presence flag is read only where the struct is used whole (packedSelect); a leaf whenever it is named.
  return flag ? need === 'whole' : true;
}

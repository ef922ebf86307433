import * as fs from 'node:fs';
import type { CachedPartition, MergedFile } from './cache-manifest';
import { isInterrupt } from './job';
import { type DuckDBConnection, LIST, listValue, VARCHAR } from './native';
import { OWN_COLUMNS, parquetOf } from './view';

/**
 * The cache's word index, for questions that search texts for a string (`who`, `sg`: `strpos(text, ?) > 0` over the
 * request parameters, the response elements or the resources list as JSON text; pruning.ts, textSearchFromAst).
 *
 * A *word* is a longest run of ASCII letters and digits. Where a text holds a searched string, each run of word
 * characters that the string has right after another character starts a word of the text (the character before it
 * is that other one), and that word begins with the run. So a day none of whose words begins with such a run holds
 * no row the search accepts. `sg-5887f224` needs a word beginning `5887f224`; an ARN needs words beginning with its
 * last part and with its longest part. A string with no such run (`5887f224`, `bob`) rules out no day.
 *
 * Each cached day keeps its distinct words (`<day>.words.parquet`, written with the day); one merged file (merged.ts)
 * holds every day's words with the day's position in its list of day files, sorted by word. A search then
 * reads a few row groups of one file (one range per run), instead of every day's index: per file DuckDB pays ~0.1 ms
 * however little it reads, and a substring search reads every word. Measured on the bench's 30 days: the three ids of
 * `sg 7d` took 9.2 ms in the 16 days' token indexes, 2.3 ms in the merged file; merging 62 days takes ~150 ms.
 */

/** One run of word characters, in JS; `wordsOf` is the same in SQL (RE2). */
const WORD = /[A-Za-z0-9]+/g;

/** The words of a text, in SQL: the list of its longest runs of ASCII letters and digits. */
export const wordsOf = (text: string): string => `regexp_extract_all(${text}, '[A-Za-z0-9]+')`;

/** The distinct words of a cached day's three searched texts, sorted (written beside the day, cache-convert.ts). */
export function wordIndexSql(dayLiteral: string): string {
  const texts = [
    `SELECT requestparameters AS text FROM read_parquet(${dayLiteral}, ${OWN_COLUMNS})`,
    `SELECT responseelements FROM read_parquet(${dayLiteral}, ${OWN_COLUMNS})`,
    `SELECT CAST(CAST(resources AS JSON) AS VARCHAR) FROM read_parquet(${dayLiteral}, ${OWN_COLUMNS})`,
  ].join(' UNION ALL ');
  return `SELECT DISTINCT word FROM (SELECT unnest(${wordsOf('text')}) AS word FROM (${texts})) ORDER BY word`;
}

/** Rows per row group of a day's word file. */
export const WORD_ROW_GROUP_ROWS = 2048;

/**
 * The runs of word characters some word of every text holding `needle` begins with: its last run that follows
 * another character, and its longest such run; empty when it has none (then no day can be ruled out).
 */
export function wordPrefixes(needle: string): string[] {
  const runs = [...needle.matchAll(WORD)].filter((m) => m.index > 0).map((m) => m[0]);
  const last = runs.at(-1);
  if (last === undefined) return [];
  const longest = runs.reduce((a, b) => (b.length > a.length ? b : a));
  return longest === last ? [last] : [last, longest];
}

const BOUNDS_VARIABLE = 'trailbot_word_bounds';

/**
 * Of `days`, those that may hold one of `needles` in a searched text by the merged word index: a day it does not
 * hold (converted since, or its words file replaced) is kept, and so is every day when a needle has no prefix run,
 * when there is no merged index, or when it cannot be read. The runs are bound as a list, never put in SQL text.
 */
export async function daysWithWords(
  connection: DuckDBConnection,
  days: readonly CachedPartition[],
  needles: readonly string[],
  merged: MergedFile | undefined,
): Promise<CachedPartition[]> {
  const wanted = needles.map(wordPrefixes);
  if (!merged || wanted.some((runs) => runs.length === 0) || !fs.existsSync(merged.file)) return [...days];
  const runs = [...new Set(wanted.flat())];
  // Words hold only letters and digits, all below '~': the words beginning with `run` are those in [run, run + '~').
  const bounds = runs.flatMap((run) => [run, `${run}~`]);
  // One SELECT per run, so that each range is pushed into the scan (an OR of ranges is not).
  const selects = runs.map(
    (_, i) =>
      `SELECT ${i} AS run, day FROM ${parquetOf([merged.file])} WHERE word >= getvariable('${BOUNDS_VARIABLE}')[${2 * i + 1}] AND word < getvariable('${BOUNDS_VARIABLE}')[${2 * i + 2}]`,
  );
  const found = new Map<number, Set<number>>();
  try {
    await connection.run(`SET VARIABLE ${BOUNDS_VARIABLE} = $1`, [listValue(bounds)], [LIST(VARCHAR)]);
    const reader = await connection.runAndReadAll(`SELECT DISTINCT run, day FROM (${selects.join(' UNION ALL ')})`);
    for (const [run, day] of reader.getRows()) {
      const position = Number(day);
      if (!found.has(position)) found.set(position, new Set());
      found.get(position)!.add(Number(run));
    }
  } catch (err) {
    if (isInterrupt(err)) throw err;
    return [...days];
  }
  const positions = new Map(merged.days.map((file, i) => [file, i]));
  const index = new Map(runs.map((run, i) => [run, i]));
  return days.filter((d) => {
    const position = d.words === undefined ? undefined : positions.get(d.words);
    if (position === undefined) return true;
    const hits = found.get(position);
    return hits !== undefined && wanted.some((need) => need.every((run) => hits.has(index.get(run)!)));
  });
}

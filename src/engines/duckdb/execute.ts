import type { QueryState } from '../../core/engine';
import { TrailError } from '../../core/errors';
import { setBounded } from '../../util/bounded-map';
import { ACTIONS_VIEW, actionsViewSql, planActions, ROW_CONDITION, setActionHours } from './actions';
import { answerStatement } from './answer';
import type { ColumnarCache } from './cache';
import { type CachedPartition, filesOf, partitionKeyOf } from './cache-manifest';
import { lastEventTime, planCachedReads } from './cached-reads';
import { setFileLists } from './file-lists';
import { discoverLogFiles, type LogFile, probeFormats, probeLogFiles } from './files';
import {
  asSubquery,
  FILE_ERROR,
  fileNamedIn,
  firstLine,
  isInterrupt,
  isRunning,
  type Job,
  MEMO_ENTRIES,
  messageOf,
} from './job';
import { dropKept } from './kept';
import { isDetachedMerged } from './merged';
import { type DuckDBConnection, type DuckDBType, StatementType } from './native';
import { columnNeeds } from './needs';
import { coversNewest, daysFrom, newestDays } from './newest';
import { partitionNeeded } from './pruning';
import { setNetworkValues } from './trino';
import { branchesOf, fileCheckSql, viewSql } from './view';

/** What running one question needs from the engine that owns it. */
export interface ExecutionContext {
  dataDir: string;
  /** The columnar cache, unless the engine has none or the question asked for `--no-cache`. */
  cache: ColumnarCache | undefined;
  /** A connection with the Trino shims installed (from the engine's pool). */
  acquireConnection: () => Promise<DuckDBConnection>;
  /** A file DuckDB cannot read: skipped with a log line, or the question's failure in strict mode (it throws). */
  badFile: (file: string, detail: string) => void;
  finish: (job: Job, state: QueryState, reason?: string) => void;
}

/**
 * Runs one question to SUCCEEDED with its answer kept (answer.ts: on the job, or spooled to a temp table on its
 * connection), or returns once it was cancelled. Unreadable files are skipped (or fail it in strict mode) and the
 * statement is run again without them; a cached day whose Parquet file cannot be read is answered from its raw files
 * instead.
 */
export async function executeJob(job: Job, context: ExecutionContext): Promise<void> {
  const { query } = job;
  const { cache } = context;
  const discovery = await discoverLogFiles(context.dataDir, {
    partitions: query.partitions,
    ...(query.scope ? { scope: query.scope } : {}),
    // Files of days the cache holds are only stat'ed (their size and time decide whether the day is still valid).
    ...(cache ? { probe: (f: { day?: string }) => !cache.mayHold(f), trustDay: (d) => cache.trusts(d) } : {}),
  });
  for (const bad of discovery.unreadable) context.badFile(bad.path, bad.reason);
  let files = discovery.files;
  let cached: CachedPartition[] = [];
  if (cache) {
    const plan = cache.plan(files, discovery.trusted);
    const probed = await probeLogFiles(plan.raw);
    for (const bad of probed.unreadable) context.badFile(bad.path, bad.reason);
    files = probed.files;
    cached = plan.cached;
  }
  job.files = files;
  job.cached = cached;
  if (!isRunning(job)) return;

  const connection = await context.acquireConnection();
  job.connection = connection;
  // The IP matching's per-network values, so that planning calls no JS function (trino.ts).
  await setNetworkValues(connection, query.params);
  const needs = columnNeeds(query.sql);
  job.needs = needs;
  const sql = asSubquery(query.sql);
  // A cached day none of whose row groups can hold a row the question accepts is not read at all: DuckDB cannot rule
  // it out itself when the condition is on a struct field, which the view packs from the flat columns (cache-columns).
  const reads = cached.length > 0 ? await planCachedReads(connection, query, needs, cache) : undefined;
  const pruning = reads?.pruning;
  // A newest-first question reads the newest cached days first, and the others only if they can change its answer.
  const newest = reads?.newest;
  // The days that may hold an answer row: by their row groups' statistics, and by the word index.
  let candidates = cached.filter((c) => !pruning || partitionNeeded(c.rowGroups, pruning));
  if (reads) candidates = await reads.candidates(candidates);
  const candidate = new Set(candidates);
  let firstDays: ((day: CachedPartition) => boolean) | undefined;
  if (newest) {
    const days = newestDays(candidates, newest.limit);
    if (days) firstDays = (day) => days.includes(day);
  }
  // A question with a variant over the days' per-hour counts (actions.ts, BoundQuery.rollup) sums the window's whole
  // hours from them and reads row by row only the days that hold a first or last hour the window cuts.
  const actions = reads && !newest ? planActions(query, candidates) : undefined;
  if (actions) await setActionHours(connection, actions);
  const grown = new Set<LogFile>();
  let probed = false;
  let scanned = false;
  let listed = 0;
  // A raw file may cost two retries (its size, its format); a cached day one (read raw instead); a newest-first check
  // at most two re-reads (newest.ts). None of them may use up another's.
  const maxAttempts = files.length * 2 + cached.length + 5;

  for (let attempt = 1; ; attempt++) {
    if (!isRunning(job)) return;
    try {
      const branches = branchesOf(files);
      const needed = cached.filter((c) => candidate.has(c));
      const reading = firstDays ? needed.filter(firstDays) : needed;
      // The most any attempt set: a retry without a file may need one list fewer; all of them are reset when the
      // connection is pooled again.
      listed = Math.max(listed, await setFileLists(connection, branches));
      // The counts, while a cached day is left to sum (a damaged one is read from its raw files instead).
      const counts = actions && reading.length > 0 ? actions : undefined;
      const statement = counts
        ? { sql: asSubquery(counts.rollup.sql), params: counts.rollup.params }
        : { sql, params: query.params };
      const rowDays = counts ? reading.filter((day) => counts.rowLevel(day)) : reading;
      const cachedArm =
        reads && rowDays.length > 0 ? await reads.arm(rowDays, counts ? [ROW_CONDITION] : []) : undefined;
      if (counts) await createView(connection, ACTIONS_VIEW, actionsViewSql(reading));
      await createView(
        connection,
        'cloudtrail_logs',
        viewSql(branches, {
          needs,
          fileLists: 'variables',
          ...(query.scope ? { scope: query.scope } : {}),
          ...(cachedArm ? { cachedArm } : {}),
        }),
      );
      const { columns, types, statementType, parameterCount } = await describe(connection, statement.sql);
      if (statementType !== StatementType.SELECT) {
        throw new TrailError('NOT_A_QUERY', `Template ${query.template} is not a SELECT; only queries can run.`);
      }
      if (parameterCount !== statement.params.length) {
        throw new TrailError(
          'PARAMETER_COUNT',
          `Template ${query.template} has ${parameterCount} ? markers but ${statement.params.length} parameters were bound.`,
        );
      }
      // A newest-first question looks at its answer's last row in the table (lastEventTime) before it is done.
      const answer = await answerStatement(connection, statement, types, { inline: !(newest && firstDays) });
      const { rowCount } = answer;
      if (newest && firstDays) {
        const left = needed.filter((c) => !reading.includes(c));
        const last = rowCount >= newest.limit ? await lastEventTime(connection, newest, types) : undefined;
        if (!coversNewest(rowCount, newest.limit, last, left)) {
          const next = typeof last === 'string' ? daysFrom(needed, last) : needed;
          firstDays = next.length < needed.length ? (day) => next.includes(day) : undefined;
          continue;
        }
      }
      // Reset when the connection is pooled again (engine.ts, recycleConnection), once the answer has been read.
      job.fileLists = listed;
      if (!isRunning(job)) return;
      job.cachedRead = rowDays;
      if (counts)
        job.counted = { days: reading.length, bytes: reading.reduce((sum, d) => sum + (d.actionBytes ?? 0), 0) };
      if (pruning) job.pruning = pruning;
      job.columns = columns;
      job.types = types;
      job.rowCount = rowCount;
      if (answer.rows) job.rows = answer.rows;
      job.files = files;
      context.finish(job, 'SUCCEEDED');
      return;
    } catch (err) {
      if (!isRunning(job) || isInterrupt(err)) {
        context.finish(job, 'CANCELLED', 'Cancelled on request.');
        return;
      }
      if (err instanceof TrailError || attempt >= maxAttempts) throw err;
      const message = firstLine(messageOf(err));
      // A merged principal database detached while no question ran (engine.ts): its arm attaches it again.
      if (isDetachedMerged(message)) continue;
      // The merged principal copies (merged.ts) that cannot be read: the days' own copies answer instead.
      const merged = cache?.merged('principals');
      if (merged && message.includes(merged.file)) {
        cache!.forgetMerged('principals', message);
        continue;
      }
      // A cached day that cannot be read (a truncated or damaged Parquet file): its raw files answer instead, and
      // the day is converted again later.
      const damaged = cached.find((c) => filesOf(c).some((file) => message.includes(file)));
      if (damaged && cache) {
        const listed = discovery.files.filter((f) => partitionKeyOf(f) === damaged.key);
        const itsFiles = (await probeLogFiles(listed.length ? listed : cache.filesOf(damaged))).files;
        cache.invalidate(damaged, message, itsFiles);
        cached = cached.filter((c) => c !== damaged);
        job.cached = cached;
        files = [...files, ...itsFiles];
        job.files = files;
        continue;
      }
      const culprit = fileNamedIn(message, files);
      if (!culprit) {
        // Some read errors do not say which file (e.g. "Failed to decode gzip stream"): read each file alone.
        if (scanned || !FILE_ERROR.test(message)) throw err;
        scanned = true;
        const broken = await unreadableFiles(connection, files, job);
        if (broken.length === 0) throw err;
        for (const { file, detail } of broken) context.badFile(file.path, detail);
        files = files.filter((f) => !broken.some((b) => b.file === f));
        job.files = files;
        continue;
      }
      // A file larger than its gzip trailer claimed (multi-member gzip, > 4 GiB): retry once with the size DuckDB saw.
      const seen = /maximum_object_size.*\(>(\d+) bytes\)/.exec(message);
      if (seen && !grown.has(culprit)) {
        grown.add(culprit);
        culprit.objectBytes = Math.max(culprit.objectBytes, Number(seen[1]) * 2);
        continue;
      }
      // A `{"Records":…}` file that is not on one line after all (pretty-printed by hand): read it as a multi-line
      // document before judging it, and look at the other files' heads once, so a tree of them costs one retry.
      if (culprit.format === 'records' && /Malformed JSON/i.test(message)) {
        if (!probed) {
          probed = true;
          await probeFormats(files.filter((f) => f.format === 'records'));
        }
        if (culprit.format === 'records') culprit.format = 'records-multiline';
        continue;
      }
      context.badFile(culprit.path, message);
      files = files.filter((f) => f !== culprit);
      job.files = files;
    }
  }
}

/** The views each pooled connection holds now (their SQL texts by name). */
const viewsOf = new WeakMap<DuckDBConnection, Map<string, string>>();

/**
 * Creates the question's view unless its connection holds that very view already (a repeat question over the same
 * days): ~1 ms saved. Only its text is compared: what it reads from variables (file lists, addresses, the principal)
 * is looked up whenever a statement over it is bound, so the values this question set are the ones read.
 */
async function createView(connection: DuckDBConnection, name: string, sql: string): Promise<void> {
  const views = viewsOf.get(connection) ?? new Map<string, string>();
  viewsOf.set(connection, views);
  if (views.get(name) === sql) return;
  views.delete(name);
  // A kept answer statement was planned against the view it replaces.
  dropKept(connection, 'spool');
  dropKept(connection, 'inline');
  await connection.run(sql);
  views.set(name, sql);
}

interface Described {
  columns: string[];
  types: DuckDBType[];
  statementType: StatementType;
  parameterCount: number;
}

/**
 * What a template's SQL returns. It depends only on the SQL text: whatever files or cached days the view reads, its
 * columns are the same and so are the types the SQL can see (unread columns are typed NULLs; a struct the SQL uses
 * whole is cast to the table's type, one it only takes text leaves of gives text). So it is learnt once per text
 * instead of binding the whole view a third time for every question (after the view and before the spool; with
 * thousands of raw files each bind lists them all).
 */
const describedSql = new Map<string, Described>();

async function describe(connection: DuckDBConnection, sql: string): Promise<Described> {
  const known = describedSql.get(sql);
  if (known) return known;
  const prepared = await connection.prepare(sql);
  try {
    const count = prepared.columnCount;
    const described: Described = {
      columns: Array.from({ length: count }, (_, i) => prepared.columnName(i)),
      // The spooled table has exactly these columns and types (renamed c0, c1, …): no second prepare to learn them.
      types: Array.from({ length: count }, (_, i) => prepared.columnType(i)),
      statementType: prepared.statementType,
      parameterCount: prepared.parameterCount,
    };
    setBounded(describedSql, sql, described, MEMO_ENTRIES);
    return described;
  } finally {
    prepared.destroySync();
  }
}

/** Reads each file on its own to find the ones DuckDB cannot get through (only after an error that names none). */
async function unreadableFiles(
  connection: DuckDBConnection,
  files: readonly LogFile[],
  job: Job,
): Promise<{ file: LogFile; detail: string }[]> {
  const broken: { file: LogFile; detail: string }[] = [];
  for (const file of files) {
    if (!isRunning(job)) break;
    try {
      await connection.run(fileCheckSql(file));
    } catch (err) {
      const detail = firstLine(messageOf(err));
      if (file.format === 'records' && /Malformed JSON/i.test(detail)) {
        file.format = 'records-multiline';
        try {
          await connection.run(fileCheckSql(file));
          continue;
        } catch {
          file.format = 'records';
        }
      }
      broken.push({ file, detail });
    }
  }
  return broken;
}

/**
 * Large results: `/trail logins all 1d` over exactly N console sign-ins (default 100,000) generated so the full result
 * is known in advance, through the Slack bot in its own process. The CSV uploaded to the fake Slack must equal the
 * expected rows (header, count, every cell; read with a strict RFC 4180 parser written apart from trailbot's), every
 * message must pass the fake's Block Kit checks, and the bot's peak RSS is reported against 300 MB.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { blockKitProblems, blockTextChars } from '../test/helpers/fake-slack';
import { parseCsvStrict } from './lib/csv';
import { LOGIN_COLUMNS, loginsDataset } from './lib/data';
import { count, type Figure, info, mb, ms, type PartReport, target } from './lib/report';
import { removeOnFailure, soakEnv, startSession, tempDir, warmUp } from './lib/session';

export interface LargeOptions {
  rows: number;
  seed: number;
  /** Peak RSS target, bytes. Default 300 MB. */
  maxRssBytes?: number;
  timeoutMs?: number;
}

const CHANNEL = 'C0LARGE';

export async function runLarge(o: LargeOptions): Promise<PartReport> {
  const began = Date.now();
  const dir = await tempDir('large');
  const now = new Date();
  const { dataset, session } = await removeOnFailure(dir, async () => {
    const dataset = await loginsDataset(path.join(dir, 'data'), { rows: o.rows, seed: o.seed, now });
    const session = await startSession(dir, {
      dataDir: path.join(dir, 'data'),
      env: soakEnv(),
      sweepMs: 5000,
      rssSampleMs: 50,
    });
    return { dataset, session };
  });
  const limit = o.maxRssBytes ?? 300 * 1024 * 1024;
  try {
    await warmUp(session, 'logins failed 1h');
    const baseline = (await session.bot.snapshot([CHANNEL], { gc: true })).memory;
    const text = 'logins all 1d';
    const ack = await session.bot.command(text, {
      userId: 'U0LARGE',
      channelId: CHANNEL,
      responseUrl: session.fake.responseUrl('large'),
    });
    const fake = session.fake;
    const deadline = Date.now() + (o.timeoutMs ?? 300_000);
    let snapshot = await session.bot.snapshot([CHANNEL]);
    while (Date.now() < deadline) {
      snapshot = await session.bot.snapshot([CHANNEL]);
      if (snapshot.executions.length > 0 && snapshot.unfinished === 0 && snapshot.inFlight === 0) break;
      await sleep(250);
    }
    const answeredMs = Date.now() - ack.sentAt;
    const last = await session.bot.snapshot([CHANNEL], { gc: true });
    const end = last.memory;
    const execution = snapshot.executions[0];
    // Where the peak comes from, from RSS samples every 50 ms. The runner spools the result after the engine finished
    // and before the SUCCEEDED transition, so `finishedAt` ends the query; the upload runs from
    // files.getUploadURLExternal to files.completeUploadExternal.
    const phasePeak = (a?: number, b?: number) => {
      if (a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b)) return Number.NaN;
      return Math.max(0, ...last.rssSamples.filter(([t]) => t >= a && t <= b).map(([, rss]) => rss));
    };
    // The upload of this question's CSV: the getUploadURLExternal call that issued its file id, then its completion.
    const fileId = fake.files.find(
      (f) => f.completed && f.channel_id === CHANNEL && f.thread_ts === execution?.parentRef,
    )?.id;
    const callAt = (method: string) => {
      const call = fake.calls.find(
        (c) =>
          c.method === method &&
          c.status === 200 &&
          (c.response?.file_id === fileId ||
            (Array.isArray(c.params.files) && JSON.stringify(c.params.files).includes(String(fileId)))),
      );
      return call ? fake.arrivedAt(call) : undefined;
    };
    const time = (iso?: string) => (iso ? Date.parse(iso) : undefined);
    const uploadFrom = callAt('files.getUploadURLExternal');
    const uploadTo = callAt('files.completeUploadExternal');
    const runningPeak = phasePeak(time(execution?.startedAt), time(execution?.finishedAt));
    const spoolingPeak = phasePeak(time(execution?.finishedAt), uploadFrom);
    const uploadingPeak = phasePeak(uploadFrom, uploadTo === undefined ? undefined : uploadTo + 100);
    const parent = fake.messages.find((m) => m.channel === CHANNEL && m.ts === execution?.parentRef);
    const replies = fake.messages.filter((m) => m.channel === CHANNEL && m.thread_ts === execution?.parentRef);
    // The CSVs only: the answer's chart PNG goes into the thread too (issue 17).
    const files = fake.files.filter(
      (f) =>
        f.completed && f.channel_id === CHANNEL && f.thread_ts === execution?.parentRef && f.filename.endsWith('.csv'),
    );
    const file = files[0];
    // The upload starts with a UTF-8 byte-order mark (for Excel); the RFC 4180 text follows it.
    const csvText = (file?.bytes?.toString('utf8') ?? '').replace(/^\uFEFF/, '');
    const csv = parseCsvStrict(csvText);
    const header = csv.records[0] ?? [];
    const rows = csv.records.slice(1);
    let mismatches = 0;
    let firstMismatch: string | undefined;
    for (let i = 0; i < Math.max(rows.length, dataset.expectedRows.length); i++) {
      const got = rows[i];
      const want = dataset.expectedRows[i];
      if (!got || !want || got.length !== want.length || got.some((v, j) => v !== want[j])) {
        mismatches++;
        firstMismatch ??= `row ${i + 1}: got ${JSON.stringify(got)?.slice(0, 300)}, expected ${JSON.stringify(want)?.slice(0, 300)}`;
      }
    }
    const headerOk = JSON.stringify(header) === JSON.stringify(LOGIN_COLUMNS);
    const channelCalls = fake.calls.filter((c) => c.params.channel === CHANNEL || c.params.channel_id === CHANNEL);
    const invalidBlocks = fake.calls.filter((c) => c.response?.error === 'invalid_blocks').length;
    const messageProblems = [parent, ...replies].flatMap((m) => (m?.blocks ? blockKitProblems(m.blocks) : []));
    const largestBlockText = Math.max(
      0,
      ...[parent, ...replies].map((m) => (m?.blocks ? blockTextChars(m.blocks) : 0)),
    );
    const tableRows = replies
      .flatMap((m) => (m.blocks ?? []) as { type?: string; rows?: unknown[] }[])
      .filter((b) => b.type === 'table')
      .map((b) => b.rows?.length ?? 0);
    const parentSaysRows = JSON.stringify(parent?.blocks ?? parent?.text ?? '').includes(
      o.rows.toLocaleString('en-US'),
    );
    const declaredOk = file !== undefined && file.bytes !== undefined && file.length === file.bytes.length;

    const problems: string[] = [];
    if (!execution) problems.push('no execution was recorded for the question');
    if (execution && execution.state !== 'PUBLISHED')
      problems.push(`the execution ended ${execution.state}: ${execution.error ?? ''}`);
    if (firstMismatch) problems.push(`CSV differs from the expected result, first at ${firstMismatch}`);
    problems.push(...csv.problems.slice(0, 5).map((p) => `CSV is not RFC 4180: ${p}`));
    problems.push(...messageProblems.slice(0, 5).map((p) => `Block Kit: ${p}`));
    problems.push(...fake.warnings.slice(0, 5).map((w) => `Slack warning (${w.method}): ${w.message}`));
    if (end.maxRss >= limit) {
      problems.push(
        `peak RSS ${mb(end.maxRss)} ≥ ${mb(limit)}: ${mb(baseline.rss)} after warm-up; sampled peaks ${mb(runningPeak)} while DuckDB ran the query, ${mb(spoolingPeak)} while the result was spooled, ${mb(uploadingPeak)} during the ${mb(file?.bytes?.length ?? 0)} CSV upload (streamed from disk)`,
      );
    }
    const figures: Figure[] = [
      info('sign-ins in the data / files', `${count(o.rows)} / ${count(dataset.files)} (${mb(dataset.bytes)} gzip)`),
      target('ack', `HTTP ${ack.status} in ${ms(ack.ackMs)}`, 'HTTP 200', ack.status === 200),
      info('question → answer published', ms(answeredMs)),
      target('execution state', execution?.state ?? 'none', 'PUBLISHED', execution?.state === 'PUBLISHED'),
      target(
        'rows reported in the store',
        count(execution?.stats?.rows ?? 0),
        count(o.rows),
        execution?.stats?.rows === o.rows,
      ),
      target('CSV uploads in the thread', count(files.length), '1', files.length === 1),
      info('CSV size', mb(file?.bytes?.length ?? 0)),
      target('CSV header is the template’s columns', headerOk ? 'yes' : 'no', 'yes', headerOk),
      target('CSV data rows', count(rows.length), count(o.rows), rows.length === o.rows),
      target('CSV rows differing from the expected result', count(mismatches), '0', mismatches === 0),
      target('RFC 4180 violations', count(csv.problems.length), '0', csv.problems.length === 0),
      target('bytes uploaded = length declared', declaredOk ? 'yes' : 'no', 'yes', declaredOk),
      target('result replies in the thread', count(replies.length), '1', replies.length === 1),
      target(
        'messages rejected or breaking Block Kit limits',
        count(invalidBlocks + messageProblems.length),
        '0',
        invalidBlocks + messageProblems.length === 0,
      ),
      info(
        'table rows in the reply / largest message block text',
        `${tableRows.join(', ') || '0'} / ${count(largestBlockText)} chars`,
      ),
      target('parent message shows the row count', parentSaysRows ? 'yes' : 'no', 'yes', parentSaysRows),
      info('Slack calls for the question', count(channelCalls.length)),
      info('bot RSS after warm-up / after the answer (after GC)', `${mb(baseline.rss)} / ${mb(end.rss)}`),
      info(
        'bot RSS peak: query running / result spooled / CSV upload (50 ms samples)',
        `${mb(runningPeak)} / ${mb(spoolingPeak)} / ${mb(uploadingPeak)}`,
      ),
      target('bot peak RSS', mb(end.maxRss), `< ${mb(limit)}`, end.maxRss < limit),
    ];
    return {
      part: 'large',
      title: `Large results: \`/trail ${text}\` returning ${count(o.rows)} rows through the Slack bot (seed ${o.seed})`,
      figures,
      problems,
      elapsedMs: Date.now() - began,
      data: {
        rows: o.rows,
        files: dataset.files,
        dataBytes: dataset.bytes,
        answeredMs,
        csvBytes: file?.bytes?.length ?? 0,
        csvRows: rows.length,
        mismatches,
        rfc4180Problems: csv.problems,
        replies: replies.length,
        uploads: files.length,
        invalidBlocks,
        messageProblems,
        warnings: fake.warnings,
        memory: { baseline, end, peakRss: end.maxRss, runningPeak, spoolingPeak, uploadingPeak, limit },
      },
    };
  } finally {
    await session.close();
  }
}

import { PassThrough } from 'node:stream';
import { seriesBuilder } from '../../src/charts/series';
import type { ExecutionRecord } from '../../src/core/execution';
import type { ResultSummary } from '../../src/core/publisher';
import { TerminalPublisher } from '../../src/surfaces/terminal/publisher';
import { queryOf } from '../helpers/commands';

function execution(text: string): ExecutionRecord {
  const r = queryOf(text);
  return {
    id: 'mx0chart0001',
    requestKey: 'k',
    commandText: text,
    command: r.command.name,
    request: {},
    query: r.query,
    userId: 'alice',
    channelId: 'terminal',
    surface: 'terminal',
    engine: 'duckdb',
    state: 'SUCCEEDED',
    createdAt: '2026-11-30T12:00:00Z',
    updatedAt: '2026-11-30T12:00:01Z',
    stats: { rows: 3, bytesScanned: 2048, filesRead: 3, elapsedMs: 42 },
    expiresAt: 0,
  };
}

const rows = [
  ['2026-11-30T09:00:05Z', 'ConsoleLogin'],
  ['2026-11-30T09:40:00Z', 'ConsoleLogin'],
  ['2026-11-30T11:10:00Z', 'ConsoleLogin'],
];

function summaryWithSeries(withSeries: boolean): ResultSummary {
  const builder = seriesBuilder(
    { timeColumn: 'eventtime', bucket: 'hour', rows: 'sign-ins' },
    { window: { start: new Date('2026-11-30T06:00:00Z'), end: new Date('2026-11-30T12:00:00Z') } },
  );
  for (const [eventtime] of rows) builder.add((c) => (c === 'eventtime' ? (eventtime ?? null) : null));
  return {
    columns: ['eventtime', 'eventname'],
    topRows: rows,
    totalRows: rows.length,
    flags: [],
    flagsTotal: 0,
    csvPath: '/tmp/none.csv',
    csvBytes: 10,
    ...(withSeries ? { series: builder.finish() } : {}),
  };
}

async function printed(summary: ResultSummary, width: number): Promise<string[]> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => {
    text += String(d);
  });
  const p = new TerminalPublisher({ out, timeZone: 'UTC', width });
  await p.postResult(execution('logins 6h'), summary);
  return text.split('\n');
}

describe('the terminal shows the answer’s sparkline', () => {
  test('one line under the result: the window’s hours, the rows per hour, the total', async () => {
    const lines = await printed(summaryWithSeries(true), 120);
    const spark = lines.filter((l) => /[▁▂▃▄▅▆▇█]/.test(l));
    expect(spark).toEqual(['  2026-11-30 06:00 ▁▁▁█▁▂ 11:00 UTC · 3 sign-ins, a block per hour']);
  });

  test('it fits a narrow terminal', async () => {
    const lines = await printed(summaryWithSeries(true), 70);
    const spark = lines.find((l) => /[▁▂▃▄▅▆▇█]/.test(l));
    expect(spark).toBeDefined();
    expect([...(spark ?? '')].length).toBeLessThanOrEqual(70);
  });

  test('an answer without a series prints no sparkline', async () => {
    const lines = await printed(summaryWithSeries(false), 120);
    expect(lines.some((l) => /[▁▂▃▄▅▆▇█]/.test(l))).toBe(false);
  });
});

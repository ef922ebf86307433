import type { WebClient } from '@slack/web-api';
import type { ExecutionRecord } from '../../src/core/execution';
import type { ResultSummary, TimeSeries } from '../../src/core/publisher';
import { chartFileName, uploadChart } from '../../src/surfaces/slack/chart-upload';
import { decodePng } from './png';

const execution = { id: 'mx0chart0002', commandText: 'logins 24h', channelId: 'C0X' } as ExecutionRecord;
const series: TimeSeries = {
  bucket: 'hour',
  rows: 'sign-ins',
  start: '2026-11-30T00:00:00.000Z',
  counts: [1, 0, 3],
  skipped: 0,
};
const result = (s?: TimeSeries) => ({ totalRows: 4, ...(s ? { series: s } : {}) }) as ResultSummary;

function recorder(upload: (args: Record<string, unknown>) => Promise<unknown>) {
  const warnings: unknown[][] = [];
  const calls: Record<string, unknown>[] = [];
  const client = {
    files: {
      uploadV2: (args: Record<string, unknown>) => {
        calls.push(args);
        return upload(args);
      },
    },
  } as unknown as WebClient;
  const logger = { debug() {}, info() {}, warn: (...m: unknown[]) => warnings.push(m), error() {} };
  return { client, logger, warnings, calls };
}

const base = { execution, threadTs: '1700000000.000100', csvName: 'logins-24h-2026-11-30T0000Z-mx0chart0002.csv' };

describe('the Slack chart upload', () => {
  test('uploads the PNG into the thread, named after the CSV, with the series in words as alt text', async () => {
    const r = recorder(async () => ({ ok: true, files: [{ ok: true, files: [{ id: 'F0PNG' }] }] }));
    const id = await uploadChart({ ...base, client: r.client, logger: r.logger, result: result(series) });
    expect(id).toBe('F0PNG');
    const args = r.calls[0]!;
    expect(args).toMatchObject({
      channel_id: 'C0X',
      thread_ts: base.threadTs,
      filename: 'logins-24h-2026-11-30T0000Z-mx0chart0002.png',
      alt_text:
        'Bar chart of 4 sign-ins per hour, 2026-11-30 00:00 to 2026-11-30 02:00 UTC; busiest 2026-11-30 02:00 with 3.',
    });
    expect(decodePng(args.file as Buffer).width).toBeGreaterThan(0);
    expect(chartFileName('a.CSV')).toBe('a.png');
  });

  test('no series, or a series without rows: nothing is drawn or uploaded', async () => {
    const r = recorder(async () => ({ ok: true }));
    expect(await uploadChart({ ...base, client: r.client, logger: r.logger, result: result() })).toBeUndefined();
    const empty = { ...series, counts: [0, 0, 0] };
    expect(await uploadChart({ ...base, client: r.client, logger: r.logger, result: result(empty) })).toBeUndefined();
    expect(r.calls).toEqual([]);
  });

  test('a refused upload is logged and does not throw: the answer it belongs to stands', async () => {
    const r = recorder(async () => {
      throw new Error('An API error occurred: file_uploads_disabled');
    });
    await expect(uploadChart({ ...base, client: r.client, logger: r.logger, result: result(series) })).resolves.toBe(
      undefined,
    );
    expect(r.warnings).toHaveLength(1);
    expect(String(r.warnings[0]?.[0])).toContain('chart of execution mx0chart0002 not uploaded');
  });
});

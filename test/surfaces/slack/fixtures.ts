import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExecutionRecord } from '../../../src/core/execution';
import type { ResultSummary } from '../../../src/core/publisher';

/** A finished Athena execution of `/trail sg 12h` with realistic fields; override what a test is about. */
export function execution(overrides: Partial<ExecutionRecord> = {}): ExecutionRecord {
  return {
    id: 'ex-20261120-0001',
    requestKey: 'C0SECOPS:sg:12h',
    commandText: 'sg 12h',
    command: 'sg',
    request: { window: '12h' },
    query: {
      template: 'security_group_changes',
      sql:
        "SELECT eventtime, eventname, useridentity.arn AS actor, json_extract_scalar(requestparameters, '$.groupId') AS group_id\n" +
        'FROM cloudtrail_logs\n' +
        'WHERE "timestamp" BETWEEN ? AND ?\n' +
        '  AND from_iso8601_timestamp(eventtime) >= from_iso8601_timestamp(?)\n' +
        "  AND eventname IN ('AuthorizeSecurityGroupIngress', 'RevokeSecurityGroupIngress')",
      params: [
        { type: 'varchar', value: '2026/11/20' },
        { type: 'varchar', value: '2026/11/20' },
        { type: 'varchar', value: '2026-11-20T08:00:00Z' },
      ],
      partitions: ['2026/11/20'],
      window: {
        start: '2026-11-20T08:00:00.000Z',
        end: '2026-11-20T20:00:00.000Z',
        label: '12h',
        partitions: ['2026/11/20'],
      },
    },
    userId: 'U0ASKER',
    channelId: 'C0SECOPS',
    surface: 'slack',
    engine: 'athena',
    state: 'SUCCEEDED',
    createdAt: '2026-11-20T20:00:00.000Z',
    updatedAt: '2026-11-20T20:00:05.000Z',
    startedAt: '2026-11-20T20:00:00.500Z',
    finishedAt: '2026-11-20T20:00:04.700Z',
    stats: { rows: 3, bytesScanned: 1_234_567_890, elapsedMs: 4200 },
    expiresAt: 1_800_000_000,
    ...overrides,
  };
}

/** A small result with a CSV file under os.tmpdir(); call `cleanup()` when done. */
export function resultWithCsv(
  rows: (string | null)[][] = [
    ['2026-11-20T09:12:00Z', 'AuthorizeSecurityGroupIngress', 'arn:aws:iam::111122223333:user/bob', 'sg-5887f224'],
    ['2026-11-20T10:00:00Z', 'RevokeSecurityGroupIngress', 'arn:aws:iam::111122223333:user/alice', 'sg-0a1b2c3d'],
    ['2026-11-20T11:30:00Z', 'AuthorizeSecurityGroupIngress', 'arn:aws:iam::111122223333:role/ci', 'sg-5887f224'],
  ],
): { result: ResultSummary; csv: Buffer; cleanup: () => void } {
  const columns = ['eventtime', 'eventname', 'actor', 'group_id'];
  const dir = mkdtempSync(path.join(tmpdir(), 'trailbot-slack-'));
  const csvPath = path.join(dir, 'result.csv');
  const csv = Buffer.from([columns, ...rows].map((r) => r.map((c) => c ?? '').join(',')).join('\r\n') + '\r\n');
  writeFileSync(csvPath, csv);
  return {
    result: {
      columns,
      topRows: rows,
      totalRows: rows.length,
      flags: [{ row: 0, code: 'world-open', message: 'tcp/22 opened to 0.0.0.0/0 on sg-5887f224 by bob' }],
      flagsTotal: 1,
      csvPath,
      csvBytes: csv.length,
    },
    csv,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A logger that keeps lines for assertions instead of printing them. */
export function memoryLogger(): {
  lines: { level: string; text: string }[];
  debug: (...m: unknown[]) => void;
  info: (...m: unknown[]) => void;
  warn: (...m: unknown[]) => void;
  error: (...m: unknown[]) => void;
} {
  const lines: { level: string; text: string }[] = [];
  const at =
    (level: string) =>
    (...m: unknown[]) => {
      lines.push({ level, text: m.map((x) => (x instanceof Error ? `${x.name}: ${x.message}` : String(x))).join(' ') });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

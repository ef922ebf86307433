import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bucketLabel, seriesBuilder, totalOf } from '../../src/charts/series';

const LOGS = path.resolve(__dirname, '../../../shared/data/stratus-red-team/docs/detonation-logs');
const real = existsSync(LOGS);
if (!real) console.log(`skipping the real-records chart test: ${LOGS} does not exist (a clone without shared/)`);

describe('a series from real CloudTrail records', () => {
  (real ? test : test.skip)('every eventTime of the 310 recorded events lands in its UTC day', () => {
    const times = readdirSync(LOGS)
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => JSON.parse(readFileSync(path.join(LOGS, f), 'utf8')) as { eventTime: string }[])
      .map((e) => e.eventTime);
    const sorted = [...times].sort();
    const start = new Date(`${sorted[0]!.slice(0, 10)}T00:00:00Z`);
    const end = new Date(Date.parse(`${sorted.at(-1)!.slice(0, 10)}T00:00:00Z`) + 86_400_000);
    // Four months of hours (about 2,900) is more than a chart holds: the builder draws them per day.
    const builder = seriesBuilder(
      { timeColumn: 'eventtime', bucket: 'hour', rows: 'events' },
      { window: { start, end } },
    );
    for (const t of times) builder.add((c) => (c === 'eventtime' ? t : null));
    const series = builder.finish();
    expect(series.bucket).toBe('day');
    expect(series.skipped).toBe(0);
    expect(totalOf(series)).toBe(times.length);
    const perDay = new Map<string, number>();
    for (const t of times) perDay.set(t.slice(0, 10), (perDay.get(t.slice(0, 10)) ?? 0) + 1);
    for (const [i, n] of series.counts.entries())
      expect([bucketLabel(series, i), n]).toEqual([bucketLabel(series, i), perDay.get(bucketLabel(series, i)) ?? 0]);
  });
});

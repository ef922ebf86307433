import type { QueryEngine } from '../../src/core/engine';
import type { BoundQuery } from '../../src/core/query';

/** The rows (`bucket`, `events`) of a chart's series query (BoundQuery.series) run to the end on `engine`. */
export async function seriesRows(engine: QueryEngine, query: BoundQuery): Promise<[string, number][]> {
  const id = await engine.start(query, { executionId: `series-${Math.random().toString(36).slice(2)}` });
  for (;;) {
    const s = await engine.status(id);
    if (s.state === 'FAILED' || s.state === 'CANCELLED') throw new Error(`${query.template}: ${s.reason}`);
    if (s.state === 'SUCCEEDED') break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const rows: [string, number][] = [];
  for await (const page of engine.results(id)) {
    const [b, n] = [page.columns.indexOf('bucket'), page.columns.indexOf('events')];
    for (const r of page.rows) rows.push([String(r[b]), Number(r[n])]);
  }
  return rows;
}

/**
 * Charts (issue 17): a time-shaped answer's rows counted per bucket while they stream (series.ts), drawn as an SVG
 * bar chart (svg.ts) rendered to PNG without a browser (png.ts) for Slack, and as a one-line sparkline for the
 * terminal (sparkline.ts). Imports only the core and util (architecture.json).
 */
import type { TimeSeries } from '../core/publisher';
import { svgToPng, svgToPngAsync } from './png';
import { type ChartText, chartSvg } from './svg';

export { chartFontFiles, svgToPng, svgToPngAsync } from './png';
export { BUCKET_MS, bucketFor, bucketLabel, MAX_BUCKETS, seriesBuilder, totalOf } from './series';
export { sparkline, sparklineWithin } from './sparkline';
export {
  CHART_HEIGHT,
  CHART_WIDTH,
  type ChartText,
  chartDescription,
  chartSvg,
  niceCeiling,
  PLOT,
  xmlText,
} from './svg';

/** The chart of a series as PNG bytes (and the SVG it was drawn from). */
export function renderChart(series: TimeSeries, text: ChartText): { svg: string; png: Buffer } {
  const svg = chartSvg(series, text);
  return { svg, png: svgToPng(svg) };
}

/** The same, rendered off the event loop (a bot keeps answering Slack meanwhile). */
export async function renderChartAsync(series: TimeSeries, text: ChartText): Promise<{ svg: string; png: Buffer }> {
  const svg = chartSvg(series, text);
  return { svg, png: await svgToPngAsync(svg) };
}

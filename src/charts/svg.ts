import type { TimeSeries } from '../core/publisher';
import { isUnsafeChar } from '../util/shown';
import { BUCKET_MS, bucketLabel, bucketStart, capLabel, markedOf, totalOf } from './series';

/**
 * Text for an SVG document from any source. Labels come from records (user names, event names) and from what was
 * typed, so they are attacker-written: control and invisible characters are dropped (XML 1.0 forbids most C0
 * controls outright, and bidi overrides would reorder the label), unpaired surrogates too (not XML characters), and
 * the five XML specials become entities, so no label can close a tag, start an element or break out of an attribute.
 */
export function xmlText(value: string, max = 120): string {
  let clean = '';
  let length = 0;
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (isUnsafeChar(code) || (code >= 0xd800 && code <= 0xdfff) || code === 0xfffe || code === 0xffff) continue;
    if (length === max) {
      clean += '…';
      break;
    }
    clean += ch;
    length += 1;
  }
  return clean
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

export interface ChartText {
  /** The question as typed, e.g. `/trail logins 24h`: shown as the title. */
  title: string;
  /** The marked rows' name for the legend, e.g. `off-hours`. */
  markedLabel?: string;
}

export const CHART_WIDTH = 960;
export const CHART_HEIGHT = 360;
const M = { left: 60, right: 20, top: 62, bottom: 60 };
/** Where the bars are drawn (px): bucket `i` spans `left + i·width/n` to the next, count `c` is `c/top·height` high. */
export const PLOT = {
  left: M.left,
  top: M.top,
  width: CHART_WIDTH - M.left - M.right,
  height: CHART_HEIGHT - M.top - M.bottom,
};
const BAR = '#3b6fb6';
const MARK = '#e8833a';
const FONT = 'DejaVu Sans';

/** A round upper bound for the y axis (1, 2, 4, 5, 6 or 8 times a power of ten), at least `max`. */
export function niceCeiling(max: number): number {
  if (max <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 4, 5, 6, 8, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/0+$/, ''));

/**
 * A bar chart of a series as an SVG document: one bar per bucket (its marked part stacked in another colour), a y
 * axis with round ticks, about six time labels under the x axis, the question as the title and the totals under it.
 * Hand-written rather than vega-lite: a fixed layout needs no layout engine (bench/README.md, "Charts").
 */
export function chartSvg(series: TimeSeries, text: ChartText): string {
  const plotW = PLOT.width;
  const plotH = PLOT.height;
  const n = Math.max(1, series.counts.length);
  const top = niceCeiling(Math.max(0, ...series.counts));
  const barW = plotW / n;
  const gap = barW > 4 ? barW * 0.15 : 0;
  const y = (v: number) => M.top + plotH - (v / top) * plotH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" font-family="${FONT}">`,
    `<rect width="${CHART_WIDTH}" height="${CHART_HEIGHT}" fill="#ffffff"/>`,
    `<text x="${M.left}" y="24" font-size="16" font-weight="bold" fill="#1d1c1d">${xmlText(text.title, 90)}</text>`,
  );
  const total = totalOf(series);
  const marked = markedOf(series);
  const last = series.counts.length - 1;
  const span = `${bucketLabel(series, 0)} – ${bucketLabel(series, last)} UTC`;
  const parts = [`${total} ${xmlText(series.rows, 40)}, counted per ${series.bucket}`, span];
  if (series.marked) parts.push(`${marked} ${xmlText(text.markedLabel ?? 'marked', 40)}`);
  if (series.skipped > 0) parts.push(`${series.skipped} without a time in the window, not drawn`);
  if (series.cappedBefore) parts.push(`row cap reached: older rows than ${capLabel(series)} not drawn`);
  out.push(`<text x="${M.left}" y="44" font-size="12" fill="#616061">${parts.join(' · ')}</text>`);
  if (series.cappedBefore) {
    // The part of the window the capped answer does not reach, greyed so its empty bars are not read as quiet time.
    const cut = Math.floor((Date.parse(series.cappedBefore) - bucketStart(series, 0)) / BUCKET_MS[series.bucket]);
    const width = Math.max(0, Math.min(n, cut)) * barW;
    if (width > 0) {
      out.push(`<rect x="${M.left}" y="${M.top}" width="${width.toFixed(2)}" height="${plotH}" fill="#eeeeee"/>`);
      if (width > 150) {
        out.push(
          `<text x="${(M.left + width / 2).toFixed(1)}" y="${M.top + plotH / 2}" font-size="12" text-anchor="middle" fill="#616061">older rows not returned (row cap)</text>`,
        );
      }
    }
  }
  // Grid lines and y labels at quarters of the round top.
  for (let k = 0; k <= 4; k++) {
    const v = (top * k) / 4;
    const gy = y(v).toFixed(1);
    out.push(
      `<line x1="${M.left}" x2="${CHART_WIDTH - M.right}" y1="${gy}" y2="${gy}" stroke="#dddddd" stroke-width="1"/>`,
      `<text x="${M.left - 6}" y="${gy}" dy="4" font-size="11" text-anchor="end" fill="#616061">${fmt(v)}</text>`,
    );
  }
  series.counts.forEach((count, i) => {
    if (count <= 0) return;
    const x = (M.left + i * barW + gap / 2).toFixed(2);
    const w = Math.max(barW - gap, 0.8).toFixed(2);
    out.push(
      `<rect x="${x}" y="${y(count).toFixed(2)}" width="${w}" height="${((count / top) * plotH).toFixed(2)}" fill="${BAR}"/>`,
    );
    const m = series.marked?.[i] ?? 0;
    if (m > 0) {
      out.push(
        `<rect x="${x}" y="${y(m).toFixed(2)}" width="${w}" height="${((m / top) * plotH).toFixed(2)}" fill="${MARK}"/>`,
      );
    }
  });
  const baseY = M.top + plotH;
  out.push(`<line x1="${M.left}" x2="${CHART_WIDTH - M.right}" y1="${baseY}" y2="${baseY}" stroke="#616061"/>`);
  for (const i of xTicks(series.counts.length)) {
    const x = M.left + (i + 0.5) * barW;
    const anchor = i === 0 ? 'start' : i === last ? 'end' : 'middle';
    const tx = i === 0 ? M.left : i === last ? CHART_WIDTH - M.right : x;
    out.push(
      `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${baseY}" y2="${baseY + 4}" stroke="#616061"/>`,
      `<text x="${tx.toFixed(1)}" y="${baseY + 18}" font-size="11" text-anchor="${anchor}" fill="#616061">${bucketLabel(series, i)}</text>`,
    );
  }
  if (total === 0) {
    out.push(
      `<text x="${M.left + plotW / 2}" y="${M.top + plotH / 2}" font-size="14" text-anchor="middle" fill="#616061">no rows in this window</text>`,
    );
  }
  if (series.marked) {
    // The legend sits under the time labels, where neither a long title nor the totals can run into it.
    const ly = CHART_HEIGHT - 12;
    out.push(
      `<rect x="${M.left}" y="${ly - 9}" width="10" height="10" fill="${BAR}"/>`,
      `<text x="${M.left + 14}" y="${ly}" font-size="11" fill="#1d1c1d">${xmlText(series.rows, 30)}</text>`,
      `<rect x="${M.left + 120}" y="${ly - 9}" width="10" height="10" fill="${MARK}"/>`,
      `<text x="${M.left + 134}" y="${ly}" font-size="11" fill="#1d1c1d">${xmlText(text.markedLabel ?? 'marked', 30)}</text>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}

/** About six evenly spread bucket indexes, the first and the last included. */
function xTicks(n: number): number[] {
  if (n <= 1) return [0];
  const steps = Math.min(5, n - 1);
  const ticks = new Set<number>();
  for (let k = 0; k <= steps; k++) ticks.add(Math.round((k * (n - 1)) / steps));
  return [...ticks];
}

/**
 * The chart in words, for screen readers (Slack's alt text) and for anyone the image does not reach: the total, the
 * span, the busiest bucket and the marked rows. Every part is trailbot's own text (times, counts, the catalog's names).
 */
export function chartDescription(series: TimeSeries, markedLabel = 'marked'): string {
  const total = totalOf(series);
  const last = series.counts.length - 1;
  const parts = [
    `Bar chart of ${total} ${series.rows} per ${series.bucket}, ${bucketLabel(series, 0)} to ${bucketLabel(series, last)} UTC`,
  ];
  if (total > 0) {
    const busiest = series.counts.reduce((best, n, i) => (n > (series.counts[best] ?? 0) ? i : best), 0);
    parts.push(`busiest ${bucketLabel(series, busiest)} with ${series.counts[busiest]}`);
  }
  if (series.marked) parts.push(`${markedOf(series)} ${markedLabel}`);
  if (series.cappedBefore) parts.push(`the answer reached its row cap, so nothing before ${capLabel(series)} is drawn`);
  return `${parts.join('; ')}.`;
}

import { Resvg } from '@resvg/resvg-js';
import { CHART_HEIGHT, CHART_WIDTH, chartFontFiles, chartSvg, PLOT, renderChart, xmlText } from '../../src/charts';
import type { TimeSeries } from '../../src/core/publisher';
import { decodePng, pixelsOf, pixelsUnlike } from './png';

const WHITE: [number, number, number] = [255, 255, 255];
const BAR: [number, number, number] = [0x3b, 0x6f, 0xb6];
const MARK: [number, number, number] = [0xe8, 0x83, 0x3a];

function hourly(counts: number[], marked?: number[]): TimeSeries {
  return {
    bucket: 'hour',
    rows: 'sign-ins',
    start: '2026-11-29T13:00:00.000Z',
    counts,
    skipped: 0,
    ...(marked ? { marked } : {}),
  };
}

/** A label as an attacker would write it into a user name or an event name. */
const HOSTILE = `evil</text><script>alert(1)</script>&amp; "q" 'a' \u0007\u001b[2J\u202eolleh\u0000\ud800`;

describe('chart labels are attacker-written', () => {
  test('xmlText escapes the XML specials and drops control, bidi and unpaired surrogate characters', () => {
    expect(xmlText(HOSTILE)).toBe(
      'evil&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp; &quot;q&quot; &apos;a&apos; [2Jolleh',
    );
    expect(xmlText('x'.repeat(10), 4)).toBe('xxxx…');
  });

  test('a hostile title cannot add an element or break the document, and the chart still renders', () => {
    const svg = chartSvg(hourly([1, 2, 3]), { title: `/trail user ${HOSTILE}` });
    expect(svg).not.toContain('<script');
    expect(svg).not.toContain('</text><');
    expect(svg).toContain('evil&lt;/text&gt;&lt;script&gt;');
    // No character XML 1.0 forbids (resvg would refuse the document), no bidi override.
    expect(svg).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u202e]/);
    // One <text> opened per </text>: the label closed nothing.
    expect(svg.split('<text').length).toBe(svg.split('</text>').length);
    expect(() => new Resvg(svg, { font: { loadSystemFonts: false } })).not.toThrow();
  });
});

describe('a chart rendered to PNG without a browser', () => {
  test('is a valid PNG of the chart size with the bars drawn, and the marked part in its own colour', () => {
    const counts = Array.from({ length: 24 }, (_, i) => (i * 7) % 11);
    const marked = counts.map((n, i) => (i < 6 ? n : 0));
    const { png } = renderChart(hourly(counts, marked), { title: '/trail logins 24h', markedLabel: 'off-hours' });
    const image = decodePng(png);
    expect({ width: image.width, height: image.height }).toEqual({ width: CHART_WIDTH, height: CHART_HEIGHT });
    expect(pixelsUnlike(image, WHITE)).toBeGreaterThan(5_000);
    expect(pixelsOf(image, BAR)).toBeGreaterThan(1_000);
    expect(pixelsOf(image, MARK)).toBeGreaterThan(100);
  });

  test('an empty series still renders: axes and a note, no bars', () => {
    const image = decodePng(renderChart(hourly(new Array(24).fill(0)), { title: '/trail logins 24h' }).png);
    expect(image.width).toBe(CHART_WIDTH);
    expect(pixelsOf(image, BAR)).toBe(0);
    expect(pixelsUnlike(image, WHITE)).toBeGreaterThan(0);
  });

  test('its text is drawn with the font shipped in the package, with no system fonts loaded', () => {
    // The title band holds only text: with the packaged font it has ink, with no font at all it is blank, as it
    // would be in a slim container if the font were not handed to resvg.
    const svg = chartSvg(hourly([1, 2, 3]), { title: '/trail logins offhours 24h' });
    const titleBand = (fontFiles: string[]) => {
      const png = new Resvg(svg, { font: { fontFiles, loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans' } })
        .render()
        .asPng();
      const image = decodePng(png);
      const band = { ...image, pixels: image.pixels.subarray(0, CHART_WIDTH * 4 * 30) };
      return pixelsUnlike(band, WHITE);
    };
    expect(chartFontFiles().every((f) => f.endsWith('.ttf'))).toBe(true);
    expect(titleBand(chartFontFiles())).toBeGreaterThan(200);
    expect(titleBand([])).toBe(0);
  });

  test('a 30-day hourly series (720 buckets) renders at the same size', () => {
    const counts = Array.from({ length: 720 }, (_, i) => (i % 24 < 8 ? 0 : 5 + (i % 13)));
    const image = decodePng(renderChart(hourly(counts), { title: '/trail recent 30d' }).png);
    expect([image.width, image.height]).toEqual([CHART_WIDTH, CHART_HEIGHT]);
    expect(pixelsOf(image, BAR)).toBeGreaterThan(1_000);
  });
});

describe('a capped answer in the image', () => {
  const GREY: [number, number, number] = [0xee, 0xee, 0xee];
  test('the part of the window its rows do not reach is greyed; an uncapped one has no grey', () => {
    const counts = [0, 0, 0, 0, 0, 0, 0, 0, 4, 6, 5, 7];
    const uncapped = hourly(counts);
    const capped = { ...uncapped, cappedBefore: '2026-11-29T21:10:00.000Z' };
    // A strip inside the plot, between the top grid lines, over the first eight hours (no bar, line or text there).
    const strip = (s: TimeSeries) => {
      const image = decodePng(renderChart(s, { title: '/trail recent 12h' }).png);
      const y = Math.round(PLOT.top + PLOT.height / 8);
      const xs = Array.from({ length: 200 }, (_, k) => PLOT.left + 5 + k);
      return xs.map((x) => [...image.pixels.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 3)]);
    };
    expect(strip(uncapped).every((rgb) => rgb.join() === WHITE.join())).toBe(true);
    expect(strip(capped).every((rgb) => rgb.join() === GREY.join())).toBe(true);
  });
});

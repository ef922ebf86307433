import path from 'node:path';
import { Resvg, type ResvgRenderOptions, renderAsync } from '@resvg/resvg-js';

/**
 * The font every chart is drawn with: DejaVu Sans from the `dejavu-fonts-ttf` package (a runtime dependency, its
 * licence in the package), handed to resvg by path. System fonts are not loaded: a slim container has none, and a
 * chart must not look different (or lose its text) depending on the host.
 */
export function chartFontFiles(): string[] {
  const dir = path.dirname(require.resolve('dejavu-fonts-ttf/package.json'));
  return [path.join(dir, 'ttf', 'DejaVuSans.ttf'), path.join(dir, 'ttf', 'DejaVuSans-Bold.ttf')];
}

let fonts: string[] | undefined;

function options(): ResvgRenderOptions {
  fonts ??= chartFontFiles();
  return {
    font: { fontFiles: fonts, loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans' },
    background: '#ffffff',
    logLevel: 'off',
  };
}

/** Renders an SVG document to PNG bytes without a browser (resvg, prebuilt native code from npm). */
export function svgToPng(svg: string): Buffer {
  return new Resvg(svg, options()).render().asPng();
}

/**
 * The same on libuv's thread pool (resvg-js `renderAsync`), so a bot answering Slack keeps acknowledging commands
 * within Slack's 3 seconds while a chart is drawn.
 */
export async function svgToPngAsync(svg: string): Promise<Buffer> {
  return (await renderAsync(svg, options())).asPng();
}

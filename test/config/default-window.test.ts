import { loadConfig } from '../../src/config';
import { UsageError } from '../../src/core/errors';
import { parseWindow } from '../../src/time/window';
import { problemsOf } from './problems';

/**
 * The configuration checks a default window without the window parser (Config may not import Query), so it must
 * come to the parser's own answer: the same normalised label, or the same message.
 */
const NOW = new Date(Date.UTC(2026, 10, 30, 12, 34, 56, 789));

function parserSays(text: string, maxDays: number): string {
  try {
    return parseWindow(text, { now: NOW, timeZone: 'UTC', maxDays }).label;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return err.userMessage;
  }
}

function configSays(text: string, maxDays: number): string {
  const env = { TRAIL_MAX_WINDOW_DAYS: String(maxDays), TRAIL_DEFAULT_WINDOW_SG: text };
  try {
    return loadConfig(env).window.defaults.sg!;
  } catch {
    const [problem] = problemsOf(env);
    return problem!.replace(/^TRAIL_DEFAULT_WINDOW_SG: /, '');
  }
}

test.each([
  ['6h', 7],
  ['07D', 7],
  ['000h', 7],
  ['1M', 7],
  ['0M', 7],
  ['7d', 7],
  ['8d', 7],
  ['169h', 7],
  ['170h', 7],
  ['10081m', 7],
  ['1w', 7],
  ['2w', 7],
  ['1d', 1],
  ['25h', 1],
  ['26h', 1],
  ['today', 1],
  ['YESTERDAY', 1],
  ['3650d', 3650],
  ['522w', 3650],
  ['99999999999999999999d', 3650],
])('TRAIL_DEFAULT_WINDOW_SG=%s with a %d-day maximum: as the window parser says', (text, maxDays) => {
  expect(configSays(text, maxDays)).toBe(parserSays(text, maxDays));
});

import type { ExecutionRecord } from '../../src/core/execution';
import { CONFIRM_TTL_SECONDS } from '../../src/core/runner';
import {
  answerNotPosted,
  confirmationNeeded,
  duplicateQuestion,
  nothingToCancel,
  nothingToConfirm,
  noticeNotPosted,
  overDailyBudget,
} from '../../src/runner/messages';

/** The runner's sentences that vary with what happened: plurals, optional parts, wording by state. */

function record(over: Partial<ExecutionRecord>): ExecutionRecord {
  return { id: 'mx3afmtrwbgw', userId: 'U0ASKER', state: 'SUCCEEDED', ...over } as ExecutionRecord;
}

describe('the cost pre-flight', () => {
  test('Athena names the price; a partial estimate says how much of it was sized', () => {
    const text = confirmationNeeded(
      'errors 30d',
      { bytes: 2.5e12, usd: 12.5, partial: { listed: 20, total: 30 } },
      30,
      1e11,
    );
    expect(text).toBe(
      '`/trail errors 30d` would read about 2.5 TB (≈ $12.50) (estimate partial: 20 of 30 day folders sized, the rest extrapolated) from 30 days of logs, more than the 100 GB that needs a confirmation. Narrow the window, or confirm to run it.',
    );
  });

  test('the embedded engine has no price, and one day is one day', () => {
    const text = confirmationNeeded('root 1d', { bytes: 2.5e9 }, 1, 1e9);
    expect(text).toContain('about 2.5 GB from 1 day of logs');
    expect(text).not.toContain('≈');
    expect(text).not.toContain('estimate partial');
  });

  test('the asker’s typing is echoed as inline code with Slack’s control characters escaped, never as markup', () => {
    expect(confirmationNeeded('ip <!channel>', { bytes: 1 }, 2, 0)).toMatch(
      /^`\/trail ip &lt;!channel&gt;` would read/,
    );
  });

  test('the budget refusal names the estimate, what was read today and the budget', () => {
    expect(overDailyBudget({ bytes: 2.5e9, usd: 0.25 }, 8e9, 1e10)).toBe(
      'This question would read about 2.5 GB (≈ $0.25); with the 8 GB you already read today it passes your daily budget of 10 GB (TRAIL_DAILY_BUDGET_BYTES). Narrow the window, or ask again tomorrow.',
    );
  });

  test('an expired confirmation says how long one lasts', () => {
    expect(nothingToConfirm()).toContain(`expired after ${CONFIRM_TTL_SECONDS / 60} minutes`);
  });
});

test('a duplicate says whether the first one is still running or already answered', () => {
  expect(duplicateQuestion(record({ state: 'RUNNING' }))).toBe(
    'The same question is already running in this channel (execution `mx3afmtrwbgw`, asked by <@U0ASKER>): see its thread, or `/trail status mx3afmtrwbgw`.',
  );
  expect(duplicateQuestion(record({ state: 'PUBLISHED' }))).toContain('was just answered');
});

test('nothing to cancel: a published execution "finished", the others by their state', () => {
  expect(nothingToCancel('x1', 'PUBLISHED')).toBe('Execution `x1` already finished; nothing to cancel.');
  expect(nothingToCancel('x1', 'FAILED')).toBe('Execution `x1` already failed; nothing to cancel.');
  expect(nothingToCancel('x1', 'CANCELLED')).toBe('Execution `x1` already cancelled; nothing to cancel.');
});

describe('giving up on publishing', () => {
  test('an answer: its row count, where the CSV is, and the last error', () => {
    const e = record({
      stats: { rows: 1 } as ExecutionRecord['stats'],
      fileRef: 'F1',
      lastPublishError: 'not_in_channel',
    });
    expect(answerNotPosted(e, 50)).toBe(
      'The query finished with 1 row, but its answer could not be posted after 50 attempts. The CSV in this thread has every row. The last error: not_in_channel Use Re-run to ask again.',
    );
  });

  test('an answer without a count, a CSV or a recorded error says only what it knows', () => {
    expect(answerNotPosted(record({}), 5)).toBe(
      'The query finished, but its answer could not be posted after 5 attempts. Use Re-run to ask again.',
    );
    expect(answerNotPosted(record({ stats: { rows: 2 } as ExecutionRecord['stats'] }), 5)).toContain('with 2 rows,');
  });

  test('a failure notice keeps its own text first', () => {
    const failed = record({ state: 'FAILED', error: 'The query failed.', lastPublishError: 'channel_not_found' });
    expect(noticeNotPosted(failed, 50)).toBe(
      'The query failed. (This notice could not be posted in full after 50 attempts. The last error: channel_not_found)',
    );
    expect(noticeNotPosted(record({ state: 'CANCELLED' }), 5)).toBe(
      '(This notice could not be posted in full after 5 attempts.)',
    );
  });
});
